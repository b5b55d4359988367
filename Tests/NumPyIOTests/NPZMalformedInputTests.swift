import DenseMatrix
import Foundation
import NumPyIO
import Testing
import _TestSupport

/// Malformed `.npz` archives: typed errors that name the member and what is wrong.
@Suite("Malformed NPZ input", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct NPZMalformedInputTests {
  func expectArchiveError(_ url: URL, containing text: String, maximumBytes: Int = 1 << 34) {
    do {
      _ = try NPZArchive(contentsOf: url, maximumBytes: maximumBytes)
      Issue.record("\(url.lastPathComponent) was accepted")
    } catch {
      #expect(error.description.contains(text), "\(error.description)")
    }
  }

  @Test func eachClassIsRefusedWithAReason() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(
      """
      import zipfile, io
      np.savez('good.npz', a=np.arange(1000.0))
      data = open('good.npz', 'rb').read()
      open('truncated.npz', 'wb').write(data[: len(data) // 2])
      with zipfile.ZipFile('not_npy.npz', 'w') as z:
          z.writestr('readme.txt', 'hello')
      with zipfile.ZipFile('bad_member.npz', 'w') as z:
          z.writestr('w.npy', b'\\x93NUMPY\\x01\\x00\\x10\\x00{not a dict}    \\n')
      with zipfile.ZipFile('object.npz', 'w') as z:
          buffer = io.BytesIO(); np.save(buffer, np.array([1, 'a'], dtype=object), allow_pickle=True)
          z.writestr('o.npy', buffer.getvalue())
      """, in: dir.url)
    #expect(try NPZArchive(contentsOf: dir.file("good.npz")).array(named: "a").shape == [1000])
    expectArchiveError(dir.file("truncated.npz"), containing: "not a zip archive")
    expectArchiveError(dir.file("not_npy.npz"), containing: "member 'readme.txt' is not a .npy file")
    expectArchiveError(dir.file("bad_member.npz"), containing: "member 'w.npy': NPY: malformed header")
    expectArchiveError(dir.file("object.npz"), containing: "'|O' (object arrays hold Python objects)")
    // The per-member size limit: an 8 KiB member against a 4 KiB limit is refused before extraction.
    expectArchiveError(dir.file("good.npz"), containing: "more than the limit of 4096", maximumBytes: 4096)
    expectArchiveError(dir.file("missing.npz"), containing: "missing.npz")
  }
}
