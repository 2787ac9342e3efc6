/// An ordered name → tensor collection plus string metadata, as read from one file.
public struct TensorArchive: Sendable {
  /// The container format a file was read from.
  public enum Format: String, Sendable {
    /// A safetensors file.
    case safetensors
    /// A `torch.save` zip archive (PyTorch ≥ 1.6).
    case torchZip
    /// A legacy `torch.save` file (`_use_new_zipfile_serialization=False` or PyTorch < 1.6).
    case torchLegacy
    /// A NumPy `.npy` file (one tensor, named `""`).
    case numpy
    /// A Torch7 `.t7` network (fb.resnet.torch), converted to PyTorch names by `Torch7Network`.
    case torch7
  }

  /// The format the tensors were read from.
  public var format: Format
  /// The tensors in file order (safetensors: by data offset; torch: state-dict order).
  public var tensors: [(name: String, tensor: RawTensor)] {
    didSet { index = TensorArchive.makeIndex(tensors) }
  }
  /// String metadata: safetensors `__metadata__`; for torch files `"wrapper"` (the key of the
  /// unwrapped state dict), `"prefix_stripped"` (`"module."`) and `"checkpoint.<key>"` for
  /// scalar entries of a wrapper dict such as `epoch`.
  public var metadata: [String: String]

  private var index: [String: Int]

  /// Makes an archive; if a name repeats, lookups by name find its first occurrence.
  public init(
    format: Format, tensors: [(name: String, tensor: RawTensor)], metadata: [String: String] = [:]
  ) {
    self.format = format
    self.tensors = tensors
    self.metadata = metadata
    self.index = TensorArchive.makeIndex(tensors)
  }

  /// The tensor with this name, if any.
  /// - Complexity: O(1) on average.
  public subscript(name: String) -> RawTensor? {
    guard let position = index[name] else { return nil }
    return tensors[position].tensor
  }

  /// The tensor names in file order.
  public var names: [String] { tensors.map(\.name) }

  private static func makeIndex(_ tensors: [(name: String, tensor: RawTensor)]) -> [String: Int] {
    var index = [String: Int](minimumCapacity: tensors.count)
    for (position, entry) in tensors.enumerated() where index[entry.name] == nil {
      index[entry.name] = position
    }
    return index
  }
}
