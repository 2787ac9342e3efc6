// resnet-lesion-bench: the engine's speed on CIFAR ResNet-110, beside PyTorch measured in the same run.
//
//   swift run -c release resnet-lesion-bench [--batch 128,1] [--repeats 5] [--seconds 3] [--threads N] [--no-pytorch] [--no-memory] [--cpu-time]
//   swift run -c release resnet-lesion-bench --sweep [--model resnet110] [--repeats 3] [--no-pytorch]
//
// It prints the CPU model and the instruction set the engine was built for, then for each batch
// size it times, as medians over --repeats runs of at least --seconds each: forward (inference,
// batch norm folded), forward + gradient w.r.t. the input, and a full training step
// (training-mode forward, backward to every parameter, SGD update). When `$RESNET_LESION_PYTHON`
// (default `python3`) can import torch it runs the same workloads in PyTorch (eager,
// channels-last, as many threads as the engine) via pytorch_reference.py, and the forward in
// onnxruntime when importable, turn about with ours (ReferenceServer.swift), and prints the
// medians of the per-round ratios, and beside them the share of the machine's CPU time the
// hypervisor gave to other guests during our runs and the references' (Linux's steal time; on a
// shared virtual machine, the rates fall with it). Last, the peak resident memory of
// training steps at the largest batch, ours and PyTorch's, each in a fresh process.
import Basics
import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion
import LesionCLI
import Training

/// The command line: options, help and their checks come from the project's parser (LesionCLI).
let benchSpec = CommandSpec(
  name: "resnet-lesion-bench",
  abstract: "The engine's speed on CIFAR ResNet-110, beside PyTorch measured in the same run.",
  discussion:
    "Times forward, forward + input gradient and a training step, each round ours and then each reference (PyTorch eager and channels-last, onnxruntime for the forward) when RESNET_LESION_PYTHON (default python3) has them; prints medians of the rounds' ratios and the CPU time the hypervisor stole meanwhile. With --sweep, times the single-deletion sweep of a bundled model on the MNIST-5k test digits instead.",
  options: [
    .option("batch", value: "<list>", help: "Batch sizes to time.", default: "128,1"),
    .option("repeats", value: "<n>", help: "Rounds per measurement, each one run of ours and then one of each reference; medians are reported.", default: "5"),
    .option("seconds", value: "<s>", help: "Least duration of each run.", default: "3"),
    .option("depth", value: "<n>", help: "Depth 6n+2 of the CIFAR ResNet.", default: "110"),
    .option("threads", value: "<n>", help: "Threads of both engines.", defaultDescription: "RESNET_LESION_THREADS or all cores"),
    .flag("cpu-time", help: "Report images per CPU-second of the measuring process."),
    .flag("fastest", help: "Report the rate of the fastest single pass (wall clock) instead of the mean: on a shared machine, an estimate of the idle rate."),
    .flag("no-pytorch", help: "Skip the PyTorch and onnxruntime references."),
    .flag("no-memory", help: "Skip the peak-memory measurement."),
    .option("only", value: "<workload>", help: "Time only forward, gradient (forward + input gradient) or training (e.g. under a profiler)."),
    .flag("sweep", help: "Time the single-deletion sweep of a model instead."),
    .option("model", value: "<name|path>", help: "Model for --sweep.", default: "resnet110"),
    // Internal: peak memory of training steps at this batch in a fresh process (JSON on stdout).
    .option("training-memory-child", value: "<batch>", help: "Internal.").hidden(),
  ],
  examples: ["--batch 128 --repeats 3 --no-memory", "--threads 1 --cpu-time --no-pytorch", "--sweep --repeats 1"])

/// The workloads `--only` selects.
enum Workload: String, CaseIterable {
  case forward, gradient, training
}

struct Options {
  var batches: [Int]
  var repeats: Int
  var seconds: Double
  var pytorch: Bool
  var depth: Int
  var sweep: Bool
  var model: String
  var trainingMemoryChild: Int?
  var memory: Bool
  /// Rates per CPU-second of the measuring process (both engines): robust on a shared machine
  /// with --threads 1 (with more threads, spin-waiting threads count as busy).
  var cpuTime: Bool
  /// The fastest pass of each run: passes that were not preempted, on a loaded machine.
  var fastest: Bool
  var only: Workload?

  /// The options of `parsed` (`benchSpec`), checked; sets `EngineThreads.count` for --threads
  /// (both engines use it; PyTorch via torch.set_num_threads).
  /// - Throws: `CommandLineError` for a value out of range.
  init(_ parsed: ParsedArguments) throws {
    batches = try parsed.integerList("batch", in: 1...4096)!
    repeats = try parsed.int("repeats", in: 1...1000)!
    seconds = try parsed.double("seconds", in: 0...3600)!
    depth = try parsed.int("depth", in: 8...1202)!
    guard (depth - 2) % 6 == 0 else {
      throw CommandLineError.invalidValue(option: "--depth", value: "\(depth)", expected: "a depth 6n + 2")
    }
    if let threads = try parsed.int("threads", in: 1...1024) { EngineThreads.count = threads }
    cpuTime = try parsed.flag("cpu-time")
    fastest = try parsed.flag("fastest")
    pytorch = try !parsed.flag("no-pytorch")
    memory = try !parsed.flag("no-memory")
    only = try parsed.choice("only", as: Workload.self)
    sweep = try parsed.flag("sweep")
    model = try parsed.string("model")!
    trainingMemoryChild = try parsed.int("training-memory-child", in: 1...4096)
  }
}

/// Seconds on the clock the benchmark uses: wall time, or with --cpu-time the CPU time of this
/// process (all threads), which other processes on a shared machine do not inflate.
func clockSeconds() -> Double {
  var t = timespec()
  clock_gettime(options.cpuTime ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Runs `body` repeatedly for at least `seconds` of wall time; returns items per second of
/// `clockSeconds()` (with --fastest: items per wall-clock second of the fastest call).
func rate(items: Int, seconds: Double, _ body: () throws -> Void) rethrows -> Double {
  try body()  // warm-up
  let start = Date()
  let clockStart = clockSeconds()
  var count = 0
  var fastest = Double.infinity
  repeat {
    let callStart = Date()
    try body()
    fastest = min(fastest, Date().timeIntervalSince(callStart))
    count += 1
  } while Date().timeIntervalSince(start) < seconds
  if options.fastest { return Double(items) / fastest }
  return Double(items * count) / (clockSeconds() - clockStart)
}

/// The machine's CPU time so far, in ticks: all of it and the part the hypervisor gave to other
/// guests ("steal", the 8th field of /proc/stat's `cpu` line); nil where there is no /proc/stat.
func machineTicks() -> (total: Double, stolen: Double)? {
  #if os(Linux)
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
      let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
    else { return nil }
    let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
    guard fields.count == 8 else { return nil }
    return (fields.reduce(0, +), fields[7])
  #else
    return nil
  #endif
}

/// Runs `body` and adds the machine's CPU ticks while it ran (all, and stolen) to `ticks`.
func countingTicks<T>(_ ticks: inout (total: Double, stolen: Double), _ body: () throws -> T) rethrows -> T {
  let before = machineTicks()
  let result = try body()
  if let before, let after = machineTicks() {
    ticks.total += after.total - before.total
    ticks.stolen += after.stolen - before.stolen
  }
  return result
}

/// The stolen share of `ticks`, or nil when no tick was counted (no /proc/stat, or too short).
func stolenShare(_ ticks: (total: Double, stolen: Double)) -> Double? {
  ticks.total > 0 ? ticks.stolen / ticks.total : nil
}

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// He-normal-ish random weights from a fixed seed (speed does not depend on the values).
func randomNetwork(depth: Int) throws -> Network {
  var network = try Network(try .cifarResNet(depth: depth))
  var state: UInt64 = 42
  func uniform() -> Float {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Float(state >> 40) / Float(1 << 24) * 2 - 1
  }
  network.updateLayers { layer in
    if case .convolution(var conv) = layer {
      let scale = (6 / Float(conv.kernelSize * conv.kernelSize * conv.inputChannels)).squareRoot()
      conv.filter = conv.filter.map { _ in uniform() * scale }
      layer = .convolution(conv)
    }
  }
  network.classifier.weight = network.classifier.weight.map { _ in uniform() * 0.1 }
  return network
}

/// Deterministic inputs in [−0.5, 0.5): (batch, 32, 32, 3).
func benchmarkInput(batch: Int) -> Tensor {
  var input = Tensor(zeros: [batch, 32, 32, 3])
  var s: UInt64 = 7
  for i in input.scalars.indices {
    s = s &* 6364136223846793005 &+ 1
    input.scalars[i] = Float(s >> 40) / Float(1 << 24) - 0.5
  }
  return input
}

/// One training step as PyTorch's reference runs it (`torch.optim.SGD(lr=1e-6, momentum=0.9)` on
/// every parameter): training-mode forward, backward to every parameter, running statistics, and
/// the optimizer's update (`Trainer.step`, the step `resnet-lesion train` takes).
func trainingStep(
  _ network: inout Network, _ optimizer: inout StochasticGradientDescent, _ input: Tensor, _ labels: [Int]
) throws {
  _ = try Trainer.step(network: &network, optimizer: &optimizer, input: input, labels: labels, learningRate: 1e-6)
}

/// The reference's optimizer: momentum 0.9, no weight decay.
func benchmarkOptimizer() -> StochasticGradientDescent {
  StochasticGradientDescent(momentum: 0.9, weightDecay: 0, nesterov: false)
}

/// Peak resident memory of this process so far, in bytes: VmHWM on Linux (the high-water mark of
/// this process image; ru_maxrss would include the parent's peak across fork and exec), ru_maxrss
/// elsewhere.
func maximumResidentBytes() -> Double {
  #if os(Linux)
    if let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kib = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    {
      return kib * 1024
    }
    return .nan
  #else
    var usage = rusage()
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss)  // bytes on macOS
  #endif
}

/// The CPU's model name (from /proc/cpuinfo on Linux, sysctl elsewhere), or "unknown CPU".
func cpuModel() -> String {
  #if os(Linux)
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
      let colon = line.firstIndex(of: ":")
    {
      var name = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      if let family = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu family") })?.split(separator: ":").last,
        let model = text.split(separator: "\n").first(where: { $0.hasPrefix("model\t") })?.split(separator: ":").last
      {
        name += " (family \(family.trimmingCharacters(in: .whitespaces)), model \(model.trimmingCharacters(in: .whitespaces)))"
      }
      return name
    }
  #else
    var size = 0
    if sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 {
      var bytes = [CChar](repeating: 0, count: size)
      if sysctlbyname("machdep.cpu.brand_string", &bytes, &size, nil, 0) == 0 { return String(cString: bytes) }
    }
  #endif
  return "unknown CPU"
}

/// Runs the Python reference script with `arguments`; its JSON object, or nil (with a note printed).
func pythonReference(_ arguments: [String]) -> [String: Double]? {
  let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("pytorch_reference.py")
  let python = ProcessInfo.processInfo.environment["RESNET_LESION_PYTHON"] ?? "python3"
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [python, script.path] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.standardError
  do {
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus == 0, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Double] {
      return object
    }
    print("(PyTorch reference not available: \(python) exited with \(process.terminationStatus); set RESNET_LESION_PYTHON to a Python with torch)")
  } catch {
    print("(PyTorch reference not available: \(error))")
  }
  return nil
}

/// Our peak memory of training steps at `batch`, measured in a fresh process (this executable).
func ourTrainingMemory(batch: Int, depth: Int) -> [String: Double]? {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
  if let path = Bundle.main.executablePath { process.executableURL = URL(fileURLWithPath: path) }
  process.arguments = ["--training-memory-child", "\(batch)", "--depth", "\(depth)", "--threads", "\(EngineThreads.count)"]
  let pipe = Pipe()
  process.standardOutput = pipe
  guard (try? process.run()) != nil else { return nil }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return try? JSONSerialization.jsonObject(with: data) as? [String: Double]
}

let options = CommandLineProgram.valueOrExit {
  try Options(benchSpec.parse(Array(CommandLine.arguments.dropFirst()), parents: []))
}
if let batch = options.trainingMemoryChild {
  var network = CommandLineProgram.valueOrExit { try randomNetwork(depth: options.depth) }
  let input = benchmarkInput(batch: batch)
  let labels = (0..<batch).map { $0 % 10 }
  let before = maximumResidentBytes()
  var optimizer = benchmarkOptimizer()
  for _ in 0..<3 { CommandLineProgram.valueOrExit { try trainingStep(&network, &optimizer, input, labels) } }
  let peak = maximumResidentBytes()
  print("{\"rss_before\": \(before), \"rss_peak\": \(peak)}")
  exit(0)
}
if options.sweep {
  CommandLineProgram.valueOrExit { try sweepBenchmark(options) }
  exit(0)
}
var network = CommandLineProgram.valueOrExit { try randomNetwork(depth: options.depth) }
var optimizer = benchmarkOptimizer()
let macsPerImage = Double(network.multiplyAccumulates)
let threads = EngineThreads.count
print("CPU: \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores; engine built for \(KernelInstructionSet.name) (\(KernelInstructionSet.tileShape) register tiles)")
print("CIFAR ResNet-\(options.depth): \(network.blockCount) blocks, \(String(format: "%.1f", macsPerImage / 1e6)) M multiply-accumulates per 3×32×32 image; \(threads) threads; medians of \(options.repeats) runs ≥ \(options.seconds) s each")

struct Row {
  var workload: String
  var batch: Int
  /// Our median rate (images/s).
  var ours: Double
  var flopsPerImage: Double
  /// Each reference engine's median rate (images/s).
  var references: [String: Double] = [:]
  /// Each reference engine's median over rounds of ours / its rate in the same round.
  var ratios: [String: Double] = [:]
  /// The share of the machine's CPU time the hypervisor stole during all our runs and during all
  /// the references' runs (nil when unknown).
  var stolen: (ours: Double?, references: Double?) = (nil, nil)
}

// PyTorch (and onnxruntime) in the same run: each round times ours once, then each reference
// once, on the same workload.
let server =
  options.pytorch
  ? ReferenceServer(
    python: ProcessInfo.processInfo.environment["RESNET_LESION_PYTHON"] ?? "python3",
    script: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("pytorch_reference.py"),
    arguments: ["--serve", "--threads", "\(threads)", "--depth", "\(options.depth)", "--seconds", "\(options.seconds)"]
      + (options.cpuTime ? ["--cpu-time"] : []) + (options.fastest ? ["--fastest"] : []))
  : nil
if server != nil {
  print("references timed turn about with ours: each of the \(options.repeats) rounds runs ours, then each reference; ratios are medians of the rounds' ratios")
}

/// Times `body` (`workload` at `batch`) in `options.repeats` rounds, each followed by one run of
/// every reference engine.
func measure(_ workload: String, batch: Int, flopsPerImage: Double, _ body: () throws -> Void) rethrows -> Row {
  var ours: [Double] = []
  var references: [String: [Double]] = [:]
  var ratios: [String: [Double]] = [:]
  var ourTicks = (total: 0.0, stolen: 0.0)
  var referenceTicks = (total: 0.0, stolen: 0.0)
  for _ in 0..<options.repeats {
    let ourRate = try countingTicks(&ourTicks) { try rate(items: batch, seconds: options.seconds, body) }
    ours.append(ourRate)
    guard let server, let results = countingTicks(&referenceTicks, { server.run(workload: workload, batch: batch) })
    else { continue }
    for (engine, theirs) in results {
      references[engine, default: []].append(theirs)
      ratios[engine, default: []].append(ourRate / theirs)
    }
  }
  return Row(
    workload: workload, batch: batch, ours: median(ours), flopsPerImage: flopsPerImage,
    references: references.mapValues(median), ratios: ratios.mapValues(median),
    stolen: (stolenShare(ourTicks), stolenShare(referenceTicks)))
}

var rows: [Row] = []
CommandLineProgram.valueOrExit {
  for batch in options.batches {
    let input = benchmarkInput(batch: batch)
    let labels = (0..<batch).map { $0 % 10 }
    func wanted(_ workload: Workload) -> Bool { options.only == nil || options.only == workload }
    if wanted(.forward) {
      let session = try InferenceSession(network)
      rows.append(try measure("forward", batch: batch, flopsPerImage: 2 * macsPerImage) { _ = try session.logits(for: input) })
    }
    if wanted(.gradient) {
      // Forward + backward to the input: about 2× the forward's arithmetic.
      rows.append(
        try measure("forward + input gradient", batch: batch, flopsPerImage: 4 * macsPerImage) {
          let pass = try network.forward(input)
          let (_, d) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
          _ = network.backward(pass, logitsGradient: d, options: BackwardOptions(parameterGradients: false, inputGradient: true))
        })
    }
    if wanted(.training) {
      rows.append(
        try measure("training step", batch: batch, flopsPerImage: 6 * macsPerImage) {
          try trainingStep(&network, &optimizer, input, labels)
        })
    }
  }
}
server?.close()

func pad(_ s: String, _ width: Int, right: Bool = true) -> String {
  s.count >= width ? s : (right ? String(repeating: " ", count: width - s.count) + s : s + String(repeating: " ", count: width - s.count))
}
func f(_ v: Double?, _ digits: Int = 1) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "–" }
if options.cpuTime { print("rates in images per CPU-second of the measuring process") }
if options.fastest { print("rates of the fastest pass of each run (wall clock)") }
print(pad("workload", 26, right: false) + pad("batch", 6) + pad("ours img/s", 12) + pad("GFLOP/s", 9) + pad("eager", 10) + pad("ch-last", 10) + pad("onnxrt", 10) + pad("ours/eager", 11) + pad("ours/ch-last", 13) + pad("ours/onnxrt", 12) + pad("stolen", 12))
for row in rows {
  func percent(_ v: Double?) -> String { v.map { String(format: "%.0f%%", 100 * $0) } ?? "–" }
  print(
    pad(row.workload, 26, right: false) + pad("\(row.batch)", 6) + pad(f(row.ours), 12)
      + pad(f(row.ours * row.flopsPerImage / 1e9), 9) + pad(f(row.references["eager"]), 10)
      + pad(f(row.references["channels_last"]), 10) + pad(f(row.references["onnxruntime"]), 10)
      + pad(f(row.ratios["eager"], 2), 11) + pad(f(row.ratios["channels_last"], 2), 13)
      + pad(f(row.ratios["onnxruntime"], 2), 12)
      + pad(server == nil ? percent(row.stolen.ours) : "\(percent(row.stolen.ours))/\(percent(row.stolen.references))", 12))
}
if rows.contains(where: { $0.stolen.ours != nil }) {
  print("stolen: share of the machine's CPU time the hypervisor gave to other guests during our runs\(server == nil ? "" : " / the references' runs") (/proc/stat steal); rates fall with it")
}

// Peak memory of training at the largest batch, each engine in a fresh process: the peak resident
// set during three training steps, and its growth over the resident set just before them.
if options.memory, let batch = options.batches.max(), let ours = ourTrainingMemory(batch: batch, depth: options.depth),
  let before = ours["rss_before"], let peak = ours["rss_peak"]
{
  let memory = options.pytorch ? pythonReference(["--threads", "\(threads)", "--depth", "\(options.depth)", "--training-memory", "\(batch)"]) ?? [:] : [:]
  func mib(_ bytes: Double?) -> String { f(bytes.map { $0 / 1_048_576 }, 0) }
  print("training peak memory, batch \(batch) (MiB; growth = peak − resident before the first step):")
  print(pad("", 26) + pad("peak", 10) + pad("growth", 10) + pad("ours/it (growth)", 18))
  print(pad("ours", 26, right: false) + pad(mib(peak), 10) + pad(mib(peak - before), 10))
  for layout in ["eager", "channels_last"] {
    guard let p = memory["\(layout)|rss_peak"], let b = memory["\(layout)|rss_before"] else { continue }
    print(pad("PyTorch \(layout)", 26, right: false) + pad(mib(p), 10) + pad(mib(p - b), 10) + pad(f((peak - before) / (p - b), 2), 18))
  }
}

/// Issue 5's benchmark: the full single-deletion sweep of a model on the MNIST-5k test split,
/// against 55 intact evaluations and (when available) a naive PyTorch loop over the same lesions.
func sweepBenchmark(_ options: Options) throws {
  let model = try ModelLoader.load(options.model, normalization: nil)
  let data = try DatasetLoader.load("mnist-5k", split: .test)
  let network = model.network
  let evaluator = try LesionEvaluator(
    network: network, dataset: data, mean: model.metadata.normalizationMean, std: model.metadata.normalizationStd)
  let plans = network.blocks.filter(\.isDeletable).map { LesionPlan(deleted: [$0.number]) }
  print("single-deletion sweep of \(model.file.lastPathComponent): \(plans.count) lesions + intact on \(data.count) images; \(EngineThreads.count) threads; medians of \(options.repeats) runs")
  var sweepTimes: [Double] = []
  var intactTimes: [Double] = []
  var intactError = 0.0
  var sweepTicks = (total: 0.0, stolen: 0.0)
  var intactTicks = (total: 0.0, stolen: 0.0)
  for _ in 0..<options.repeats {
    var start = Date()
    let (intact, _) = try countingTicks(&sweepTicks) { try evaluator.evaluate(plans) }
    sweepTimes.append(Date().timeIntervalSince(start))
    intactError = intact.error
    start = Date()
    try countingTicks(&intactTicks) { for _ in 0...plans.count { _ = try evaluator.evaluate([]) } }
    intactTimes.append(Date().timeIntervalSince(start))
  }
  /// "(x% stolen)": the hypervisor's share of the machine's CPU time while a measurement ran.
  func stolenNote(_ ticks: (total: Double, stolen: Double)) -> String {
    stolenShare(ticks).map { String(format: "  (%.0f%% stolen)", 100 * $0) } ?? ""
  }
  let sweep = median(sweepTimes)
  let intact = median(intactTimes)
  let imageForwards = Double((plans.count + 1) * data.count)
  print(String(format: "sweep (shared prefixes):        %7.2f s  %7.1f image-forwards/s", sweep, imageForwards / sweep) + stolenNote(sweepTicks))
  print(String(format: "%d intact evaluations:          %7.2f s  %7.1f image-forwards/s", plans.count + 1, intact, imageForwards / intact) + stolenNote(intactTicks))
  print(String(format: "sweep / intact evaluations:     %7.3f", sweep / intact))
  print(String(format: "intact test error:              %7.2f%%", 100 * intactError))
  guard options.pytorch else { return }
  let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("pytorch_reference.py")
  let python = ProcessInfo.processInfo.environment["RESNET_LESION_PYTHON"] ?? "python3"
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [python, script.path, "--sweep", model.file.path, "--mnist", try BundledData.directory().appendingPathComponent("mnist-5k").path, "--threads", "\(EngineThreads.count)", "--repeats", "\(options.repeats)"]
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.standardError
  var pytorchTicks = (total: 0.0, stolen: 0.0)
  let output = try countingTicks(&pytorchTicks) {
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return output
  }
  guard process.terminationStatus == 0, let object = try? JSONSerialization.jsonObject(with: output) as? [String: Double], let seconds = object["sweep_seconds"] else {
    print("(PyTorch reference not available: \(python) exited with \(process.terminationStatus))")
    return
  }
  print(String(format: "PyTorch naive loop:             %7.2f s  %7.1f image-forwards/s  (error %.2f%%)", seconds, imageForwards / seconds, 100 * (object["intact_error"] ?? .nan)) + stolenNote(pytorchTicks))
  print(String(format: "ours / PyTorch throughput:      %7.2f", seconds / sweep))
}
