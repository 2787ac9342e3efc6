// swift-tools-version:6.0
// resnet-lesion: lesion studies of residual networks (Veit, Wilber & Belongie, NIPS 2016).
//
// Data flows one way through the targets:
//   Basics (no dependencies) → readers (TensorFormats, Archives, Datasets, Checkpoints) → Engine → Training
//   → Lesion, PathAnalysis → Report → Studies → Figures → LesionCLI → resnet-lesion
import Foundation
import PackageDescription

// Numeric targets are compiled for the build machine's CPU and without bounds checks in release
// builds. The register-tile shapes of the convolution kernels are chosen per instruction set at
// build time (Sources/Engine/Kernels/InstructionSet.swift):
// - default: `-march=native`; the instruction set is read from the build machine's CPU flags
//   (/proc/cpuinfo on Linux): AVX-512 (avx512f) or AVX2 (avx2 and fma), otherwise generic tiles;
// - RESNET_LESION_ISA=avx512 | avx2 builds for that level (x86-64-v4 | x86-64-v3) whatever the
//   build machine (e.g. to measure the AVX2 kernels on an AVX-512 machine);
// - RESNET_LESION_PORTABLE=1 builds for baseline x86-64 (binaries that must run anywhere).
let environment = ProcessInfo.processInfo.environment
let portable = environment["RESNET_LESION_PORTABLE"] != nil
let cpuFlags: Set<Substring> = {
  guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
  else { return [] }
  return Set(line.split(separator: " "))
}()
let instructionSet: String? =
  portable
  ? nil
  : (environment["RESNET_LESION_ISA"]?.lowercased()
    ?? (cpuFlags.contains("avx512f")
      ? "avx512" : cpuFlags.contains("avx2") && cpuFlags.contains("fma") ? "avx2" : nil))
let instructionSetSettings: [SwiftSetting] =
  switch instructionSet {
  case "avx512":
    [.define("RESNET_LESION_AVX512")]
      + (environment["RESNET_LESION_ISA"] == nil
        ? [.unsafeFlags(["-Xcc", "-march=native"])] : [.unsafeFlags(["-Xcc", "-march=x86-64-v4"])])
  case "avx2":
    [.define("RESNET_LESION_AVX2")]
      + (environment["RESNET_LESION_ISA"] == nil
        ? [.unsafeFlags(["-Xcc", "-march=native"])] : [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])])
  default:
    portable
      ? [.define("RESNET_LESION_PORTABLE")]  // separate multiply and add: no libm fmaf per lane
      : [.unsafeFlags(["-Xcc", "-march=native"])]
  }
let numericSettings: [SwiftSetting] =
  [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))] + instructionSetSettings

let package = Package(
  name: "resnet-lesion",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "resnet-lesion", targets: ["resnet-lesion"]),
    .library(name: "LesionCLI", targets: ["LesionCLI"]),
  ],
  targets: [
    // Basics: the one implementation of each shared foundation (seeded generator, strict JSON,
    // hashes, half-precision codec, notebooks-data locator, UsageError). Foundation only.
    .target(name: "Basics", path: "Sources/Basics"),
    // Readers: bytes on disk → tensors and images. No dependency on the engine.
    .target(name: "Archives", dependencies: ["Basics"], path: "Sources/Readers/Archives"),
    .target(name: "TensorFormats", dependencies: ["Basics"], path: "Sources/Readers/Formats"),
    .target(
      name: "Images", dependencies: ["Basics", "Archives"], path: "Sources/Readers/Images",
      swiftSettings: numericSettings),
    .target(
      name: "Datasets", dependencies: ["Basics", "TensorFormats", "Archives", "Images"],
      path: "Sources/Readers/Datasets"),
    // The engine: tensors, kernels, layers, residual networks, plans, forward and backward.
    .target(name: "Engine", path: "Sources/Engine", swiftSettings: numericSettings),
    // Checkpoints: state dicts → Engine networks (architecture inferred from names and shapes).
    .target(
      name: "Checkpoints", dependencies: ["Basics", "TensorFormats", "Engine"],
      path: "Sources/Readers/Checkpoints"),
    .target(
      name: "Training", dependencies: ["Basics", "Engine", "Datasets", "Checkpoints"],
      path: "Sources/Training", swiftSettings: numericSettings),
    // Analysis: the paper's measurements, and the statistics they are reported with.
    .target(name: "Statistics", path: "Sources/Analysis/Statistics"),
    .target(
      name: "Lesion", dependencies: ["Basics", "Engine", "Datasets", "Statistics"], path: "Sources/Analysis/Lesion",
      swiftSettings: numericSettings),
    .target(
      name: "PathAnalysis", dependencies: ["Basics", "Engine", "Datasets", "Lesion", "Statistics"],
      path: "Sources/Analysis/PathAnalysis", swiftSettings: numericSettings),
    .target(
      name: "Importance", dependencies: ["Basics", "Engine", "Datasets", "Lesion", "Statistics"],
      path: "Sources/Analysis/Importance", swiftSettings: numericSettings),
    // Report: tables, CSV, JSON, SVG.
    .target(name: "Report", dependencies: ["Basics"], path: "Sources/Report"),
    // Studies: each experiment once (a model, data, normalization, progress) with one typed
    // result and row schema, used alike by the commands and by `figures`.
    .target(
      name: "Studies",
      dependencies: [
        "Basics", "Checkpoints", "Datasets", "Engine", "Lesion", "PathAnalysis", "Report", "Statistics", "Importance",
        "TensorFormats",
      ],
      path: "Sources/Studies"),
    // Figures: each figure of `figures` is Studies experiments plus a plot and a sidecar; the
    // catalog, the workspace (models and data checked before any work), seed manifests, sharding.
    .target(
      name: "Figures",
      dependencies: ["Basics", "Checkpoints", "Datasets", "Engine", "Lesion", "PathAnalysis", "Report", "Statistics", "Studies"],
      path: "Sources/Figures"),
    // The command line: argument parsing and commands (library, testable) and a thin executable.
    .target(
      name: "LesionCLI",
      dependencies: [
        "Basics", "TensorFormats", "Datasets", "Engine", "Checkpoints", "Training", "Lesion", "PathAnalysis",
        "Report", "Statistics", "Studies", "Figures",
      ],
      path: "Sources/CLI"),
    .executableTarget(name: "resnet-lesion", dependencies: ["LesionCLI"]),
    .executableTarget(
      name: "resnet-lesion-image-bench", dependencies: ["Images", "Datasets", "LesionCLI"],
      exclude: ["pillow_reference.py"]),
    .executableTarget(
      name: "resnet-lesion-bench", dependencies: ["Basics", "Engine", "Checkpoints", "Datasets", "Lesion", "Training", "LesionCLI"],
      exclude: ["pytorch_reference.py"], swiftSettings: numericSettings),

    // Shared test helpers (closeness checks, fixture locator, generator helpers); not API.
    .target(name: "_TestSupport", dependencies: ["Basics"]),

    .testTarget(name: "BasicsTests", dependencies: ["_TestSupport", "Basics"]),
    .testTarget(
      name: "TensorFormatsTests", dependencies: ["_TestSupport", "TensorFormats", "Archives"], exclude: ["Fixtures"]),
    .testTarget(
      name: "DatasetsTests", dependencies: ["_TestSupport", "Datasets", "Archives", "TensorFormats"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "EngineTests", dependencies: ["_TestSupport", "Engine", "TensorFormats"], exclude: ["Fixtures"],
      swiftSettings: numericSettings),
    .testTarget(
      name: "CheckpointsTests", dependencies: ["_TestSupport", "Checkpoints", "Engine", "TensorFormats"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "TrainingTests", dependencies: ["_TestSupport", "Training", "Engine", "Datasets", "Checkpoints", "TensorFormats"],
      exclude: ["Fixtures"]),
    .testTarget(name: "LesionTests", dependencies: ["_TestSupport", "Lesion", "Engine", "Datasets", "Statistics"]),
    .testTarget(name: "StatisticsTests", dependencies: ["_TestSupport", "Statistics"], exclude: ["Fixtures"]),
    .testTarget(
      name: "PathAnalysisTests", dependencies: ["_TestSupport", "PathAnalysis", "Engine", "Lesion", "Datasets", "TensorFormats", "Statistics"],
      exclude: ["Fixtures"]),
    .testTarget(name: "ImportanceTests", dependencies: ["_TestSupport", "Importance", "Engine", "Lesion", "Datasets", "Basics"]),
    .testTarget(
      name: "ImagesTests", dependencies: ["_TestSupport", "Images", "Datasets"], exclude: ["Fixtures"]),
    .testTarget(name: "ReportTests", dependencies: ["_TestSupport", "Basics", "Report"]),
    .testTarget(name: "ParsingTests", dependencies: ["_TestSupport", "LesionCLI", "Studies"]),
    .testTarget(
      name: "FiguresTests",
      dependencies: ["_TestSupport", "Basics", "Checkpoints", "Datasets", "Figures", "Lesion", "PathAnalysis", "Statistics", "Studies"]),
    .testTarget(name: "ShardingTests", dependencies: ["_TestSupport", "Studies", "Lesion", "Engine", "Basics"]),
    // End-to-end: runs the built resnet-lesion binary.
    .testTarget(name: "CommandLineTests", dependencies: ["_TestSupport", "resnet-lesion"], exclude: ["Fixtures"]),
  ],
  swiftLanguageModes: [.v5]
)
