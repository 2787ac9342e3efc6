import Basics

/// Decodes an image file of any supported format, chosen by its signature.
public enum ImageDecoder {
  /// The format of `bytes` by signature: "JPEG", "PNG", or nil.
  public static func format(of bytes: [UInt8]) -> String? {
    if JPEG.isJPEG(bytes) { return "JPEG" }
    if PNG.isPNG(bytes) { return "PNG" }
    return nil
  }

  /// Decodes a JPEG or PNG file to 8-bit RGB, as `PIL.Image.open(file).convert("RGB")`.
  /// - Throws: `ImageError` naming `file`.
  public static func decode(_ bytes: [UInt8], file: String) throws -> RGBImage {
    if JPEG.isJPEG(bytes) { return try JPEG.decode(bytes, file: file) }
    if PNG.isPNG(bytes) { return try PNG.decode(bytes, file: file) }
    throw ImageError.unknownFormat(file: file, found: bytes.isEmpty ? "none (empty file)" : Hex.bytes(bytes.prefix(8)))
  }
}
