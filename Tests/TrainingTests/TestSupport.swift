import _TestSupport
import Basics
import Datasets
import Engine
import Foundation
import TensorFormats
import Training
import XCTest

/// Paths to the repository's committed test inputs, found relative to this file.
enum TestPaths {
  /// The repository root.
  static var repository: URL { TestFiles.repositoryRoot() }

  /// The engine's PyTorch training-step fixture.
  static var trainingSteps: URL {
    TestFiles.fixture("training_steps.safetensors", of: "EngineTests")
  }

  /// The bundled MNIST subset.
  static var mnist: String { repository.appendingPathComponent("notebooks-data/mnist-5k").path }
}

/// A small MNIST training set: the first `perClass` images of every class of mnist-5k's train split.
func smallMNIST(perClass: Int, split: DatasetSplit = .train) throws -> ImageDataset {
  let dataset = try DatasetLoader.load(TestPaths.mnist, split: split)
  return try dataset.selecting(offset: 0, limit: nil, perClass: perClass)
}

/// `dataset` at half resolution (2×2 averages), so debug-build training tests stay fast.
func halfResolution(_ dataset: ImageDataset) -> ImageDataset {
  let (c, h, w) = (dataset.channels, dataset.height / 2, dataset.width / 2)
  var pixels = [UInt8]()
  pixels.reserveCapacity(dataset.count * c * h * w)
  for image in 0..<dataset.count {
    for channel in 0..<c {
      let plane = (image * c + channel) * dataset.height * dataset.width
      for y in 0..<h {
        for x in 0..<w {
          var sum = 0
          for dy in 0..<2 {
            for dx in 0..<2 { sum += Int(dataset.pixels[plane + (2 * y + dy) * dataset.width + 2 * x + dx]) }
          }
          pixels.append(UInt8((sum + 2) / 4))
        }
      }
    }
  }
  return ImageDataset(
    name: dataset.name + "/half", channels: c, height: h, width: w, pixels: pixels, labels: dataset.labels,
    classNames: dataset.classNames)
}

/// A ResNet-8 (widths 2/4/4, 8×8 one-channel inputs, 3 classes) initialized from `seed` and
/// trained one plain SGD step (momentum 0.9, learning rate 0.1) on a fixed batch of 4; the
/// partial-update tests take their next step from here.
func tinyNetworkAfterOneStep(seed: UInt64, weightDecay: Float) throws -> (
  network: Network, optimizer: StochasticGradientDescent, input: Tensor, labels: [Int]
) {
  let configuration = try NetworkConfiguration.cifarResNet(
    depth: 8, inputChannels: 1, inputSize: 8, classCount: 3, widths: [2, 4, 4])
  var network = try Network(configuration)
  var generator = SplitMix64(seed: seed)
  network.initializeForTraining(using: &generator)
  var optimizer = StochasticGradientDescent(momentum: 0.9, weightDecay: weightDecay, nesterov: false)
  let input = Tensor(shape: [4, 8, 8, 1], scalars: (0..<256).map { _ in Float(generator.nextGaussian()) })
  let labels = [0, 1, 2, 1]
  _ = try Trainer.step(network: &network, optimizer: &optimizer, input: input, labels: labels, learningRate: 0.1)
  return (network, optimizer, input, labels)
}
