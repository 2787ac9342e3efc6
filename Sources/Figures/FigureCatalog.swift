import Basics
import Foundation
import PathAnalysis
import Report
import Studies

/// The figures and tables `resnet-lesion figures` regenerates (Veit et al. 2016).
public enum FigureID: String, CaseIterable, Sendable {
  case fig3
  case fig5a
  case fig5b
  case fig6a
  case fig6b
  case fig6c
  case fig8
  case tableShortPaths = "table-short-paths"
  case importance
  case pruning
  case interactions

  /// The file name without extension: `fig3-single-deletion`.
  var stem: String {
    switch self {
    case .fig3: return "fig3-single-deletion"
    case .fig5a: return "fig5a-random-deletion"
    case .fig5b: return "fig5b-reordering"
    case .fig6a: return "fig6a-path-lengths"
    case .fig6b: return "fig6b-gradient-per-length"
    case .fig6c: return "fig6c-total-gradient"
    case .fig8: return "fig8-stochastic-depth"
    case .tableShortPaths: return "table-short-paths"
    case .importance: return "importance-blocks"
    case .pruning: return "pruning-curves"
    case .interactions: return "interactions-pairs"
    }
  }

  /// What the figure shows, one line.
  var title: String {
    switch self {
    case .fig3: return "Deleting single blocks: residual vs plain network (Fig. 3)"
    case .fig5a: return "Deleting k random blocks (Fig. 5a)"
    case .fig5b: return "Reordering blocks: error vs Kendall τ (Fig. 5b)"
    case .fig6a: return "Distribution of path lengths (Fig. 6a)"
    case .fig6b: return "Gradient magnitude per path length (Fig. 6b)"
    case .fig6c: return "Total gradient per path length (Fig. 6c)"
    case .fig8: return "Stochastic depth vs standard training under lesions (Fig. 8)"
    case .tableShortPaths: return "Training with short paths only (§5.2)"
    case .importance: return "Block importance: lesion, Block Influence, first-order and Shapley measures"
    case .pruning: return "Removing blocks greedily and by each importance order, beside random deletion"
    case .interactions: return "Pairwise block interactions: are the damages of two deletions additive?"
    }
  }

  /// The models the figure needs, in the order they appear in it.
  var roles: [ModelRole] {
    switch self {
    case .fig3, .importance, .pruning, .interactions: return [.residual, .plain]
    case .fig5a, .fig5b, .fig6a, .fig6b, .fig6c: return [.residual]
    case .fig8: return [.residual, .stochasticDepth]
    case .tableShortPaths: return [.residual, .shortPaths]
    }
  }

  /// The models without which the figure cannot be made (Fig. 3 without a plain network shows
  /// the residual one alone).
  var requiredRoles: [ModelRole] {
    [.fig3, .importance, .pruning, .interactions].contains(self) ? [.residual] : roles
  }

  /// What `figures` makes without `--only`: the paper's figures (the importance figures are
  /// made only when named, being tens of minutes on ResNet-110).
  public static var paperFigures: [FigureID] {
    allCases.filter { ![.importance, .pruning, .interactions].contains($0) }
  }
}

/// The part a model plays in the figures, with the option that names it and its bundled default.
public enum ModelRole: String, CaseIterable, Sendable {
  /// The standard residual network (ResNet-110).
  case residual
  /// The plain network without shortcuts (VGG-style), Fig. 3's comparison.
  case plain
  /// The residual network trained with stochastic depth (Fig. 8).
  case stochasticDepth = "stochastic-depth"
  /// The residual network trained with 23 of 54 blocks per mini-batch (§5.2).
  case shortPaths = "short-paths"

  /// The command-line option (without dashes) that overrides the model.
  public var option: String {
    switch self {
    case .residual: return "model"
    case .plain: return "plain"
    case .stochasticDepth: return "stochastic"
    case .shortPaths: return "short-paths"
    }
  }

  /// The bundled model used when the option is absent.
  var bundledName: String {
    switch self {
    case .residual: return "resnet110"
    case .plain: return "plain"
    case .stochasticDepth: return "resnet110-stochastic-depth"
    case .shortPaths: return "resnet110-short-paths"
    }
  }

  /// How the bundled model is trained: its defining options; the exact line (epochs, learning
  /// rate, …) is in `notebooks-data/models/train.sh`, which this does not repeat so as not to drift.
  var trainingHint: String {
    let output = "--output notebooks-data/models/\(bundledName).safetensors"
    switch self {
    case .residual: return "resnet-lesion train --arch resnet --depth 110 … \(output)"
    case .plain: return "resnet-lesion train --arch vgg --widths 16,32,64 --blocks-per-stage 5,5,4 … \(output)"
    case .stochasticDepth: return "resnet-lesion train --arch resnet --depth 110 --stochastic-depth 0.5 … \(output)"
    case .shortPaths: return "resnet-lesion train --arch resnet --depth 110 --active-blocks 23 … \(output)"
    }
  }
}

/// How much work each figure does: the full settings or the `--quick` ones, with overrides.
public struct FigureSettings: Sendable {
  /// Whether `--quick` was given.
  public var quick: Bool
  /// Seed of every random choice (random deletions, reorderings, gradient batches and branches).
  public var seed: Int
  /// Test images kept per class (nil: the whole test split).
  public var perClass: Int?
  /// Random draws per point in Figs. 5a, 5b and 8.
  public var draws: DrawCount
  /// Numbers of randomly deleted blocks in Figs. 5a and 8 (clipped to the deletable blocks).
  public var deletionCounts: [Int]
  /// Numbers of random swaps in Fig. 5b.
  public var swapCounts: [Int]
  /// Random batches (each measuring every path length) in Fig. 6b.
  public var gradientSamples: Int
  /// Training images per gradient batch in Fig. 6b.
  public var gradientBatch: Int
  /// Where the gradient of Fig. 6b is measured.
  public var location: GradientLocation
  /// Which paths a gradient measurement at length k covers (the paper's single path by default).
  public var gradientMode: PathGradientMode
  /// Share of the total gradient the effective-path range of Fig. 6c must hold.
  public var effectiveShare: Double
  /// Bootstrap resamples for the intervals of Figs. 6b and 6c.
  public var bootstrapResamples: Int
  /// Images per evaluation batch.
  public var batchSize: Int

  /// The defaults: the whole test split, draws until each mean error is known to ±1 point (or
  /// the maximum), and the gradient measured on 100 batches; `quick` uses 10 test images per class
  /// and a few draws, to finish in under a minute.
  public static func defaults(quick: Bool, seed: Int) -> FigureSettings {
    if quick {
      return FigureSettings(
        quick: true, seed: seed, perClass: 10, draws: .fixed(2), deletionCounts: [1, 5, 10, 20],
        swapCounts: [1, 5, 20], gradientSamples: 2, gradientBatch: 8, location: .block,
        gradientMode: .singlePath, effectiveShare: 0.9, bootstrapResamples: 200, batchSize: 100)
    }
    return FigureSettings(
      quick: false, seed: seed, perClass: nil, draws: .auto(precision: 0.01, minimum: 5, maximum: defaultMaximumDraws),
      deletionCounts: Array(1...10) + [12, 14, 16, 18, 20], swapCounts: [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30],
      gradientSamples: defaultGradientSamples, gradientBatch: 32, location: .block, gradientMode: .singlePath,
      effectiveShare: 0.9, bootstrapResamples: 2000, batchSize: 100)
  }

  /// The most draws per point by default (the cost is measured in the README).
  public static let defaultMaximumDraws = 30
  /// Gradient batches by default.
  public static let defaultGradientSamples = 50

  /// The gradient measurement these settings describe (the same as `paths --gradients` with the
  /// same seed, samples, batch size and location).
  var gradientConfiguration: PathGradientConfiguration {
    PathGradientConfiguration(
      samples: gradientSamples, batchSize: gradientBatch, seed: UInt64(seed), location: location, lengths: nil,
      mode: gradientMode)
  }

  /// The settings as recorded in every sidecar.
  var json: JSONValue {
    var draws: JSONValue
    switch self.draws {
    case .fixed(let n): draws = .object([("mode", .string("fixed")), ("draws", .integer(n))])
    case .auto(let precision, let minimum, let maximum):
      draws = .object([
        ("mode", .string("auto")), ("precision_fraction", .number(precision)), ("minimum", .integer(minimum)),
        ("maximum", .integer(maximum)),
      ])
    }
    return .object([
      ("quick", .bool(quick)), ("seed", .integer(seed)), ("per_class", perClass.map { .integer($0) } ?? .null),
      ("draws_per_point", draws), ("deleted_blocks_k", .array(deletionCounts.map { .integer($0) })),
      ("swap_counts", .array(swapCounts.map { .integer($0) })), ("gradient_batches", .integer(gradientSamples)),
      ("gradient_batch_size", .integer(gradientBatch)), ("gradient_location", .string(location.rawValue)),
      ("gradient_mode", .string(gradientMode.rawValue)), ("effective_share", .number(effectiveShare)),
      ("bootstrap_resamples", .integer(bootstrapResamples)), ("batch_size", .integer(batchSize)),
    ])
  }
}

/// Why `figures` could not make a figure.
enum FiguresError: Error, Equatable, CustomStringConvertible {
  /// A bundled model a selected figure needs has not been trained yet.
  case modelMissing(figure: String, role: String, model: String, path: String, hint: String)
  /// Every figure was skipped, so nothing was written.
  case nothingToDo(skipped: [String])
  /// A model is of the wrong kind for its role (e.g. a plain network given as `--model`).
  case wrongModelKind(role: String, model: String, expected: String, found: String)
  /// A model given on the command line does not fit the data.
  case modelDoesNotFit(role: String, model: String, reason: String)
  /// Some figures failed after others were written.
  case figuresFailed([String])

  var description: String {
    switch self {
    case .modelMissing(let figure, let role, let model, let path, let hint):
      return
        "\(figure) needs the \(role) model '\(model)', but \(path) does not exist: train it with '\(hint)' (exact options in notebooks-data/models/train.sh, which trains all four), or pass another checkpoint with --\(ModelRole(rawValue: role)?.option ?? "model")"
    case .nothingToDo(let skipped):
      return "no figure could be made: \(skipped.joined(separator: "; "))"
    case .wrongModelKind(let role, let model, let expected, let found):
      return "the \(role) model '\(model)' must be \(expected), but it is \(found)"
    case .modelDoesNotFit(let role, let model, let reason):
      return "the \(role) model '\(model)' does not fit the data: \(reason)"
    case .figuresFailed(let failures):
      return "\(failures.count) figure(s) failed: \(failures.joined(separator: "; "))"
    }
  }
}
