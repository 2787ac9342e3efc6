/// Decodes pickle streams into `PickleValue` trees with an allow-list of globals.
///
/// Implements the opcodes of pickle protocols 2–4 that `torch.save` emits (PEP 307 and CPython's Lib/pickletools.py);
/// REDUCE/NEWOBJ/BUILD are interpreted only for the few tensor-rebuilding callables, so a
/// pickle can never run code. Persistent ids must be storage tuples.
public enum Pickle {
  /// Decodes one complete pickle; bytes after STOP are refused.
  /// - Parameters:
  ///   - bytes: the pickle stream.
  ///   - file: a name for error messages.
  /// - Throws: `TorchFileError` (forbidden globals name their module and name).
  /// - Complexity: O(bytes.count) plus the size of the result.
  public static func load(
    _ bytes: [UInt8], file: String, limits: PickleLimits = PickleLimits()
  ) throws -> PickleValue {
    var machine = Unpickler(bytes: bytes, start: 0, file: file, limits: limits)
    let value = try machine.run()
    if machine.position != bytes.count {
      throw TorchFileError.trailingBytes(
        file: file, offset: machine.position, count: bytes.count - machine.position)
    }
    return value
  }
}

/// The stack machine. Mutable containers live in arenas so that memoized references see
/// later SETITEMS/APPENDS, as in CPython.
struct Unpickler {
  indirect enum Node {
    case none
    case bool(Bool)
    case int(Int64)
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([Node], depth: Int)
    case list(Int)
    case dict(Int)
    case global(String, String)
    case storage(TorchStorageReference)
    case tensor(TorchTensorReference)

    var depth: Int {
      if case .tuple(_, let depth) = self { return depth }
      return 1
    }

    var summary: String {
      switch self {
      case .none: return "None"
      case .bool: return "bool"
      case .int(let value): return "int \(value)"
      case .bigInt: return "big int"
      case .float: return "float"
      case .string(let text): return "string \"\(text.prefix(40))\""
      case .bytes: return "bytes"
      case .tuple(let items, _): return "tuple of \(items.count)"
      case .list: return "list"
      case .dict: return "dict"
      case .global(let module, let name): return "\(module).\(name)"
      case .storage: return "storage"
      case .tensor: return "tensor"
      }
    }
  }

  enum DictKey: Hashable {
    case string(String)
    case int(Int64)
  }

  struct DictBox {
    var entries: [(key: Node, value: Node)] = []
    var index: [DictKey: Int] = [:]
  }

  let bytes: [UInt8]
  let file: String
  let limits: PickleLimits
  /// Offset added to positions in error messages (legacy files hold several pickles).
  private(set) var position: Int
  private var opcodeStart = 0
  private var stack: [Node] = []
  private var marks: [Int] = []
  private var memo: [Int: Node] = [:]
  private var lists: [[Node]] = []
  private var dicts: [DictBox] = []
  /// Every storage reference seen, by key, in first-seen order.
  private(set) var storages: [(key: String, reference: TorchStorageReference)] = []
  private var storageIndex: [String: Int] = [:]

  init(bytes: [UInt8], start: Int, file: String, limits: PickleLimits) {
    self.bytes = bytes
    self.position = start
    self.file = file
    self.limits = limits
  }

  // MARK: Errors and reading

  private func invalid(_ expected: String, _ found: String) -> TorchFileError {
    .invalidPickle(file: file, offset: opcodeStart, expected: expected, found: found)
  }

  private mutating func readByte() throws -> UInt8 {
    guard position < bytes.count else {
      throw TorchFileError.truncated(file: file, offset: position, expected: "a pickle opcode or operand")
    }
    position += 1
    return bytes[position - 1]
  }

  private mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
    guard count >= 0, count <= bytes.count - position else {
      throw TorchFileError.truncated(
        file: file, offset: position, expected: "\(count) more bytes")
    }
    position += count
    return bytes[(position - count)..<position]
  }

  private mutating func readLE(_ count: Int) throws -> UInt64 {
    let slice = try readBytes(count)
    var value: UInt64 = 0
    for byte in slice.reversed() { value = value << 8 | UInt64(byte) }
    return value
  }

  /// Reads a declared length and checks it against the string limit and the remaining input
  /// before anything is allocated.
  private mutating func readLength(_ width: Int) throws -> Int {
    let declared = try readLE(width)
    guard declared <= UInt64(limits.maxStringBytes) else {
      throw TorchFileError.limitExceeded(
        file: file, offset: opcodeStart, limit: "string length", maximum: limits.maxStringBytes,
        found: declared > UInt64(Int.max) ? Int.max : Int(declared))
    }
    let length = Int(declared)
    guard length <= bytes.count - position else {
      throw TorchFileError.truncated(
        file: file, offset: position, expected: "a string of \(length) bytes declared at offset \(opcodeStart)")
    }
    return length
  }

  private mutating func readLine() throws -> String {
    var line: [UInt8] = []
    while true {
      let byte = try readByte()
      if byte == 0x0A { break }
      line.append(byte)
      guard line.count <= 256 else {
        throw TorchFileError.limitExceeded(
          file: file, offset: opcodeStart, limit: "GLOBAL name length", maximum: 256,
          found: line.count)
      }
    }
    guard let text = String(validating: line, as: UTF8.self) else {
      throw invalid("a UTF-8 module or name", "invalid UTF-8")
    }
    return text
  }

  private func decodeUTF8(_ slice: ArraySlice<UInt8>) throws -> String {
    guard let text = String(validating: slice, as: UTF8.self) else {
      throw invalid("UTF-8 text", "invalid UTF-8")
    }
    return text
  }

  // MARK: Stack

  private mutating func push(_ node: Node) throws {
    guard stack.count < limits.maxStackSize else {
      throw TorchFileError.limitExceeded(
        file: file, offset: opcodeStart, limit: "stack size", maximum: limits.maxStackSize,
        found: stack.count + 1)
    }
    stack.append(node)
  }

  private mutating func pop() throws -> Node {
    let floor = marks.last ?? 0
    guard stack.count > floor else { throw invalid("a value on the stack", "an empty stack") }
    return stack.removeLast()
  }

  private func top() throws -> Node {
    let floor = marks.last ?? 0
    guard stack.count > floor, let last = stack.last else {
      throw invalid("a value on the stack", "an empty stack")
    }
    return last
  }

  /// Pops everything above the innermost MARK, and the mark.
  private mutating func popToMark() throws -> [Node] {
    guard let mark = marks.popLast() else { throw invalid("a MARK", "no MARK on the stack") }
    let items = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return items
  }

  private func makeTuple(_ items: [Node]) throws -> Node {
    let depth = 1 + (items.map(\.depth).max() ?? 0)
    guard depth <= limits.maxDepth else {
      throw TorchFileError.limitExceeded(
        file: file, offset: opcodeStart, limit: "nesting depth", maximum: limits.maxDepth,
        found: depth)
    }
    return .tuple(items, depth: depth)
  }

  private mutating func newList(_ items: [Node] = []) -> Node {
    lists.append(items)
    return .list(lists.count - 1)
  }

  private mutating func newDict() -> Node {
    dicts.append(DictBox())
    return .dict(dicts.count - 1)
  }

  private mutating func setItem(_ dictID: Int, _ key: Node, _ value: Node) {
    let hashKey: DictKey?
    switch key {
    case .string(let text): hashKey = .string(text)
    case .int(let number): hashKey = .int(number)
    case .bool(let flag): hashKey = .int(flag ? 1 : 0)
    default: hashKey = nil
    }
    if let hashKey, let existing = dicts[dictID].index[hashKey] {
      dicts[dictID].entries[existing].value = value
      return
    }
    if let hashKey { dicts[dictID].index[hashKey] = dicts[dictID].entries.count }
    dicts[dictID].entries.append((key, value))
  }

  private mutating func memoPut(_ index: Int) throws {
    let value = try top()
    if memo[index] == nil, memo.count >= limits.maxMemoEntries {
      throw TorchFileError.limitExceeded(
        file: file, offset: opcodeStart, limit: "memo size", maximum: limits.maxMemoEntries,
        found: memo.count + 1)
    }
    memo[index] = value
  }

  private mutating func memoGet(_ index: Int) throws {
    guard let value = memo[index] else {
      throw invalid("a stored memo index", "memo index \(index) never stored")
    }
    try push(value)
  }

  // MARK: Globals

  static let storageTypes: [String: TensorDType?] = [
    "DoubleStorage": .float64, "FloatStorage": .float32, "HalfStorage": .float16,
    "BFloat16Storage": .bfloat16, "LongStorage": .int64, "IntStorage": .int32,
    "ShortStorage": .int16, "CharStorage": .int8, "ByteStorage": .uint8, "BoolStorage": .bool,
    "ComplexDoubleStorage": nil, "ComplexFloatStorage": nil, "QInt8Storage": nil,
    "QUInt8Storage": nil, "QInt32Storage": nil, "QUInt4x2Storage": nil, "QUInt2x4Storage": nil,
    "UntypedStorage": nil,
  ]

  static let torchDTypeNames: Set<String> = [
    "float64", "double", "float32", "float", "float16", "half", "bfloat16", "int64", "long",
    "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64", "complex128",
    "cfloat", "cdouble", "uint16", "uint32", "uint64",
  ]

  static let rebuildFunctions: Set<String> = [
    "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state",
  ]

  /// Whether `module.name` may appear as a GLOBAL at all.
  static func isAllowedGlobal(module: String, name: String) -> Bool {
    switch module {
    case "collections": return name == "OrderedDict"
    case "torch._utils": return rebuildFunctions.contains(name)
    case "torch":
      return storageTypes.keys.contains(name) || torchDTypeNames.contains(name) || name == "Size"
    case "torch.nn.parameter": return name == "Parameter"
    case "_codecs": return name == "encode"
    default: return false
    }
  }

  private mutating func pushGlobal(module: String, name: String) throws {
    guard Unpickler.isAllowedGlobal(module: module, name: name) else {
      throw TorchFileError.forbiddenGlobal(
        file: file, offset: opcodeStart, module: module, name: name)
    }
    try push(.global(module, name))
  }

  // MARK: Calls

  private func integer(_ node: Node, _ what: String) throws -> Int {
    guard case .int(let value) = node, let result = Int(exactly: value) else {
      throw invalid(what, node.summary)
    }
    return result
  }

  private func integerTuple(_ node: Node, _ what: String) throws -> [Int] {
    guard case .tuple(let items, _) = node else { throw invalid(what, node.summary) }
    guard items.count <= limits.maxRank else {
      throw TorchFileError.limitExceeded(
        file: file, offset: opcodeStart, limit: "tensor rank", maximum: limits.maxRank,
        found: items.count)
    }
    return try items.map { try integer($0, what) }
  }

  private mutating func call(_ callable: Node, _ arguments: [Node], opcode: String) throws -> Node {
    guard case .global(let module, let name) = callable else {
      throw TorchFileError.forbiddenCall(
        file: file, offset: opcodeStart, callable: callable.summary,
        reason: "\(opcode) needs an allowed global callable")
    }
    let qualified = "\(module).\(name)"
    switch (module, name) {
    case ("collections", "OrderedDict"):
      guard arguments.isEmpty else {
        throw TorchFileError.forbiddenCall(
          file: file, offset: opcodeStart, callable: qualified,
          reason: "only OrderedDict() with no arguments is supported")
      }
      return newDict()
    case ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"):
      let needed = name == "_rebuild_tensor" ? 4 : 6
      guard arguments.count == needed || (name == "_rebuild_tensor_v2" && arguments.count == 7)
      else {
        throw invalid("\(needed) arguments to \(qualified)", "\(arguments.count)")
      }
      return try rebuildTensor(arguments)
    case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"),
      ("torch.nn.parameter", "Parameter"):
      guard let data = arguments.first, case .tensor = data else {
        throw invalid("a tensor as the first argument of \(qualified)", arguments.first?.summary ?? "no arguments")
      }
      return data
    case ("torch", "Size"):
      guard arguments.count <= 1 else { throw invalid("one tuple for torch.Size", "\(arguments.count) arguments") }
      guard let sizes = arguments.first else { return .tuple([], depth: 1) }
      _ = try integerTuple(sizes, "a tuple of ints for torch.Size")
      return sizes
    case ("_codecs", "encode"):
      guard arguments.count == 2, case .string(let text) = arguments[0],
        case .string(let encoding) = arguments[1]
      else { throw invalid("(str, encoding) for _codecs.encode", "\(arguments.count) arguments") }
      switch encoding.lowercased() {
      case "latin1", "latin-1", "iso-8859-1":
        var result: [UInt8] = []
        for scalar in text.unicodeScalars {
          guard scalar.value < 256 else { throw invalid("Latin-1 text", "U+\(String(scalar.value, radix: 16))") }
          result.append(UInt8(scalar.value))
        }
        return .bytes(result)
      case "utf-8", "utf8":
        return .bytes(Array(text.utf8))
      default:
        throw invalid("encoding latin1 or utf-8", encoding)
      }
    default:
      throw TorchFileError.forbiddenCall(
        file: file, offset: opcodeStart, callable: qualified,
        reason:
          "\(opcode) is only allowed on OrderedDict, Parameter, torch.Size, _codecs.encode and tensor-rebuild functions"
      )
    }
  }

  private func rebuildTensor(_ arguments: [Node]) throws -> Node {
    guard case .storage(let storage) = arguments[0] else {
      throw invalid("a storage as the first rebuild argument", arguments[0].summary)
    }
    let offset = try integer(arguments[1], "an int storage offset")
    let shape = try integerTuple(arguments[2], "a tuple of int sizes")
    let strides = try integerTuple(arguments[3], "a tuple of int strides")
    guard shape.count == strides.count else {
      throw invalid("as many strides as sizes", "\(strides.count) strides for \(shape.count) sizes")
    }
    guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
      throw invalid("non-negative offset, sizes and strides", "offset \(offset), sizes \(shape), strides \(strides)")
    }
    guard checkedByteCount(shape, storage.dtype) != nil else {
      throw invalid("a tensor size that fits in memory", "sizes \(shape)")
    }
    // Last element addressed + 1 must fit in the storage (skipped for empty tensors).
    if !shape.contains(0) {
      var last = offset
      for (size, stride) in zip(shape, strides) {
        let (step, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
        let (sum, overflow2) = last.addingReportingOverflow(step)
        guard !overflow1, !overflow2 else {
          throw invalid("offsets that fit in an Int", "sizes \(shape), strides \(strides)")
        }
        last = sum
      }
      guard last < storage.addressableCount else {
        throw TorchFileError.tensorOutOfBounds(
          file: file, offset: opcodeStart, storage: storage.key,
          storageElements: storage.addressableCount,
          neededElements: last == Int.max ? last : last + 1)
      }
    }
    return .tensor(
      TorchTensorReference(storage: storage, storageOffset: offset, shape: shape, strides: strides))
  }

  private func stringLike(_ node: Node) -> String? {
    switch node {
    case .string(let text): return text
    case .bytes(let raw): return String(decoding: raw, as: UTF8.self)
    case .int(let value): return String(value)
    default: return nil
    }
  }

  private mutating func persistentLoad(_ pid: Node) throws -> Node {
    guard case .tuple(let items, _) = pid, let kind = items.first, case .string("storage") = kind
    else {
      throw TorchFileError.invalidPersistentID(file: file, offset: opcodeStart, found: pid.summary)
    }
    guard items.count == 5 || items.count == 6 else {
      throw TorchFileError.invalidPersistentID(
        file: file, offset: opcodeStart, found: "a storage tuple of \(items.count) items")
    }
    guard case .global(let module, let typeName) = items[1], module == "torch",
      let maybeDType = Unpickler.storageTypes[typeName]
    else {
      throw TorchFileError.invalidPersistentID(
        file: file, offset: opcodeStart, found: "storage type \(items[1].summary)")
    }
    guard let dtype = maybeDType else {
      throw TorchFileError.unsupportedStorage(
        file: file, offset: opcodeStart, storageType: "torch.\(typeName)")
    }
    guard let key = stringLike(items[2]), let location = stringLike(items[3]) else {
      throw TorchFileError.invalidPersistentID(
        file: file, offset: opcodeStart, found: "key \(items[2].summary), location \(items[3].summary)")
    }
    let count = try integer(items[4], "an int element count")
    guard count >= 0, count.multipliedReportingOverflow(by: dtype.byteCount).overflow == false else {
      throw invalid("a non-negative storage size", "\(count)")
    }
    var view: TorchStorageReference.View?
    if items.count == 6, case .tuple(let parts, _) = items[5] {
      guard parts.count == 3, let viewKey = stringLike(parts[0]) else {
        throw TorchFileError.invalidPersistentID(
          file: file, offset: opcodeStart, found: "view metadata \(items[5].summary)")
      }
      let viewOffset = try integer(parts[1], "an int view offset")
      let viewCount = try integer(parts[2], "an int view size")
      guard viewOffset >= 0, viewCount >= 0, viewOffset <= count, viewCount <= count - viewOffset
      else {
        throw TorchFileError.tensorOutOfBounds(
          file: file, offset: opcodeStart, storage: key, storageElements: count,
          neededElements: viewOffset &+ viewCount)
      }
      view = .init(key: viewKey, offset: viewOffset, count: viewCount)
    } else if items.count == 6, case .none = items[5] {
      view = nil
    } else if items.count == 6 {
      throw TorchFileError.invalidPersistentID(
        file: file, offset: opcodeStart, found: "view metadata \(items[5].summary)")
    }
    let reference = TorchStorageReference(
      key: key, dtype: dtype, location: location, elementCount: count, view: view)
    if let existing = storageIndex[key] {
      let first = storages[existing].reference
      guard first.dtype == dtype, first.elementCount == count else {
        throw TorchFileError.missingStorage(file: file, storage: key)
      }
    } else {
      storageIndex[key] = storages.count
      storages.append((key, reference))
    }
    return .storage(reference)
  }

  // MARK: The loop

  /// Runs until STOP and returns the decoded value; `position` is then just past STOP.
  mutating func run() throws -> PickleValue {
    while true {
      opcodeStart = position
      let opcode = try readByte()
      switch opcode {
      case 0x80:  // PROTO
        let version = try readByte()
        guard version <= 5 else { throw invalid("pickle protocol 0–5", "protocol \(version)") }
      case 0x95:  // FRAME
        _ = try readLE(8)
      case 0x2E:  // STOP
        let result = try pop()
        guard stack.isEmpty, marks.isEmpty else {
          throw invalid("an empty stack at STOP", "\(stack.count) leftover values")
        }
        var budget = limits.maxResultValues
        var cache: [Int: (PickleValue, Int)] = [:]
        var active = Set<Int>()
        return try convert(result, depth: 0, budget: &budget, cache: &cache, active: &active)
      case 0x28:  // MARK
        guard marks.count < limits.maxStackSize else {
          throw TorchFileError.limitExceeded(
            file: file, offset: opcodeStart, limit: "mark count", maximum: limits.maxStackSize,
            found: marks.count + 1)
        }
        marks.append(stack.count)
      case 0x30:  // POP
        if let mark = marks.last, mark == stack.count {
          marks.removeLast()
        } else {
          _ = try pop()
        }
      case 0x31:  // POP_MARK
        _ = try popToMark()
      case 0x32:  // DUP
        try push(try top())
      case 0x4E: try push(.none)  // NONE
      case 0x88: try push(.bool(true))  // NEWTRUE
      case 0x89: try push(.bool(false))  // NEWFALSE
      case 0x4A:  // BININT
        try push(.int(Int64(Int32(bitPattern: UInt32(try readLE(4))))))
      case 0x4B:  // BININT1
        try push(.int(Int64(try readByte())))
      case 0x4D:  // BININT2
        try push(.int(Int64(try readLE(2))))
      case 0x8A, 0x8B:  // LONG1, LONG4
        let declared = opcode == 0x8A ? UInt64(try readByte()) : try readLE(4)
        guard declared <= UInt64(limits.maxIntegerBytes) else {
          throw TorchFileError.limitExceeded(
            file: file, offset: opcodeStart, limit: "integer length", maximum: limits.maxIntegerBytes,
            found: Int(declared))
        }
        try push(Unpickler.integerNode(Array(try readBytes(Int(declared)))))
      case 0x47:  // BINFLOAT, big-endian
        let raw = try readBytes(8)
        var bits: UInt64 = 0
        for byte in raw { bits = bits << 8 | UInt64(byte) }
        try push(.float(Double(bitPattern: bits)))
      case 0x58:  // BINUNICODE
        let length = try readLength(4)
        try push(.string(try decodeUTF8(try readBytes(length))))
      case 0x8C:  // SHORT_BINUNICODE
        let length = try readLength(1)
        try push(.string(try decodeUTF8(try readBytes(length))))
      case 0x8D:  // BINUNICODE8
        let length = try readLength(8)
        try push(.string(try decodeUTF8(try readBytes(length))))
      case 0x55, 0x54:  // SHORT_BINSTRING, BINSTRING (Python 2 str → Latin-1)
        let length = try readLength(opcode == 0x55 ? 1 : 4)
        let raw = try readBytes(length)
        var scalars = String.UnicodeScalarView()
        for byte in raw { scalars.append(Unicode.Scalar(byte)) }
        try push(.string(String(scalars)))
      case 0x43:  // SHORT_BINBYTES
        try push(.bytes(Array(try readBytes(try readLength(1)))))
      case 0x42:  // BINBYTES
        try push(.bytes(Array(try readBytes(try readLength(4)))))
      case 0x8E:  // BINBYTES8
        try push(.bytes(Array(try readBytes(try readLength(8)))))
      case 0x29: try push(.tuple([], depth: 1))  // EMPTY_TUPLE
      case 0x74: try push(try makeTuple(try popToMark()))  // TUPLE
      case 0x85, 0x86, 0x87:  // TUPLE1..3
        let count = Int(opcode - 0x84)
        var items: [Node] = []
        for _ in 0..<count { items.append(try pop()) }
        try push(try makeTuple(items.reversed()))
      case 0x5D: try push(newList())  // EMPTY_LIST
      case 0x6C: let items = try popToMark(); try push(newList(items))  // LIST
      case 0x61, 0x65:  // APPEND, APPENDS
        let items = opcode == 0x61 ? [try pop()] : try popToMark()
        guard case .list(let listID) = try top() else {
          throw invalid("a list under APPEND", try top().summary)
        }
        lists[listID].append(contentsOf: items)
      case 0x7D: try push(newDict())  // EMPTY_DICT
      case 0x64:  // DICT
        let items = try popToMark()
        guard items.count % 2 == 0 else { throw invalid("key/value pairs", "\(items.count) items") }
        let node = newDict()
        guard case .dict(let dictID) = node else { break }
        for i in stride(from: 0, to: items.count, by: 2) { setItem(dictID, items[i], items[i + 1]) }
        try push(node)
      case 0x73, 0x75:  // SETITEM, SETITEMS
        var items: [Node]
        if opcode == 0x73 {
          let value = try pop()
          let key = try pop()
          items = [key, value]
        } else {
          items = try popToMark()
        }
        guard items.count % 2 == 0 else { throw invalid("key/value pairs", "\(items.count) items") }
        guard case .dict(let dictID) = try top() else {
          throw invalid("a dict under SETITEM", try top().summary)
        }
        for i in stride(from: 0, to: items.count, by: 2) { setItem(dictID, items[i], items[i + 1]) }
      case 0x71: try memoPut(Int(try readByte()))  // BINPUT
      case 0x72: try memoPut(Int(try readLE(4)))  // LONG_BINPUT
      case 0x94: try memoPut(memo.count)  // MEMOIZE
      case 0x68: try memoGet(Int(try readByte()))  // BINGET
      case 0x6A: try memoGet(Int(try readLE(4)))  // LONG_BINGET
      case 0x63:  // GLOBAL
        let module = try readLine()
        let name = try readLine()
        try pushGlobal(module: module, name: name)
      case 0x93:  // STACK_GLOBAL
        let nameNode = try pop()
        let moduleNode = try pop()
        guard case .string(let module) = moduleNode, case .string(let name) = nameNode else {
          throw invalid("module and name strings for STACK_GLOBAL", "\(moduleNode.summary), \(nameNode.summary)")
        }
        try pushGlobal(module: module, name: name)
      case 0x52:  // REDUCE
        let arguments = try pop()
        let callable = try pop()
        guard case .tuple(let items, _) = arguments else {
          throw invalid("an argument tuple for REDUCE", arguments.summary)
        }
        try push(try call(callable, items, opcode: "REDUCE"))
      case 0x81:  // NEWOBJ
        let arguments = try pop()
        let cls = try pop()
        guard case .tuple(let items, _) = arguments else {
          throw invalid("an argument tuple for NEWOBJ", arguments.summary)
        }
        if case .global(let module, let name) = cls,
          !((module == "collections" && name == "OrderedDict")
            || (module == "torch.nn.parameter" && name == "Parameter"))
        {
          throw TorchFileError.forbiddenCall(
            file: file, offset: opcodeStart, callable: "\(module).\(name)",
            reason: "NEWOBJ is only allowed on OrderedDict and Parameter")
        }
        try push(try call(cls, items, opcode: "NEWOBJ"))
      case 0x62:  // BUILD
        let state = try pop()
        let target = try top()
        switch target {
        case .dict, .tensor:
          break  // attributes such as a state dict's `_metadata` are not needed
        default:
          throw TorchFileError.forbiddenCall(
            file: file, offset: opcodeStart, callable: target.summary,
            reason: "BUILD is only allowed on dicts and tensors (state \(state.summary))")
        }
      case 0x51:  // BINPERSID
        try push(try persistentLoad(try pop()))
      default:
        throw TorchFileError.unsupportedOpcode(file: file, offset: opcodeStart, opcode: opcode)
      }
    }
  }

  /// An integer node from little-endian two's-complement bytes (LONG1/LONG4).
  static func integerNode(_ raw: [UInt8]) -> Node {
    if raw.isEmpty { return .int(0) }
    let negative = raw[raw.count - 1] & 0x80 != 0
    var trimmed = raw
    // Drop redundant sign-extension bytes.
    while trimmed.count > 1 {
      let last = trimmed[trimmed.count - 1]
      let previousNegative = trimmed[trimmed.count - 2] & 0x80 != 0
      if (last == 0 && !previousNegative) || (last == 0xFF && previousNegative) {
        trimmed.removeLast()
      } else {
        break
      }
    }
    guard trimmed.count <= 8 else { return .bigInt(trimmed) }
    var value: UInt64 = negative ? ~0 : 0
    for (i, byte) in trimmed.enumerated() {
      value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
      value |= UInt64(byte) << (8 * UInt64(i))
    }
    return .int(Int64(bitPattern: value))
  }

  // MARK: Conversion to the public tree

  /// Converts the arena graph into a `PickleValue` tree. Shared containers are converted once
  /// (cached with their height) so a memo-heavy pickle cannot blow up exponentially; the depth
  /// and total value count stay within the limits, and cycles are refused.
  private func convert(
    _ node: Node, depth: Int, budget: inout Int, cache: inout [Int: (PickleValue, Int)],
    active: inout Set<Int>
  ) throws -> PickleValue {
    try convertWithHeight(node, depth: depth, budget: &budget, cache: &cache, active: &active).0
  }

  private func depthError(_ found: Int) -> TorchFileError {
    .limitExceeded(
      file: file, offset: position - 1, limit: "nesting depth", maximum: limits.maxDepth,
      found: found)
  }

  private func convertWithHeight(
    _ node: Node, depth: Int, budget: inout Int, cache: inout [Int: (PickleValue, Int)],
    active: inout Set<Int>
  ) throws -> (PickleValue, Int) {
    guard depth < limits.maxDepth else { throw depthError(depth + 1) }
    budget -= 1
    guard budget >= 0 else {
      throw TorchFileError.limitExceeded(
        file: file, offset: position - 1, limit: "decoded value count",
        maximum: limits.maxResultValues, found: limits.maxResultValues + 1)
    }
    func children(_ nodes: [Node]) throws -> ([PickleValue], Int) {
      var values: [PickleValue] = []
      values.reserveCapacity(nodes.count)
      var height = 0
      for child in nodes {
        let (value, childHeight) = try convertWithHeight(
          child, depth: depth + 1, budget: &budget, cache: &cache, active: &active)
        values.append(value)
        height = max(height, childHeight)
      }
      return (values, height + 1)
    }
    switch node {
    case .none: return (.none, 1)
    case .bool(let flag): return (.bool(flag), 1)
    case .int(let value): return (.int(value), 1)
    case .bigInt(let raw): return (.bigInt(raw), 1)
    case .float(let value): return (.float(value), 1)
    case .string(let text): return (.string(text), 1)
    case .bytes(let raw): return (.bytes(raw), 1)
    case .global(let module, let name): return (.global(module: module, name: name), 1)
    case .storage(let storage): return (.storage(storage), 1)
    case .tensor(let tensor): return (.tensor(tensor), 1)
    case .tuple(let items, _):
      let (values, height) = try children(items)
      return (.tuple(values), height)
    case .list(let listID), .dict(let listID):
      var isDict = false
      if case .dict = node { isDict = true }
      let cacheKey = listID * 2 + (isDict ? 1 : 0)
      if let (cached, height) = cache[cacheKey] {
        guard depth + height <= limits.maxDepth else { throw depthError(depth + height) }
        return (cached, height)
      }
      guard active.insert(cacheKey).inserted else {
        throw invalid("a non-recursive structure", "a container that contains itself")
      }
      let result: (PickleValue, Int)
      if isDict {
        let flat = dicts[listID].entries.flatMap { [$0.key, $0.value] }
        let (values, height) = try children(flat)
        var entries: [PickleDictEntry] = []
        entries.reserveCapacity(values.count / 2)
        for i in stride(from: 0, to: values.count, by: 2) {
          entries.append(PickleDictEntry(key: values[i], value: values[i + 1]))
        }
        result = (.dict(entries), height)
      } else {
        let (values, height) = try children(lists[listID])
        result = (.list(values), height)
      }
      active.remove(cacheKey)
      cache[cacheKey] = result
      return result
    }
  }
}
