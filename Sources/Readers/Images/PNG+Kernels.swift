/// PNG scanline reconstruction: Adam7 pass geometry, filters 0–4, and conversion of every
/// colour type and depth to 8-bit RGB (see `PNG` for the mapping).
enum PNGKernels {
  /// One interlace pass: its size and where its pixels go in the image.
  struct Pass {
    var width: Int
    var height: Int
    var x0: Int
    var y0: Int
    var dx: Int
    var dy: Int
  }

  /// The 7 Adam7 passes, or one pass covering the image.
  static func passes(width: Int, height: Int, interlaced: Bool) -> [Pass] {
    guard interlaced else { return [Pass(width: width, height: height, x0: 0, y0: 0, dx: 1, dy: 1)] }
    let geometry = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    return geometry.map { x0, y0, dx, dy in
      Pass(
        width: width > x0 ? (width - x0 + dx - 1) / dx : 0,
        height: height > y0 ? (height - y0 + dy - 1) / dy : 0, x0: x0, y0: y0, dx: dx, dy: dy)
    }
  }

  /// zlib's Adler-32 of `bytes`.
  static func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    var index = 0
    while index < bytes.count {
      let end = min(index + 5552, bytes.count)
      while index < end {
        a &+= UInt32(bytes[index])
        b &+= a
        index += 1
      }
      a %= 65521
      b %= 65521
    }
    return b << 16 | a
  }

  /// Unfilters every pass of `raw` and writes the pixels, converted to RGB, into the image.
  /// - Throws: `ImageError.invalidData` for a filter type above 4.
  static func reconstruct(
    _ raw: [UInt8], passes: [Pass], width: Int, height: Int, depth: Int, colorType: Int,
    channels: Int, palette: [UInt8], file: String, offset: Int
  ) throws -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    let bitsPerPixel = channels * depth
    let filterStride = max(1, bitsPerPixel / 8)
    // The palette padded to 256 entries with black.
    var lookup = [UInt8](repeating: 0, count: 768)
    for i in 0..<min(palette.count, 768) { lookup[i] = palette[i] }
    var position = 0
    for pass in passes where pass.width > 0 && pass.height > 0 {
      let rowBytes = (pass.width * bitsPerPixel + 7) / 8
      var previous = [UInt8](repeating: 0, count: rowBytes)
      var current = [UInt8](repeating: 0, count: rowBytes)
      for row in 0..<pass.height {
        let filter = raw[position]
        guard filter <= 4 else {
          throw ImageError.invalidData(
            file: file, offset: offset, expected: "a filter type 0…4 (scanline \(row) of the decompressed data)",
            found: "\(filter)")
        }
        let start = position + 1
        raw.withUnsafeBufferPointer { source in
          current.withUnsafeMutableBufferPointer { cur in
            previous.withUnsafeBufferPointer { prev in
              unfilter(Int(filter), source.baseAddress! + start, cur, prev, stride: filterStride)
            }
          }
        }
        position = start + rowBytes
        let y = pass.y0 + row * pass.dy
        current.withUnsafeBufferPointer { line in
          lookup.withUnsafeBufferPointer { lookup in
            pixels.withUnsafeMutableBufferPointer { out in
              for column in 0..<pass.width {
                let x = pass.x0 + column * pass.dx
                let o = (y * width + x) * 3
                let (r, g, b) = sample(line, column, depth: depth, colorType: colorType, lookup: lookup)
                out[o] = r
                out[o + 1] = g
                out[o + 2] = b
              }
            }
          }
        }
        swap(&previous, &current)
      }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }

  /// Undoes one scanline's filter: `cur[i] = raw[i] + predictor(a, b, c)`.
  @inline(__always) static func unfilter(
    _ filter: Int, _ source: UnsafePointer<UInt8>, _ cur: UnsafeMutableBufferPointer<UInt8>,
    _ prev: UnsafeBufferPointer<UInt8>, stride: Int
  ) {
    let n = cur.count
    switch filter {
    case 1:
      for i in 0..<n { cur[i] = source[i] &+ (i >= stride ? cur[i - stride] : 0) }
    case 2:
      for i in 0..<n { cur[i] = source[i] &+ prev[i] }
    case 3:
      for i in 0..<n {
        let a = i >= stride ? Int(cur[i - stride]) : 0
        cur[i] = source[i] &+ UInt8((a + Int(prev[i])) >> 1)
      }
    case 4:
      for i in 0..<n {
        let a = i >= stride ? Int(cur[i - stride]) : 0
        let b = Int(prev[i])
        let c = i >= stride ? Int(prev[i - stride]) : 0
        let p = a + b - c
        let pa = abs(p - a)
        let pb = abs(p - b)
        let pc = abs(p - c)
        let predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
        cur[i] = source[i] &+ UInt8(predictor)
      }
    default:
      for i in 0..<n { cur[i] = source[i] }
    }
  }

  /// Pixel `column` of an unfiltered scanline as Pillow's `convert("RGB")` gives it.
  @inline(__always) static func sample(
    _ line: UnsafeBufferPointer<UInt8>, _ column: Int, depth: Int, colorType: Int,
    lookup: UnsafeBufferPointer<UInt8>
  ) -> (UInt8, UInt8, UInt8) {
    switch (colorType, depth) {
    case (0, 16):
      let value = Int(line[2 * column]) << 8 | Int(line[2 * column + 1])
      let clipped = UInt8(min(value, 255))
      return (clipped, clipped, clipped)
    case (0, 8):
      let v = line[column]
      return (v, v, v)
    case (0, _):
      let v = packed(line, column, depth) * (255 / ((1 << depth) - 1))
      return (UInt8(v), UInt8(v), UInt8(v))
    case (3, _):
      let index = depth == 8 ? Int(line[column]) : packed(line, column, depth)
      return (lookup[3 * index], lookup[3 * index + 1], lookup[3 * index + 2])
    case (2, 8):
      return (line[3 * column], line[3 * column + 1], line[3 * column + 2])
    case (2, _):
      return (line[6 * column], line[6 * column + 2], line[6 * column + 4])
    case (4, 8):
      let v = line[2 * column]
      return (v, v, v)
    case (4, _):
      let v = line[4 * column]
      return (v, v, v)
    case (6, 8):
      return (line[4 * column], line[4 * column + 1], line[4 * column + 2])
    default:  // (6, 16)
      return (line[8 * column], line[8 * column + 2], line[8 * column + 4])
    }
  }

  /// The `depth`-bit (1, 2 or 4) sample `column`, most significant bits first.
  @inline(__always) static func packed(_ line: UnsafeBufferPointer<UInt8>, _ column: Int, _ depth: Int) -> Int {
    let bit = column * depth
    let byte = Int(line[bit >> 3])
    return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1)
  }
}
