// Fast convolution kernels (Convolution.swift) against the naive reference
// (Convolution+Naive.swift) on seeded random shapes and data, plus determinism.

import _TestSupport
import XCTest

@testable import Engine


final class ConvolutionKernelTests: XCTestCase {
  struct Case: CustomStringConvertible {
    var geometry: ConvolutionGeometry
    var useBias: Bool
    var useResidual: Bool
    var residualAliasesOutput: Bool
    var relu: Bool

    var description: String {
      let g = geometry
      return
        "N\(g.batch) \(g.inputHeight)x\(g.inputWidth)x\(g.inputChannels)→\(g.outputChannels) "
        + "k\(g.kernelHeight)x\(g.kernelWidth) s\(g.stride) p\(g.padding) bias:\(useBias) "
        + "residual:\(useResidual)\(residualAliasesOutput ? "(aliased)" : "") relu:\(relu)"
    }
  }

  /// Runs all three fast kernels and their naive twins on one case.
  func check(_ c: Case, random: inout SplitMix64) {
    let g = c.geometry
    let input = random.floats(g.inputCount)
    let filter = random.floats(g.filterCount)
    let bias = c.useBias ? random.floats(g.outputChannels) : nil
    let residual = c.useResidual ? random.floats(g.outputCount) : nil
    let outputGradient = random.floats(g.outputCount)

    // Forward.
    var reference = [Float](repeating: .nan, count: g.outputCount)
    var fast = residual ?? [Float](repeating: .nan, count: g.outputCount)
    reference.withUnsafeMutableBufferPointer { out in
      Kernels.naiveConvolutionForward(
        g, input: input, filter: filter, bias: bias, residual: residual, relu: c.relu,
        output: out.baseAddress!)
    }
    if c.residualAliasesOutput {
      fast.withUnsafeMutableBufferPointer { out in
        Kernels.convolutionForward(
          g, input: input, filter: filter, bias: bias, residual: UnsafePointer(out.baseAddress!),
          relu: c.relu, output: out.baseAddress!)
      }
    } else {
      fast.withUnsafeMutableBufferPointer { out in
        Kernels.convolutionForward(
          g, input: input, filter: filter, bias: bias, residual: residual, relu: c.relu,
          output: out.baseAddress!)
      }
    }
    assertClose(fast, reference, "forward \(c)")

    // Input gradient (outputs start as NaN: the kernels must overwrite everything).
    var inputReference = [Float](repeating: .nan, count: g.inputCount)
    var inputFast = [Float](repeating: .nan, count: g.inputCount)
    inputReference.withUnsafeMutableBufferPointer {
      Kernels.naiveConvolutionBackwardInput(
        g, outputGradient: outputGradient, filter: filter, inputGradient: $0.baseAddress!)
    }
    inputFast.withUnsafeMutableBufferPointer {
      Kernels.convolutionBackwardInput(
        g, outputGradient: outputGradient, filter: filter, inputGradient: $0.baseAddress!)
    }
    assertClose(inputFast, inputReference, "backward input \(c)")

    // Filter gradient: sums over N·P·Q terms, so scale the tolerance by the term count.
    var filterReference = [Float](repeating: .nan, count: g.filterCount)
    var filterFast = [Float](repeating: .nan, count: g.filterCount)
    filterReference.withUnsafeMutableBufferPointer {
      Kernels.naiveConvolutionBackwardFilter(
        g, input: input, outputGradient: outputGradient, filterGradient: $0.baseAddress!)
    }
    filterFast.withUnsafeMutableBufferPointer {
      Kernels.convolutionBackwardFilter(
        g, input: input, outputGradient: outputGradient, filterGradient: $0.baseAddress!)
    }
    assertClose(filterFast, filterReference, "backward filter \(c)")
  }

  func geometry(
    batch: Int = 1, size: Int, width: Int? = nil, inputChannels: Int, outputChannels: Int,
    kernel: Int, stride: Int = 1, padding: Int
  ) -> ConvolutionGeometry {
    ConvolutionGeometry(
      batch: batch, inputHeight: size, inputWidth: width ?? size, inputChannels: inputChannels,
      outputChannels: outputChannels, kernelHeight: kernel, kernelWidth: kernel, stride: stride,
      padding: padding)
  }

  func testResNetLikeShapes() {
    var random = SplitMix64(seed: 1)
    let cases: [Case] = [
      // CIFAR blocks: 3×3 pad 1, with the fused epilogue variants.
      Case(
        geometry: geometry(batch: 3, size: 9, inputChannels: 16, outputChannels: 16, kernel: 3, padding: 1),
        useBias: false, useResidual: true, residualAliasesOutput: true, relu: true),
      Case(
        geometry: geometry(batch: 1, size: 7, inputChannels: 32, outputChannels: 32, kernel: 3, padding: 1),
        useBias: true, useResidual: true, residualAliasesOutput: false, relu: false),
      Case(
        geometry: geometry(batch: 1, size: 7, inputChannels: 64, outputChannels: 64, kernel: 3, padding: 1),
        useBias: false, useResidual: false, residualAliasesOutput: false, relu: true),
      // Stride-2 transitions and the 1×1 shortcut.
      Case(
        geometry: geometry(batch: 3, size: 9, inputChannels: 16, outputChannels: 32, kernel: 3, stride: 2, padding: 1),
        useBias: false, useResidual: false, residualAliasesOutput: false, relu: true),
      Case(
        geometry: geometry(batch: 1, size: 13, inputChannels: 32, outputChannels: 64, kernel: 3, stride: 2, padding: 1),
        useBias: true, useResidual: false, residualAliasesOutput: false, relu: false),
      Case(
        geometry: geometry(batch: 3, size: 11, inputChannels: 16, outputChannels: 32, kernel: 1, stride: 2, padding: 0),
        useBias: false, useResidual: false, residualAliasesOutput: false, relu: false),
      // Stems: 1 and 3 input channels.
      Case(
        geometry: geometry(batch: 3, size: 11, inputChannels: 3, outputChannels: 16, kernel: 3, padding: 1),
        useBias: true, useResidual: false, residualAliasesOutput: false, relu: true),
      Case(
        geometry: geometry(batch: 1, size: 33, inputChannels: 1, outputChannels: 16, kernel: 3, padding: 1),
        useBias: false, useResidual: false, residualAliasesOutput: false, relu: true),
      // 7×7 stride-2 pad-3 stem and a 5×5.
      Case(
        geometry: geometry(batch: 1, size: 13, inputChannels: 3, outputChannels: 17, kernel: 7, stride: 2, padding: 3),
        useBias: true, useResidual: true, residualAliasesOutput: false, relu: true),
      Case(
        geometry: geometry(batch: 3, size: 9, inputChannels: 5, outputChannels: 5, kernel: 5, padding: 0),
        useBias: false, useResidual: true, residualAliasesOutput: true, relu: false),
    ]
    for c in cases { check(c, random: &random) }
  }

  /// Pixel counts and filter-row counts just below, at and above multiples of the register
  /// tile's rows (6 on AVX2/portable builds, 8 on AVX-512): full tiles, a partial last tile, and
  /// images smaller than one tile.
  func testRegisterTileBoundaries() {
    var random = SplitMix64(seed: 4)
    let rows = convolutionTileRows
    for pixels in [1, rows - 1, rows, rows + 1, 2 * rows + 1] {
      // A 1 × pixels image, 1×1 kernel: P·Q = pixels; R·S·C = pixels filter rows as well.
      let g = geometry(
        batch: 2, size: 1, width: pixels, inputChannels: pixels, outputChannels: 17, kernel: 1,
        padding: 0)
      check(
        Case(geometry: g, useBias: true, useResidual: true, residualAliasesOutput: false, relu: true),
        random: &random)
    }
  }

  /// Panel counts around the wide tiles of AVX-512 builds (two 16-channel panels at a time):
  /// 2, 3, 4 and 5 panels, full and partial, as output channels (forward, filter gradient) and as
  /// input channels (input gradient); one thread and several, whole images per item, and tile
  /// rows that end inside a tile. Other builds run the same cases on narrow tiles.
  func testWideTilePanelCounts() {
    var random = SplitMix64(seed: 6)
    forEachThreadCount([1, 2, 3]) { _ in
      for (inputChannels, outputChannels) in [(32, 32), (20, 40), (48, 48), (40, 64), (64, 80), (33, 17)] {
        let g = geometry(
          batch: 7, size: 5, width: 6, inputChannels: inputChannels, outputChannels: outputChannels,
          kernel: 3, padding: 1)
        check(
          Case(geometry: g, useBias: true, useResidual: true, residualAliasesOutput: false, relu: true),
          random: &random)
      }
    }
  }

  /// Where row tiles apply (AVX-512 builds): stride 1, three taps wide, rows of at least 8
  /// pixels; 16 pixels on one panel when rows allow, else 8. Other builds never use them.
  func testRowTileChoice() {
    let choices = [
      convolutionRowTilePixels(stride: 1, kernelWidth: 3, outputWidth: 32, panels: 1),
      convolutionRowTilePixels(stride: 1, kernelWidth: 3, outputWidth: 8, panels: 1),
      convolutionRowTilePixels(stride: 1, kernelWidth: 3, outputWidth: 16, panels: 2),
      convolutionRowTilePixels(stride: 1, kernelWidth: 3, outputWidth: 12, panels: 1),
      convolutionRowTilePixels(stride: 2, kernelWidth: 3, outputWidth: 16, panels: 1),
      convolutionRowTilePixels(stride: 1, kernelWidth: 1, outputWidth: 16, panels: 1),
      convolutionRowTilePixels(stride: 1, kernelWidth: 3, outputWidth: 28, panels: 1),
      convolutionRowTilePixels(stride: 1, kernelWidth: 3, outputWidth: 7, panels: 1),
    ]
    XCTAssertEqual(
      choices, convolutionRowTiles ? [16, 8, 8, 8, nil, nil, 16, nil] : Array(repeating: nil, count: 8))
  }

  /// Row tiles against the naive twins: 16-pixel rows on one panel, 8-pixel rows on two panels
  /// with a last odd panel, rows that end in a shorter tile (28, 14, 12, 20 pixels), channel
  /// counts with their own kernel copies (16, 32, 64) and without (3, 20, 48), padded and
  /// unpadded, as forward (output rows) and as input gradient (input rows); the filter
  /// gradient's row tiles on rows of 16 or more. 1, 2 and 3 threads. On builds without row
  /// tiles the same cases run the other tiles.
  func testRowTilesMatchNaive() {
    var random = SplitMix64(seed: 7)
    forEachThreadCount([1, 2, 3]) { _ in
      for (batch, height, width, inputChannels, outputChannels, padding) in [
        (3, 5, 32, 16, 16, 1), (1, 6, 16, 32, 32, 1), (2, 4, 8, 64, 64, 1), (1, 3, 16, 48, 48, 1),
        (2, 4, 8, 16, 16, 1), (1, 3, 24, 20, 40, 1), (1, 4, 16, 3, 16, 1), (2, 5, 10, 16, 32, 0),
        (2, 4, 28, 16, 16, 1), (1, 3, 14, 32, 32, 1), (1, 3, 12, 16, 48, 1), (1, 2, 20, 48, 16, 1),
      ] {
        let g = geometry(
          batch: batch, size: height, width: width, inputChannels: inputChannels,
          outputChannels: outputChannels, kernel: 3, padding: padding)
        check(
          Case(geometry: g, useBias: true, useResidual: true, residualAliasesOutput: batch == 2, relu: true),
          random: &random)
      }
    }
  }

  /// Fewer images than 2 × threads: the kernels split panels, pixel tiles and scratch rows
  /// instead of images. Fast against naive with 2 and 3 threads (several panels, a partial last
  /// panel, strided, 1×1).
  func testSmallBatchSplitsMatchNaive() {
    var random = SplitMix64(seed: 5)
    forEachThreadCount([2, 3]) { _ in
      for g in [
        geometry(batch: 1, size: 16, inputChannels: 16, outputChannels: 16, kernel: 3, padding: 1),
        geometry(batch: 1, size: 8, inputChannels: 64, outputChannels: 64, kernel: 3, padding: 1),
        geometry(batch: 2, size: 9, inputChannels: 24, outputChannels: 50, kernel: 3, padding: 1),
        geometry(batch: 1, size: 17, inputChannels: 32, outputChannels: 64, kernel: 3, stride: 2, padding: 1),
        geometry(batch: 5, size: 7, inputChannels: 16, outputChannels: 33, kernel: 1, stride: 2, padding: 0),
      ] {
        check(
          Case(geometry: g, useBias: true, useResidual: true, residualAliasesOutput: g.batch == 2, relu: true),
          random: &random)
      }
    }
  }

  /// The build's instruction set names its register tile (Package.swift chooses both).
  func testInstructionSetAndTileShape() {
    switch KernelInstructionSet.name {
    case "AVX-512":
      XCTAssertEqual(convolutionTileRows, 8)
      XCTAssertTrue(convolutionWideTiles)
      XCTAssertTrue(convolutionRowTiles)
      XCTAssertEqual(KernelInstructionSet.tileShape, "8×16, 8×32; row tiles 16×16, 8×32")
    case "AVX2+FMA", "portable", "native":
      XCTAssertEqual(convolutionTileRows, 6)
      XCTAssertFalse(convolutionWideTiles)
      XCTAssertFalse(convolutionRowTiles)
      XCTAssertEqual(KernelInstructionSet.tileShape, "6×16")
    default: XCTFail("unknown instruction set \(KernelInstructionSet.name)")
    }
  }

  func testSeededRandomShapes() {
    var random = SplitMix64(seed: 2)
    let channels = [1, 3, 5, 16, 17, 32, 64]
    let sizes = [7, 9, 11, 13]
    let kernels = [(1, 0), (1, 3), (3, 0), (3, 1), (5, 0), (5, 1), (7, 3)]
    for _ in 0..<24 {
      let (kernel, padding) = kernels[random.int(in: 0...(kernels.count - 1))]
      let size = sizes[random.int(in: 0...(sizes.count - 1))]
      var inputChannels = channels[random.int(in: 0...(channels.count - 1))]
      var outputChannels = channels[random.int(in: 0...(channels.count - 1))]
      // Keep the naive reference quick: cap the work per case.
      while kernel * kernel * inputChannels * outputChannels > 9 * 32 * 32 {
        if inputChannels >= outputChannels { inputChannels = 5 } else { outputChannels = 5 }
      }
      let g = geometry(
        batch: random.int(in: 0...1) == 0 ? 1 : 3, size: size,
        width: sizes[random.int(in: 0...(sizes.count - 1))], inputChannels: inputChannels,
        outputChannels: outputChannels, kernel: kernel, stride: random.int(in: 1...2),
        padding: padding)
      guard g.outputHeight > 0, g.outputWidth > 0 else { continue }
      let useResidual = random.int(in: 0...1) == 1
      check(
        Case(
          geometry: g, useBias: random.int(in: 0...1) == 1, useResidual: useResidual,
          residualAliasesOutput: useResidual && random.int(in: 0...1) == 1,
          relu: random.int(in: 0...1) == 1),
        random: &random)
    }
  }

  /// A hand-checkable case: 1 × 3 × 3 × 1 input of ones, 3×3 filter of ones, padding 1: each
  /// output counts the in-bounds neighbours (4 at corners, 6 on edges, 9 in the centre).
  func testTinyHandChecked() {
    let g = geometry(size: 3, inputChannels: 1, outputChannels: 1, kernel: 3, padding: 1)
    let input = [Float](repeating: 1, count: 9)
    let filter = [Float](repeating: 1, count: 9)
    var output = [Float](repeating: .nan, count: 9)
    output.withUnsafeMutableBufferPointer {
      Kernels.convolutionForward(
        g, input: input, filter: filter, bias: nil, residual: nil, relu: false,
        output: $0.baseAddress!)
    }
    XCTAssertEqual(output, [4, 6, 4, 6, 9, 6, 4, 6, 4])
    var inputGradient = [Float](repeating: .nan, count: 9)
    inputGradient.withUnsafeMutableBufferPointer {
      Kernels.convolutionBackwardInput(
        g, outputGradient: input, filter: filter, inputGradient: $0.baseAddress!)
    }
    XCTAssertEqual(inputGradient, [4, 6, 4, 6, 9, 6, 4, 6, 4])
    var filterGradient = [Float](repeating: .nan, count: 9)
    filterGradient.withUnsafeMutableBufferPointer {
      Kernels.convolutionBackwardFilter(
        g, input: input, outputGradient: input, filterGradient: $0.baseAddress!)
    }
    XCTAssertEqual(filterGradient, [4, 6, 4, 6, 9, 6, 4, 6, 4])
  }

  /// Same inputs → bit-identical outputs, across repeated runs and across thread counts.
  func testDeterminism() {
    var random = SplitMix64(seed: 3)
    for g in [
      geometry(batch: 20, size: 8, inputChannels: 16, outputChannels: 32, kernel: 3, stride: 2, padding: 1),
      geometry(batch: 1, size: 11, inputChannels: 17, outputChannels: 16, kernel: 3, padding: 1),
    ] {
      let input = random.floats(g.inputCount)
      let filter = random.floats(g.filterCount)
      let outputGradient = random.floats(g.outputCount)
      func run() -> [[Float]] {
        var output = [Float](repeating: 0, count: g.outputCount)
        var inputGradient = [Float](repeating: 0, count: g.inputCount)
        var filterGradient = [Float](repeating: 0, count: g.filterCount)
        output.withUnsafeMutableBufferPointer {
          Kernels.convolutionForward(
            g, input: input, filter: filter, bias: nil, residual: nil, relu: true,
            output: $0.baseAddress!)
        }
        inputGradient.withUnsafeMutableBufferPointer {
          Kernels.convolutionBackwardInput(
            g, outputGradient: outputGradient, filter: filter, inputGradient: $0.baseAddress!)
        }
        filterGradient.withUnsafeMutableBufferPointer {
          Kernels.convolutionBackwardFilter(
            g, input: input, outputGradient: outputGradient, filterGradient: $0.baseAddress!)
        }
        return [output, inputGradient, filterGradient]
      }
      let saved = EngineThreads.count
      defer { EngineThreads.count = saved }
      EngineThreads.count = 2
      let first = run()
      let second = run()
      EngineThreads.count = 1
      let single = run()
      EngineThreads.count = 5
      let many = run()
      for (name, other) in [("repeat", second), ("1 thread", single), ("5 threads", many)] {
        for i in 0..<3 {
          XCTAssertEqual(
            first[i].map(\.bitPattern), other[i].map(\.bitPattern), "\(name), output \(i), \(g)")
        }
      }
    }
  }
}
