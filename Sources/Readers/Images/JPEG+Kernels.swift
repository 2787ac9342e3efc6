/// The JPEG decoder's pixel kernels: inverse DCT, chroma upsampling and colour conversion, each
/// written to give libjpeg-turbo's results bit for bit (see `JPEG`).
enum JPEGKernels {
  // jidctint.c constants: FIX(x) = round(x · 2^13).
  private static let fix0_298631336: Int32 = 2446
  private static let fix0_390180644: Int32 = 3196
  private static let fix0_541196100: Int32 = 4433
  private static let fix0_765366865: Int32 = 6270
  private static let fix0_899976223: Int32 = 7373
  private static let fix1_175875602: Int32 = 9633
  private static let fix1_501321110: Int32 = 12299
  private static let fix1_847759065: Int32 = 15137
  private static let fix1_961570560: Int32 = 16069
  private static let fix2_053119869: Int32 = 16819
  private static let fix2_562915447: Int32 = 20995
  private static let fix3_072711026: Int32 = 25172

  /// libjpeg's post-IDCT range limit: the 10 low bits as a signed value, plus 128, clamped.
  @inline(__always) private static func rangeLimit(_ x: Int32) -> UInt8 {
    var v = x & 1023
    if v >= 512 { v -= 1024 }
    v += 128
    return UInt8(v < 0 ? 0 : (v > 255 ? 255 : v))
  }

  /// The 8-point one-dimensional inverse DCT that both passes of `inverseDCT` apply to a column
  /// or a row (jidctint.c's butterfly): inputs x0…x7, outputs 0…7 scaled up by 2^13 and not yet
  /// descaled (each pass rounds and shifts its own way). Wrapping arithmetic, as C's int.
  @inline(__always) private static func inverseDCT8(
    _ x0: Int32, _ x1: Int32, _ x2: Int32, _ x3: Int32, _ x4: Int32, _ x5: Int32, _ x6: Int32, _ x7: Int32
  ) -> SIMD8<Int32> {
    // Even part: x2, x6 rotated; x0 ± x4.
    var z1 = (x2 &+ x6) &* fix0_541196100
    var tmp2 = z1 &+ x6 &* -fix1_847759065
    var tmp3 = z1 &+ x2 &* fix0_765366865
    var tmp0 = (x0 &+ x4) &<< 13
    var tmp1 = (x0 &- x4) &<< 13
    let tmp10 = tmp0 &+ tmp3
    let tmp13 = tmp0 &- tmp3
    let tmp11 = tmp1 &+ tmp2
    let tmp12 = tmp1 &- tmp2
    // Odd part: x7, x5, x3, x1.
    tmp0 = x7
    tmp1 = x5
    tmp2 = x3
    tmp3 = x1
    z1 = tmp0 &+ tmp3
    var z2 = tmp1 &+ tmp2
    var z3 = tmp0 &+ tmp2
    var z4 = tmp1 &+ tmp3
    let z5 = (z3 &+ z4) &* fix1_175875602
    tmp0 = tmp0 &* fix0_298631336
    tmp1 = tmp1 &* fix2_053119869
    tmp2 = tmp2 &* fix3_072711026
    tmp3 = tmp3 &* fix1_501321110
    z1 = z1 &* -fix0_899976223
    z2 = z2 &* -fix2_562915447
    z3 = z3 &* -fix1_961570560 &+ z5
    z4 = z4 &* -fix0_390180644 &+ z5
    tmp0 = tmp0 &+ z1 &+ z3
    tmp1 = tmp1 &+ z2 &+ z4
    tmp2 = tmp2 &+ z2 &+ z3
    tmp3 = tmp3 &+ z1 &+ z4
    return SIMD8(
      tmp10 &+ tmp3, tmp11 &+ tmp2, tmp12 &+ tmp1, tmp13 &+ tmp0,
      tmp13 &- tmp0, tmp12 &- tmp1, tmp11 &- tmp2, tmp10 &- tmp3)
  }

  /// The "islow" integer inverse DCT of one 8×8 block (libjpeg's `jpeg_idct_islow`).
  ///
  /// `coefficients` (64, natural order) are dequantized by `quant` (64, natural order); the 8×8
  /// samples are written at `output` with `stride` bytes between rows.
  static func inverseDCT(
    _ coefficients: UnsafePointer<Int16>, _ quant: UnsafePointer<Int32>,
    _ output: UnsafeMutablePointer<UInt8>, stride: Int
  ) {
    var workspace = (
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
      Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0))
    withUnsafeMutableBytes(of: &workspace) { raw in
      let ws = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
      // Pass 1: columns from the input, results scaled up by 2^PASS1_BITS (= 4) into ws.
      for column in 0..<8 {
        @inline(__always) func q(_ row: Int) -> Int32 {
          Int32(coefficients[row * 8 + column]) &* quant[row * 8 + column]
        }
        if coefficients[8 + column] == 0 && coefficients[16 + column] == 0
          && coefficients[24 + column] == 0 && coefficients[32 + column] == 0
          && coefficients[40 + column] == 0 && coefficients[48 + column] == 0
          && coefficients[56 + column] == 0
        {
          let dc = q(0) &<< 2
          for row in 0..<8 { ws[row * 8 + column] = dc }
          continue
        }
        let values = inverseDCT8(q(0), q(1), q(2), q(3), q(4), q(5), q(6), q(7))
        let scaled = (values &+ (1 << 10)) &>> 11
        for row in 0..<8 { ws[row * 8 + column] = scaled[row] }
      }
      // Pass 2: rows from ws, descaled by 2^(13 + 2 + 3) into samples.
      for row in 0..<8 {
        let w = ws + row * 8
        let out = output + row * stride
        if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
          let value = rangeLimit((w[0] &+ 16) &>> 5)
          for x in 0..<8 { out[x] = value }
          continue
        }
        let values = inverseDCT8(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
        let descaled = (values &+ (1 << 17)) &>> 18
        for x in 0..<8 { out[x] = rangeLimit(descaled[x]) }
      }
    }
  }

  /// Upsamples one component plane to `outputWidth × outputHeight` as libjpeg-turbo's
  /// `jinit_upsampler` chooses: full size is copied; 2×1, 1×2 and 2×2 use the triangle
  /// ("fancy") filters of `jdsample.c` (2×1 and 2×2 only when the component is wider than 2
  /// samples, box otherwise); other integral factors replicate samples.
  ///
  /// `plane` holds `height` rows of `width` valid samples with `stride` bytes per row (rows
  /// beyond `height` may exist and are ignored: edges replicate the last valid row and column).
  /// - Throws: `ImageError.unsupported` for non-integral sampling ratios.
  static func upsample(
    _ plane: [UInt8], stride: Int, width: Int, height: Int, hFactor: Int, vFactor: Int,
    exactH: Bool, exactV: Bool, outputWidth: Int, outputHeight: Int, file: String
  ) throws -> [UInt8] {
    guard exactH, exactV else {
      throw ImageError.unsupported(file: file, offset: 0, feature: "non-integral sampling ratios")
    }
    var out = [UInt8](repeating: 0, count: outputWidth * outputHeight)
    plane.withUnsafeBufferPointer { input in
      out.withUnsafeMutableBufferPointer { output in
        let W = outputWidth
        if hFactor == 1 && vFactor == 1 {
          for y in 0..<outputHeight {
            for x in 0..<W { output[y * W + x] = input[y * stride + x] }
          }
        } else if hFactor == 2 && vFactor == 1 && width > 2 {
          for y in 0..<outputHeight {
            let row = input.baseAddress! + y * stride
            fancyRow(row, count: width) { x, value in
              if x < W { output[y * W + x] = value }
            }
          }
        } else if hFactor == 1 && vFactor == 2 {
          for y in 0..<outputHeight {
            let near = y / 2
            let far = y % 2 == 0 ? max(near - 1, 0) : min(near + 1, height - 1)
            // libjpeg-turbo ≥ 2.0 dithers the rounding: +1 towards the row above, +2 below.
            let bias = y % 2 == 0 ? 1 : 2
            for x in 0..<W {
              let sum = 3 * Int(input[near * stride + x]) + Int(input[far * stride + x])
              output[y * W + x] = UInt8((sum + bias) >> 2)
            }
          }
        } else if hFactor == 2 && vFactor == 2 && width > 2 {
          var sums = [Int](repeating: 0, count: width)
          for y in 0..<outputHeight {
            let near = y / 2
            let far = y % 2 == 0 ? max(near - 1, 0) : min(near + 1, height - 1)
            for x in 0..<width {
              sums[x] = 3 * Int(input[near * stride + x]) + Int(input[far * stride + x])
            }
            let o = y * W
            output[o] = UInt8((sums[0] * 4 + 8) >> 4)
            if 1 < W { output[o + 1] = UInt8((sums[0] * 3 + sums[1] + 7) >> 4) }
            for x in 1..<(width - 1) {
              let a = 2 * x
              if a < W { output[o + a] = UInt8((sums[x] * 3 + sums[x - 1] + 8) >> 4) }
              if a + 1 < W { output[o + a + 1] = UInt8((sums[x] * 3 + sums[x + 1] + 7) >> 4) }
            }
            let last = width - 1
            if 2 * last < W { output[o + 2 * last] = UInt8((sums[last] * 3 + sums[last - 1] + 8) >> 4) }
            if 2 * last + 1 < W { output[o + 2 * last + 1] = UInt8((sums[last] * 4 + 7) >> 4) }
          }
        } else {
          for y in 0..<outputHeight {
            let row = (y / vFactor) * stride
            for x in 0..<W { output[y * W + x] = input[row + x / hFactor] }
          }
        }
      }
    }
    return out
  }

  /// One row of `h2v1_fancy_upsample`: `count` (> 2) samples to `2 · count`.
  @inline(__always) private static func fancyRow(
    _ row: UnsafePointer<UInt8>, count: Int, _ emit: (Int, UInt8) -> Void
  ) {
    var value = Int(row[0])
    emit(0, UInt8(value))
    emit(1, UInt8((value * 3 + Int(row[1]) + 2) >> 2))
    for x in 1..<(count - 1) {
      value = Int(row[x]) * 3
      emit(2 * x, UInt8((value + Int(row[x - 1]) + 1) >> 2))
      emit(2 * x + 1, UInt8((value + Int(row[x + 1]) + 2) >> 2))
    }
    value = Int(row[count - 1])
    emit(2 * count - 2, UInt8((value * 3 + Int(row[count - 2]) + 1) >> 2))
    emit(2 * count - 1, UInt8(value))
  }

  /// jdcolor.c's tables: `FIX(x) = round(x · 2^16)`, indexed by the chroma sample.
  private static let tables: (crR: [Int32], cbB: [Int32], crG: [Int32], cbG: [Int32]) = {
    var crR = [Int32](repeating: 0, count: 256)
    var cbB = crR
    var crG = crR
    var cbG = crR
    let half: Int64 = 1 << 15
    func fix(_ x: Double) -> Int64 { Int64(x * 65536 + 0.5) }
    for i in 0..<256 {
      let x = Int64(i - 128)
      crR[i] = Int32((fix(1.40200) * x + half) >> 16)
      cbB[i] = Int32((fix(1.77200) * x + half) >> 16)
      crG[i] = Int32(-fix(0.71414) * x)
      cbG[i] = Int32(-fix(0.34414) * x + half)
    }
    return (crR, cbB, crG, cbG)
  }()

  /// YCbCr → interleaved RGB with libjpeg's tables (`ycc_rgb_convert`).
  static func yccToRGB(_ y: [UInt8], _ cb: [UInt8], _ cr: [UInt8], into pixels: inout [UInt8]) {
    let t = tables
    @inline(__always) func clamp(_ v: Int32) -> UInt8 { UInt8(v < 0 ? 0 : (v > 255 ? 255 : v)) }
    y.withUnsafeBufferPointer { y in
      cb.withUnsafeBufferPointer { cb in
        cr.withUnsafeBufferPointer { cr in
          t.crR.withUnsafeBufferPointer { crR in
            t.cbB.withUnsafeBufferPointer { cbB in
              t.crG.withUnsafeBufferPointer { crG in
                t.cbG.withUnsafeBufferPointer { cbG in
                  pixels.withUnsafeMutableBufferPointer { out in
                    for i in 0..<y.count {
                      let luma = Int32(y[i])
                      let b = Int(cb[i])
                      let r = Int(cr[i])
                      out[3 * i] = clamp(luma + crR[r])
                      out[3 * i + 1] = clamp(luma + ((cbG[b] + crG[r]) >> 16))
                      out[3 * i + 2] = clamp(luma + cbB[b])
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
