import DenseMatrix
import Foundation
import NumPyIO
import Testing
import _TestSupport

/// Every class of malformed input gets a typed error, never a crash or an out-of-bounds read.
@Suite("Malformed NPY input")
struct NPYMalformedInputTests {
  /// A v1.0 file with the given header text (padded as numpy pads) and data bytes.
  static func file(header: String, data: [UInt8] = [], version: [UInt8] = [1, 0]) -> [UInt8] {
    var text = header
    let total = 10 + text.utf8.count + 1
    text += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
    let length = text.utf8.count
    return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] + version + [UInt8(length & 0xFF), UInt8(length >> 8)]
      + Array(text.utf8) + data
  }

  static let good = file(
    header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 16))

  @Test func theGoodFileParses() throws {
    #expect(try NPYArray(npyBytes: Self.good) == NPYArray(shape: [2], scalars: [0, 0]))
  }

  @Test func badMagic() {
    var bytes = Self.good
    bytes[1] = UInt8(ascii: "X")
    #expect(throws: NPYError.badMagic(found: Array(bytes.prefix(8)))) { try NPYArray(npyBytes: bytes) }
    #expect(throws: NPYError.self) { try NPYArray(npyBytes: Array("PK\u{3}\u{4} a zip file".utf8)) }
  }

  @Test func truncatedHeader() {
    for length in [0, 5, 8, 9, 20, 60] {
      #expect(throws: NPYError.self, "length \(length)") { try NPYArray(npyBytes: Array(Self.good.prefix(length))) }
    }
  }

  @Test func headerLengthBeyondTheFile() {
    var bytes = Self.good
    bytes[8] = 0x10
    bytes[9] = 0x27  // 10 000, numpy's largest
    #expect(throws: NPYError.truncatedHeader(needed: 10 + 10_000, available: bytes.count)) {
      try NPYArray(npyBytes: bytes)
    }
  }

  /// Messages that say what was found without echoing raw bytes, and numpy's reading of
  /// Python escapes (`'<f\\8'` is not `'<f8'`).
  @Test(arguments: [
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (-, 3), }", "expected digits after '-' at offset 51"),
    ("{'descr': '<f\\8', 'fortran_order': False, 'shape': (2,), }", "unsupported dtype '<f\\\\8'"),
    ("{'de\u{0}scr': '<f8', 'fortran_order': False, 'shape': (2,), }", "unexpected key 'de\\0scr'"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), '\u{1B}[31m': 1}", "unexpected key '\\x1b[31m'"),
  ])
  func messagesSayWhatWasFound(header: String, message: String) {
    do {
      _ = try NPYArray(npyBytes: Self.file(header: header, data: [UInt8](repeating: 0, count: 16)))
      Issue.record("accepted: \(header)")
    } catch {
      #expect(error.description.contains(message), "\(error.description)")
      #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 }, "\(error.description)")
    }
  }

  /// Shapes numpy refuses, refused with its reason: a parenthesised integer is not a tuple,
  /// Python has no leading zeros, and an empty array's other dimensions must still fit.
  @Test(arguments: [
    ("(15)", "'shape' must be a tuple"),
    ("(05, 3)", "leading zero"),
    ("(-05,)", "leading zero"),
    ("(0, 4611686018427387904, 4611686018427387904)", "array is too big"),
    ("(9223372036854775807, 0)", "array is too big"),
    ("(0, 3037000500, 3037000500)", "array is too big"),
  ])
  func shapesNumpyRefuses(shape: String, message: String) {
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"
    do {
      _ = try NPYArray(npyBytes: Self.file(header: header))
      Issue.record("accepted: \(shape)")
    } catch {
      #expect(error.description.contains(message), "\(error.description)")
    }
  }

  /// What numpy reads: `00` is zero, `(15,)` a 1-tuple, and a zero-size array whose other
  /// dimensions fit.
  @Test(arguments: [("(15,)", [15], 15), ("(00, 3)", [0, 3], 0), ("(0, 1000000000000)", [0, 1_000_000_000_000], 0)])
  func shapesNumpyReads(shape: String, expected: [Int], count: Int) throws {
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"
    let array = try NPYArray(npyBytes: Self.file(header: header, data: [UInt8](repeating: 0, count: 8 * count)))
    #expect(array.shape == expected)
  }

  /// An unknown key is refused when it is read, before the rest of the header is parsed.
  @Test func unknownKeysAreRefusedAtOnce() {
    let keys = (0..<500).map { "'k\($0)': 0" }.joined(separator: ", ")
    let header = "{" + keys + ", 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
    #expect(throws: NPYError.malformedHeader("unexpected key 'k0'")) {
      try NPYArray(npyBytes: Self.file(header: header, data: [UInt8](repeating: 0, count: 16)))
    }
  }

  /// numpy refuses headers over 10 000 bytes (`max_header_size`), before reading them.
  @Test(arguments: [10_001, 0xFFFF, 64 << 20])
  func headersLongerThanNumpysLimitAreRefusedUnread(length: Int) {
    var bytes: [UInt8] =
      [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0] + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
    bytes += [UInt8](repeating: 0x20, count: min(length, 20_000))
    #expect(
      throws: NPYError.malformedHeader(
        "the header is \(length) bytes, more than the 10000 that numpy accepts by default")
    ) {
      try NPYArray(npyBytes: bytes)
    }
  }

  @Test func truncatedOrExtraData() {
    #expect(throws: NPYError.dataSizeMismatch(expectedBytes: 16, foundBytes: 15)) {
      try NPYArray(npyBytes: Array(Self.good.dropLast()))
    }
    #expect(throws: NPYError.dataSizeMismatch(expectedBytes: 16, foundBytes: 17)) {
      try NPYArray(npyBytes: Self.good + [0])
    }
  }

  @Test(arguments: [
    "not a dict", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)", "['descr', '<f8']",
    "{'descr': '<f8', 'fortran_order': False}", "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': [2], }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
    "{'descr': 8, 'fortran_order': False, 'shape': (2,)}",
    "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
    "{'descr': '<f8' 'fortran_order': False, 'shape': (2,), }", "{" + String(repeating: "(", count: 500),
    "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } trailing",
  ])
  func headerThatIsNotAPythonDictLiteral(header: String) {
    #expect(throws: NPYError.self) {
      try NPYArray(npyBytes: Self.file(header: header, data: [UInt8](repeating: 0, count: 16)))
    }
  }

  @Test func hugeDeclaredShapesAllocateNothing() {
    // 2^62 elements declared, 16 bytes present: refused before any allocation.
    let huge = Self.file(
      header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", data: [0, 0])
    #expect(throws: NPYError.shapeTooLarge(shape: [4_611_686_018_427_387_904])) { try NPYArray(npyBytes: huge) }
    let large = Self.file(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", data: [0])
    #expect(throws: NPYError.dataSizeMismatch(expectedBytes: 80_000_000_000, foundBytes: 1)) {
      try NPYArray(npyBytes: large)
    }
    let overflow = Self.file(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")
    #expect(throws: NPYError.self) { try NPYArray(npyBytes: overflow) }
    #expect(throws: NPYError.exceedsLimit("an array of shape (2,) has 2 elements, more than the limit of 1")) {
      try NPYArray(npyBytes: Self.good, maximumCount: 1)
    }
  }

  @Test(arguments: ["|O", "<c16", "<U5", "|b1", "<u4", "<f2", "|u1"])
  func unsupportedDTypesSayWhatWasFound(descr: String) {
    let bytes = Self.file(
      header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 32))
    do {
      _ = try NPYArray(npyBytes: bytes)
      Issue.record("\(descr) was accepted")
    } catch {
      #expect(error.description.contains(descr))
    }
  }

  @Test func structuredDTypesAreRefused() {
    let bytes = Self.file(
      header: "{'descr': [('x', '<f8'), ('y', '<i4')], 'fortran_order': False, 'shape': (1,), }",
      data: [UInt8](repeating: 0, count: 12))
    #expect(throws: NPYError.unsupportedDType("(a structured dtype)")) { try NPYArray(npyBytes: bytes) }
  }

  @Test func unsupportedVersion() {
    var bytes = Self.good
    bytes[6] = 4
    #expect(throws: NPYError.unsupportedVersion(major: 4, minor: 0)) { try NPYArray(npyBytes: bytes) }
  }

  @Test func threeDimensionalArraysAreNotMatrices() throws {
    let cube = NPYArray(shape: [2, 2, 2], scalars: [Double](repeating: 1, count: 8))
    #expect(throws: NPYError.unsupportedRank(shape: [2, 2, 2])) { try Matrix(npy: cube) }
    #expect(try NPYArray(npyBytes: cube.npyBytes()) == cube)
  }

  @Test func missingFilesAndNonArchives() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    #expect(throws: NPYError.self) { try Matrix(contentsOfNPY: dir.file("missing.npy")) }
    try Data(Self.good).write(to: dir.file("not-a-zip.npz"))
    #expect(throws: NPYError.self) { try NPZArchive(contentsOf: dir.file("not-a-zip.npz")) }
    // Errors from a file say which file; `underlying` is what was wrong, for matching.
    try Data([0x50, 0x4B, 3, 4, 0, 0, 0, 0, 0, 0]).write(to: dir.file("zip.npy"))
    do {
      _ = try NPYArray(contentsOf: dir.file("zip.npy"))
      Issue.record("zip.npy was accepted")
    } catch {
      #expect(error == .file(path: dir.file("zip.npy").path, error: .badMagic(found: [0x50, 0x4B, 3, 4, 0, 0, 0, 0])))
      #expect(error.underlying == .badMagic(found: [0x50, 0x4B, 3, 4, 0, 0, 0, 0]))
    }
  }

  /// The committed fuzzing seed corpus, replayed: every input is either parsed or refused.
  @Test func fuzzCorpusReplays() throws {
    let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus-npy")
    let files = try FileManager.default.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil)
    #expect(files.count >= 5)
    for file in files {
      let bytes = [UInt8](try Data(contentsOf: file))
      _ = try? NPYArray(npyBytes: bytes)
    }
  }
}
