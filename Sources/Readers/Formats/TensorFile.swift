import Foundation

/// Reads any supported tensor file, choosing the format from its first bytes.
public enum TensorFile {
  /// Detects the format by magic bytes (safetensors / torch zip / torch legacy / .npy) and reads it.
  ///
  /// `.npy` files become a one-tensor archive whose tensor is named `""`. Files that match no
  /// magic are tried as safetensors (whose first 8 bytes are a length, not a magic number).
  /// - Throws: the format's error type (`SafeTensorsError`, `TorchFileError`, `NumPyError`).
  public static func read(contentsOf url: URL) throws -> TensorArchive {
    let bytes: [UInt8]
    do {
      bytes = try readFileBytes(url)
    } catch let error as FileAccessError {
      throw TorchFileError.fileAccess(file: error.path, message: error.message)
    }
    return try parse(bytes, file: url.path)
  }

  /// Detects the format of in-memory bytes and parses them (see `read(contentsOf:)`).
  public static func parse(_ bytes: [UInt8], file: String) throws -> TensorArchive {
    switch detectFormat(bytes) {
    case .torchZip, .torchLegacy:
      return try TorchCheckpoint.parse(bytes, file: file)
    case .numpy:
      let array = try NumPyArray.parse(bytes, file: file)
      return TensorArchive(format: .numpy, tensors: [("", array.tensor)])
    case .safetensors:
      return try SafeTensors.parse(bytes, file: file)
    case .torch7:
      return try Torch7Network.archive(bytes, file: file)
    }
  }

  /// The format suggested by the first bytes: `PK\3\4` → torch zip, `80 02 8A 0A` (or a
  /// protocol-4 frame `80 04 95`) → legacy torch, `\x93NUMPY` → npy, a Torch7 table or object
  /// with reference index 1 (`03|04 00 00 00 01 00 00 00`) → `.t7`, anything else → safetensors.
  public static func detectFormat(_ bytes: [UInt8]) -> TensorArchive.Format {
    if bytes.matches([0x50, 0x4B, 0x03, 0x04], at: 0) { return .torchZip }
    if TorchCheckpoint.isLegacyStart(bytes) { return .torchLegacy }
    if bytes.matches([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], at: 0) { return .numpy }
    if Torch7Document.looksLikeTorch7(bytes) { return .torch7 }
    return .safetensors
  }
}
