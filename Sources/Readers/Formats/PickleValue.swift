/// A value decoded by the restricted unpickler: plain Python data plus PyTorch storage and
/// tensor references. Never an arbitrary object: anything else is refused while unpickling.
public indirect enum PickleValue: Sendable, Equatable {
  /// Python `None`.
  case none
  /// Python `bool`.
  case bool(Bool)
  /// A Python `int` that fits in 64 bits.
  case int(Int64)
  /// A wider Python `int`: little-endian two's-complement bytes (e.g. the legacy magic number).
  case bigInt([UInt8])
  /// Python `float`.
  case float(Double)
  /// Python `str` (also Python 2 `str`, decoded as Latin-1).
  case string(String)
  /// Python `bytes`.
  case bytes([UInt8])
  /// Python `tuple` (also `torch.Size`).
  case tuple([PickleValue])
  /// Python `list`.
  case list([PickleValue])
  /// Python `dict` or `collections.OrderedDict`, in insertion order.
  case dict([PickleDictEntry])
  /// An allowed global used as a value (a storage type or a dtype such as `torch.float32`).
  case global(module: String, name: String)
  /// A storage, from a persistent id.
  case storage(TorchStorageReference)
  /// A tensor rebuilt by `torch._utils._rebuild_tensor(_v2)` or `_rebuild_parameter`.
  case tensor(TorchTensorReference)

  /// The entry under a string key, if this is a dict holding it.
  public subscript(key: String) -> PickleValue? {
    guard case .dict(let entries) = self else { return nil }
    return entries.first(where: { $0.key == .string(key) })?.value
  }

  /// A short description for error messages (`dict with 3 entries`, `int 5`, …).
  public var summary: String {
    switch self {
    case .none: return "None"
    case .bool(let flag): return flag ? "True" : "False"
    case .int(let value): return "int \(value)"
    case .bigInt(let bytes): return "\(bytes.count)-byte int"
    case .float(let value): return "float \(value)"
    case .string(let text): return "string \"\(text.prefix(40))\""
    case .bytes(let bytes): return "\(bytes.count) bytes"
    case .tuple(let items): return "tuple of \(items.count)"
    case .list(let items): return "list of \(items.count)"
    case .dict(let entries): return "dict with \(entries.count) entries"
    case .global(let module, let name): return "\(module).\(name)"
    case .storage(let storage): return "storage \"\(storage.key)\""
    case .tensor(let tensor): return "tensor \(tensor.dtype) \(tensor.shape)"
    }
  }
}

/// One key/value pair of a pickled dict.
public struct PickleDictEntry: Sendable, Equatable {
  /// The key (usually a string).
  public var key: PickleValue
  /// The value.
  public var value: PickleValue
}

/// A storage named by a persistent id: `('storage', torch.XxxStorage, key, location, numel[, view])`.
public struct TorchStorageReference: Sendable, Equatable {
  /// The storage key: the zip record `data/<key>` or the legacy key-list entry.
  public var key: String
  /// The element type, from the storage class (`FloatStorage` → `float32`).
  public var dtype: TensorDType
  /// The device the storage was saved from (`cpu`, `cuda:0`); informational only.
  public var location: String
  /// The storage's element count.
  public var elementCount: Int
  /// Legacy files only: this reference is a slice `[offset, offset + count)` (in elements) of
  /// the root storage `key`.
  public var view: View?

  /// A legacy storage view.
  public struct View: Sendable, Equatable {
    /// The view's own key.
    public var key: String
    /// First element of the root storage in the view.
    public var offset: Int
    /// Elements in the view.
    public var count: Int
  }

  /// The number of elements a tensor can address (the view's count, if any).
  public var addressableCount: Int { view?.count ?? elementCount }
}

/// A tensor as described in the pickle: a strided window onto a storage.
public struct TorchTensorReference: Sendable, Equatable {
  /// The storage holding the elements.
  public var storage: TorchStorageReference
  /// The first element, in storage elements.
  public var storageOffset: Int
  /// The dimensions.
  public var shape: [Int]
  /// The step between neighbours along each dimension, in elements.
  public var strides: [Int]

  /// The element type.
  public var dtype: TensorDType { storage.dtype }
}

/// Safety limits for the restricted unpickler.
public struct PickleLimits: Sendable {
  /// Maximum nesting of containers (tuples, lists, dicts).
  public var maxDepth = 200
  /// Maximum memo entries.
  public var maxMemoEntries = 1 << 22
  /// Maximum values on the stack at once.
  public var maxStackSize = 1 << 22
  /// Maximum length of one string or bytes object.
  public var maxStringBytes = 1 << 28
  /// Maximum length of one LONG1/LONG4 integer, in bytes.
  public var maxIntegerBytes = 1024
  /// Maximum tensor rank.
  public var maxRank = 64
  /// Maximum number of values in the decoded result (counting shared values each time).
  public var maxResultValues = 1 << 22

  /// The default limits: generous for any real checkpoint.
  public init() {}
}
