import Foundation

/// Reads any supported tensor file, choosing the format from its first bytes.
public enum TensorFile {
  /// Detects the format by magic bytes (safetensors / torch zip / torch legacy / .npy) and reads it.
  ///
  /// `.npy` files become a one-tensor archive whose tensor is named `""`. Files that match no
  /// magic are tried as safetensors (whose first 8 bytes are a length, not a magic number).
  /// - Throws: the format's error type (`SafeTensorsError`, `TorchFileError`, `NumPyError`).
  public static func read(contentsOf url: URL) throws -> TensorArchive {
    try parse(readFileBytes(url, orThrow: TorchFileError.fileAccess), file: url.path)
  }

  /// Detects the format of in-memory bytes and parses them (see `read(contentsOf:)`).
  /// - Throws: `TorchFileError.notATensorFile` naming what the bytes look like (gzip, a bare
  ///   pickle, another zip, text…) when they start like no tensor format.
  public static func parse(_ bytes: [UInt8], file: String) throws -> TensorArchive {
    if let other = otherFormat(bytes) {
      throw TorchFileError.notATensorFile(file: file, found: other)
    }
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

  /// What the first bytes show when they start like no tensor format, in plain words; nil when
  /// they may be one of ours.
  ///
  /// A safetensors file starts with its header length (8 bytes, little-endian) followed by `{`;
  /// files shorter than 9 bytes are left to the safetensors reader, which reports them.
  public static func otherFormat(_ bytes: [UInt8]) -> String? {
    if detectFormat(bytes) != .safetensors { return nil }
    if bytes.count < 9 || bytes[8] == UInt8(ascii: "{") { return nil }
    if bytes.matches([0x1F, 0x8B], at: 0) { return "a gzip file (decompress it first)" }
    if bytes.matches([0x50, 0x4B], at: 0) {
      return "a zip archive that is not a PyTorch checkpoint (first bytes \(hexPrefix(bytes, count: 4)))"
    }
    if bytes[0] == 0x80, (1...5).contains(bytes[1]) {
      return "a bare Python pickle (protocol \(bytes[1])), not a torch.save checkpoint:"
        + " save the state dict with torch.save or as safetensors"
    }
    if bytes[0] == 0x89, bytes.matches(Array("HDF".utf8), at: 1) { return "an HDF5 file" }
    if bytes.prefix(64).allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
      return "text (\"\(String(decoding: bytes.prefix(24), as: UTF8.self))…\")"
    }
    return "bytes \(hexPrefix(bytes)) (no known magic number, and no safetensors header)"
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
