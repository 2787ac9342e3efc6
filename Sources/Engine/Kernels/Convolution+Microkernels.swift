// Register-blocked inner loops of the fast convolutions. Each microkernel keeps a 6 × 16 tile of
// sums in twelve AVX2 registers (six `SIMD16<Float>`), broadcasts one value per tile row and
// multiplies it by one 16-lane filter (or gradient) vector: 12 fused multiply-adds per 8 loads.
// They read prepared images (Convolution+Packing.swift) and so need no bounds checks.

/// Rows of the register tile: output pixels (forward) or filter rows (filter gradient).
let convolutionTileRows = 6

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

/// Six 16-lane sums.
struct ConvolutionTile {
  var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>()
  var a3 = SIMD16<Float>(), a4 = SIMD16<Float>(), a5 = SIMD16<Float>()

  @inline(__always)
  subscript(row: Int) -> SIMD16<Float> {
    get {
      switch row {
      case 0: return a0
      case 1: return a1
      case 2: return a2
      case 3: return a3
      case 4: return a4
      default: return a5
      }
    }
    set {
      switch row {
      case 0: a0 = newValue
      case 1: a1 = newValue
      case 2: a2 = newValue
      case 3: a3 = newValue
      case 4: a4 = newValue
      default: a5 = newValue
      }
    }
  }
}

extension Kernels {
  /// Sums for six output pixels × one 16-channel panel of a stride-`stride` convolution without
  /// padding.
  ///
  /// `pixels[i]` points at the top-left input value of pixel i's receptive field in an image with
  /// `rowStride` floats per row; the field is `kernelHeight` rows of `rowLength` = S · C contiguous
  /// floats. `panel` is (R, S, C, 16).
  /// - Complexity: O(R · S · C) vector multiply-adds × 12.
  @inline(__always)
  static func forwardTile(
    _ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
    _ p3: UnsafePointer<Float>, _ p4: UnsafePointer<Float>, _ p5: UnsafePointer<Float>,
    rowStride: Int, kernelHeight: Int, rowLength: Int, panel: UnsafePointer<Float>
  ) -> ConvolutionTile {
    var t = ConvolutionTile()
    var w = panel
    for r in 0..<kernelHeight {
      let o = r * rowStride
      let (q0, q1, q2, q3, q4, q5) = (p0 + o, p1 + o, p2 + o, p3 + o, p4 + o, p5 + o)
      for j in 0..<rowLength {
        let f = loadPanel(w + j &* 16)
        multiplyAdd(&t.a0, q0[j], f)
        multiplyAdd(&t.a1, q1[j], f)
        multiplyAdd(&t.a2, q2[j], f)
        multiplyAdd(&t.a3, q3[j], f)
        multiplyAdd(&t.a4, q4[j], f)
        multiplyAdd(&t.a5, q5[j], f)
      }
      w += rowLength * 16
    }
    return t
  }

  /// Accumulates six filter-gradient rows × one 16-channel panel over all output pixels of one
  /// image.
  ///
  /// `x[i]` points at the input value of filter row i (an (r, s, c) triple) for output pixel
  /// (0, 0); pixel (p, q) reads `x[i] + p · pixelRowStep + q · pixelStep`. `gradient` points at
  /// the panel's first lane of output pixel (0, 0) in a (P, Q, gradientStride) array.
  /// - Complexity: O(P · Q) vector multiply-adds × 12.
  @inline(__always)
  static func filterGradientTile(
    _ t: inout ConvolutionTile,
    _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
    _ x3: UnsafePointer<Float>, _ x4: UnsafePointer<Float>, _ x5: UnsafePointer<Float>,
    outputHeight: Int, outputWidth: Int, pixelRowStep: Int, pixelStep: Int,
    gradient: UnsafePointer<Float>, gradientStride: Int
  ) {
    var a = t
    for p in 0..<outputHeight {
      let o = p * pixelRowStep
      var (q0, q1, q2, q3, q4, q5) = (x0 + o, x1 + o, x2 + o, x3 + o, x4 + o, x5 + o)
      var g = gradient + p * outputWidth * gradientStride
      for _ in 0..<outputWidth {
        let d = loadPanel(g)
        multiplyAdd(&a.a0, q0.pointee, d)
        multiplyAdd(&a.a1, q1.pointee, d)
        multiplyAdd(&a.a2, q2.pointee, d)
        multiplyAdd(&a.a3, q3.pointee, d)
        multiplyAdd(&a.a4, q4.pointee, d)
        multiplyAdd(&a.a5, q5.pointee, d)
        q0 += pixelStep
        q1 += pixelStep
        q2 += pixelStep
        q3 += pixelStep
        q4 += pixelStep
        q5 += pixelStep
        g += gradientStride
      }
    }
    t = a
  }
}
