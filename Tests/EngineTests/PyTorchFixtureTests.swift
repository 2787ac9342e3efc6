import _TestSupport
import Foundation
import TensorFormats
import XCTest

@testable import Engine

/// Tier 3: every family, plan and gradient against fixtures written by PyTorch
/// (`Fixtures/generate_fixtures.py`), element-wise within 1e-4 + 1e-4·|ref|.
final class PyTorchFixtureTests: XCTestCase {
  static let families = ["cifar_a", "cifar_b", "preact", "imagenet_basic", "imagenet_bottleneck", "plain_cifar", "vgg"]

  func testEveryFamilyAndPlanMatchesPyTorch() throws {
    for family in Self.families {
      let fixture = try EngineFixture(family)
      let network = try fixture.network()
      let input = try fixture.input()
      let labels = fixture.labels()
      XCTAssertFalse(fixture.plans.isEmpty, family)
      for (planName, plan, restricted) in fixture.plans {
        let what = "\(family)/\(planName)"
        let lesioned = try network.applying(plan)
        let pass = try lesioned.forward(input)
        assertClose(pass.logits.scalars, try fixture.tensor(planName + ".logits").scalars, "\(what) logits")
        // The folded inference path must agree too.
        let fast = try InferenceSession(lesioned).logits(for: input)
        assertClose(fast.scalars, try fixture.tensor(planName + ".logits").scalars, "\(what) inference-session logits")
        let (loss, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
        assertClose([Float(loss)], try fixture.tensor(planName + ".loss").scalars, "\(what) loss")
        let gradients = lesioned.backward(pass, logitsGradient: dLogits, options: BackwardOptions(restrictedTo: restricted))
        assertClose(gradients.input!.channelsFirst().scalars, try fixture.tensor(planName + ".grad.input").scalars, "\(what) input gradient")
        assertClose(gradients.firstBlockInput!.channelsFirst().scalars, try fixture.tensor(planName + ".grad.block1_input").scalars, "\(what) first-block-input gradient")
        let torchGradients = lesioned.torchLayoutGradients(gradients.parameters)
        var compared = 0
        for key in fixture.archive.names where key.hasPrefix(planName + ".grad.param.") {
          let parameter = String(key.dropFirst((planName + ".grad.param.").count))
          let expected = try fixture.tensor(key)
          let actual = torchGradients[parameter]?.scalars ?? [Float](repeating: 0, count: expected.count)
          assertClose(actual, expected.scalars, "\(what) gradient of \(parameter)")
          compared += 1
        }
        XCTAssertGreaterThan(compared, 10, "\(what): parameter gradients compared")
      }
    }
  }

  func testTrainingModeForwardBackwardAndRunningStatistics() throws {
    for family in Self.families {
      let fixture = try EngineFixture(family)
      guard fixture.archive["train.logits"] != nil else { continue }
      var network = try fixture.network()
      let input = try fixture.input()
      let pass = try network.forward(input, mode: .training)
      assertClose(pass.logits.scalars, try fixture.tensor("train.logits").scalars, "\(family) train logits")
      let (loss, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: fixture.labels())
      assertClose([Float(loss)], try fixture.tensor("train.loss").scalars, "\(family) train loss")
      let gradients = network.backward(pass, logitsGradient: dLogits)
      assertClose(gradients.input!.channelsFirst().scalars, try fixture.tensor("train.grad.input").scalars, "\(family) train input gradient")
      let torchGradients = network.torchLayoutGradients(gradients.parameters)
      for key in fixture.archive.names where key.hasPrefix("train.grad.param.") {
        let parameter = String(key.dropFirst("train.grad.param.".count))
        assertClose(torchGradients[parameter]?.scalars ?? [], try fixture.tensor(key).scalars, "\(family) train gradient of \(parameter)")
      }
      network.updateRunningStatistics(from: pass)
      let state = Dictionary(network.stateDictionary().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
      var checked = 0
      for key in fixture.archive.names where key.hasPrefix("train.running_") {
        // train.running_mean.<bn> → <bn>.running_mean
        let rest = key.dropFirst("train.".count)
        let dot = rest.firstIndex(of: ".")!
        let statistic = rest[..<dot]
        let module = rest[rest.index(after: dot)...]
        assertClose(state["\(module).\(statistic)"]?.scalars ?? [], try fixture.tensor(key).scalars, "\(family) \(key)")
        checked += 1
      }
      XCTAssertGreaterThan(checked, 0, "\(family): running statistics compared")
    }
  }

  func testResNet20WholeModelLogits() throws {
    let fixture = try EngineFixture("resnet20")
    let network = try fixture.network()
    XCTAssertEqual(network.blockCount, 9)
    XCTAssertEqual(network.parameterCount, 269_722 + 0)
    let input = try fixture.input()
    let session = try InferenceSession(network)
    assertClose(try session.logits(for: input).scalars, try fixture.tensor("intact.logits").scalars, "resnet20 intact")
    let dropped = try network.deletingBlocks([5, 9])
    assertClose(try InferenceSession(dropped).logits(for: input).scalars, try fixture.tensor("drop_5_9.logits").scalars, "resnet20 drop 5,9")
  }
}
