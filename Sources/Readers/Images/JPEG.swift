/// A JPEG decoder (ITU T.81): baseline and extended sequential Huffman (SOF0, SOF1) and
/// progressive Huffman (SOF2), 8-bit samples, 1 or 3 components, any integral sampling factors,
/// restart intervals, JFIF and Adobe markers.
///
/// Output equals libjpeg-turbo's with its default settings (as used by Pillow): the integer
/// "islow" inverse DCT (`jidctint.c`), "fancy" triangular upsampling for 2×1, 1×2 and 2×2 chroma
/// (`jdsample.c`; box replication for other integral factors) and YCbCr→RGB with libjpeg's 16-bit
/// fixed-point tables (`jdcolor.c`). CMYK/YCCK (4 components), 12-bit samples, arithmetic,
/// lossless and hierarchical coding are refused with `ImageError.unsupported`.
///
/// Unlike libjpeg, which warns and fills with zeros, entropy-coded data that runs into a marker
/// or the end of the file before a scan is complete is an error (truncated or corrupt file).
public enum JPEG {
  /// True when `bytes` starts with the JPEG SOI marker.
  public static func isJPEG(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
  }

  /// Decodes a JPEG file to 8-bit RGB (grayscale is replicated into the three channels, as
  /// `PIL.Image.convert("RGB")` does).
  ///
  /// - Throws: `ImageError` naming `file` and the byte offset of the problem.
  /// - Complexity: O(bytes + width × height).
  public static func decode(_ bytes: [UInt8], file: String) throws -> RGBImage {
    try bytes.withUnsafeBufferPointer { buffer in
      var decoder = JPEGDecoder(data: buffer, file: file)
      return try decoder.decode()
    }
  }
}

/// The zig-zag order, extended by 16 entries of 63 so that a corrupt run cannot index out of a
/// block (as libjpeg's `jpeg_natural_order`).
private let naturalOrder: [Int] = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
] + [Int](repeating: 63, count: 16)

/// A Huffman table with a 9-bit lookup for short codes and canonical limits for long ones.
final class JPEGHuffmanTable {
  static let lookupBits = 9
  /// `lookup[prefix] = length << 8 | symbol`, or 0 when the code is longer than `lookupBits`.
  let lookup: [UInt16]
  /// For each length 1…16: the largest code of that length + 1 (exclusive), or -1.
  let maxCode: [Int]
  /// For each length: index into `symbols` of the first code minus that code.
  let offset: [Int]
  let symbols: [UInt8]

  /// Builds the table from the DHT counts (`counts[l]` codes of length l + 1) and symbols.
  /// Returns nil when the counts describe more codes than fit (an over-subscribed code).
  init?(counts: [Int], symbols: [UInt8]) {
    var lookup = [UInt16](repeating: 0, count: 1 << JPEGHuffmanTable.lookupBits)
    var maxCode = [Int](repeating: -1, count: 18)
    var offset = [Int](repeating: 0, count: 17)
    var code = 0
    var index = 0
    for length in 1...16 {
      let count = counts[length - 1]
      offset[length] = index - code
      if count > 0 {
        if code + count > (1 << length) { return nil }
        for _ in 0..<count {
          if length <= JPEGHuffmanTable.lookupBits {
            let shift = JPEGHuffmanTable.lookupBits - length
            let entry = UInt16(length << 8) | UInt16(symbols[index])
            for fill in 0..<(1 << shift) { lookup[(code << shift) | fill] = entry }
          }
          code += 1
          index += 1
        }
        maxCode[length] = code
      }
      code <<= 1
    }
    self.lookup = lookup
    self.maxCode = maxCode
    self.offset = offset
    self.symbols = symbols
  }
}

/// Zero-filled coefficient storage shared by reference, so that a scan can write blocks while
/// the decoder's other state changes.
private final class CoefficientBuffer {
  let pointer: UnsafeMutablePointer<Int16>
  let count: Int

  init(count: Int) {
    self.count = count
    pointer = .allocate(capacity: max(count, 1))
    pointer.initialize(repeating: 0, count: max(count, 1))
  }

  deinit { pointer.deallocate() }
}

private struct Component {
  var id: Int
  var h: Int
  var v: Int
  var quantTable: Int
  /// Samples per row and rows of this component (`ceil(W · h / hmax)` × `ceil(H · v / vmax)`).
  var width = 0
  var height = 0
  /// Blocks per row and column in the coefficient buffer (padded to whole MCUs).
  var blocksPerLine = 0
  var blocksPerColumn = 0
  /// `blocksPerLine × blocksPerColumn × 64` quantized coefficients, natural order.
  var coefficients = CoefficientBuffer(count: 0)
  var dcTable = 0
  var acTable = 0
  var dcPrediction = 0
}

/// Reads entropy-coded bits: byte stuffing removed, stopping at a marker (zeros are fed after
/// it, and counted, so that reading past it can be reported).
private struct BitReader {
  let data: UnsafeBufferPointer<UInt8>
  var position: Int
  var buffer: UInt64 = 0
  var count = 0
  /// Zero bits appended after a marker or the end of data.
  var fakeBits = 0
  var markerReached = false

  init(data: UnsafeBufferPointer<UInt8>, position: Int) {
    self.data = data
    self.position = position
  }

  @inline(__always) mutating func fill() {
    while count <= 56 {
      var byte: UInt64 = 0
      if markerReached || position >= data.count {
        markerReached = true
        fakeBits += 8
      } else {
        let b = data[position]
        if b == 0xFF {
          let next = position + 1 < data.count ? data[position + 1] : 0xD9
          if next == 0 {
            byte = 0xFF
            position += 2
          } else if next == 0xFF {
            // Fill bytes before a marker: skip one and look again.
            position += 1
            continue
          } else {
            markerReached = true
            fakeBits += 8
          }
        } else {
          byte = UInt64(b)
          position += 1
        }
      }
      buffer |= byte << UInt64(56 - count)
      count += 8
    }
  }

  @inline(__always) mutating func bits(_ n: Int) -> Int {
    if n == 0 { return 0 }
    if count < n { fill() }
    let value = Int(buffer >> UInt64(64 - n))
    buffer <<= UInt64(n)
    count -= n
    return value
  }

  @inline(__always) mutating func bit() -> Int { bits(1) }

  /// Reads `n` bits and sign-extends them as JPEG's EXTEND does.
  @inline(__always) mutating func receiveExtend(_ n: Int) -> Int {
    if n == 0 { return 0 }
    let value = bits(n)
    return value < (1 << (n - 1)) ? value - (1 << n) + 1 : value
  }

  @inline(__always) mutating func decode(_ table: JPEGHuffmanTable) -> Int? {
    if count < 16 { fill() }
    let peek = Int(buffer >> UInt64(64 - JPEGHuffmanTable.lookupBits))
    let entry = table.lookup[peek]
    if entry != 0 {
      let length = Int(entry >> 8)
      buffer <<= UInt64(length)
      count -= length
      return Int(entry & 0xFF)
    }
    let code16 = Int(buffer >> 48)
    var length = JPEGHuffmanTable.lookupBits + 1
    while length <= 16 {
      let code = code16 >> (16 - length)
      if code < table.maxCode[length] {
        buffer <<= UInt64(length)
        count -= length
        let index = code + table.offset[length]
        return index >= 0 && index < table.symbols.count ? Int(table.symbols[index]) : nil
      }
      length += 1
    }
    return nil
  }

  /// True when more bits were consumed than the data held before the marker.
  var overran: Bool { fakeBits > count }

  /// Drops the remaining bits of the current byte and everything buffered.
  mutating func reset() {
    buffer = 0
    count = 0
    fakeBits = 0
    markerReached = false
  }
}

private struct JPEGDecoder {
  let data: UnsafeBufferPointer<UInt8>
  let file: String
  var position = 0
  var quantTables = [[Int32]](repeating: [], count: 4)
  var dcTables = [JPEGHuffmanTable?](repeating: nil, count: 4)
  var acTables = [JPEGHuffmanTable?](repeating: nil, count: 4)
  var components: [Component] = []
  var width = 0
  var height = 0
  var progressive = false
  var restartInterval = 0
  var sawJFIF = false
  var adobeTransform: Int? = nil
  var hMax = 1
  var vMax = 1
  var mcusPerLine = 0
  var mcusPerColumn = 0
  var eobRun = 0
  var scanNumber = 0

  init(data: UnsafeBufferPointer<UInt8>, file: String) {
    self.data = data
    self.file = file
  }

  func truncated(_ at: Int, _ expected: String) -> ImageError {
    .truncated(file: file, offset: at, expected: expected)
  }

  func invalid(_ at: Int, _ expected: String, _ found: String) -> ImageError {
    .invalidData(file: file, offset: at, expected: expected, found: found)
  }

  func u16(_ at: Int) -> Int { Int(data[at]) << 8 | Int(data[at + 1]) }

  mutating func decode() throws -> RGBImage {
    guard data.count >= 2, data[0] == 0xFF, data[1] == 0xD8 else {
      throw invalid(0, "the JPEG start-of-image marker FF D8", "other bytes")
    }
    position = 2
    var frameSeen = false
    while true {
      // Find the next marker (skipping fill bytes).
      guard position < data.count else { throw truncated(position, "a marker") }
      guard data[position] == 0xFF else {
        throw invalid(position, "a marker (FF xx)", "byte 0x\(String(data[position], radix: 16))")
      }
      while position < data.count && data[position] == 0xFF { position += 1 }
      guard position < data.count else { throw truncated(position, "a marker code") }
      let marker = Int(data[position])
      let markerOffset = position - 1
      position += 1
      switch marker {
      case 0xD9:  // EOI
        guard frameSeen, scanNumber > 0 else { throw truncated(markerOffset, "a frame and a scan before EOI") }
        return try finish()
      case 0xD0...0xD7, 0x01:
        continue  // stray RST or TEM: no length
      default:
        break
      }
      guard position + 2 <= data.count else { throw truncated(position, "a segment length") }
      let length = u16(position)
      guard length >= 2 else { throw invalid(position, "a segment length ≥ 2", "\(length)") }
      let start = position + 2
      let end = position + length
      guard end <= data.count else {
        throw truncated(data.count, "\(length)-byte segment of marker 0xFF\(String(marker, radix: 16, uppercase: true)) at byte \(markerOffset)")
      }
      switch marker {
      case 0xC0, 0xC1, 0xC2:
        guard !frameSeen else { throw invalid(markerOffset, "one frame header", "a second SOF") }
        try readFrame(start, end, progressive: marker == 0xC2)
        frameSeen = true
      case 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
        let kind: String
        switch marker {
        case 0xC3: kind = "lossless JPEG (SOF3)"
        case 0xC5, 0xC6, 0xC7: kind = "hierarchical JPEG (SOF\(marker - 0xC0))"
        default: kind = "arithmetic coding (SOF\(marker - 0xC0))"
        }
        throw ImageError.unsupported(file: file, offset: markerOffset, feature: kind)
      case 0xC4: try readJPEGHuffmanTables(start, end)
      case 0xCC:
        throw ImageError.unsupported(file: file, offset: markerOffset, feature: "arithmetic coding (DAC)")
      case 0xDB: try readQuantTables(start, end)
      case 0xDD:
        guard length == 4 else { throw invalid(start, "a 4-byte DRI segment", "\(length) bytes") }
        restartInterval = u16(start)
      case 0xDA:
        guard frameSeen else { throw invalid(markerOffset, "a frame header (SOF) before the scan", "SOS") }
        position = end
        try readScan(start, end)
        scanNumber += 1
        continue
      case 0xE0:
        if end - start >= 5, data[start] == 0x4A, data[start + 1] == 0x46, data[start + 2] == 0x49,
          data[start + 3] == 0x46, data[start + 4] == 0
        {
          sawJFIF = true
        }
      case 0xEE:
        if end - start >= 12, data[start] == 0x41, data[start + 1] == 0x64, data[start + 2] == 0x6F,
          data[start + 3] == 0x62, data[start + 4] == 0x65
        {
          adobeTransform = Int(data[start + 11])
        }
      case 0xDC:
        throw ImageError.unsupported(file: file, offset: markerOffset, feature: "DNL marker")
      default:
        break  // APPn, COM and others: skipped
      }
      position = end
    }
  }

  mutating func readFrame(_ start: Int, _ end: Int, progressive: Bool) throws {
    self.progressive = progressive
    guard end - start >= 6 else { throw truncated(end, "a 6-byte frame header") }
    let precision = Int(data[start])
    guard precision == 8 else {
      throw ImageError.unsupported(file: file, offset: start, feature: "\(precision)-bit samples")
    }
    height = u16(start + 1)
    width = u16(start + 3)
    guard height > 0 else {
      throw ImageError.unsupported(file: file, offset: start + 1, feature: "height 0 (defined by a DNL marker)")
    }
    try ImageLimits.check(width: width, height: height, file: file)
    let count = Int(data[start + 5])
    guard count == 1 || count == 3 else {
      let feature = count == 4 ? "4 components (CMYK or YCCK)" : "\(count) components"
      throw ImageError.unsupported(file: file, offset: start + 5, feature: feature)
    }
    guard end - start >= 6 + 3 * count else { throw truncated(end, "\(count) component specifications") }
    for index in 0..<count {
      let at = start + 6 + 3 * index
      let h = Int(data[at + 1] >> 4)
      let v = Int(data[at + 1] & 15)
      guard (1...4).contains(h), (1...4).contains(v) else {
        throw invalid(at + 1, "sampling factors in 1...4", "\(h)×\(v)")
      }
      let table = Int(data[at + 2])
      guard table < 4 else { throw invalid(at + 2, "a quantization table 0...3", "\(table)") }
      components.append(Component(id: Int(data[at]), h: h, v: v, quantTable: table))
    }
    hMax = components.map(\.h).max()!
    vMax = components.map(\.v).max()!
    mcusPerLine = (width + 8 * hMax - 1) / (8 * hMax)
    mcusPerColumn = (height + 8 * vMax - 1) / (8 * vMax)
    for index in components.indices {
      var c = components[index]
      c.width = (width * c.h + hMax - 1) / hMax
      c.height = (height * c.v + vMax - 1) / vMax
      c.blocksPerLine = mcusPerLine * c.h
      c.blocksPerColumn = mcusPerColumn * c.v
      c.coefficients = CoefficientBuffer(count: c.blocksPerLine * c.blocksPerColumn * 64)
      components[index] = c
    }
  }

  mutating func readQuantTables(_ start: Int, _ end: Int) throws {
    var at = start
    while at < end {
      let precision = Int(data[at] >> 4)
      let id = Int(data[at] & 15)
      guard id < 4, precision < 2 else { throw invalid(at, "a table 0...3 of precision 0 or 1", "\(id), \(precision)") }
      let size = precision == 0 ? 64 : 128
      guard at + 1 + size <= end else { throw truncated(end, "a \(size)-byte quantization table") }
      var table = [Int32](repeating: 0, count: 64)
      for k in 0..<64 {
        let value = precision == 0 ? Int(data[at + 1 + k]) : u16(at + 1 + 2 * k)
        table[naturalOrder[k]] = Int32(value)
      }
      quantTables[id] = table
      at += 1 + size
    }
  }

  mutating func readJPEGHuffmanTables(_ start: Int, _ end: Int) throws {
    var at = start
    while at < end {
      guard at + 17 <= end else { throw truncated(end, "a Huffman table header") }
      let tableClass = Int(data[at] >> 4)
      let id = Int(data[at] & 15)
      guard tableClass < 2, id < 4 else { throw invalid(at, "class 0/1 and table 0...3", "\(tableClass), \(id)") }
      let counts = (0..<16).map { Int(data[at + 1 + $0]) }
      let total = counts.reduce(0, +)
      guard total <= 256 else { throw invalid(at + 1, "at most 256 codes", "\(total)") }
      guard at + 17 + total <= end else { throw truncated(end, "\(total) Huffman symbols") }
      let symbols = Array(data[(at + 17)..<(at + 17 + total)])
      guard let table = JPEGHuffmanTable(counts: counts, symbols: symbols) else {
        throw invalid(at + 1, "code counts that form a prefix code", "too many codes")
      }
      if tableClass == 0 { dcTables[id] = table } else { acTables[id] = table }
      at += 17 + total
    }
  }

  mutating func readScan(_ start: Int, _ end: Int) throws {
    guard end - start >= 1 else { throw truncated(end, "a scan header") }
    let count = Int(data[start])
    guard count >= 1, count <= 4, end - start >= 4 + 2 * count else {
      throw invalid(start, "1 to 4 scan components and a complete header", "\(count)")
    }
    var scanComponents: [Int] = []
    for index in 0..<count {
      let at = start + 1 + 2 * index
      guard let c = components.firstIndex(where: { $0.id == Int(data[at]) }) else {
        throw invalid(at, "a component id of the frame", "\(data[at])")
      }
      components[c].dcTable = Int(data[at + 1] >> 4)
      components[c].acTable = Int(data[at + 1] & 15)
      guard components[c].dcTable < 4, components[c].acTable < 4 else {
        throw invalid(at + 1, "Huffman tables 0...3", "\(data[at + 1])")
      }
      scanComponents.append(c)
    }
    let at = start + 1 + 2 * count
    let ss = Int(data[at])
    let se = Int(data[at + 1])
    let ah = Int(data[at + 2] >> 4)
    let al = Int(data[at + 2] & 15)
    if progressive {
      let valid = (ss == 0 ? se == 0 : (se >= ss && se <= 63 && count == 1)) && ah <= 13 && al <= 13
      guard valid else { throw invalid(at, "a valid progressive scan (Ss, Se, Ah, Al)", "\(ss), \(se), \(ah), \(al)") }
    } else {
      guard ss == 0, se == 63, ah == 0, al == 0 else {
        throw invalid(at, "Ss=0, Se=63, Ah=Al=0 in a sequential scan", "\(ss), \(se), \(ah), \(al)")
      }
    }
    // The tables this scan needs must exist.
    for c in scanComponents {
      let needsDC = !progressive || ss == 0
      let needsAC = !progressive || ss > 0
      if needsDC && (!progressive || ah == 0) && dcTables[components[c].dcTable] == nil {
        throw invalid(start, "a DC Huffman table \(components[c].dcTable) defined before the scan", "none")
      }
      if needsAC && acTables[components[c].acTable] == nil {
        throw invalid(start, "an AC Huffman table \(components[c].acTable) defined before the scan", "none")
      }
      if quantTables[components[c].quantTable].isEmpty {
        throw invalid(start, "quantization table \(components[c].quantTable) defined before the scan", "none")
      }
    }
    for c in components.indices { components[c].dcPrediction = 0 }
    eobRun = 0

    var reader = BitReader(data: data, position: end)
    let single = scanComponents.count == 1
    let unitsPerLine: Int
    let unitCount: Int
    if single {
      let c = components[scanComponents[0]]
      unitsPerLine = (c.width + 7) / 8
      unitCount = unitsPerLine * ((c.height + 7) / 8)
    } else {
      unitsPerLine = mcusPerLine
      unitCount = mcusPerLine * mcusPerColumn
    }
    var restartsLeft = restartInterval
    var expectedRestart = 0
    // Sequential scans take a fast path with the tables and buffers looked up once.
    let sequential: [BaselineComponent]? =
      progressive
      ? nil
      : scanComponents.map { c in
        BaselineComponent(
          coefficients: components[c].coefficients.pointer, blocksPerLine: components[c].blocksPerLine,
          h: components[c].h, v: components[c].v, dc: dcTables[components[c].dcTable]!,
          ac: acTables[components[c].acTable]!)
      }
    var predictions = [Int](repeating: 0, count: scanComponents.count)
    for unit in 0..<unitCount {
      if restartInterval > 0 {
        if restartsLeft == 0 {
          try checkOverrun(reader)
          // Expect RSTn at the reader's position.
          var p = reader.position
          while p < data.count && data[p] == 0xFF && p + 1 < data.count && data[p + 1] == 0xFF { p += 1 }
          guard p + 1 < data.count else { throw truncated(data.count, "restart marker RST\(expectedRestart)") }
          guard data[p] == 0xFF, data[p + 1] == 0xD0 + UInt8(expectedRestart) else {
            throw invalid(p, "restart marker RST\(expectedRestart)", "0x\(String(data[p], radix: 16)) 0x\(String(data[p + 1], radix: 16))")
          }
          expectedRestart = (expectedRestart + 1) & 7
          reader = BitReader(data: data, position: p + 2)
          for c in components.indices { components[c].dcPrediction = 0 }
          for i in predictions.indices { predictions[i] = 0 }
          eobRun = 0
          restartsLeft = restartInterval
        }
        restartsLeft -= 1
      }
      if let sequential {
        if single {
          let component = sequential[0]
          let block = (unit / unitsPerLine) * component.blocksPerLine + unit % unitsPerLine
          guard JPEGDecoder.decodeBaselineBlock(component, block, &predictions[0], &reader) else {
            throw corrupt(reader)
          }
        } else {
          let mcuRow = unit / mcusPerLine
          let mcuColumn = unit % mcusPerLine
          for (i, component) in sequential.enumerated() {
            for by in 0..<component.v {
              for bx in 0..<component.h {
                let block = (mcuRow * component.v + by) * component.blocksPerLine + mcuColumn * component.h + bx
                guard JPEGDecoder.decodeBaselineBlock(component, block, &predictions[i], &reader) else {
                  throw corrupt(reader)
                }
              }
            }
          }
        }
      } else if single {
        let c = scanComponents[0]
        let row = unit / unitsPerLine
        let column = unit % unitsPerLine
        try decodeBlock(c, row * components[c].blocksPerLine + column, &reader, ss, se, ah, al)
      } else {
        let mcuRow = unit / mcusPerLine
        let mcuColumn = unit % mcusPerLine
        for c in scanComponents {
          let h = components[c].h
          let v = components[c].v
          for by in 0..<v {
            for bx in 0..<h {
              let row = mcuRow * v + by
              let column = mcuColumn * h + bx
              try decodeBlock(c, row * components[c].blocksPerLine + column, &reader, ss, se, ah, al)
            }
          }
        }
      }
    }
    try checkOverrun(reader)
    // Continue after the entropy-coded data: at the marker that ended it.
    var p = reader.position
    while p < data.count && !(data[p] == 0xFF && p + 1 < data.count && data[p + 1] != 0 && !(0xD0...0xD7).contains(data[p + 1]) && data[p + 1] != 0xFF) {
      p += 1
    }
    position = p
  }

  func checkOverrun(_ reader: BitReader) throws {
    if reader.overran {
      if reader.position >= data.count {
        throw truncated(data.count, "entropy-coded data of scan \(scanNumber + 1)")
      }
      throw invalid(reader.position, "entropy-coded data of scan \(scanNumber + 1)", "a marker before its end (corrupt data)")
    }
  }

  func corrupt(_ reader: BitReader) -> ImageError {
    invalid(reader.position, "a valid Huffman code in scan \(scanNumber + 1)", "an undefined code (corrupt data)")
  }

  /// What a sequential scan needs of one component.
  struct BaselineComponent {
    var coefficients: UnsafeMutablePointer<Int16>
    var blocksPerLine: Int
    var h: Int
    var v: Int
    var dc: JPEGHuffmanTable
    var ac: JPEGHuffmanTable
  }

  /// Decodes one block of a sequential scan; false for an undefined Huffman code.
  @inline(__always) static func decodeBaselineBlock(
    _ component: BaselineComponent, _ block: Int, _ prediction: inout Int, _ reader: inout BitReader
  ) -> Bool {
    let coefficients = component.coefficients + block * 64
    guard let t = reader.decode(component.dc), t <= 16 else { return false }
    prediction += reader.receiveExtend(t)
    coefficients[0] = Int16(truncatingIfNeeded: prediction)
    var k = 1
    let ac = component.ac
    while k < 64 {
      guard let rs = reader.decode(ac) else { return false }
      let r = rs >> 4
      let s = rs & 15
      if s == 0 {
        if r != 15 { break }
        k += 16
        continue
      }
      k += r
      coefficients[naturalOrder[min(k, 79)]] = Int16(truncatingIfNeeded: reader.receiveExtend(s))
      k += 1
    }
    return true
  }

  /// Decodes one block's share of a progressive scan (spectral range `ss...se`, successive
  /// approximation `ah`/`al`); sequential scans use `decodeBaselineBlock`.
  mutating func decodeBlock(
    _ c: Int, _ block: Int, _ reader: inout BitReader, _ ss: Int, _ se: Int, _ ah: Int, _ al: Int
  ) throws {
    let base = block * 64
    if ss == 0 {
      // DC scans (first or refinement).
      if ah == 0 {
        guard let dc = dcTables[components[c].dcTable] else { return }
        guard let t = reader.decode(dc), t <= 16 else { throw corrupt(reader) }
        components[c].dcPrediction += reader.receiveExtend(t)
        components[c].coefficients.pointer[base] = Int16(truncatingIfNeeded: components[c].dcPrediction << al)
      } else if reader.bit() != 0 {
        components[c].coefficients.pointer[base] |= Int16(truncatingIfNeeded: 1 << al)
      }
      return
    }
    guard let ac = acTables[components[c].acTable] else { return }
    if ah == 0 {
      // AC first pass.
      if eobRun > 0 {
        eobRun -= 1
        return
      }
      let coefficients = components[c].coefficients.pointer
      do {
        var k = ss
        while k <= se {
          guard let rs = reader.decode(ac) else { throw corrupt(reader) }
          let r = rs >> 4
          let s = rs & 15
          if s != 0 {
            k += r
            coefficients[base + naturalOrder[min(k, 79)]] = Int16(truncatingIfNeeded: reader.receiveExtend(s) << al)
            k += 1
          } else {
            if r < 15 {
              eobRun = (1 << r) - 1
              if r > 0 { eobRun += reader.bits(r) }
              break
            }
            k += 16
          }
        }
      }
      return
    }
    // AC refinement (jdphuff.c decode_mcu_AC_refine).
    let p1 = 1 << al
    let m1 = -1 << al
    let coefficients = components[c].coefficients.pointer
    do {
      var k = ss
      if eobRun == 0 {
        while k <= se {
          guard let rs = reader.decode(ac) else { throw corrupt(reader) }
          var r = rs >> 4
          var s = rs & 15
          if s != 0 {
            s = reader.bit() != 0 ? p1 : m1
          } else if r != 15 {
            eobRun = 1 << r
            if r > 0 { eobRun += reader.bits(r) }
            break
          }
          repeat {
            let z = base + naturalOrder[min(k, 79)]
            let value = Int(coefficients[z])
            if value != 0 {
              if reader.bit() != 0, value & p1 == 0 {
                coefficients[z] = Int16(truncatingIfNeeded: value >= 0 ? value + p1 : value + m1)
              }
            } else {
              r -= 1
              if r < 0 { break }
            }
            k += 1
          } while k <= se
          if s != 0 {
            coefficients[base + naturalOrder[min(k, 79)]] = Int16(truncatingIfNeeded: s)
          }
          k += 1
        }
      }
      if eobRun > 0 {
        while k <= se {
          let z = base + naturalOrder[min(k, 79)]
          let value = Int(coefficients[z])
          if value != 0, reader.bit() != 0, value & p1 == 0 {
            coefficients[z] = Int16(truncatingIfNeeded: value >= 0 ? value + p1 : value + m1)
          }
          k += 1
        }
        eobRun -= 1
      }
    }
  }

  // MARK: - Output

  mutating func finish() throws -> RGBImage {
    // Inverse DCT of every block into a sample plane per component.
    var planes: [[UInt8]] = []
    for c in components {
      let stride = c.blocksPerLine * 8
      var plane = [UInt8](repeating: 0, count: stride * c.blocksPerColumn * 8)
      let table = quantTables[c.quantTable]
      guard table.count == 64 else {
        throw invalid(position, "quantization table \(c.quantTable)", "none defined")
      }
      do {
        let coefficients = c.coefficients.pointer
        table.withUnsafeBufferPointer { quant in
          plane.withUnsafeMutableBufferPointer { out in
            for by in 0..<c.blocksPerColumn {
              for bx in 0..<c.blocksPerLine {
                let block = (by * c.blocksPerLine + bx) * 64
                JPEGKernels.inverseDCT(
                  coefficients + block, quant.baseAddress!,
                  out.baseAddress! + (by * 8 * stride + bx * 8), stride: stride)
              }
            }
          }
        }
      }
      planes.append(plane)
    }
    // Upsample each component to full size (width × height).
    var full: [[UInt8]] = []
    for (index, c) in components.enumerated() {
      full.append(
        try JPEGKernels.upsample(
          planes[index], stride: c.blocksPerLine * 8, width: c.width, height: c.height,
          hFactor: hMax / c.h, vFactor: vMax / c.v, exactH: hMax % c.h == 0, exactV: vMax % c.v == 0,
          outputWidth: width, outputHeight: height, file: file))
    }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    if components.count == 1 {
      full[0].withUnsafeBufferPointer { gray in
        pixels.withUnsafeMutableBufferPointer { out in
          for i in 0..<(width * height) {
            let g = gray[i]
            out[3 * i] = g
            out[3 * i + 1] = g
            out[3 * i + 2] = g
          }
        }
      }
    } else {
      let isRGB: Bool
      if sawJFIF {
        isRGB = false
      } else if let adobeTransform {
        isRGB = adobeTransform == 0
      } else {
        isRGB = components[0].id == 82 && components[1].id == 71 && components[2].id == 66
      }
      if isRGB {
        for i in 0..<(width * height) {
          pixels[3 * i] = full[0][i]
          pixels[3 * i + 1] = full[1][i]
          pixels[3 * i + 2] = full[2][i]
        }
      } else {
        JPEGKernels.yccToRGB(full[0], full[1], full[2], into: &pixels)
      }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }
}
