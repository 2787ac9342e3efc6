#if canImport(Basics)
  import Basics  // the fuzz script (Tests/Fuzz) compiles Sources/Basics into this module instead
#endif

/// A reader for Torch7's binary serialization (`torch.save(file, object)`, `.t7`).
///
/// The format (torch7's `File.lua`, `generic/Tensor.c`, `generic/Storage.c`), little-endian:
/// every value starts with an int32 type tag — 0 nil, 1 number (float64), 2 string (int32 length,
/// bytes), 3 table, 4 Torch object, 5 boolean (int32 0/1), 6–8 functions. Tables and objects
/// then carry an int32 reference index; an index seen before refers to the object already read,
/// which is how shared objects and cycles are written. A table continues with an int32 pair count
/// and the keys and values; an object with its version string `"V <n>"` (absent in version 0),
/// its class name, and either the class's own payload — tensors: int32 rank, int64 sizes,
/// int64 strides, int64 1-based storage offset, the storage object; storages: int64 count and the
/// raw elements — or a table of its fields (every `nn` module).
///
/// Nothing is executed: functions are refused, and object classes must be on the allow-list
/// (tensors, storages and the modules of fb.resnet.torch's networks). Sizes are checked against
/// the remaining bytes before anything is allocated, and nesting depth and object count are
/// bounded.
public struct Torch7Document: Sendable {
  /// A value; tables and objects are indices into `tables` and `objects`.
  public enum Value: Sendable, Equatable, Hashable {
    case `nil`
    case number(Double)
    case boolean(Bool)
    case string(String)
    case table(Int)
    case object(Int)
  }

  /// A tensor: a strided view of a storage.
  public struct Tensor: Sendable {
    public var shape: [Int]
    public var strides: [Int]
    /// 0-based element offset into the storage.
    public var storageOffset: Int
    /// The storage object's index (nil for an empty tensor without storage).
    public var storage: Int?
    /// The byte offset of the tensor in the file, for errors.
    public var fileOffset: Int
  }

  /// A storage: `count` elements of `dtype` at `byteOffset` in the file.
  public struct Storage: Sendable {
    public var dtype: TensorDType
    public var count: Int
    public var byteOffset: Int
  }

  /// What an object holds.
  public enum Payload: Sendable {
    case tensor(Tensor)
    case storage(Storage)
    /// An object serialized as a table of its fields (index into `tables`).
    case fields(Int)
  }

  /// One Torch object.
  public struct Object: Sendable {
    public var className: String
    public var payload: Payload
    public var fileOffset: Int
  }

  /// The file's bytes (storages refer into them).
  public let bytes: [UInt8]
  /// The file name, for errors.
  public let file: String
  /// The top-level value.
  public internal(set) var root: Value = .nil
  /// Tables by reference index: key-value pairs in file order.
  public internal(set) var tables: [Int: [(key: Value, value: Value)]] = [:]
  /// Objects by reference index.
  public internal(set) var objects: [Int: Object] = [:]

  /// The largest nesting depth accepted.
  public static let maxDepth = 200
  /// The largest tensor rank accepted.
  public static let maxRank = 8
  /// The largest number of tables and objects accepted.
  public static let maxObjects = 1 << 20

  /// Classes that may appear: tensors and storages of every numeric type, and modules.
  static let tensorTypes: [String: TensorDType] = [
    "Float": .float32, "Double": .float64, "Cuda": .float32, "Half": .float16, "CudaHalf": .float16,
    "CudaDouble": .float64, "Long": .int64, "Int": .int32, "Short": .int16, "Char": .int8,
    "Byte": .uint8,
  ]
  /// Module classes (with `nn.` or `cudnn.` prefix) that may appear.
  public static let moduleClasses: Set<String> = [
    "Sequential", "ConcatTable", "CAddTable", "Identity", "SpatialConvolution",
    "SpatialBatchNormalization", "ReLU", "SpatialMaxPooling", "SpatialAveragePooling", "View",
    "Linear", "Concat", "MulConstant", "Copy", "Dropout", "BatchNormalization", "Reshape",
  ]

  /// Parses a whole `.t7` file.
  /// - Throws: `Torch7Error`.
  /// - Complexity: O(n) in the file size (storages are not copied).
  public static func parse(_ bytes: [UInt8], file: String) throws -> Torch7Document {
    var reader = Reader(bytes: bytes, file: file)
    var document = Torch7Document(bytes: bytes, file: file)
    document.root = try reader.readValue(into: &document, depth: 0)
    if reader.position != bytes.count {
      throw Torch7Error.trailingBytes(file: file, offset: reader.position, count: bytes.count - reader.position)
    }
    return document
  }

  init(bytes: [UInt8], file: String) {
    self.bytes = bytes
    self.file = file
  }

  /// True when the bytes start like a binary Torch7 file holding a table or object (type 3 or
  /// 4, reference index 1).
  public static func looksLikeTorch7(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 8 && (bytes[0] == 3 || bytes[0] == 4) && bytes[1...3] == [0, 0, 0]
      && bytes[4...7] == [1, 0, 0, 0]
  }

  /// The value stored under a string key of a table.
  public func field(_ table: Int, _ key: String) -> Value? {
    tables[table]?.first { $0.key == .string(key) }?.value
  }

  /// The values of a table's integer keys 1…n in order (a Lua array); nil if the keys have gaps.
  public func array(_ table: Int) -> [Value]? {
    guard let entries = tables[table] else { return nil }
    var byIndex: [Int: Value] = [:]
    for (key, value) in entries {
      guard case .number(let number) = key, number >= 1, number <= Double(entries.count),
        number == number.rounded()
      else { continue }
      byIndex[Int(number)] = value
    }
    guard byIndex.count == byIndex.keys.max() ?? 0 else { return nil }
    return (0..<byIndex.count).map { byIndex[$0 + 1]! }
  }

  /// A tensor object's elements as floats in C order.
  /// - Throws: `Torch7Error.tensorOutOfBounds` or `.invalid` for a non-numeric storage.
  public func floats(_ tensor: Tensor) throws -> [Float] {
    let count = tensor.shape.reduce(1, *)
    if count == 0 { return [] }
    guard let index = tensor.storage, let object = objects[index], case .storage(let storage) = object.payload else {
      throw Torch7Error.invalid(
        file: file, offset: tensor.fileOffset, expected: "a tensor with a storage", found: "none")
    }
    var values = [Float](repeating: 0, count: count)
    var counters = [Int](repeating: 0, count: tensor.shape.count)
    let size = storage.dtype.byteCount
    for i in 0..<count {
      var element = tensor.storageOffset
      for d in counters.indices { element += counters[d] * tensor.strides[d] }
      let at = storage.byteOffset + element * size
      values[i] = Self.decode(bytes, at: at, storage.dtype)
      var d = counters.count - 1
      while d >= 0 {
        counters[d] += 1
        if counters[d] < tensor.shape[d] { break }
        counters[d] = 0
        d -= 1
      }
    }
    return values
  }

  private static func decode(_ bytes: [UInt8], at offset: Int, _ dtype: TensorDType) -> Float {
    func word(_ count: Int) -> UInt64 {
      var value: UInt64 = 0
      for k in 0..<count { value |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
      return value
    }
    switch dtype {
    case .float32: return Float(bitPattern: UInt32(word(4)))
    case .float64: return Float(Double(bitPattern: word(8)))
    case .float16: return HalfPrecision.float(halfBits: UInt16(word(2)))
    case .int64: return Float(Int64(bitPattern: word(8)))
    case .int32: return Float(Int32(bitPattern: UInt32(word(4))))
    case .int16: return Float(Int16(bitPattern: UInt16(word(2))))
    case .int8: return Float(Int8(bitPattern: UInt8(word(1))))
    case .uint8, .bool: return Float(UInt8(word(1)))
    case .bfloat16: return HalfPrecision.float(bfloat16Bits: UInt16(word(2)))
    }
  }

  /// The byte-level reader.
  struct Reader {
    let bytes: [UInt8]
    let file: String
    var position = 0
    var objectCount = 0

    init(bytes: [UInt8], file: String) {
      self.bytes = bytes
      self.file = file
    }

    var remaining: Int { bytes.count - position }

    mutating func readInt32(_ what: String) throws -> Int {
      guard remaining >= 4 else { throw Torch7Error.truncated(file: file, offset: position, expected: what) }
      var value: UInt32 = 0
      for k in 0..<4 { value |= UInt32(bytes[position + k]) << (8 * UInt32(k)) }
      position += 4
      return Int(Int32(bitPattern: value))
    }

    mutating func readInt64(_ what: String) throws -> Int {
      guard remaining >= 8 else { throw Torch7Error.truncated(file: file, offset: position, expected: what) }
      var value: UInt64 = 0
      for k in 0..<8 { value |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
      position += 8
      let signed = Int64(bitPattern: value)
      return Int(signed)
    }

    mutating func readDouble() throws -> Double {
      let start = position
      guard remaining >= 8 else { throw Torch7Error.truncated(file: file, offset: start, expected: "a float64 number") }
      var value: UInt64 = 0
      for k in 0..<8 { value |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
      position += 8
      return Double(bitPattern: value)
    }

    /// An int32 length followed by that many bytes.
    mutating func readString(_ what: String) throws -> String {
      let start = position
      let length = try readInt32("the length of \(what)")
      guard length >= 0 else {
        throw Torch7Error.invalid(file: file, offset: start, expected: "a non-negative length of \(what)", found: "\(length)")
      }
      guard length <= remaining else {
        throw Torch7Error.truncated(file: file, offset: position, expected: "\(length) bytes of \(what)")
      }
      let text = String(decoding: bytes[position..<(position + length)], as: UTF8.self)
      position += length
      return text
    }

    mutating func readValue(into document: inout Torch7Document, depth: Int) throws -> Value {
      let start = position
      guard depth <= Torch7Document.maxDepth else {
        throw Torch7Error.limitExceeded(
          file: file, offset: start, limit: "nesting depth", maximum: Torch7Document.maxDepth, found: depth)
      }
      let tag = try readInt32("a type tag")
      switch tag {
      case 0: return .nil
      case 1: return .number(try readDouble())
      case 2: return .string(try readString("a string"))
      case 5:
        let flag = try readInt32("a boolean")
        guard flag == 0 || flag == 1 else {
          throw Torch7Error.invalid(file: file, offset: start + 4, expected: "a boolean 0 or 1", found: "\(flag)")
        }
        return .boolean(flag == 1)
      case 6, 7, 8:
        throw Torch7Error.forbiddenClass(file: file, offset: start, className: "function (Lua bytecode)")
      case 3, 4:
        let indexOffset = position
        let index = try readInt32("a reference index")
        guard index >= 1 else {
          throw Torch7Error.invalid(file: file, offset: indexOffset, expected: "a reference index ≥ 1", found: "\(index)")
        }
        if tag == 3 {
          if document.tables[index] != nil { return .table(index) }
          guard document.objects[index] == nil else {
            throw Torch7Error.invalid(file: file, offset: indexOffset, expected: "a table reference", found: "object \(index)")
          }
          try register(at: indexOffset)
          document.tables[index] = []
          let countOffset = position
          let count = try readInt32("a table size")
          // Every pair needs at least two 4-byte tags.
          guard count >= 0, count <= remaining / 8 else {
            throw Torch7Error.invalid(
              file: file, offset: countOffset, expected: "a table size between 0 and \(remaining / 8) (the bytes left)",
              found: "\(count)")
          }
          var entries: [(key: Value, value: Value)] = []
          entries.reserveCapacity(count)
          for _ in 0..<count {
            let keyOffset = position
            let key = try readValue(into: &document, depth: depth + 1)
            if key == .nil {
              throw Torch7Error.invalid(file: file, offset: keyOffset, expected: "a table key", found: "nil")
            }
            let value = try readValue(into: &document, depth: depth + 1)
            entries.append((key, value))
          }
          document.tables[index] = entries
          return .table(index)
        }
        if document.objects[index] != nil { return .object(index) }
        guard document.tables[index] == nil else {
          throw Torch7Error.invalid(file: file, offset: indexOffset, expected: "an object reference", found: "table \(index)")
        }
        try register(at: indexOffset)
        return .object(try readObject(index: index, start: start, into: &document, depth: depth))
      default:
        throw Torch7Error.invalid(file: file, offset: start, expected: "a type tag 0…8", found: "\(tag)")
      }
    }

    mutating func register(at offset: Int) throws {
      objectCount += 1
      guard objectCount <= Torch7Document.maxObjects else {
        throw Torch7Error.limitExceeded(
          file: file, offset: offset, limit: "number of tables and objects", maximum: Torch7Document.maxObjects,
          found: objectCount)
      }
    }

    mutating func readObject(index: Int, start: Int, into document: inout Torch7Document, depth: Int) throws -> Int {
      let nameOffset = position
      var className = try readString("a version or class name")
      if className.hasPrefix("V ") {
        guard Int(className.dropFirst(2)) != nil else {
          throw Torch7Error.invalid(file: file, offset: nameOffset, expected: "a version 'V <n>'", found: "'\(className)'")
        }
        className = try readString("a class name")
      }
      let parts = className.split(separator: ".", maxSplits: 1).map(String.init)
      guard parts.count == 2 else {
        throw Torch7Error.forbiddenClass(file: file, offset: nameOffset, className: className)
      }
      let (package, name) = (parts[0], parts[1])
      // Placeholder so references to the object while its fields are read resolve (cycles).
      document.objects[index] = Object(className: className, payload: .fields(-1), fileOffset: start)
      let payload: Payload
      if package == "torch", name.hasSuffix("Tensor"), let dtype = tensorTypes[String(name.dropLast("Tensor".count))] {
        payload = .tensor(try readTensor(dtype, into: &document, depth: depth, start: start))
      } else if package == "torch", name.hasSuffix("Storage"),
        let dtype = tensorTypes[String(name.dropLast("Storage".count))]
      {
        let countOffset = position
        let count = try readInt64("a storage size")
        guard count >= 0, count <= remaining / dtype.byteCount else {
          throw Torch7Error.invalid(
            file: file, offset: countOffset,
            expected: "a storage of at most \(remaining / dtype.byteCount) \(dtype.rawValue) elements (the bytes left)",
            found: "\(count) elements")
        }
        payload = .storage(Storage(dtype: dtype, count: count, byteOffset: position))
        position += count * dtype.byteCount
      } else if (package == "nn" || package == "cudnn"), Torch7Document.moduleClasses.contains(name) {
        let fieldsOffset = position
        guard case .table(let table) = try readValue(into: &document, depth: depth + 1) else {
          throw Torch7Error.invalid(
            file: file, offset: fieldsOffset, expected: "the fields table of \(className)", found: "another value")
        }
        payload = .fields(table)
      } else {
        throw Torch7Error.forbiddenClass(file: file, offset: nameOffset, className: className)
      }
      document.objects[index] = Object(className: className, payload: payload, fileOffset: start)
      return index
    }

    /// Reads `count` int64 tensor sizes or strides (`what`), each in 0…2³¹−1.
    mutating func readTensorDimensions(count: Int, what: String) throws -> [Int] {
      var values: [Int] = []
      for _ in 0..<count {
        let at = position
        let value = try readInt64("a tensor \(what)")
        guard value >= 0, value <= Int(Int32.max) else {
          throw Torch7Error.invalid(file: file, offset: at, expected: "a tensor \(what) in 0…2³¹−1", found: "\(value)")
        }
        values.append(value)
      }
      return values
    }

    mutating func readTensor(_ dtype: TensorDType, into document: inout Torch7Document, depth: Int, start: Int) throws
      -> Tensor
    {
      let rankOffset = position
      let rank = try readInt32("a tensor rank")
      guard rank >= 0, rank <= Torch7Document.maxRank else {
        throw Torch7Error.limitExceeded(
          file: file, offset: rankOffset, limit: "tensor rank", maximum: Torch7Document.maxRank, found: Int(rank))
      }
      let shape = try readTensorDimensions(count: Int(rank), what: "size")
      let strides = try readTensorDimensions(count: Int(rank), what: "stride")
      let offsetAt = position
      let storageOffset = try readInt64("a storage offset") - 1
      guard storageOffset >= 0, storageOffset <= Int(Int32.max) else {
        throw Torch7Error.invalid(
          file: file, offset: offsetAt, expected: "a 1-based storage offset in 1…2³¹", found: "\(storageOffset + 1)")
      }
      let storageAt = position
      let storageValue = try readValue(into: &document, depth: depth + 1)
      var tensor = Tensor(shape: shape, strides: strides, storageOffset: storageOffset, storage: nil, fileOffset: start)
      var elements = 1
      var reach = storageOffset
      for d in 0..<Int(rank) {
        let (product, overflow) = elements.multipliedReportingOverflow(by: shape[d])
        guard !overflow, product <= Int(Int32.max) else {
          throw Torch7Error.limitExceeded(
            file: file, offset: start, limit: "tensor element count", maximum: Int(Int32.max), found: Int.max)
        }
        elements = product
        if shape[d] > 0 { reach += (shape[d] - 1) * strides[d] }
      }
      switch storageValue {
      case .nil:
        guard elements == 0 else {
          throw Torch7Error.invalid(
            file: file, offset: storageAt, expected: "a storage for \(elements) elements", found: "nil")
        }
      case .object(let index):
        guard let object = document.objects[index], case .storage(let storage) = object.payload else {
          throw Torch7Error.invalid(file: file, offset: storageAt, expected: "a storage object", found: "another object")
        }
        guard storage.dtype == dtype else {
          throw Torch7Error.invalid(
            file: file, offset: storageAt, expected: "a \(dtype.rawValue) storage", found: object.className)
        }
        if elements > 0 && reach >= storage.count {
          throw Torch7Error.tensorOutOfBounds(
            file: file, offset: start, storageElements: storage.count, neededElements: reach + 1)
        }
        tensor.storage = index
      default:
        throw Torch7Error.invalid(file: file, offset: storageAt, expected: "a storage object", found: "another value")
      }
      return tensor
    }
  }
}
