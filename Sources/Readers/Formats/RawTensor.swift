#if canImport(Basics)
  import Basics  // the fuzz script (Tests/Fuzz) compiles Sources/Basics into this module instead
#endif

/// A dense tensor as stored: C order, little-endian bytes.
///
/// `bytes.count == shape.product × dtype.byteCount`; a 0-d tensor (`shape == []`) holds one
/// element. Values are kept exactly as read; use `floats()` / `int64s()` to convert.
public struct RawTensor: Sendable, Equatable {
  /// The element type.
  public var dtype: TensorDType
  /// The dimensions, outermost first; `[]` for a scalar.
  public var shape: [Int]
  /// The elements in C (row-major) order, each little-endian.
  public var bytes: [UInt8]

  /// The number of elements (the product of `shape`; 1 for a scalar).
  public var elementCount: Int { checkedElementCount(shape) ?? 0 }

  /// Wraps already laid-out bytes.
  ///
  /// The caller guarantees `bytes.count == shape.product × dtype.byteCount` and non-negative
  /// dimensions (readers in this module validate both before constructing); use
  /// `init(validatingDType:shape:bytes:)` for bytes that come from elsewhere.
  public init(dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
    precondition(
      checkedByteCount(shape, dtype) == bytes.count,
      "RawTensor: \(bytes.count) bytes do not fit shape \(shape) of \(dtype)")
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// Wraps bytes after checking that they fit the shape; `nil` if they do not.
  public init?(validatingDType dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
    guard checkedByteCount(shape, dtype) == bytes.count else { return nil }
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// Makes a `float32` tensor; `floats.count` must equal the shape's element count.
  public init(floats: [Float], shape: [Int]) {
    self.init(littleEndianWords: floats.map(\.bitPattern), dtype: .float32, shape: shape)
  }

  /// Makes an `int64` tensor; `int64s.count` must equal the shape's element count.
  public init(int64s: [Int64], shape: [Int]) {
    self.init(littleEndianWords: int64s, dtype: .int64, shape: shape)
  }

  /// Lays out one word per element (`dtype`'s width) as little-endian bytes.
  private init<Word: FixedWidthInteger>(littleEndianWords words: [Word], dtype: TensorDType, shape: [Int]) {
    precondition(
      checkedElementCount(shape) == words.count,
      "RawTensor: \(words.count) values do not fit shape \(shape)")
    var bytes = [UInt8]()
    bytes.reserveCapacity(words.count * Word.bitWidth / 8)
    for value in words { appendLittleEndian(value, to: &bytes) }
    self.init(dtype: dtype, shape: shape, bytes: bytes)
  }

  /// The elements converted to `Float`, in C order.
  ///
  /// `float16` and `bfloat16` convert exactly; `float64` and large integers round to nearest;
  /// `bool` gives 0 or 1.
  /// - Complexity: O(elementCount).
  public func floats() -> [Float] {
    let count = bytes.count / dtype.byteCount
    var result = [Float]()
    result.reserveCapacity(count)
    bytes.withUnsafeBufferPointer { raw in
      switch dtype {
      case .float32:
        for i in 0..<count { result.append(Float(bitPattern: loadLE32(raw, i * 4))) }
      case .float64:
        for i in 0..<count { result.append(Float(Double(bitPattern: loadLE64(raw, i * 8)))) }
      case .float16:
        for i in 0..<count { result.append(HalfPrecision.float(halfBits: loadLE16(raw, i * 2))) }
      case .bfloat16:
        for i in 0..<count { result.append(HalfPrecision.float(bfloat16Bits: loadLE16(raw, i * 2))) }
      case .int64:
        for i in 0..<count { result.append(Float(Int64(bitPattern: loadLE64(raw, i * 8)))) }
      case .int32:
        for i in 0..<count { result.append(Float(Int32(bitPattern: loadLE32(raw, i * 4)))) }
      case .int16:
        for i in 0..<count { result.append(Float(Int16(bitPattern: loadLE16(raw, i * 2)))) }
      case .int8:
        for i in 0..<count { result.append(Float(Int8(bitPattern: raw[i]))) }
      case .uint8:
        for i in 0..<count { result.append(Float(raw[i])) }
      case .bool:
        for i in 0..<count { result.append(raw[i] != 0 ? 1 : 0) }
      }
    }
    return result
  }

  /// The elements converted to `Double`, in C order (exact for every dtype but `int64`
  /// beyond 2^53).
  /// - Complexity: O(elementCount).
  public func doubles() -> [Double] {
    if dtype == .float64 {
      let count = bytes.count / 8
      return bytes.withUnsafeBufferPointer { raw in
        (0..<count).map { Double(bitPattern: loadLE64(raw, $0 * 8)) }
      }
    }
    if dtype == .int64 { return int64s().map { Double($0) } }
    return floats().map { Double($0) }
  }

  /// The elements widened to `Int64`, in C order.
  ///
  /// Integer dtypes and `bool` (0/1) convert exactly. Floating-point values are truncated
  /// toward zero, NaN gives 0 and values outside `Int64` clamp to its range.
  /// - Complexity: O(elementCount).
  public func int64s() -> [Int64] {
    let count = bytes.count / dtype.byteCount
    switch dtype {
    case .int64:
      return bytes.withUnsafeBufferPointer { raw in
        (0..<count).map { Int64(bitPattern: loadLE64(raw, $0 * 8)) }
      }
    case .int32:
      return bytes.withUnsafeBufferPointer { raw in
        (0..<count).map { Int64(Int32(bitPattern: loadLE32(raw, $0 * 4))) }
      }
    case .int16:
      return bytes.withUnsafeBufferPointer { raw in
        (0..<count).map { Int64(Int16(bitPattern: loadLE16(raw, $0 * 2))) }
      }
    case .int8: return bytes.map { Int64(Int8(bitPattern: $0)) }
    case .uint8: return bytes.map { Int64($0) }
    case .bool: return bytes.map { $0 != 0 ? 1 : 0 }
    case .float64, .float32, .float16, .bfloat16:
      let values = dtype == .float64 ? doubles() : floats().map { Double($0) }
      return values.map { value in
        if value.isNaN { return 0 }
        if value >= 0x1p63 { return Int64.max }
        if value <= -0x1p63 { return Int64.min }
        return Int64(value.rounded(.towardZero))
      }
    }
  }
}

@inline(__always)
func loadLE16(_ raw: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt16 {
  UInt16(raw[offset]) | UInt16(raw[offset + 1]) << 8
}

@inline(__always)
func loadLE32(_ raw: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt32 {
  UInt32(raw[offset]) | UInt32(raw[offset + 1]) << 8 | UInt32(raw[offset + 2]) << 16
    | UInt32(raw[offset + 3]) << 24
}

@inline(__always)
func loadLE64(_ raw: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt64 {
  UInt64(loadLE32(raw, offset)) | UInt64(loadLE32(raw, offset + 4)) << 32
}

@inline(__always)
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
  var v = value.littleEndian
  withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
}
