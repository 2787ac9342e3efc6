import Foundation

/// The one locator of committed test files, found from the calling source file's path (so tests
/// need no bundle resources and work from any current directory).
public enum TestFiles {
  /// The repository root: the folder above `Tests/`, found walking up from `file`.
  public static func repositoryRoot(file: StaticString = #filePath) -> URL {
    testTargetFolder(file: file).deletingLastPathComponent().deletingLastPathComponent()
  }

  /// `Tests/<Target>/Fixtures` of the test target holding `file`, or of `target` when given
  /// (e.g. `fixtures(of: "EngineTests")` from another target).
  public static func fixtures(of target: String? = nil, file: StaticString = #filePath) -> URL {
    let folder = testTargetFolder(file: file)
    let base =
      target.map { folder.deletingLastPathComponent().appendingPathComponent($0) } ?? folder
    return base.appendingPathComponent("Fixtures")
  }

  /// A committed fixture file's URL: `fixtures(of:)` + `name`.
  public static func fixture(_ name: String, of target: String? = nil, file: StaticString = #filePath) -> URL {
    fixtures(of: target, file: file).appendingPathComponent(name)
  }

  /// The repository's `notebooks-data` folder (bundled data and models).
  public static func notebooksData(file: StaticString = #filePath) -> URL {
    repositoryRoot(file: file).appendingPathComponent("notebooks-data")
  }

  /// `Tests/<Target>`: the ancestor of `file` whose parent is named `Tests`.
  private static func testTargetFolder(file: StaticString) -> URL {
    let start = URL(fileURLWithPath: "\(file)").resolvingSymlinksInPath().deletingLastPathComponent()
    var folder = start
    while folder.path != "/" {
      if folder.deletingLastPathComponent().lastPathComponent == "Tests" { return folder }
      folder = folder.deletingLastPathComponent()
    }
    return start
  }
}
