/// Pillow's antialiased bilinear resize (`Image.resize(size, Image.BILINEAR)`, `ImagingResample`
/// in Pillow's `Resample.c`), reproduced bit for bit on 8-bit RGB.
///
/// For each output column the triangle filter is centred at `(x + 0.5) · scale` in the input,
/// its support widened to `scale` when downscaling (`scale = in / out`, at least 1), the weights
/// normalized to sum 1 in double precision and then rounded to fixed point with 22 fraction
/// bits; each pass accumulates from `2^21` (rounding) and clips `sum >> 22` to 0…255. Rows are
/// resized first (horizontal pass over the input rows the vertical pass needs), then columns.
public enum Resample {
  static let precisionBits = 22

  /// Fixed-point filter taps for one axis: for output i, `count[i]` weights starting at input
  /// `start[i]`, stored at `weights[i · taps ..< i · taps + count[i]]`.
  struct Coefficients {
    var start: [Int]
    var count: [Int]
    var taps: Int
    var weights: [Int32]

    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter.
    init(inputSize: Int, outputSize: Int) {
      let scale = Double(inputSize) / Double(outputSize)
      let filterScale = max(scale, 1)
      let support = 1.0 * filterScale
      taps = Int(support.rounded(.up)) * 2 + 1
      start = []
      count = []
      weights = [Int32](repeating: 0, count: outputSize * taps)
      var k = [Double](repeating: 0, count: taps)
      for output in 0..<outputSize {
        let center = (Double(output) + 0.5) * scale
        let inverse = 1.0 / filterScale
        var low = Int(center - support + 0.5)  // C truncation, as Pillow
        if low < 0 { low = 0 }
        var high = Int(center + support + 0.5)
        if high > inputSize { high = inputSize }
        let n = max(high - low, 0)
        var sum = 0.0
        for x in 0..<n {
          var t = (Double(x + low) - center + 0.5) * inverse
          if t < 0 { t = -t }
          let w = t < 1 ? 1 - t : 0
          k[x] = w
          sum += w
        }
        for x in 0..<n {
          let w = sum != 0 ? k[x] / sum : k[x]
          let scaled = w * Double(1 << Resample.precisionBits)
          weights[output * taps + x] = Int32(w < 0 ? -0.5 + scaled : 0.5 + scaled)
        }
        start.append(low)
        count.append(n)
      }
    }
  }

  @inline(__always) static func clip8(_ value: Int32) -> UInt8 {
    let shifted = value >> Int32(precisionBits)
    return UInt8(shifted < 0 ? 0 : (shifted > 255 ? 255 : shifted))
  }

  /// Resizes `image` to `width × height` as Pillow's bilinear `resize` (a copy when the size is
  /// unchanged).
  ///
  /// Shapes: input (H, W, 3) → output (height, width, 3); `width` and `height` ≥ 1.
  /// - Complexity: O((W · H + width · H′) · taps), H′ the input rows used.
  public static func bilinear(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
    precondition(width > 0 && height > 0, "resize to an empty image")
    if width == image.width && height == image.height { return image }
    let horizontal = Coefficients(inputSize: image.width, outputSize: width)
    var vertical = Coefficients(inputSize: image.height, outputSize: height)
    var source = image
    if width != image.width {
      // Only the rows the vertical pass reads.
      let first = vertical.start[0]
      let last = vertical.start[height - 1] + vertical.count[height - 1]
      for i in 0..<height { vertical.start[i] -= first }
      source = resizeRows(image, rows: first..<last, horizontal, width: width)
    }
    if height != image.height {
      source = resizeColumns(source, vertical, height: height)
    }
    return source
  }

  // input rows `rows` of (H, W, 3) → (rows.count, width, 3)
  static func resizeRows(
    _ image: RGBImage, rows: Range<Int>, _ c: Coefficients, width: Int
  ) -> RGBImage {
    var out = [UInt8](repeating: 0, count: rows.count * width * 3)
    let inputWidth = image.width
    let half = Int32(1 << (precisionBits - 1))
    image.pixels.withUnsafeBufferPointer { input in
      c.weights.withUnsafeBufferPointer { weights in
        out.withUnsafeMutableBufferPointer { output in
          for (row, y) in rows.enumerated() {
            let line = input.baseAddress! + y * inputWidth * 3
            let target = output.baseAddress! + row * width * 3
            for x in 0..<width {
              let start = c.start[x]
              let k = weights.baseAddress! + x * c.taps
              var s0 = half
              var s1 = half
              var s2 = half
              var p = line + start * 3
              for tap in 0..<c.count[x] {
                let w = k[tap]
                s0 &+= Int32(p[0]) &* w
                s1 &+= Int32(p[1]) &* w
                s2 &+= Int32(p[2]) &* w
                p += 3
              }
              target[3 * x] = clip8(s0)
              target[3 * x + 1] = clip8(s1)
              target[3 * x + 2] = clip8(s2)
            }
          }
        }
      }
    }
    return RGBImage(width: width, height: rows.count, pixels: out)
  }

  // (H, W, 3) → (height, W, 3)
  static func resizeColumns(_ image: RGBImage, _ c: Coefficients, height: Int) -> RGBImage {
    let rowLength = image.width * 3
    var out = [UInt8](repeating: 0, count: height * rowLength)
    let half = Int32(1 << (precisionBits - 1))
    var sums = [Int32](repeating: 0, count: rowLength)
    image.pixels.withUnsafeBufferPointer { input in
      c.weights.withUnsafeBufferPointer { weights in
        out.withUnsafeMutableBufferPointer { output in
          sums.withUnsafeMutableBufferPointer { sums in
            for y in 0..<height {
              for i in 0..<rowLength { sums[i] = half }
              let k = weights.baseAddress! + y * c.taps
              for tap in 0..<c.count[y] {
                let w = k[tap]
                let line = input.baseAddress! + (c.start[y] + tap) * rowLength
                for i in 0..<rowLength { sums[i] &+= Int32(line[i]) &* w }
              }
              let target = output.baseAddress! + y * rowLength
              for i in 0..<rowLength { target[i] = clip8(sums[i]) }
            }
          }
        }
      }
    }
    return RGBImage(width: image.width, height: height, pixels: out)
  }
}

/// torchvision's evaluation transform on a PIL image, before `ToTensor` and `Normalize`:
/// `Resize(resize)` (shorter side to `resize`, the longer side `int(resize · long / short)`,
/// Pillow's antialiased bilinear) then `CenterCrop(crop)` (offsets `int(round((size − crop) /
/// 2))` with Python's round-half-to-even; zero padding when the image is smaller than the crop).
/// `ToTensor` (÷255) and the normalization happen when a batch is written
/// (`ImageDataset.writeBatch`).
public struct EvaluationTransform: Sendable, Equatable, CustomStringConvertible {
  /// The shorter side after resizing, or nil for no resize.
  public var resize: Int?
  /// The side of the square centre crop, or nil for no crop.
  public var crop: Int?

  /// Creates a transform; sizes must be positive.
  public init(resize: Int?, crop: Int?) {
    precondition((resize ?? 1) > 0 && (crop ?? 1) > 0, "transform sizes must be positive")
    self.resize = resize
    self.crop = crop
  }

  /// "Resize(256) → CenterCrop(224)", or "none".
  public var description: String {
    var parts: [String] = []
    if let resize { parts.append("Resize(\(resize))") }
    if let crop { parts.append("CenterCrop(\(crop))") }
    return parts.isEmpty ? "none" : parts.joined(separator: " → ")
  }

  /// The size `Resize(resize)` gives an image of `width × height` (torchvision's
  /// `_compute_resized_output_size` for one requested size).
  public static func resizedSize(width: Int, height: Int, shorter: Int) -> (width: Int, height: Int) {
    let (short, long) = width <= height ? (width, height) : (height, width)
    let newLong = Int(Double(shorter * long) / Double(short))
    return width <= height ? (shorter, newLong) : (newLong, shorter)
  }

  /// Applies resize then centre crop.
  /// - Complexity: O(input pixels + output pixels) times the filter length.
  public func apply(_ image: RGBImage) -> RGBImage {
    var result = image
    if let resize {
      let size = Self.resizedSize(width: image.width, height: image.height, shorter: resize)
      result = Resample.bilinear(result, width: size.width, height: size.height)
    }
    if let crop { result = Self.centerCrop(result, size: crop) }
    return result
  }

  /// torchvision's `center_crop` on a PIL image (zero padding first when it is smaller).
  public static func centerCrop(_ image: RGBImage, size: Int) -> RGBImage {
    var image = image
    if size > image.width || size > image.height {
      let left = size > image.width ? (size - image.width) / 2 : 0
      let top = size > image.height ? (size - image.height) / 2 : 0
      let newWidth = max(size, image.width)
      let newHeight = max(size, image.height)
      var padded = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
      for y in 0..<image.height {
        let from = y * image.width * 3
        let to = ((y + top) * newWidth + left) * 3
        padded.replaceSubrange(to..<(to + image.width * 3), with: image.pixels[from..<(from + image.width * 3)])
      }
      image = RGBImage(width: newWidth, height: newHeight, pixels: padded)
      if newWidth == size && newHeight == size { return image }
    }
    let top = Int((Double(image.height - size) / 2).rounded(.toNearestOrEven))
    let left = Int((Double(image.width - size) / 2).rounded(.toNearestOrEven))
    var out = [UInt8](repeating: 0, count: size * size * 3)
    for y in 0..<size {
      let from = ((y + top) * image.width + left) * 3
      out.replaceSubrange((y * size * 3)..<((y + 1) * size * 3), with: image.pixels[from..<(from + size * 3)])
    }
    return RGBImage(width: size, height: size, pixels: out)
  }
}
