@testable import Datasets
import Foundation
import Images
import XCTest

final class ImageFolderTests: XCTestCase {
  func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("images-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  func place(_ fixtureName: String, at path: String, in root: URL) throws {
    let url = root.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: fixturesDirectory.appendingPathComponent(fixtureName), to: url)
  }

  /// Classes and files come in torchvision's order: code-point sorted class folders (upper case
  /// first, hidden folders included), `sorted(os.walk(...))` inside each, any-case extensions.
  func testClassFolderOrderFollowsTorchvision() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    for path in ["b/z.jpg", "b/A.PNG", "b/sub/a.jpeg", "B/x.Jpg", ".hidden/q.png", "a_/y.jpg"] {
      try place("gray-13x11.jpg", at: path, in: root)
    }
    try Data().write(to: root.appendingPathComponent("b/readme.txt"))
    let (items, classes) = try ImageFolder.classFolders(root)
    XCTAssertEqual(classes, [".hidden", "B", "a_", "b"])
    XCTAssertEqual(
      items.map { String($0.path.dropFirst(root.path.count + 1)) },
      [".hidden/q.png", "B/x.Jpg", "a_/y.jpg", "b/A.PNG", "b/z.jpg", "b/sub/a.jpeg"])
    XCTAssertEqual(items.map(\.label), [0, 1, 2, 3, 3, 3])
  }

  /// A format torchvision lists but we do not decode (WebP here) keeps its place: loading fails
  /// naming the file, and `skipBad` counts and lists it instead of silently dropping it.
  func testUndecodableListedFormatIsNamedOrSkipped() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    try place("gray-13x11.jpg", at: "a/1.jpg", in: root)
    try place("gray-13x11.jpg", at: "b/3.jpg", in: root)
    try Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8).write(to: root.appendingPathComponent("b/2.webp"))
    let (items, _) = try ImageFolder.classFolders(root)
    XCTAssertEqual(items.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["1.jpg", "2.webp", "3.jpg"])
    XCTAssertThrowsError(try ImageFolder.load(root, labels: nil, options: ImageFolderOptions(workers: 1))) { error in
      XCTAssertEqual((error as? ImageError)?.file, root.appendingPathComponent("b/2.webp").path, "\(error)")
    }
    let (dataset, summary) = try ImageFolder.load(root, labels: nil, options: ImageFolderOptions(skipBad: true, workers: 1))
    XCTAssertEqual(dataset.labels, [0, 1])
    XCTAssertEqual(summary.skipped.map { URL(fileURLWithPath: $0.0).lastPathComponent }, ["2.webp"])
  }

  func testEmptyClassFolderIsAnError() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    try place("gray-13x11.jpg", at: "a/1.jpg", in: root)
    try FileManager.default.createDirectory(at: root.appendingPathComponent("empty"), withIntermediateDirectories: true)
    XCTAssertThrowsError(try ImageFolder.classFolders(root)) { error in
      XCTAssertTrue("\(error)".contains("class folder \"empty\""), "\(error)")
    }
  }

  func testLabelsFileErrorsNameTheLine() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    try place("gray-13x11.jpg", at: "1.jpg", in: root)
    let labels = root.appendingPathComponent("labels.txt")
    try Data("1.jpg 3\nmissing.jpg 1\n".utf8).write(to: labels)
    XCTAssertThrowsError(try ImageFolder.labelledFolder(root, labels: labels)) { error in
      XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
    }
    try Data("1.jpg 3 extra\n".utf8).write(to: labels)
    XCTAssertThrowsError(try ImageFolder.labelledFolder(root, labels: labels)) { error in
      XCTAssertTrue("\(error)".contains("byte 1"), "\(error)")  // line 1, reported as the offset
    }
    try Data("1.jpg cat\n1.jpg ant\n".utf8).write(to: labels)
    let (items, classes) = try ImageFolder.labelledFolder(root, labels: labels)
    XCTAssertEqual(classes, ["ant", "cat"])
    XCTAssertEqual(items.map(\.label), [1, 0])
  }

  /// The loaded data set holds exactly the decoded, transformed pixels, CHW, in file order,
  /// whatever the number of workers and the queue capacity.
  func testLoadedPixelsAreTheTransformedImagesInOrder() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let files = ["rgb420-64x48.jpg", "png-portrait-50x80.png", "progressive420-45x33.jpg", "photo-150x113.jpg", "gray-13x11.jpg"]
    for (i, name) in files.enumerated() { try place(name, at: "c\(i % 2)/\(i)-\(name)", in: root) }
    let transform = EvaluationTransform(resize: 20, crop: 16)
    var reference: [String: [UInt8]] = [:]
    for name in files {
      let image = transform.apply(try ImageDecoder.decode(try fixture(name), file: name))
      reference[name] = (0..<3).flatMap { c in (0..<256).map { image.pixels[$0 * 3 + c] } }
    }
    for (workers, capacity) in [(1, 1), (3, 2), (4, 64)] {
      let options = ImageFolderOptions(resize: 20, crop: 16, queueCapacity: capacity, workers: workers)
      let (dataset, summary) = try ImageFolder.load(root, labels: nil, options: options)
      XCTAssertEqual(dataset.count, 5)
      XCTAssertEqual(summary.formats, ["JPEG": 4, "PNG": 1])
      let (items, _) = try ImageFolder.classFolders(root)
      for (index, item) in items.enumerated() {
        let name = String(item.path.split(separator: "/").last!.drop(while: { $0 != "-" }).dropFirst())
        XCTAssertEqual(Array(dataset.pixels[(index * 768)..<((index + 1) * 768)]), reference[name], "\(workers) workers: \(name)")
        XCTAssertEqual(dataset.labels[index], item.label)
      }
    }
  }

  /// The stream never runs more than its capacity ahead of the consumer.
  func testStreamIsBoundedAndOrdered() throws {
    let root = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    var items: [ImageFolder.Item] = []
    for i in 0..<40 {
      try place("gray-13x11.jpg", at: "\(i).jpg", in: root)
      items.append(ImageFolder.Item(path: root.appendingPathComponent("\(i).jpg").path, label: i))
    }
    let stream = ImageStream(items: items, options: ImageFolderOptions(queueCapacity: 3, workers: 2))
    var seen: [Int] = []
    while let next = stream.next() {
      usleep(2000)  // a slow consumer: the workers must wait for it
      XCTAssertLessThanOrEqual(stream.producedAhead, 3)
      seen.append(next.index)
      XCTAssertNoThrow(try next.result.get())
    }
    XCTAssertEqual(seen, Array(0..<40))
  }

  /// Default transforms: explicit sizes win; images already at the model's side are left alone;
  /// ImageNet models get Resize(256) → CenterCrop(224), others Resize(s) → CenterCrop(s).
  func testDefaultTransformFromTheModel() {
    XCTAssertEqual(ImageFolderOptions(inputSize: 224).transform(width: 500, height: 375), EvaluationTransform(resize: 256, crop: 224))
    XCTAssertEqual(ImageFolderOptions(inputSize: 224).transform(width: 224, height: 224), EvaluationTransform(resize: nil, crop: nil))
    XCTAssertEqual(ImageFolderOptions(inputSize: 32).transform(width: 64, height: 48), EvaluationTransform(resize: 32, crop: 32))
    XCTAssertEqual(ImageFolderOptions(resize: 40, inputSize: 32).transform(width: 32, height: 32), EvaluationTransform(resize: 40, crop: nil))
    XCTAssertEqual(ImageFolderOptions().transform(width: 64, height: 48), EvaluationTransform(resize: nil, crop: nil))
  }
}
