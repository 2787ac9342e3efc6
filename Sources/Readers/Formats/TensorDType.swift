/// The element types a `RawTensor` can hold.
///
/// The raw values are PyTorch's dtype names (`torch.float32` → `"float32"`).
public enum TensorDType: String, Sendable, CaseIterable {
  case float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, bool

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .float64, .int64: return 8
    case .float32, .int32: return 4
    case .float16, .bfloat16, .int16: return 2
    case .int8, .uint8, .bool: return 1
    }
  }

  /// True for the floating-point types (`float64`, `float32`, `float16`, `bfloat16`).
  public var isFloatingPoint: Bool {
    switch self {
    case .float64, .float32, .float16, .bfloat16: return true
    default: return false
    }
  }

  /// The safetensors dtype string (`"F32"`, `"I64"`, …).
  public var safeTensorsName: String {
    switch self {
    case .float64: return "F64"
    case .float32: return "F32"
    case .float16: return "F16"
    case .bfloat16: return "BF16"
    case .int64: return "I64"
    case .int32: return "I32"
    case .int16: return "I16"
    case .int8: return "I8"
    case .uint8: return "U8"
    case .bool: return "BOOL"
    }
  }

  /// Looks a safetensors dtype string up; `nil` for names this library does not support.
  public init?(safeTensorsName name: String) {
    guard let match = TensorDType.allCases.first(where: { $0.safeTensorsName == name }) else {
      return nil
    }
    self = match
  }

  /// Position in the safetensors reference writer's alignment order (larger = written first).
  var safeTensorsAlignmentRank: Int {
    switch self {
    case .bool: return 0
    case .uint8: return 4
    case .int8: return 5
    case .int16: return 11
    case .float16: return 13
    case .bfloat16: return 14
    case .int32: return 15
    case .float32: return 17
    case .float64: return 19
    case .int64: return 20
    }
  }
}

/// The number of elements of a tensor of this shape, or `nil` if a dimension is negative or the
/// product overflows `Int`.
func checkedElementCount(_ shape: [Int]) -> Int? {
  var count = 1
  for dimension in shape {
    guard dimension >= 0 else { return nil }
    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
    guard !overflow else { return nil }
    count = product
  }
  return count
}

/// The number of bytes of a tensor of this shape and dtype, or `nil` on a negative dimension or
/// overflow.
func checkedByteCount(_ shape: [Int], _ dtype: TensorDType) -> Int? {
  guard let count = checkedElementCount(shape) else { return nil }
  let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
  return overflow ? nil : bytes
}
