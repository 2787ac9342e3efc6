// Fast convolution kernels: register-blocked direct convolution on channels-last tensors.
//
// input (N, H, W, C), filter (R, S, C, K), output (N, P, Q, K) — see ConvolutionGeometry.
//
// - Forward: each image is copied into a zero-padded scratch image, the filter is repacked into
//   16-output-channel panels, and a tile of sums (6 pixels × 16 channels on AVX2; 8 × 16, or 8 × 32
//   over two panels, on AVX-512) is kept in registers while (r, s, c) runs
//   (Convolution+Microkernels.swift). On AVX-512, stride-1 convolutions three taps wide use row
//   tiles instead (16 pixels of one output row × 16 channels, or 8 × 32), in which each broadcast
//   input value feeds all three taps. Bias, residual and ReLU are applied when the tile is stored.
// - Input gradient: the same forward kernel run on the zero-padded output gradient with the
//   filter flipped and transposed, once per stride² phase (each phase uses only the filter taps
//   that reach it, so no work is spent on the zeros of a dilated gradient).
// - Filter gradient: a tile of sums (filter rows × 16 or 32 channels) over every output pixel (on
//   AVX-512 with rows of 16 or more pixels, row tiles: three taps × 4 channels share each broadcast); images
//   are split into at most 16 fixed groups (independent of the thread count) whose partial sums
//   are added in group order, so results are bit-identical for any thread count and schedule.
//
// Every output element is produced by one thread in a fixed order: results do not depend on
// scheduling or on EngineThreads.count.

/// Where a convolution's output pixels go: pixel (n, p, q) starts at
/// offset + n · imageStride + p · rowStride + q · pixelStride.
///
/// Dense (N, P, Q, K) output has rowStride Q·K and pixelStride K; the input gradient of a strided
/// convolution writes each of its stride² phases as a strided sub-grid of (N, H, W, C).
struct ConvolutionOutputLayout {
  var offset: Int
  var imageStride: Int
  var rowStride: Int
  var pixelStride: Int

  @inline(__always)
  func index(_ n: Int, _ p: Int, _ q: Int) -> Int {
    offset + n * imageStride + p * rowStride + q * pixelStride
  }
}

/// Output pixels per row tile for a convolution of this shape, or nil where row tiles do not
/// apply: AVX-512 builds (convolutionRowTiles), stride 1, three taps wide, rows of at least 8
/// pixels. 16 pixels (× one panel) when the output has one 16-channel panel and rows of at
/// least 16; otherwise 8 (× two panels, with flat 8 × 16 tiles for a last odd panel). A row's
/// last pixels, fewer than a tile, go to flat tiles (e.g. 28 = 16 + 8 + 4).
func convolutionRowTilePixels(stride: Int, kernelWidth: Int, outputWidth: Int, panels: Int) -> Int? {
  guard convolutionRowTiles, stride == 1, kernelWidth == 3, outputWidth >= 8 else { return nil }
  return panels == 1 && outputWidth >= 16 ? 16 : 8
}

/// The least work (multiply-adds) worth a separate parallel item: about 5 µs on one core, well
/// above the cost of handing an item to another thread.
let convolutionMinimumItemWork = 1 << 18

/// ⌈a / b⌉ for any sign of a, b > 0.
@inline(__always)
func convolutionCeilingDivide(_ a: Int, _ b: Int) -> Int {
  a >= 0 ? (a + b - 1) / b : -((-a) / b)
}

/// A forward convolution's filter and bias in the layout the microkernels read: filter
/// (⌈K/16⌉, R, S, C, 16) and bias (⌈K/16⌉·16), zero in lanes past K.
///
/// Packing costs O(R · S · C · K) scattered writes, comparable to the convolution itself at
/// batch 1 for the wide layers (e.g. 64 → 64 channels on 8×8 pixels), so inference sessions pack
/// each filter once (`InferenceSession`) instead of once per call.
final class PackedConvolutionFilter: @unchecked Sendable {
  let filter: UnsafeMutablePointer<Float>
  let bias: UnsafeMutablePointer<Float>?
  let kernelHeight: Int
  let kernelWidth: Int
  let inputChannels: Int
  let outputChannels: Int

  /// Packs filter (R, S, C, K) and bias (K) or nil.
  /// - Complexity: O(R · S · C · K).
  init(
    filter: UnsafePointer<Float>, bias: UnsafePointer<Float>?, kernelHeight: Int, kernelWidth: Int,
    inputChannels: Int, outputChannels: Int
  ) {
    (self.kernelHeight, self.kernelWidth) = (kernelHeight, kernelWidth)
    (self.inputChannels, self.outputChannels) = (inputChannels, outputChannels)
    let paddedK = convolutionPanelPadded(outputChannels)
    self.filter = .allocate(capacity: max(1, kernelHeight * kernelWidth * inputChannels * paddedK))
    Kernels.packForwardFilter(
      filter, kernelHeight: kernelHeight, kernelWidth: kernelWidth, inputChannels: inputChannels,
      outputChannels: outputChannels, into: self.filter)
    if let bias {
      let b = UnsafeMutablePointer<Float>.allocate(capacity: max(1, paddedK))
      b.initialize(repeating: 0, count: max(1, paddedK))
      b.update(from: bias, count: outputChannels)
      self.bias = b
    } else {
      self.bias = nil
    }
  }

  deinit {
    filter.deallocate()
    bias?.deallocate()
  }
}

extension Kernels {
  /// Convolution forward: output = relu?(conv(input, filter) + bias + residual).
  ///
  /// input (N, H, W, C), filter (R, S, C, K), bias (K) or nil, residual (N, P, Q, K) or nil,
  /// output (N, P, Q, K). `output` must not alias `input`; it may alias `residual`.
  /// - Complexity: O(N · P · Q · K · R · S · C).
  static func convolutionForward(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, relu: Bool,
    output: UnsafeMutablePointer<Float>
  ) {
    guard g.batch > 0, g.outputHeight > 0, g.outputWidth > 0, g.outputChannels > 0 else { return }
    let packed = PackedConvolutionFilter(
      filter: filter, bias: bias, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
      inputChannels: g.inputChannels, outputChannels: g.outputChannels)
    convolutionForward(g, input: input, packed: packed, residual: residual, relu: relu, output: output)
  }

  /// Convolution forward with a filter packed in advance (`PackedConvolutionFilter`, e.g. once
  /// per inference session instead of once per call): output = relu?(conv(input, filter) + bias
  /// + residual).
  ///
  /// input (N, H, W, C), residual (N, P, Q, K) or nil, output (N, P, Q, K). `packed` must have
  /// been made for g's R, S, C and K. `output` must not alias `input`; it may alias `residual`.
  /// - Complexity: O(N · P · Q · K · R · S · C).
  static func convolutionForward(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, packed: PackedConvolutionFilter,
    residual: UnsafePointer<Float>?, relu: Bool, output: UnsafeMutablePointer<Float>
  ) {
    let (P, Q) = (g.outputHeight, g.outputWidth)
    guard g.batch > 0, P > 0, Q > 0, g.outputChannels > 0 else { return }
    precondition(
      packed.kernelHeight == g.kernelHeight && packed.kernelWidth == g.kernelWidth
        && packed.inputChannels == g.inputChannels && packed.outputChannels == g.outputChannels,
      "the packed filter does not fit the convolution's geometry")
    let layout = ConvolutionScratchLayout(
      sourceHeight: g.inputHeight, sourceWidth: g.inputWidth, channels: g.inputChannels,
      height: (P - 1) * g.stride + g.kernelHeight, width: (Q - 1) * g.stride + g.kernelWidth,
      offsetY: g.padding, offsetX: g.padding)
    directConvolution(
      layout, batch: g.batch, source: input, kernelHeight: g.kernelHeight,
      kernelWidth: g.kernelWidth, stride: g.stride, outputHeight: P, outputWidth: Q,
      outputChannels: g.outputChannels, packedFilter: packed.filter,
      bias: packed.bias.map { UnsafePointer($0) }, residual: residual, relu: relu, output: output)
  }

  /// Gradient with respect to the input; outputGradient (N, P, Q, K), filter (R, S, C, K) →
  /// inputGradient (N, H, W, C), overwritten.
  ///
  /// Split into stride² phases: input rows y with (y + padding) mod stride = φ receive only the
  /// filter taps r ≡ φ (mod stride), so each phase is a stride-1 convolution of the zero-padded
  /// output gradient with a flipped, transposed sub-filter, written to a strided sub-grid of the
  /// input gradient. No multiply-adds are spent on zeros.
  /// - Complexity: O(N · H · W · C · R · S · K / stride²).
  static func convolutionBackwardInput(
    _ g: ConvolutionGeometry, outputGradient: UnsafePointer<Float>, filter: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>
  ) {
    let (P, Q) = (g.outputHeight, g.outputWidth)
    guard g.inputCount > 0 else { return }
    guard P > 0, Q > 0, g.outputChannels > 0 else {
      inputGradient.update(repeating: 0, count: g.inputCount)
      return
    }
    let (H, W, C, K) = (g.inputHeight, g.inputWidth, g.inputChannels, g.outputChannels)
    let (R, S, stride, padding) = (g.kernelHeight, g.kernelWidth, g.stride, g.padding)
    let packed = UnsafeMutablePointer<Float>.allocate(
      capacity: g.filterCount / C * convolutionPanelPadded(C))
    defer { packed.deallocate() }
    let subFilter = UnsafeMutablePointer<Float>.allocate(capacity: stride > 1 ? g.filterCount : 1)
    defer { subFilter.deallocate() }

    for phaseY in 0..<stride {
      // Rows y = stride · u + phaseY − padding for u in firstY..<firstY + rows.
      let firstY = convolutionCeilingDivide(padding - phaseY, stride)
      let rows = max(0, convolutionCeilingDivide(H + padding - phaseY, stride) - firstY)
      let tapsY = max(0, convolutionCeilingDivide(R - phaseY, stride))  // r = phaseY + stride · i
      for phaseX in 0..<stride {
        let firstX = convolutionCeilingDivide(padding - phaseX, stride)
        let columns = max(0, convolutionCeilingDivide(W + padding - phaseX, stride) - firstX)
        let tapsX = max(0, convolutionCeilingDivide(S - phaseX, stride))
        if rows == 0 || columns == 0 { continue }
        let outputLayout = ConvolutionOutputLayout(
          offset: ((stride * firstY + phaseY - padding) * W + stride * firstX + phaseX - padding) * C,
          imageStride: H * W * C, rowStride: stride * W * C, pixelStride: stride * C)
        if tapsY == 0 || tapsX == 0 {
          // No filter tap reaches these pixels: their gradient is zero.
          for n in 0..<g.batch {
            for u in 0..<rows {
              for v in 0..<columns {
                (inputGradient + outputLayout.index(n, u, v)).update(repeating: 0, count: C)
              }
            }
          }
          continue
        }
        // subFilter (i, j, C, K) = filter[phaseY + stride · i, phaseX + stride · j].
        if stride > 1 {
          for i in 0..<tapsY {
            for j in 0..<tapsX {
              (subFilter + (i * tapsX + j) * C * K).update(
                from: filter + ((phaseY + stride * i) * S + phaseX + stride * j) * C * K,
                count: C * K)
            }
          }
        }
        packBackwardInputFilter(
          stride > 1 ? UnsafePointer(subFilter) : filter, kernelHeight: tapsY, kernelWidth: tapsX, inputChannels: C,
          outputChannels: K, into: packed)
        let layout = ConvolutionScratchLayout(
          sourceHeight: P, sourceWidth: Q, channels: K, height: rows + tapsY - 1,
          width: columns + tapsX - 1, offsetY: tapsY - 1 - firstY, offsetX: tapsX - 1 - firstX)
        directConvolution(
          layout, batch: g.batch, source: outputGradient, kernelHeight: tapsY,
          kernelWidth: tapsX, stride: 1, outputHeight: rows, outputWidth: columns,
          outputChannels: C, packedFilter: packed, bias: nil, residual: nil, relu: false,
          output: inputGradient, outputLayout: outputLayout)
      }
    }
  }

  /// Gradient with respect to the filter; input (N, H, W, C), outputGradient (N, P, Q, K) →
  /// filterGradient (R, S, C, K), overwritten.
  ///
  /// Bit-identical for any thread count: images are summed in at most 16 fixed groups (fewer for
  /// large filters) whose partial sums are added in group order.
  /// - Complexity: O(N · P · Q · K · R · S · C).
  static func convolutionBackwardFilter(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    filterGradient: UnsafeMutablePointer<Float>
  ) {
    let (P, Q) = (g.outputHeight, g.outputWidth)
    let K = g.outputChannels
    guard g.filterCount > 0 else { return }
    guard g.batch > 0, P > 0, Q > 0 else {
      filterGradient.update(repeating: 0, count: g.filterCount)
      return
    }
    let (R, S, C, N) = (g.kernelHeight, g.kernelWidth, g.inputChannels, g.batch)
    let paddedK = convolutionPanelPadded(K)
    let panels = paddedK / convolutionPanelWidth
    let layout = ConvolutionScratchLayout(
      sourceHeight: g.inputHeight, sourceWidth: g.inputWidth, channels: C,
      height: (P - 1) * g.stride + R, width: (Q - 1) * g.stride + S,
      offsetY: g.padding, offsetX: g.padding)
    let rowStride = layout.rowStride
    let filterRows = R * S * C  // j = (r · S + s) · C + c
    let rowOffsets = UnsafeMutablePointer<Int>.allocate(capacity: filterRows)
    defer { rowOffsets.deallocate() }
    for r in 0..<R {
      for s in 0..<S {
        for c in 0..<C { rowOffsets[(r * S + s) * C + c] = r * rowStride + s * C + c }
      }
    }
    let tileRows = convolutionTileRows
    // Row tiles (AVX-512, stride 1, three taps wide, rows of at least 16 pixels): a tile is
    // kernel row r × taps 0–2 × channels c0…c0 + 3 (filterGradientRowTile); otherwise 8
    // consecutive filter rows. Shorter rows spend too much of each row on its two ends (0.8×
    // the 8-row tiles at 8 pixels, one thread).
    let usesRowTiles = convolutionRowTiles && g.stride == 1 && S == 3 && Q >= 16 && C % 4 == 0
    let channelBlocks = C / 4
    let rowTiles = usesRowTiles ? R * channelBlocks : (filterRows + tileRows - 1) / tileRows
    // A task is a tile of filter rows × one panel, or two panels in a wide tile.
    let panelGroups = convolutionWideTiles ? (panels + 1) / 2 : panels
    let panelsPerGroup = convolutionWideTiles ? 2 : 1
    let tasks = rowTiles * panelGroups
    // Fixed image groups (a function of the shapes only, never of the thread count) →
    // deterministic summation order. At most 16 groups, and at most 8 M floats of partial sums.
    let groups = max(1, min(N, 16, (8 << 20) / (filterRows * paddedK)))
    let threads = EngineThreads.count
    let work = N * P * Q * filterRows * paddedK
    let splits = max(
      1, min(tasks, (4 * threads + groups - 1) / groups, work / groups / convolutionMinimumItemWork))
    let groupStride = filterRows * paddedK
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: groups * groupStride)
    defer { partials.deallocate() }
    let inputImage = g.inputHeight * g.inputWidth * C
    let gradientImage = P * Q * K
    let needsGradientCopy = paddedK != K

    parallelFor(groups * splits) { item in
      let group = item / splits
      let split = item % splits
      let taskRange = (split * tasks / splits)..<((split + 1) * tasks / splits)
      let imageRange = (group * N / groups)..<((group + 1) * N / groups)
      let part = partials + group * groupStride
      let scratch: UnsafeMutablePointer<Float>? =
        layout.scratchCount > 0 ? .allocate(capacity: layout.scratchCount) : nil
      defer { scratch?.deallocate() }
      let gradientCopy: UnsafeMutablePointer<Float>? =
        needsGradientCopy ? .allocate(capacity: P * Q * paddedK) : nil
      defer { gradientCopy?.deallocate() }

      for n in imageRange {
        let image = layout.prepare(scratch, from: input + n * inputImage)
        var gradient = outputGradient + n * gradientImage
        var gradientStride = K
        if let gradientCopy {
          for m in 0..<(P * Q) {
            let row = gradientCopy + m * paddedK
            row.update(from: gradient + m * K, count: K)
            (row + K).update(repeating: 0, count: paddedK - K)
          }
          gradient = UnsafePointer(gradientCopy)
          gradientStride = paddedK
        }
        let first = n == imageRange.lowerBound
        for task in taskRange {
          let rowTile = task / panelGroups
          let panel = (task - rowTile * panelGroups) * panelsPerGroup
          #if RESNET_LESION_AVX512
            if usesRowTiles {
              let (r, c0) = (rowTile / channelBlocks, rowTile % channelBlocks * 4)
              let wide = panelsPerGroup == 2 && panel + 1 < panels
              let k0 = panel * convolutionPanelWidth
              let k1 = k0 + convolutionPanelWidth
              // Tile s, row i is filter row (r, s, c0 + i); rows 4–7 hold the second panel.
              @inline(__always) func sums(_ s: Int, _ i: Int) -> UnsafeMutablePointer<Float> {
                part + ((r * S + s) * C + c0 + i % 4) * paddedK + (i < 4 ? k0 : k1)
              }
              let rows = wide ? 8 : 4
              var tiles = (ConvolutionTile(), ConvolutionTile(), ConvolutionTile())
              if !first {
                for i in 0..<rows {
                  tiles.0[i] = loadPanel(sums(0, i))
                  tiles.1[i] = loadPanel(sums(1, i))
                  tiles.2[i] = loadPanel(sums(2, i))
                }
              }
              tiles = filterGradientRowTile(
                tiles, wide: wide, image + r * rowStride + c0, rowStride: rowStride, channels: C,
                outputHeight: P, outputWidth: Q, gradient: gradient + k0,
                gradientStride: gradientStride)
              for i in 0..<rows {
                storePanel(tiles.0[i], sums(0, i))
                storePanel(tiles.1[i], sums(1, i))
                storePanel(tiles.2[i], sums(2, i))
              }
              continue
            }
          #endif
          let j0 = rowTile * tileRows
          let count = min(tileRows, filterRows - j0)
          let k0 = panel * convolutionPanelWidth
          @inline(__always) func x(_ i: Int) -> UnsafePointer<Float> {
            image + rowOffsets[j0 + min(i, count - 1)]
          }
          if panel + 1 < panels && panelsPerGroup == 2 {
            let k1 = k0 + convolutionPanelWidth
            var (t, u) = (ConvolutionTile(), ConvolutionTile())
            if !first {
              for i in 0..<count {
                t[i] = loadPanel(part + (j0 + i) * paddedK + k0)
                u[i] = loadPanel(part + (j0 + i) * paddedK + k1)
              }
            }
            filterGradientTileWide(
              &t, &u, ConvolutionTileSources(x), outputHeight: P, outputWidth: Q,
              pixelRowStep: g.stride * rowStride, pixelStep: g.stride * C,
              gradient: gradient + k0, gradientStride: gradientStride)
            for i in 0..<count {
              storePanel(t[i], part + (j0 + i) * paddedK + k0)
              storePanel(u[i], part + (j0 + i) * paddedK + k1)
            }
          } else {
            var t = ConvolutionTile()
            if !first {
              for i in 0..<count { t[i] = loadPanel(part + (j0 + i) * paddedK + k0) }
            }
            filterGradientTile(
              &t, ConvolutionTileSources(x), outputHeight: P, outputWidth: Q,
              pixelRowStep: g.stride * rowStride, pixelStep: g.stride * C,
              gradient: gradient + k0, gradientStride: gradientStride)
            for i in 0..<count { storePanel(t[i], part + (j0 + i) * paddedK + k0) }
          }
        }
      }
    }

    // filterGradient[j, k] = Σ over groups in order.
    let sumChunks = min(filterRows, threads, max(1, groups * filterRows * K / convolutionMinimumItemWork))
    parallelFor(sumChunks) { chunk in
      for j in (chunk * filterRows / sumChunks)..<((chunk + 1) * filterRows / sumChunks) {
        let destination = filterGradient + j * K
        destination.update(from: partials + j * paddedK, count: K)
        for group in 1..<max(1, groups) {
          let source = partials + group * groupStride + j * paddedK
          for k in 0..<K { destination[k] += source[k] }
        }
      }
    }
  }

  /// A stride-`stride`, unpadded convolution of prepared images with a panel-packed filter,
  /// with the fused epilogue; shared by the forward pass and the input gradient.
  ///
  /// source: `batch` images laid out per `layout`; packedFilter (⌈K/16⌉, R, S, C, 16);
  /// bias (⌈K/16⌉·16) or nil. Output pixel (n, p, q), channel k is stored (and its residual
  /// read) at `outputLayout.index(n, p, q) + k`; by default a dense (batch, P, Q, K) array.
  /// - Complexity: O(batch · P · Q · ⌈K/16⌉·16 · R · S · C).
  static func directConvolution(
    _ layout: ConvolutionScratchLayout, batch: Int, source: UnsafePointer<Float>,
    kernelHeight: Int, kernelWidth: Int, stride: Int, outputHeight: Int, outputWidth: Int,
    outputChannels: Int, packedFilter: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    residual: UnsafePointer<Float>?, relu: Bool, output: UnsafeMutablePointer<Float>,
    outputLayout: ConvolutionOutputLayout? = nil
  ) {
    let outputLayout =
      outputLayout
      ?? ConvolutionOutputLayout(
        offset: 0, imageStride: outputHeight * outputWidth * outputChannels,
        rowStride: outputWidth * outputChannels, pixelStride: outputChannels)
    let C = layout.channels
    let K = outputChannels
    let (P, Q) = (outputHeight, outputWidth)
    let sourceImage = layout.sourceHeight * layout.sourceWidth * C
    let pixels = P * Q
    let panels = convolutionPanelPadded(K) / convolutionPanelWidth
    // Output pixels per row tile (16 on one panel or 8 on two) where row tiles apply; else flat
    // tiles of convolutionTileRows pixels (m0, m0 + 1, … in row-major order, across row ends).
    let rowTilePixels = convolutionRowTilePixels(
      stride: stride, kernelWidth: kernelWidth, outputWidth: Q, panels: panels)
    let tileRows = convolutionTileRows
    // Tiles: each output row's row tiles, or flat tiles over all pixels.
    let tilesPerRow = rowTilePixels.map { (Q + $0 - 1) / $0 } ?? 0
    let tiles = rowTilePixels != nil ? P * tilesPerRow : (pixels + tileRows - 1) / tileRows
    let rowLength = kernelWidth * C
    let panelStride = kernelHeight * rowLength * convolutionPanelWidth
    let rowStride = layout.rowStride
    let threads = EngineThreads.count

    // Where output pixel m = p · Q + q reads (in a prepared image) and writes (in image 0), once
    // per call: the tile loops below do no division (a per-pixel division was ~10% of the
    // forward's time at 16 channels).
    let offsets = UnsafeMutablePointer<Int>.allocate(capacity: 2 * pixels)
    defer { offsets.deallocate() }
    let sourceOffsets = UnsafePointer(offsets)
    let outputOffsets = UnsafePointer(offsets + pixels)
    for p in 0..<P {
      for q in 0..<Q {
        offsets[p * Q + q] = p * stride * rowStride + q * stride * C
        offsets[pixels + p * Q + q] = outputLayout.index(0, p, q)
      }
    }

    // One image, a range of panels × a range of pixel tiles; two panels at a time in wide tiles
    // (convolutionWideTiles) while two remain in the range.
    func run(_ image: UnsafePointer<Float>, _ n: Int, _ panelRange: Range<Int>, _ tileRange: Range<Int>) {
      let imageOutput = n * outputLayout.imageStride
      // The tile's `count` rows (output pixels m0, m0 + 1, …) of channels k0..<k0 + 16: bias,
      // residual and ReLU, then the store.
      @inline(__always) func store(_ t: ConvolutionTile, _ m0: Int, _ count: Int, _ k0: Int) {
        let width = min(convolutionPanelWidth, K - k0)
        let b = bias.map { loadPanel($0 + k0) } ?? SIMD16<Float>()
        @inline(__always) func store(_ sum: SIMD16<Float>, _ m: Int) {
          var v = sum + b
          let o = outputOffsets[m] + imageOutput + k0
          if width == convolutionPanelWidth {
            if let residual { v += loadPanel(residual + o) }
            if relu { v.replace(with: SIMD16<Float>(), where: v .< SIMD16<Float>()) }
            storePanel(v, output + o)
          } else {
            for l in 0..<width {
              var x = v[l]
              if let residual { x += residual[o + l] }
              output[o + l] = relu ? max(x, 0) : x
            }
          }
        }
        if count == convolutionTileRows {
          store(t.a0, m0)
          store(t.a1, m0 + 1)
          store(t.a2, m0 + 2)
          store(t.a3, m0 + 3)
          store(t.a4, m0 + 4)
          store(t.a5, m0 + 5)
          #if RESNET_LESION_AVX512
            store(t.a6, m0 + 6)
            store(t.a7, m0 + 7)
          #endif
        } else {
          for i in 0..<count { store(t[i], m0 + i) }
        }
      }
      var panel = panelRange.lowerBound
      while panel < panelRange.upperBound {
        let w = packedFilter + panel * panelStride
        let k0 = panel * convolutionPanelWidth
        let wide = convolutionWideTiles && panel + 1 < panelRange.upperBound
        // A flat tile: output pixels m0..<m0 + count (count ≤ convolutionTileRows), which may
        // cross a row end.
        @inline(__always) func flatTile(_ m0: Int, _ count: Int) {
          // Rows past a partial tile repeat its last pixel (their sums are not stored). A
          // conditional, not `min`: the optimizer left `min` out of line in this large function.
          @inline(__always) func pixel(_ i: Int) -> UnsafePointer<Float> {
            image + sourceOffsets[m0 + (i < count ? i : count - 1)]
          }
          if wide {
            let (t, u) = forwardTileWide(
              ConvolutionTileSources(pixel), rowStride: rowStride, kernelHeight: kernelHeight,
              rowLength: rowLength, panel: w, panelStride: panelStride)
            store(t, m0, count, k0)
            store(u, m0, count, k0 + convolutionPanelWidth)
          } else {
            let t = forwardTile(
              ConvolutionTileSources(pixel), rowStride: rowStride, kernelHeight: kernelHeight,
              rowLength: rowLength, panel: w)
            store(t, m0, count, k0)
          }
        }
        for tile in tileRange {
          #if RESNET_LESION_AVX512
            if let rowTilePixels {
              // Tile t of output row p: pixels t · rowTilePixels… of the row; a row's last,
              // shorter tile goes to flat tiles.
              let p = tile / tilesPerRow
              let first = (tile - p * tilesPerRow) * rowTilePixels
              let m0 = p * Q + first
              let count = min(rowTilePixels, Q - first)
              let x = image + sourceOffsets[m0]
              if count < rowTilePixels {
                var m = m0
                while m < m0 + count {
                  flatTile(m, min(convolutionTileRows, m0 + count - m))
                  m += convolutionTileRows
                }
              } else if rowTilePixels == 16 {
                let (t, u) = forwardRowTile(
                  x, rowStride: rowStride, kernelHeight: kernelHeight, channels: C, panel: w)
                store(t, m0, convolutionTileRows, k0)
                store(u, m0 + convolutionTileRows, convolutionTileRows, k0)
              } else if wide {
                let (t, u) = forwardRowTileWide(
                  x, rowStride: rowStride, kernelHeight: kernelHeight, channels: C, panel: w,
                  panelStride: panelStride)
                store(t, m0, count, k0)
                store(u, m0, count, k0 + convolutionPanelWidth)
              } else {
                flatTile(m0, count)
              }
              continue
            }
          #endif
          let m0 = tile * tileRows
          flatTile(m0, min(tileRows, pixels - m0))
        }
        panel += wide ? 2 : 1
      }
    }

    if threads == 1 || batch >= 2 * threads {
      // Whole images per chunk; each chunk pads its images into its own scratch.
      let work = batch * pixels * panels * convolutionPanelWidth * kernelHeight * rowLength
      // Up to 16 chunks per thread: chunks are claimed as threads free up, so the last one
      // leaves a thread idle for at most 1/16 of its share.
      let chunks = threads == 1 ? 1 : max(1, min(batch, 16 * threads, work / convolutionMinimumItemWork))
      parallelFor(chunks) { chunk in
        let scratch: UnsafeMutablePointer<Float>? =
          layout.scratchCount > 0 ? .allocate(capacity: layout.scratchCount) : nil
        defer { scratch?.deallocate() }
        for n in (chunk * batch / chunks)..<((chunk + 1) * batch / chunks) {
          let image = layout.prepare(scratch, from: source + n * sourceImage)
          run(image, n, 0..<panels, 0..<tiles)
        }
      }
    } else {
      // Few images: pad them all, then split panels and pixel tiles across threads.
      let scratchCount = layout.scratchCount
      let scratch: UnsafeMutablePointer<Float>? =
        scratchCount > 0 ? .allocate(capacity: batch * scratchCount) : nil
      defer { scratch?.deallocate() }
      if let scratch {
        // Row bands of every image, in parallel when the copy is large enough to split.
        let height = layout.height
        let bands = threads == 1 ? 1 : max(1, min(height, 2 * threads, batch * scratchCount / 8192))
        parallelFor(batch * bands) { item in
          let n = item / bands
          let band = item - n * bands
          layout.fill(
            scratch + n * scratchCount, from: source + n * sourceImage,
            rows: (band * height / bands)..<((band + 1) * height / bands))
        }
      }
      // Up to 4 items per thread, but none smaller than convolutionMinimumItemWork.
      let work = batch * pixels * panels * convolutionPanelWidth * kernelHeight * rowLength
      // An item is one image × one panel (two in wide tiles) × a group of pixel tiles.
      let panelsPerItem = convolutionWideTiles ? 2 : 1
      let panelItems = (panels + panelsPerItem - 1) / panelsPerItem
      let wanted = max(1, min(4 * threads, work / convolutionMinimumItemWork))
      let tileGroups = max(1, min(tiles, (wanted + batch * panelItems - 1) / (batch * panelItems)))
      let items = batch * panelItems * tileGroups
      parallelFor(wanted == 1 ? 1 : items) { chunk in
        for item in (wanted == 1 ? 0..<items : chunk..<(chunk + 1)) {
          let n = item / (panelItems * tileGroups)
          let panel = (item / tileGroups) % panelItems * panelsPerItem
          let group = item % tileGroups
          let image =
            scratch.map { UnsafePointer($0 + n * scratchCount) } ?? (source + n * sourceImage)
          run(
            image, n, panel..<min(panels, panel + panelsPerItem),
            (group * tiles / tileGroups)..<((group + 1) * tiles / tileGroups))
        }
      }
    }
  }
}
