import Checkpoints
import Datasets
import Engine
import Foundation
import Training
import XCTest

extension TrainerTests {
  /// A resume state holding a NaN parameter, an infinite momentum value or a negative running
  /// variance is refused with the tensor's name and element, like a model file.
  func testResumeStateWithNonFiniteValuesIsRefused() throws {
    let train = halfResolution(try smallMNIST(perClass: 2))
    let configuration = try tinyConfiguration(epochs: 1)
    let trainer = try Trainer(configuration: configuration, trainingSet: train, testSet: try train.subset([]))
    try trainer.runEpoch()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("training-state-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    func refusal(_ change: (inout TrainingState) throws -> Void) throws -> (key: String, element: Int, value: Float)? {
      var state = trainer.state
      try change(&state)
      let url = folder.appendingPathComponent("s.state.safetensors")
      try TrainingCheckpoint.writeTrainingState(state, configuration: configuration, to: url)
      do {
        _ = try TrainingCheckpoint.readTrainingState(url)
        return nil
      } catch CheckpointError.invalidParameterValue(let file, let key, let element, let value, _) {
        XCTAssertEqual(file, "s.state.safetensors")
        return (key, element, value)
      }
    }
    // Unchanged, the state reads back.
    XCTAssertNil(try refusal { _ in })

    func setting(_ suffix: String, element: Int, to value: Float) -> (inout TrainingState) throws -> Void {
      { state in
        var entries = Dictionary(uniqueKeysWithValues: state.network.stateDictionary().map { ($0.name, $0.tensor) })
        let key = entries.keys.sorted().first { $0.hasSuffix(suffix) }!
        var scalars = entries[key]!.scalars
        scalars[element] = value
        entries[key] = Tensor(shape: entries[key]!.shape, scalars: scalars)
        try state.network.loadStateDictionary(entries)
      }
    }
    let nanWeight = try XCTUnwrap(try refusal(setting("conv1.weight", element: 3, to: .nan)))
    XCTAssertTrue(nanWeight.key.hasPrefix("param.") && nanWeight.key.hasSuffix("conv1.weight"), nanWeight.key)
    XCTAssertEqual(nanWeight.element, 3)
    XCTAssertTrue(nanWeight.value.isNaN)

    let negativeVariance = try XCTUnwrap(try refusal(setting("running_var", element: 1, to: -2)))
    XCTAssertTrue(negativeVariance.key.hasSuffix("running_var"), negativeVariance.key)
    XCTAssertEqual(negativeVariance.value, -2)

    let infiniteMomentum = try XCTUnwrap(try refusal { state in
      let key = state.optimizer.momentumBuffers.keys.sorted().first!
      state.optimizer.momentumBuffers[key]![0] = .infinity
    })
    XCTAssertTrue(infiniteMomentum.key.hasPrefix("momentum."), infiniteMomentum.key)
    XCTAssertEqual(infiniteMomentum.value, .infinity)
  }
}
