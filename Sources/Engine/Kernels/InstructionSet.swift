/// The instruction set the engine's kernels were built for, and the register-tile shape it implies.
///
/// Chosen at build time by Package.swift (from the build machine's CPU flags, or
/// `RESNET_LESION_ISA` / `RESNET_LESION_PORTABLE`), never at run time: a binary runs only on CPUs
/// with the instruction set it was built for.
public enum KernelInstructionSet {
  /// "AVX-512", "AVX2+FMA", "native" (an unrecognised build machine, `-march=native`) or
  /// "portable" (baseline x86-64 / the target's default).
  public static let name: String = {
    #if RESNET_LESION_AVX512
      return "AVX-512"
    #elseif RESNET_LESION_AVX2
      return "AVX2+FMA"
    #elseif RESNET_LESION_PORTABLE
      return "portable"
    #else
      return "native"
    #endif
  }()

  /// The register tiles of the convolution microkernels: rows (output pixels or filter rows) ×
  /// lanes (channels), e.g. "6×16", or "8×16, 8×32" where two panels share a tile, and the row
  /// tiles of stride-1 three-wide convolutions where the build has them.
  public static var tileShape: String {
    let narrow = "\(convolutionTileRows)×\(convolutionPanelWidth)"
    let shapes = convolutionWideTiles ? narrow + ", \(convolutionTileRows)×\(2 * convolutionPanelWidth)" : narrow
    return convolutionRowTiles ? shapes + "; row tiles 16×16, 8×32" : shapes
  }
}
