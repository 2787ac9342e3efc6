import Engine
import Foundation
import TensorFormats

// libFuzzer entry for the path from model metadata to a network (Checkpoints, Engine).
// Built by run-fuzzers.sh. Input starting with `{`: a NetworkConfiguration as JSON, built with
// small limits; anything else: a whole model file (safetensors with our metadata).
@testable import Checkpoints

private let smallLimits = NetworkConfiguration.Limits(
  inputSide: 64, channels: 64, classCount: 100, stageCount: 4, blockCount: 16,
  parameters: 1 << 16, multiplyAccumulates: 1 << 26)

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
  _ = try? ModelAssembly.assemble(
    archive, file: URL(fileURLWithPath: "/fuzz.safetensors"), normalization: nil, inputSize: nil,
    limits: smallLimits)
  return 0
}
