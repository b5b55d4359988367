import DenseMatrix
import Foundation
import NumPyIO
import Testing
import _TestSupport

/// Writing `.npy` and `.npz` files: whatever is at the destination, a failed write leaves it
/// exactly as it was, and a successful one replaces only a regular file.
@Suite("File safety")
struct FileSafetyTests {
  static let archive = NPZArchive(matrices: ["w": Matrix([[1, 2], [3, 4]])])
  static let array = NPYArray(shape: [2], scalars: [1, 2])

  /// Both writers, so that every rule below is checked for each.
  enum Writer: String, CaseIterable, CustomTestStringConvertible {
    case npy, npz, npzCompressed
    var testDescription: String { rawValue }

    func write(to url: URL) throws(NPYError) {
      switch self {
      case .npy: try FileSafetyTests.array.write(to: url)
      case .npz: try FileSafetyTests.archive.write(to: url)
      case .npzCompressed: try FileSafetyTests.archive.write(to: url, compressed: true)
      }
    }

    func readBack(_ url: URL) throws -> Bool {
      switch self {
      case .npy: return try NPYArray(contentsOf: url) == FileSafetyTests.array
      case .npz, .npzCompressed: return try NPZArchive(contentsOf: url).arrays == FileSafetyTests.archive.arrays
      }
    }
  }

  func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
  }

  func leftovers(in dir: TemporaryDirectory) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasSuffix(".partial") }
  }

  @Test(arguments: Writer.allCases)
  func replacesAnExistingFileKeepingItsMode(writer: Writer) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let url = dir.file("out")
    try Data("old".utf8).write(to: url)
    #expect(chmod(url.path, 0o600) == 0)
    try writer.write(to: url)
    #expect(try writer.readBack(url))
    #expect(try mode(url.path) == 0o600)
    // Twice more: a write over what the last one wrote.
    try writer.write(to: url)
    try writer.write(to: url)
    #expect(try writer.readBack(url))
    #expect(try leftovers(in: dir).isEmpty)
  }

  @Test(arguments: Writer.allCases)
  func newFilesGetTheUmasksMode(writer: Writer) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let old = umask(0o022)
    defer { umask(old) }
    try writer.write(to: dir.file("new"))
    #expect(try mode(dir.file("new").path) == 0o644)
  }

  @Test(arguments: Writer.allCases)
  func refusesDirectoriesFIFOsAndReadOnlyFilesLeavingThemAlone(writer: Writer) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try FileManager.default.createDirectory(at: dir.file("directory"), withIntermediateDirectories: false)
    #expect(mkfifo(dir.file("fifo").path, 0o600) == 0)
    try Data("keep".utf8).write(to: dir.file("read-only"))
    #expect(chmod(dir.file("read-only").path, 0o444) == 0)
    for (name, message) in [
      ("directory", "it is a directory"), ("fifo", "it is a FIFO"), ("read-only", "the file is read-only"),
      ("missing-directory/out", "No such file or directory"),
    ] {
      do {
        try writer.write(to: dir.file(name))
        Issue.record("\(name) was written")
      } catch {
        #expect(error.description.hasPrefix(dir.file(name).path), "\(error)")
        #expect(error.description.contains(message), "\(error)")
      }
    }
    var isDirectory: ObjCBool = false
    #expect(FileManager.default.fileExists(atPath: dir.file("directory").path, isDirectory: &isDirectory))
    #expect(isDirectory.boolValue)
    var status = stat()
    #expect(lstat(dir.file("fifo").path, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
    #expect(try Data(contentsOf: dir.file("read-only")) == Data("keep".utf8))
    #expect(try leftovers(in: dir).isEmpty)
  }

  @Test(arguments: Writer.allCases)
  func followsSymbolicLinksAndRefusesDanglingOnes(writer: Writer) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try Data("old".utf8).write(to: dir.file("target"))
    try FileManager.default.createSymbolicLink(atPath: dir.file("link").path, withDestinationPath: "target")
    try writer.write(to: dir.file("link"))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("link").path) == "target")
    #expect(try writer.readBack(dir.file("target")))
    try FileManager.default.createSymbolicLink(atPath: dir.file("dangling").path, withDestinationPath: "nowhere")
    #expect(throws: NPYError.self) { try writer.write(to: dir.file("dangling")) }
    #expect(!FileManager.default.fileExists(atPath: dir.file("nowhere").path))
  }

  /// Names that would escape an extraction directory, or that a zip cannot hold, are refused
  /// before anything is written.
  @Test(arguments: ["", "/etc/passwd", "../escape", "a/../../b", "a\u{0}b", String(repeating: "n", count: 70_000)])
  func refusesUnsafeMemberNames(name: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let url = dir.file("weights.npz")
    try Data("existing".utf8).write(to: url)
    var archive = Self.archive
    archive.set(Self.array, named: name)
    #expect {
      try archive.write(to: url)
    } throws: { error in
      (error as? NPYError)?.description.contains("as an array name") == true
    }
    #expect(try Data(contentsOf: url) == Data("existing".utf8))
    #expect(try leftovers(in: dir).isEmpty)
  }
}
