/// Every command of `resnet-lesion`, in the order `--help` lists them.
let registeredCommands: [LesionCommand.Type] = [
  PathsCommand.self,
]
