// libFuzzer entry for the path from model metadata to a network (Checkpoints, Engine).
// Built by run-fuzzers.sh. Input starting with `{`: a NetworkConfiguration as JSON, built with
// small limits; anything else: a whole model file (safetensors with our metadata).
@testable import Checkpoints
import Engine
import Foundation
import TensorFormats

private let smallLimits = NetworkConfiguration.Limits(
  inputSide: 256, channels: 1024, classCount: 1000, stageCount: 8, blockCount: 64,
  parameters: 1 << 22, multiplyAccumulates: 1 << 32)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelMetadata(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if bytes.first == UInt8(ascii: "{") {
    if let configuration = try? JSONDecoder().decode(NetworkConfiguration.self, from: Data(bytes)),
      let bounds = try? configuration.validate(limits: smallLimits),
      let network = try? Network(configuration, limits: smallLimits)
    {
      if network.parameterCount > bounds.parameters { fatalError("parameter bound too low") }
      if network.multiplyAccumulates > bounds.multiplyAccumulates { fatalError("MAC bound too low") }
    }
    return 0
  }
  guard let archive = try? TensorFile.parse(bytes, file: "fuzz") else { return 0 }
  // The fuzzer's memory limit stands in for the default limits here.
  _ = try? ModelAssembly.assemble(
    archive, file: URL(fileURLWithPath: "/fuzz.safetensors"), normalization: nil, inputSize: nil)
  return 0
}
