#if canImport(Archives)
  // Absent when the fuzzer compiles Images, Archives and CRC32 as one module.
  import Archives
  import Basics
#endif

/// A PNG decoder (ISO/IEC 15948): every colour type and bit depth, palette, tRNS, Adam7
/// interlacing; chunk CRC-32s and the zlib Adler-32 (the
/// last four bytes of the IDAT data) are checked; ancillary chunks are skipped.
///
/// Output is 8-bit RGB exactly as `PIL.Image.open(file).convert("RGB")` (Pillow 13) gives it:
/// - alpha (colour types 4 and 6) and tRNS are dropped, not composited;
/// - grayscale of 1, 2, 4 bits is scaled to 0…255 (×255, ×85, ×17) and replicated;
/// - 16-bit RGB, RGBA and gray+alpha keep the high byte of each sample;
/// - 16-bit grayscale becomes Pillow's mode I;16, whose conversion to RGB *clips* each value to
///   255 (it does not scale): 0…254 stay, 255…65535 become 255;
/// - palette indices past the end of PLTE give black.
public enum PNG {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// True when `bytes` starts with the PNG signature.
  public static func isPNG(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 8 && Array(bytes[0..<8]) == signature
  }

  /// Decodes a PNG file to 8-bit RGB.
  /// - Throws: `ImageError` naming `file` and the byte offset of the problem.
  /// - Complexity: O(bytes + width × height).
  public static func decode(_ bytes: [UInt8], file: String) throws -> RGBImage {
    func truncated(_ at: Int, _ expected: String) -> ImageError {
      .truncated(file: file, offset: at, expected: expected)
    }
    func invalid(_ at: Int, _ expected: String, _ found: String) -> ImageError {
      .invalidData(file: file, offset: at, expected: expected, found: found)
    }
    func u32(_ at: Int) -> Int {
      Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
    }
    guard isPNG(bytes) else { throw invalid(0, "the PNG signature", "other bytes") }
    var position = 8
    var header: (width: Int, height: Int, depth: Int, colorType: Int, interlaced: Bool)?
    var palette: [UInt8] = []
    var compressed: [UInt8] = []
    var firstIDAT = 0
    var sawEnd = false
    while !sawEnd {
      guard position + 8 <= bytes.count else { throw truncated(bytes.count, "a chunk header at byte \(position)") }
      let length = u32(position)
      let typeBytes = Array(bytes[(position + 4)..<(position + 8)])
      let type = String(decoding: typeBytes, as: UTF8.self)
      guard length <= 0x7FFF_FFFF else { throw invalid(position, "a chunk length below 2^31", "\(length)") }
      let dataStart = position + 8
      guard dataStart + length + 4 <= bytes.count else {
        throw truncated(bytes.count, "\(length) bytes of chunk \(type) at byte \(position) and its CRC")
      }
      let stored = UInt32(truncatingIfNeeded: u32(dataStart + length))
      let computed = CRC32.checksum(bytes[(position + 4)..<(dataStart + length)])
      guard stored == computed else {
        throw ImageError.checksumMismatch(file: file, offset: dataStart + length, expected: stored, found: computed)
      }
      let data = bytes[dataStart..<(dataStart + length)]
      switch type {
      case "IHDR":
        guard header == nil, position == 8 else { throw invalid(position, "one IHDR, first", "IHDR at byte \(position)") }
        guard length == 13 else { throw invalid(dataStart, "a 13-byte IHDR", "\(length) bytes") }
        let width = u32(dataStart)
        let height = u32(dataStart + 4)
        let depth = Int(bytes[dataStart + 8])
        let colorType = Int(bytes[dataStart + 9])
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[colorType], depths.contains(depth) else {
          throw invalid(dataStart + 8, "a valid colour type and bit depth", "type \(colorType), depth \(depth)")
        }
        guard bytes[dataStart + 10] == 0, bytes[dataStart + 11] == 0, bytes[dataStart + 12] <= 1 else {
          throw invalid(dataStart + 10, "compression 0, filter 0, interlace 0 or 1",
            "\(bytes[dataStart + 10]), \(bytes[dataStart + 11]), \(bytes[dataStart + 12])")
        }
        try ImageLimits.check(width: width, height: height, file: file)
        header = (width, height, depth, colorType, bytes[dataStart + 12] == 1)
      case "PLTE":
        guard length % 3 == 0, length <= 768, length > 0 else {
          throw invalid(dataStart, "a palette of 1 to 256 RGB entries", "\(length) bytes")
        }
        palette = Array(data)
      case "IDAT":
        guard header != nil else { throw invalid(position, "IHDR before IDAT", "IDAT") }
        if compressed.isEmpty { firstIDAT = dataStart }
        compressed.append(contentsOf: data)
      case "IEND":
        sawEnd = true
      default:
        // Unknown critical chunks (upper-case first letter) cannot be ignored.
        if typeBytes[0] & 0x20 == 0 {
          throw ImageError.unsupported(file: file, offset: position, feature: "critical chunk \(type)")
        }
      }
      position = dataStart + length + 4
    }
    guard let header else { throw invalid(8, "an IHDR chunk", "none") }
    guard !compressed.isEmpty else { throw invalid(position, "image data (IDAT)", "none") }
    if header.colorType == 3 && palette.isEmpty {
      throw invalid(position, "a PLTE chunk for a palette image", "none")
    }

    // zlib wrapper (RFC 1950) around the DEFLATE stream.
    guard compressed.count >= 6 else { throw truncated(firstIDAT + compressed.count, "a zlib stream") }
    let cmf = Int(compressed[0])
    let flags = Int(compressed[1])
    guard cmf & 15 == 8, cmf >> 4 <= 7, (cmf << 8 | flags) % 31 == 0, flags & 0x20 == 0 else {
      throw invalid(firstIDAT, "a zlib header (deflate, no preset dictionary)", "0x\(String(cmf, radix: 16)) 0x\(String(flags, radix: 16))")
    }
    let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][header.colorType]!
    let bitsPerPixel = channels * header.depth
    let passes = PNGKernels.passes(width: header.width, height: header.height, interlaced: header.interlaced)
    var expected = 0
    for pass in passes where pass.width > 0 && pass.height > 0 {
      expected += pass.height * (1 + (pass.width * bitsPerPixel + 7) / 8)
    }
    // The scanlines' size is known from IHDR, so inflating stops just past it: a small IDAT that
    // expands to gigabytes (a decompression bomb) costs at most the image's own size. The margin
    // tolerates the few extra bytes some encoders leave after the last scanline, as libpng does.
    let scanlineLimit = expected + 65_536
    let raw: [UInt8]
    do {
      raw = try Inflate.decompress(Array(compressed[2...]), limit: scanlineLimit)
    } catch ArchiveError.tooLarge {
      throw invalid(
        firstIDAT, "\(expected) bytes of scanlines for a \(header.width)×\(header.height) image",
        "a zlib stream that inflates to more than \(scanlineLimit) bytes")
    } catch let error as ArchiveError {
      throw invalid(firstIDAT, "a valid zlib stream in IDAT", error.description)
    }
    // The Adler-32 of the scanlines: the last four bytes of the zlib stream.
    let storedAdler = compressed.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    let computedAdler = PNGKernels.adler32(raw)
    guard storedAdler == computedAdler else {
      throw ImageError.checksumMismatch(
        file: file, offset: firstIDAT, expected: storedAdler, found: computedAdler)
    }
    guard raw.count >= expected else {
      throw truncated(position, "\(expected) bytes of scanlines after decompression, found \(raw.count)")
    }
    return try PNGKernels.reconstruct(
      raw, passes: passes, width: header.width, height: header.height, depth: header.depth,
      colorType: header.colorType, channels: channels, palette: palette, file: file,
      offset: firstIDAT)
  }
}
