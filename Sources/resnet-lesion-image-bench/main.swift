// resnet-lesion-image-bench: decode + evaluation transform throughput against Pillow + torchvision.
//
// Generates ImageNet-size JPEGs (500×375 and 375×500, Pillow quality 90, 4:2:0) in a temporary
// folder with `$RESNET_LESION_PYTHON` (default python3) — or reads the JPEGs of --folder — and
// times, on one thread, file bytes in memory → RGB → Resize(256) → CenterCrop(224): ours, then
// Pillow + torchvision in the same run (pillow_reference.py). Prints images/s (medians of the
// repeats), the ratio, the CPU model, and whether our crops equal torchvision's byte for byte.
//
// Usage: resnet-lesion-image-bench [--images N] [--repeats R] [--folder DIR] (see --help)
import Datasets
import Foundation
import Images
import LesionCLI

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func cpuModel() -> String {
  guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
  for line in text.split(separator: "\n") where line.hasPrefix("model name") {
    return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
  }
  return "unknown CPU"
}

func runPython(_ arguments: [String]) -> (status: Int32, output: String) {
  let process = Process()
  let python = ProcessInfo.processInfo.environment["RESNET_LESION_PYTHON"] ?? "python3"
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [python] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return (127, "") }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

let spec = CommandSpec(
  name: "resnet-lesion-image-bench",
  abstract: "JPEG decode + evaluation transform throughput against Pillow + torchvision, one thread.",
  options: [
    .option("images", value: "<n>", help: "JPEGs to generate (without --folder).", default: "32"),
    .option("repeats", value: "<n>", help: "Passes over the JPEGs; medians are reported.", default: "5"),
    .option("folder", value: "<path>", help: "Time the .jpg files of this folder instead of generated ones."),
  ])
let (imageCount, repeats, folderArgument) = CommandLineProgram.valueOrExit {
  let parsed = try spec.parse(Array(CommandLine.arguments.dropFirst()), parents: [])
  return (try parsed.int("images", in: 1...100_000)!, try parsed.int("repeats", in: 1...1000)!, try parsed.path("folder"))
}

let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("pillow_reference.py").path
let folder: URL
var temporary: URL?
if let folderArgument {
  folder = folderArgument
} else {
  let made = FileManager.default.temporaryDirectory.appendingPathComponent("image-bench-\(UUID().uuidString)")
  CommandLineProgram.valueOrExit {
    try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
    guard runPython([script, "generate", made.path, "\(imageCount)"]).status == 0 else {
      // "RESNET_LESION_PYTHON: expected a Python with Pillow and numpy (or --folder), found python3"
      throw DatasetError.invalidArgument(
        name: "RESNET_LESION_PYTHON", expected: "a Python with Pillow and numpy to generate JPEGs (or --folder)",
        found: ProcessInfo.processInfo.environment["RESNET_LESION_PYTHON"] ?? "python3")
    }
  }
  folder = made
  temporary = made
}
defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }

// Every .jpg file of the folder, in name order, read into memory.
let (names, blobs) = CommandLineProgram.valueOrExit {
  let names: [String]
  do {
    names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".jpg") }.sorted()
  } catch {
    throw DatasetError.fileAccess(file: folder.path, message: error.localizedDescription)
  }
  guard !names.isEmpty else { throw DatasetError.fileAccess(file: folder.path, message: "no .jpg files") }
  let blobs = try names.map { name in
    let file = folder.appendingPathComponent(name)
    do { return [UInt8](try Data(contentsOf: file)) } catch {
      throw DatasetError.fileAccess(file: file.path, message: error.localizedDescription)
    }
  }
  return (names, blobs)
}
print("\(blobs.count) JPEGs from \(folder.path), \(repeats) repeats, one thread; \(cpuModel())")

let transform = EvaluationTransform(resize: 256, crop: 224)
func rate(_ body: ([UInt8], String) throws -> Void) throws -> Double {
  var rates: [Double] = []
  for _ in 0..<repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    for (index, blob) in blobs.enumerated() { try body(blob, names[index]) }
    rates.append(Double(blobs.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
  }
  return median(rates)
}
let oursDecode = CommandLineProgram.valueOrExit { try rate { blob, name in _ = try ImageDecoder.decode(blob, file: name) } }
let oursCrop = CommandLineProgram.valueOrExit { try rate { blob, name in _ = transform.apply(try ImageDecoder.decode(blob, file: name)) } }

let python = runPython([script, "time", folder.path, "\(repeats)"])
struct Reference: Decodable {
  var decode: Double
  var crop: Double
  var tensor: Double
  var pillow: String
  var torchvision: String
}
func row(_ name: String, _ ours: Double, _ theirs: Double?) -> String {
  let t = theirs.map { String(format: "%10.1f  %6.2f", $0, ours / $0) } ?? "         –       –"
  return name.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%10.1f", ours) + "  " + t
}
let reference = python.status == 0
  ? try? JSONDecoder().decode(Reference.self, from: Data(python.output.split(separator: "\n").last.map(String.init)?.utf8 ?? "".utf8))
  : nil
print("workload".padding(toLength: 40, withPad: " ", startingAt: 0) + "  ours img/s  Pillow img/s  ratio")
print(row("decode JPEG → RGB", oursDecode, reference?.decode))
print(row("decode + Resize(256) + CenterCrop(224)", oursCrop, reference?.crop))
if let reference {
  print(String(format: "(Pillow %@ + torchvision %@; with ToTensor + Normalize: %.1f img/s)", reference.pillow, reference.torchvision, reference.tensor))
  // Parity on the same files: our crops against torchvision's, byte for byte.
  if let crops = try? Data(contentsOf: folder.appendingPathComponent("crops.u8")), crops.count == blobs.count * 224 * 224 * 3 {
    var differing = 0
    var worst = 0
    for (index, blob) in blobs.enumerated() {
      let ours = CommandLineProgram.valueOrExit { transform.apply(try ImageDecoder.decode(blob, file: names[index])).pixels }
      let offset = index * 224 * 224 * 3
      for i in 0..<ours.count {
        let d = abs(Int(ours[i]) - Int(crops[offset + i]))
        if d != 0 { differing += 1; worst = max(worst, d) }
      }
    }
    print("parity: \(differing) of \(blobs.count * 224 * 224 * 3) crop samples differ from torchvision's (max |difference| \(worst))")
  }
} else {
  print("(Pillow reference not available: set RESNET_LESION_PYTHON to a Python with Pillow, numpy, torch and torchvision)")
}
