import Engine
import Lesion
import Report
import Statistics

/// One lesion scored against the intact network on the same images, with paired statistics.
///
/// Every lesion is evaluated on exactly the images the intact network saw, so the change in error
/// is a paired comparison: the 95% interval is Newcombe's hybrid score interval for a difference of
/// paired proportions (Newcombe 1998, Stat. Med. 17:2635, method 10) and the p-value is the exact
/// McNemar test on the discordant images (those only one of the two networks gets wrong). The mean
/// loss change is the mean of per-image loss differences with its Student-t interval.
public struct LesionComparison: Sendable {
  /// The lesion's own result (plan, counts, mean loss); per-image vectors are dropped.
  public var result: LesionResult
  /// Change in error against the intact network, its interval and McNemar p.
  public var errorChange: PairedProportionComparison
  /// Mean per-image loss change (lesioned − intact) with its 95% t interval, nats.
  public var lossChange: MeanInterval
  /// Share of images on which both networks predict the same class. From the per-image
  /// predictions when both results carry them, so it is right for two different models too (the
  /// evaluator's own `agreement` counts against the lesioned model's intact network).
  public var agreement: Double

  /// Compares `lesion` with `intact`; both must hold per-image vectors over the same images.
  public init(_ lesion: LesionResult, intact: LesionResult) {
    precondition(lesion.correct.count == intact.correct.count && lesion.losses.count == intact.losses.count,
      "paired comparison needs both results on the same images")
    errorChange = PairedProportionComparison(baselineCorrect: intact.correct, treatmentCorrect: lesion.correct)
    lossChange = MeanInterval(zip(lesion.losses, intact.losses).map { $0 - $1 })
    if !lesion.predictions.isEmpty && lesion.predictions.count == intact.predictions.count {
      let same = zip(lesion.predictions, intact.predictions).filter { $0 == $1 }.count
      agreement = Double(same) / Double(lesion.predictions.count)
    } else {
      agreement = lesion.agreement
    }
    var compact = lesion
    compact.correct = []
    compact.losses = []
    compact.predictions = []
    result = compact
  }

  /// Test error of the lesioned network.
  public var error: Double { result.error }

  /// The columns every lesion row carries, after the columns naming the lesion.
  public static let columns: [ResultTable.Column] = [
    .init("images", .integer),
    .init("error_fraction", .fraction), .init("error_low95_fraction", .fraction), .init("error_high95_fraction", .fraction),
    .init("error_change_fraction", .fraction), .init("error_change_low95_fraction", .fraction),
    .init("error_change_high95_fraction", .fraction), .init("mcnemar_p", .significant(3)),
    .init("newly_wrong_images", .integer), .init("newly_right_images", .integer),
    .init("mean_loss_nats", .fixed(4)), .init("loss_change_nats", .fixed(4)),
    .init("loss_change_low95_nats", .fixed(4)), .init("loss_change_high95_nats", .fixed(4)),
    .init("agreement_fraction", .fraction),
  ]

  /// The row cells under `columns`.
  public var cells: [ResultTable.Value] {
    let wilson = result.errorInterval
    return [
      .integer(result.count), .number(result.error), .number(wilson.lower), .number(wilson.upper),
      .number(errorChange.errorChange), .number(errorChange.lower), .number(errorChange.upper),
      .number(errorChange.mcNemarExactP), .integer(errorChange.discordant.treatmentOnlyWrong),
      .integer(errorChange.discordant.baselineOnlyWrong),
      .number(result.meanLoss), .number(lossChange.mean), .number(lossChange.lower), .number(lossChange.upper),
      .number(agreement),
    ]
  }

  /// The note that says how the columns are computed (for table footers and JSON).
  public static let methodNote =
    "error interval: 95% Wilson; error change: lesioned − intact on the same images, 95% Newcombe paired interval (method 10), exact McNemar p on the discordant images (newly wrong / newly right); loss change: mean per-image difference, 95% Student-t interval"
}
