/// Every command of `resnet-lesion`, in the order `--help` lists them.
let registeredCommands: [LesionCommand.Type] = [
  InfoCommand.self,
  DropCommand.self,
  SweepCommand.self,
  ReorderCommand.self,
  PathsCommand.self,
  RankCommand.self,
  PruneCommand.self,
  InteractionsCommand.self,
  FiguresCommand.self,
  MergeCommand.self,
  DataCommand.self,
  TrainCommand.self,
  PredictCommand.self,
  ConvertCommand.self,
]
