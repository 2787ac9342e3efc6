// Register-blocked inner loops of the fast convolutions. Each microkernel keeps a tile of
// `convolutionTileRows` × 16 sums in registers (one `SIMD16<Float>` per row: one zmm register with
// AVX-512, two ymm registers with AVX2), broadcasts one value per tile row and multiplies it by one
// 16-lane filter (or gradient) vector: 8 × 16 on AVX-512, 6 × 16 otherwise. AVX-512 builds also
// have wide tiles, 8 × 32: two 16-lane panels share each broadcast, so a multiply-add costs half
// a load instead of one, and row tiles (stride-1 convolutions three taps wide), in which one
// broadcast feeds the three taps that meet it. They read prepared images (Convolution+Packing.swift) and so need no
// bounds checks.

/// Rows of the register tile: output pixels (forward) or filter rows (filter gradient).
///
/// Chosen per instruction set at build time (KernelInstructionSet). AVX2 (and the generic
/// fallback): 6 × 16 takes twelve of the 16 ymm registers. AVX-512: 8 × 16 keeps eight
/// independent sums, one per zmm register, enough to cover a 4-cycle fused multiply-add latency
/// on two 512-bit pipes. Measured on a Zen 4 EPYC (512-bit operations issued as two 256-bit
/// halves, so six sums already cover the latency there): 8 × 16 forward ≈ 1.03–1.07× the 6 × 16
/// tile; 12 × 16 was 0.93× (its twelve row pointers no longer fit in general registers).
#if RESNET_LESION_AVX512
  let convolutionTileRows = 8
#else
  let convolutionTileRows = 6
#endif

/// Whether the kernels use wide tiles (rows × 2 panels, 32 channels) wherever two panels remain.
///
/// AVX-512 only: 8 × 32 takes 16 of the 32 zmm registers, and halves the broadcast loads per
/// multiply-add, the limit of the 8 × 16 tile on a core with two 512-bit FMA pipes. Measured on a
/// 2-core Xeon with AVX-512 (one thread, 400 interleaved pairs, median): 1.33–1.49× the 8 × 16
/// tile forward and 1.34–1.43× for the input gradient at 32 and 64 channels. A 6 × 32 tile would
/// take 24 of AVX2's 16 ymm registers.
#if RESNET_LESION_AVX512
  let convolutionWideTiles = true
#else
  let convolutionWideTiles = false
#endif

/// acc += a · b.
///
/// Fused (`vfmadd231ps`) when the compiler targets a CPU with FMA (the package passes
/// `-Xcc -march=native`). A baseline x86-64 build has no FMA instruction and would lower the
/// fused form to one `fmaf` call per lane (35× slower, measured), so builds that define
/// `RESNET_LESION_PORTABLE` use a separate multiply and add instead.
@inline(__always)
func multiplyAdd(_ acc: inout SIMD16<Float>, _ a: Float, _ b: SIMD16<Float>) {
  #if RESNET_LESION_PORTABLE && arch(x86_64)
    acc += SIMD16<Float>(repeating: a) * b
  #else
    acc.addProduct(SIMD16<Float>(repeating: a), b)
  #endif
}

@inline(__always)
func loadPanel(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func storePanel(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
}

/// `convolutionTileRows` 16-lane sums.
struct ConvolutionTile {
  var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>()
  var a3 = SIMD16<Float>(), a4 = SIMD16<Float>(), a5 = SIMD16<Float>()
  #if RESNET_LESION_AVX512
    var a6 = SIMD16<Float>(), a7 = SIMD16<Float>()
  #endif

  @inline(__always)
  subscript(row: Int) -> SIMD16<Float> {
    get {
      switch row {
      case 0: return a0
      case 1: return a1
      case 2: return a2
      case 3: return a3
      case 4: return a4
      #if RESNET_LESION_AVX512
        case 5: return a5
        case 6: return a6
        default: return a7
      #else
        default: return a5
      #endif
      }
    }
    set {
      switch row {
      case 0: a0 = newValue
      case 1: a1 = newValue
      case 2: a2 = newValue
      case 3: a3 = newValue
      case 4: a4 = newValue
      #if RESNET_LESION_AVX512
        case 5: a5 = newValue
        case 6: a6 = newValue
        default: a7 = newValue
      #else
        default: a5 = newValue
      #endif
      }
    }
  }
}

extension ConvolutionTile {
  /// Row i += x.p<i>[j] · f for every tile row i.
  @inline(__always)
  mutating func accumulate(_ x: ConvolutionTileSources, _ j: Int, _ f: SIMD16<Float>) {
    multiplyAdd(&a0, x.p0[j], f)
    multiplyAdd(&a1, x.p1[j], f)
    multiplyAdd(&a2, x.p2[j], f)
    multiplyAdd(&a3, x.p3[j], f)
    multiplyAdd(&a4, x.p4[j], f)
    multiplyAdd(&a5, x.p5[j], f)
    #if RESNET_LESION_AVX512
      multiplyAdd(&a6, x.p6[j], f)
      multiplyAdd(&a7, x.p7[j], f)
    #endif
  }

  /// Row i += x.p<i>[j] · f and row i of `other` += x.p<i>[j] · g: one broadcast, two panels.
  @inline(__always)
  mutating func accumulate(
    _ x: ConvolutionTileSources, _ j: Int, _ f: SIMD16<Float>, other: inout ConvolutionTile,
    _ g: SIMD16<Float>
  ) {
    var v = x.p0[j]
    multiplyAdd(&a0, v, f)
    multiplyAdd(&other.a0, v, g)
    v = x.p1[j]
    multiplyAdd(&a1, v, f)
    multiplyAdd(&other.a1, v, g)
    v = x.p2[j]
    multiplyAdd(&a2, v, f)
    multiplyAdd(&other.a2, v, g)
    v = x.p3[j]
    multiplyAdd(&a3, v, f)
    multiplyAdd(&other.a3, v, g)
    v = x.p4[j]
    multiplyAdd(&a4, v, f)
    multiplyAdd(&other.a4, v, g)
    v = x.p5[j]
    multiplyAdd(&a5, v, f)
    multiplyAdd(&other.a5, v, g)
    #if RESNET_LESION_AVX512
      v = x.p6[j]
      multiplyAdd(&a6, v, f)
      multiplyAdd(&other.a6, v, g)
      v = x.p7[j]
      multiplyAdd(&a7, v, f)
      multiplyAdd(&other.a7, v, g)
    #endif
  }
}

/// Where each row of a register tile reads: one pointer per tile row.
struct ConvolutionTileSources {
  var p0, p1, p2, p3, p4, p5: UnsafePointer<Float>
  #if RESNET_LESION_AVX512
    var p6, p7: UnsafePointer<Float>
  #endif

  /// The pointers `source(0)`, …, `source(convolutionTileRows − 1)`.
  @inline(__always)
  init(_ source: (Int) -> UnsafePointer<Float>) {
    (p0, p1, p2, p3, p4, p5) = (source(0), source(1), source(2), source(3), source(4), source(5))
    #if RESNET_LESION_AVX512
      (p6, p7) = (source(6), source(7))
    #endif
  }

  /// Every pointer advanced by `offset` floats.
  @inline(__always)
  func advanced(by o: Int) -> ConvolutionTileSources {
    var s = self
    s.p0 += o
    s.p1 += o
    s.p2 += o
    s.p3 += o
    s.p4 += o
    s.p5 += o
    #if RESNET_LESION_AVX512
      s.p6 += o
      s.p7 += o
    #endif
    return s
  }
}

extension Kernels {
  /// Sums for `convolutionTileRows` output pixels × one 16-channel panel of a stride-`stride`
  /// convolution without padding.
  ///
  /// `pixels.p<i>` points at the top-left input value of pixel i's receptive field in an image with
  /// `rowStride` floats per row; the field is `kernelHeight` rows of `rowLength` = S · C contiguous
  /// floats. `panel` is (R, S, C, 16).
  /// - Complexity: O(R · S · C) vector multiply-adds × convolutionTileRows.
  ///
  /// Never inlined: inlined into its large callers, the optimizer ran out of inlining budget and
  /// called the unaligned load out of line, spilling every sum around each call (3× slower,
  /// measured with 12 rows); as a function of its own the loop keeps every sum in a register.
  /// The loop over j is unrolled twice: with one step per iteration the AVX-512 build copied
  /// seven of the eight sums to other registers on every step (seven `vmovaps` beside eight
  /// multiply-adds, on the same ports); unrolled, it copies none (1.15–1.33×, one thread,
  /// interleaved pairs). Each sum still adds the same products in the same order.
  @inline(never)
  static func forwardTile(
    _ pixels: ConvolutionTileSources, rowStride: Int, kernelHeight: Int, rowLength: Int,
    panel: UnsafePointer<Float>
  ) -> ConvolutionTile {
    var t = ConvolutionTile()
    var w = panel
    for r in 0..<kernelHeight {
      let q = pixels.advanced(by: r * rowStride)
      var j = 0
      while j &+ 1 < rowLength {
        t.accumulate(q, j, loadPanel(w + j &* 16))
        t.accumulate(q, j &+ 1, loadPanel(w + (j &+ 1) &* 16))
        j &+= 2
      }
      if j < rowLength { t.accumulate(q, j, loadPanel(w + j &* 16)) }
      w += rowLength * 16
    }
    return t
  }

  /// Sums for `convolutionTileRows` output pixels × two 16-channel panels (a wide tile): the
  /// panel at `panel` and the one `panelStride` floats after it. Otherwise as `forwardTile`,
  /// and each sum adds the same products in the same order.
  /// - Complexity: O(R · S · C) vector multiply-adds × 2 · convolutionTileRows.
  @inline(never)
  static func forwardTileWide(
    _ pixels: ConvolutionTileSources, rowStride: Int, kernelHeight: Int, rowLength: Int,
    panel: UnsafePointer<Float>, panelStride: Int
  ) -> (ConvolutionTile, ConvolutionTile) {
    var t = ConvolutionTile()
    var u = ConvolutionTile()
    var w = panel
    for r in 0..<kernelHeight {
      let q = pixels.advanced(by: r * rowStride)
      var j = 0
      while j &+ 1 < rowLength {
        t.accumulate(q, j, loadPanel(w + j &* 16), other: &u, loadPanel(w + panelStride + j &* 16))
        let k = j &+ 1
        t.accumulate(q, k, loadPanel(w + k &* 16), other: &u, loadPanel(w + panelStride + k &* 16))
        j &+= 2
      }
      if j < rowLength {
        t.accumulate(q, j, loadPanel(w + j &* 16), other: &u, loadPanel(w + panelStride + j &* 16))
      }
      w += rowLength * 16
    }
    return (t, u)
  }

  /// Accumulates `convolutionTileRows` filter-gradient rows × one 16-channel panel over all
  /// output pixels of one image.
  ///
  /// `x.p<i>` points at the input value of filter row i (an (r, s, c) triple) for output pixel
  /// (0, 0); pixel (p, q) reads `x.p<i> + p · pixelRowStep + q · pixelStep`. `gradient` points at
  /// the panel's first lane of output pixel (0, 0) in a (P, Q, gradientStride) array.
  /// - Complexity: O(P · Q) vector multiply-adds × convolutionTileRows.
  ///
  /// Always inlined: as a function of its own its loop spilled the row pointers (2.3× slower,
  /// measured on AVX-512).
  @inline(__always)
  static func filterGradientTile(
    _ t: inout ConvolutionTile, _ x: ConvolutionTileSources, outputHeight: Int, outputWidth: Int,
    pixelRowStep: Int, pixelStep: Int, gradient: UnsafePointer<Float>, gradientStride: Int
  ) {
    var a = t
    for p in 0..<outputHeight {
      var q = x.advanced(by: p * pixelRowStep)
      var g = gradient + p * outputWidth * gradientStride
      for _ in 0..<outputWidth {
        a.accumulate(q, 0, loadPanel(g))
        q = q.advanced(by: pixelStep)
        g += gradientStride
      }
    }
    t = a
  }

  /// `filterGradientTile` for two 16-channel panels at once (a wide tile): `t` takes the lanes at
  /// `gradient`, `u` the 16 lanes after them. Each sum adds the same products in the same order.
  /// - Complexity: O(P · Q) vector multiply-adds × 2 · convolutionTileRows.
  @inline(__always)
  static func filterGradientTileWide(
    _ t: inout ConvolutionTile, _ u: inout ConvolutionTile, _ x: ConvolutionTileSources,
    outputHeight: Int, outputWidth: Int, pixelRowStep: Int, pixelStep: Int,
    gradient: UnsafePointer<Float>, gradientStride: Int
  ) {
    var a = t
    var b = u
    for p in 0..<outputHeight {
      var q = x.advanced(by: p * pixelRowStep)
      var g = gradient + p * outputWidth * gradientStride
      for _ in 0..<outputWidth {
        a.accumulate(q, 0, loadPanel(g), other: &b, loadPanel(g + convolutionPanelWidth))
        q = q.advanced(by: pixelStep)
        g += gradientStride
      }
    }
    t = a
    u = b
  }
}

#if RESNET_LESION_AVX512
  /// Whether stride-1 convolutions three taps wide use row tiles (AVX-512 builds).
  ///
  /// A row tile holds adjacent output pixels of one output row. Input value (y, x + t, c) then
  /// meets tap s = 0, 1, 2 of pixels t, t − 1, t − 2 of the tile, so one broadcast feeds three
  /// multiply-adds (one per tap) instead of one: 16 pixels × one panel costs 3 filter loads and
  /// 18 broadcasts per 48 multiply-adds (0.44 loads each; the 8 × 16 tile needs 1.1, the 8 × 32
  /// wide tile 0.6), and 8 pixels × two panels costs 6 + 10 per 48 (0.33). Measured on a 2-core
  /// Xeon with AVX-512 (one thread, 300 interleaved pairs, median): forward 1.53–1.59× the
  /// 8 × 16 tile at 16 channels (32×32 and 16×16 pixels), 1.04–1.09× the 8 × 32 tile at 32 and
  /// 64 channels; the filter gradient's row tiles 1.22–1.54× at 16 channels and 1.06–1.25× at
  /// 32 on rows of 16 or 32 pixels, but 0.79–0.85× on rows of 8 (so they need 16).
  let convolutionRowTiles = true
#else
  /// Whether stride-1 convolutions three taps wide use row tiles: AVX-512 builds only (with 16
  /// ymm registers, AVX2 has no room for the sums and the three filter taps of a row tile).
  let convolutionRowTiles = false
#endif

#if RESNET_LESION_AVX512
  extension Kernels {
    /// Sums for 16 adjacent output pixels of one row × one 16-channel panel of a stride-1
    /// convolution three taps wide: pixels 0–7 in the first tile, 8–15 in the second.
    ///
    /// `x` points at the top-left input value of pixel 0's receptive field in an image with
    /// `rowStride` floats per row and C = `channels` floats per pixel; `panel` is (R, 3, C, 16).
    /// Each sum adds, for each (r, c) in order, the products of taps s = 0, 1, 2 (the 8 × 16
    /// tile's order is (r, s, c); both are fixed by the shapes alone).
    /// - Complexity: O(R · 3 · C) vector multiply-adds × 16.
    ///
    /// Never inlined, for the reason given at `forwardTile`. C = 16, 32 and 64 each get a copy
    /// in which every offset t · C is a constant displacement.
    @inline(never)
    static func forwardRowTile(
      _ x: UnsafePointer<Float>, rowStride: Int, kernelHeight: Int, channels: Int,
      panel: UnsafePointer<Float>
    ) -> (ConvolutionTile, ConvolutionTile) {
      switch channels {
      case 16: return forwardRowTileBody(x, rowStride, kernelHeight, 16, panel)
      case 32: return forwardRowTileBody(x, rowStride, kernelHeight, 32, panel)
      case 64: return forwardRowTileBody(x, rowStride, kernelHeight, 64, panel)
      default: return forwardRowTileBody(x, rowStride, kernelHeight, channels, panel)
      }
    }

    @inline(__always)
    static func forwardRowTileBody(
      _ x: UnsafePointer<Float>, _ rowStride: Int, _ kernelHeight: Int, _ C: Int,
      _ panel: UnsafePointer<Float>
    ) -> (ConvolutionTile, ConvolutionTile) {
      var t = ConvolutionTile()
      var u = ConvolutionTile()
      var w = panel
      for r in 0..<kernelHeight {
        var q = x + r &* rowStride
        for _ in 0..<C {
          let f0 = loadPanel(w)
          let f1 = loadPanel(w + C &* 16)
          let f2 = loadPanel(w + 2 &* C &* 16)
          rowStep16(&t, &u, q, C, f0, f1, f2)
          q += 1
          w += 16
        }
        w += 2 &* C &* 16
      }
      return (t, u)
    }

    /// One (r, c) step of `forwardRowTile`: input values q[t · C], t = 0…17, times taps f0, f1, f2.
    @inline(__always)
    static func rowStep16(
      _ t: inout ConvolutionTile, _ u: inout ConvolutionTile, _ q: UnsafePointer<Float>, _ C: Int,
      _ f0: SIMD16<Float>, _ f1: SIMD16<Float>, _ f2: SIMD16<Float>
    ) {
      var v: Float
      v = q[0]
      multiplyAdd(&t.a0, v, f0)
      v = q[1 &* C]
      multiplyAdd(&t.a0, v, f1)
      multiplyAdd(&t.a1, v, f0)
      v = q[2 &* C]
      multiplyAdd(&t.a0, v, f2)
      multiplyAdd(&t.a1, v, f1)
      multiplyAdd(&t.a2, v, f0)
      v = q[3 &* C]
      multiplyAdd(&t.a1, v, f2)
      multiplyAdd(&t.a2, v, f1)
      multiplyAdd(&t.a3, v, f0)
      v = q[4 &* C]
      multiplyAdd(&t.a2, v, f2)
      multiplyAdd(&t.a3, v, f1)
      multiplyAdd(&t.a4, v, f0)
      v = q[5 &* C]
      multiplyAdd(&t.a3, v, f2)
      multiplyAdd(&t.a4, v, f1)
      multiplyAdd(&t.a5, v, f0)
      v = q[6 &* C]
      multiplyAdd(&t.a4, v, f2)
      multiplyAdd(&t.a5, v, f1)
      multiplyAdd(&t.a6, v, f0)
      v = q[7 &* C]
      multiplyAdd(&t.a5, v, f2)
      multiplyAdd(&t.a6, v, f1)
      multiplyAdd(&t.a7, v, f0)
      v = q[8 &* C]
      multiplyAdd(&t.a6, v, f2)
      multiplyAdd(&t.a7, v, f1)
      multiplyAdd(&u.a0, v, f0)
      v = q[9 &* C]
      multiplyAdd(&t.a7, v, f2)
      multiplyAdd(&u.a0, v, f1)
      multiplyAdd(&u.a1, v, f0)
      v = q[10 &* C]
      multiplyAdd(&u.a0, v, f2)
      multiplyAdd(&u.a1, v, f1)
      multiplyAdd(&u.a2, v, f0)
      v = q[11 &* C]
      multiplyAdd(&u.a1, v, f2)
      multiplyAdd(&u.a2, v, f1)
      multiplyAdd(&u.a3, v, f0)
      v = q[12 &* C]
      multiplyAdd(&u.a2, v, f2)
      multiplyAdd(&u.a3, v, f1)
      multiplyAdd(&u.a4, v, f0)
      v = q[13 &* C]
      multiplyAdd(&u.a3, v, f2)
      multiplyAdd(&u.a4, v, f1)
      multiplyAdd(&u.a5, v, f0)
      v = q[14 &* C]
      multiplyAdd(&u.a4, v, f2)
      multiplyAdd(&u.a5, v, f1)
      multiplyAdd(&u.a6, v, f0)
      v = q[15 &* C]
      multiplyAdd(&u.a5, v, f2)
      multiplyAdd(&u.a6, v, f1)
      multiplyAdd(&u.a7, v, f0)
      v = q[16 &* C]
      multiplyAdd(&u.a6, v, f2)
      multiplyAdd(&u.a7, v, f1)
      v = q[17 &* C]
      multiplyAdd(&u.a7, v, f2)
    }

    /// Sums for 8 adjacent output pixels of one row × two 16-channel panels (the panel at
    /// `panel` in the first tile, the one `panelStride` floats after it in the second); otherwise
    /// as `forwardRowTile`.
    /// - Complexity: O(R · 3 · C) vector multiply-adds × 16.
    @inline(never)
    static func forwardRowTileWide(
      _ x: UnsafePointer<Float>, rowStride: Int, kernelHeight: Int, channels: Int,
      panel: UnsafePointer<Float>, panelStride: Int
    ) -> (ConvolutionTile, ConvolutionTile) {
      switch channels {
      case 16: return forwardRowTileWideBody(x, rowStride, kernelHeight, 16, panel, panelStride)
      case 32: return forwardRowTileWideBody(x, rowStride, kernelHeight, 32, panel, panelStride)
      case 64: return forwardRowTileWideBody(x, rowStride, kernelHeight, 64, panel, panelStride)
      default:
        return forwardRowTileWideBody(x, rowStride, kernelHeight, channels, panel, panelStride)
      }
    }

    @inline(__always)
    static func forwardRowTileWideBody(
      _ x: UnsafePointer<Float>, _ rowStride: Int, _ kernelHeight: Int, _ C: Int,
      _ panel: UnsafePointer<Float>, _ panelStride: Int
    ) -> (ConvolutionTile, ConvolutionTile) {
      var t = ConvolutionTile()
      var u = ConvolutionTile()
      var w = panel
      for r in 0..<kernelHeight {
        var q = x + r &* rowStride
        for _ in 0..<C {
          let f0 = loadPanel(w)
          let f1 = loadPanel(w + C &* 16)
          let f2 = loadPanel(w + 2 &* C &* 16)
          let g0 = loadPanel(w + panelStride)
          let g1 = loadPanel(w + panelStride + C &* 16)
          let g2 = loadPanel(w + panelStride + 2 &* C &* 16)
          rowStepWide(&t, &u, q, C, f0, f1, f2, g0, g1, g2)
          q += 1
          w += 16
        }
        w += 2 &* C &* 16
      }
      return (t, u)
    }

    /// One (r, c) step of `forwardRowTileWide`: input values q[t · C], t = 0…9, times taps
    /// f0, f1, f2 (first panel) and g0, g1, g2 (second panel).
    @inline(__always)
    static func rowStepWide(
      _ t: inout ConvolutionTile, _ u: inout ConvolutionTile, _ q: UnsafePointer<Float>, _ C: Int,
      _ f0: SIMD16<Float>, _ f1: SIMD16<Float>, _ f2: SIMD16<Float>,
      _ g0: SIMD16<Float>, _ g1: SIMD16<Float>, _ g2: SIMD16<Float>
    ) {
      var v: Float
      v = q[0]
      multiplyAdd(&t.a0, v, f0)
      multiplyAdd(&u.a0, v, g0)
      v = q[1 &* C]
      multiplyAdd(&t.a0, v, f1)
      multiplyAdd(&u.a0, v, g1)
      multiplyAdd(&t.a1, v, f0)
      multiplyAdd(&u.a1, v, g0)
      v = q[2 &* C]
      multiplyAdd(&t.a0, v, f2)
      multiplyAdd(&u.a0, v, g2)
      multiplyAdd(&t.a1, v, f1)
      multiplyAdd(&u.a1, v, g1)
      multiplyAdd(&t.a2, v, f0)
      multiplyAdd(&u.a2, v, g0)
      v = q[3 &* C]
      multiplyAdd(&t.a1, v, f2)
      multiplyAdd(&u.a1, v, g2)
      multiplyAdd(&t.a2, v, f1)
      multiplyAdd(&u.a2, v, g1)
      multiplyAdd(&t.a3, v, f0)
      multiplyAdd(&u.a3, v, g0)
      v = q[4 &* C]
      multiplyAdd(&t.a2, v, f2)
      multiplyAdd(&u.a2, v, g2)
      multiplyAdd(&t.a3, v, f1)
      multiplyAdd(&u.a3, v, g1)
      multiplyAdd(&t.a4, v, f0)
      multiplyAdd(&u.a4, v, g0)
      v = q[5 &* C]
      multiplyAdd(&t.a3, v, f2)
      multiplyAdd(&u.a3, v, g2)
      multiplyAdd(&t.a4, v, f1)
      multiplyAdd(&u.a4, v, g1)
      multiplyAdd(&t.a5, v, f0)
      multiplyAdd(&u.a5, v, g0)
      v = q[6 &* C]
      multiplyAdd(&t.a4, v, f2)
      multiplyAdd(&u.a4, v, g2)
      multiplyAdd(&t.a5, v, f1)
      multiplyAdd(&u.a5, v, g1)
      multiplyAdd(&t.a6, v, f0)
      multiplyAdd(&u.a6, v, g0)
      v = q[7 &* C]
      multiplyAdd(&t.a5, v, f2)
      multiplyAdd(&u.a5, v, g2)
      multiplyAdd(&t.a6, v, f1)
      multiplyAdd(&u.a6, v, g1)
      multiplyAdd(&t.a7, v, f0)
      multiplyAdd(&u.a7, v, g0)
      v = q[8 &* C]
      multiplyAdd(&t.a6, v, f2)
      multiplyAdd(&u.a6, v, g2)
      multiplyAdd(&t.a7, v, f1)
      multiplyAdd(&u.a7, v, g1)
      v = q[9 &* C]
      multiplyAdd(&t.a7, v, f2)
      multiplyAdd(&u.a7, v, g2)
    }
  }
#endif

#if RESNET_LESION_AVX512
  extension Kernels {
    /// Accumulates the filter-gradient rows of kernel row r, taps s = 0, 1, 2 and 4 input
    /// channels c0…c0 + 3 of a stride-1 convolution three taps wide, × one 16-channel panel
    /// (`wide` false: lanes of tile s's rows 0–3) or two (`wide`: the first panel in rows 0–3,
    /// the 16 lanes after it in rows 4–7), over all output pixels of one image.
    ///
    /// The row-tile form of `filterGradientTile`: input value (p + r, x, c) meets the output
    /// gradients of pixels (p, x − s) for the three taps at once, so one broadcast feeds three
    /// (six) multiply-adds while the three gradient vectors slide along the row. Tile s, row i
    /// is filter row (r, s, c0 + i). `x` points at input value (r, 0, c0) for output row 0 in an
    /// image with `rowStride` floats per row and `channels` per pixel; `gradient` points at the
    /// panel's first lane of output pixel (0, 0) in a (P, Q, gradientStride) array. Each sum adds
    /// its products over pixels in row-major order, as `filterGradientTile` does: the bits are
    /// the same. Needs Q ≥ 2.
    /// - Complexity: O(P · Q) vector multiply-adds × 12 (24 when wide).
    ///
    /// Never inlined (unlike `filterGradientTile`, it has no row pointers to spill); the narrow
    /// and wide forms are separate copies of one loop.
    @inline(never)
    static func filterGradientRowTile(
      _ tiles: (ConvolutionTile, ConvolutionTile, ConvolutionTile), wide: Bool,
      _ x: UnsafePointer<Float>, rowStride: Int, channels: Int, outputHeight: Int,
      outputWidth: Int, gradient: UnsafePointer<Float>, gradientStride: Int
    ) -> (ConvolutionTile, ConvolutionTile, ConvolutionTile) {
      if wide {
        return filterGradientRowTileBody(
          tiles, wide: true, x, rowStride: rowStride, channels: channels,
          outputHeight: outputHeight, outputWidth: outputWidth, gradient: gradient,
          gradientStride: gradientStride)
      } else {
        return filterGradientRowTileBody(
          tiles, wide: false, x, rowStride: rowStride, channels: channels,
          outputHeight: outputHeight, outputWidth: outputWidth, gradient: gradient,
          gradientStride: gradientStride)
      }
    }

    @inline(__always)
    static func filterGradientRowTileBody(
      _ tiles: (ConvolutionTile, ConvolutionTile, ConvolutionTile), wide: Bool,
      _ x: UnsafePointer<Float>, rowStride: Int, channels: Int, outputHeight: Int,
      outputWidth: Int, gradient: UnsafePointer<Float>, gradientStride: Int
    ) -> (ConvolutionTile, ConvolutionTile, ConvolutionTile) {
      var (a, b, c) = tiles
      let C = channels
      let Q = outputWidth
      let second = wide ? convolutionPanelWidth : 0
      for p in 0..<outputHeight {
        var xp = x + p &* rowStride
        var gp = gradient + p &* Q &* gradientStride
        // Input column 0 meets pixel 0 (tap 0); column 1 pixels 1 and 0 (taps 0, 1).
        var f0 = loadPanel(gp)
        var g0 = loadPanel(gp + second)
        rowFilterStep(&a, &b, &c, xp, wide, f0, f0, f0, g0, g0, g0, true, false, false)
        xp += C
        var (f1, g1) = (f0, g0)
        gp += gradientStride
        (f0, g0) = (loadPanel(gp), loadPanel(gp + second))
        rowFilterStep(&a, &b, &c, xp, wide, f0, f1, f1, g0, g1, g1, true, true, false)
        xp += C
        for _ in 2..<Q {
          let (f2, g2) = (f1, g1)
          (f1, g1) = (f0, g0)
          gp += gradientStride
          (f0, g0) = (loadPanel(gp), loadPanel(gp + second))
          rowFilterStep(&a, &b, &c, xp, wide, f0, f1, f2, g0, g1, g2, true, true, true)
          xp += C
        }
        // Column Q meets pixels Q − 1 and Q − 2 (taps 1, 2); column Q + 1 pixel Q − 1 (tap 2).
        rowFilterStep(&a, &b, &c, xp, wide, f0, f0, f1, g0, g0, g1, false, true, true)
        xp += C
        rowFilterStep(&a, &b, &c, xp, wide, f0, f0, f0, g0, g0, g0, false, false, true)
      }
      return (a, b, c)
    }

    /// One input column of `filterGradientRowTile`: x[i] (i = 0…3) times the gradients of
    /// taps 0, 1, 2 (f, and g for the second panel when wide), for the taps flagged.
    @inline(__always)
    static func rowFilterStep(
      _ a: inout ConvolutionTile, _ b: inout ConvolutionTile, _ c: inout ConvolutionTile,
      _ x: UnsafePointer<Float>, _ wide: Bool,
      _ f0: SIMD16<Float>, _ f1: SIMD16<Float>, _ f2: SIMD16<Float>,
      _ g0: SIMD16<Float>, _ g1: SIMD16<Float>, _ g2: SIMD16<Float>,
      _ s0: Bool, _ s1: Bool, _ s2: Bool
    ) {
      var v: Float
      if wide {
        v = x[0]
        if s0 { multiplyAdd(&a.a0, v, f0); multiplyAdd(&a.a4, v, g0) }
        if s1 { multiplyAdd(&b.a0, v, f1); multiplyAdd(&b.a4, v, g1) }
        if s2 { multiplyAdd(&c.a0, v, f2); multiplyAdd(&c.a4, v, g2) }
        v = x[1]
        if s0 { multiplyAdd(&a.a1, v, f0); multiplyAdd(&a.a5, v, g0) }
        if s1 { multiplyAdd(&b.a1, v, f1); multiplyAdd(&b.a5, v, g1) }
        if s2 { multiplyAdd(&c.a1, v, f2); multiplyAdd(&c.a5, v, g2) }
        v = x[2]
        if s0 { multiplyAdd(&a.a2, v, f0); multiplyAdd(&a.a6, v, g0) }
        if s1 { multiplyAdd(&b.a2, v, f1); multiplyAdd(&b.a6, v, g1) }
        if s2 { multiplyAdd(&c.a2, v, f2); multiplyAdd(&c.a6, v, g2) }
        v = x[3]
        if s0 { multiplyAdd(&a.a3, v, f0); multiplyAdd(&a.a7, v, g0) }
        if s1 { multiplyAdd(&b.a3, v, f1); multiplyAdd(&b.a7, v, g1) }
        if s2 { multiplyAdd(&c.a3, v, f2); multiplyAdd(&c.a7, v, g2) }
      } else {
        v = x[0]
        if s0 { multiplyAdd(&a.a0, v, f0) }
        if s1 { multiplyAdd(&b.a0, v, f1) }
        if s2 { multiplyAdd(&c.a0, v, f2) }
        v = x[1]
        if s0 { multiplyAdd(&a.a1, v, f0) }
        if s1 { multiplyAdd(&b.a1, v, f1) }
        if s2 { multiplyAdd(&c.a1, v, f2) }
        v = x[2]
        if s0 { multiplyAdd(&a.a2, v, f0) }
        if s1 { multiplyAdd(&b.a2, v, f1) }
        if s2 { multiplyAdd(&c.a2, v, f2) }
        v = x[3]
        if s0 { multiplyAdd(&a.a3, v, f0) }
        if s1 { multiplyAdd(&b.a3, v, f1) }
        if s2 { multiplyAdd(&c.a3, v, f2) }
      }
    }
  }
#endif
