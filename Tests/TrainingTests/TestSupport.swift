import _TestSupport
import Datasets
import Engine
import Foundation
import TensorFormats
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
