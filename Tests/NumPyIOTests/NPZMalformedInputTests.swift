import DenseMatrix
import Foundation
import NumPyIO
import Testing
import _TestSupport

/// Malformed `.npz` archives, made by the tests with numpy and `zipfile`: typed errors that name
/// the file, the member and what is wrong, never a wrong result, a hang or unbounded memory.
@Suite("Malformed NPZ input", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct NPZMalformedInputTests {
  func expectArchiveError(
    _ url: URL, containing texts: String..., limits: NPZArchive.Limits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      let archive = try NPZArchive(contentsOf: url, limits: limits)
      Issue.record("\(url.lastPathComponent) was accepted: \(archive.names)", sourceLocation: sourceLocation)
    } catch {
      for text in texts {
        #expect(error.description.contains(text), "\(error.description)", sourceLocation: sourceLocation)
      }
      #expect(error.description.hasPrefix(url.path), "\(error.description)", sourceLocation: sourceLocation)
    }
  }

  /// numpy's own verdict on each malformed file, so that every refusal below is one numpy makes.
  static let script = """
    import zipfile, io, struct
    def refused(name):
        try:
            with np.load(name) as f:
                [f[k] for k in f.files]
        except Exception as e:
            return
        raise SystemExit(name + ' was accepted by numpy')

    np.savez('good.npz', a=np.arange(1000.0), b=np.ones((2, 3)))
    np.savez_compressed('good_compressed.npz', a=np.arange(1000.0), b=np.ones((2, 3)))
    data = open('good.npz', 'rb').read()
    open('truncated.npz', 'wb').write(data[: len(data) // 2])
    with zipfile.ZipFile('not_npy.npz', 'w') as z:
        z.writestr('readme.txt', 'hello')
    with zipfile.ZipFile('bad_member.npz', 'w') as z:
        z.writestr('w.npy', b'\\x93NUMPY\\x01\\x00\\x10\\x00{not a dict}    \\n')
    with zipfile.ZipFile('object.npz', 'w') as z:
        buffer = io.BytesIO(); np.save(buffer, np.array([1, 'a'], dtype=object), allow_pickle=True)
        z.writestr('o.npy', buffer.getvalue())

    # 3: one flipped byte in a stored member's data (the last value of 'a').
    crc = bytearray(data)
    position = data.index(struct.pack('<d', 999.0))
    crc[position + 7] ^= 0x01
    open('bad_crc.npz', 'wb').write(crc); refused('bad_crc.npz')
    compressed = open('good_compressed.npz', 'rb').read()
    bad = bytearray(compressed); bad[len(compressed) // 3] ^= 0xff
    open('bad_deflate.npz', 'wb').write(bad); refused('bad_deflate.npz')

    # 4: the first member marked encrypted (flag bit 0, local and central), then a bad count,
    # a bad central-directory offset, and prepended bytes (zipfile reads past them, np.load
    # does not: it sees no zip magic at the start).
    def patch_flags(blob, signature, flag_offset):
        blob = bytearray(blob); start = 0
        position = blob.index(signature, start)
        blob[position + flag_offset] |= 1
        return blob
    encrypted = patch_flags(patch_flags(data, b'PK\\x03\\x04', 6), b'PK\\x01\\x02', 8)
    open('encrypted.npz', 'wb').write(encrypted); refused('encrypted.npz')
    end = data.rindex(b'PK\\x05\\x06')
    count = bytearray(data); count[end + 8:end + 12] = struct.pack('<HH', 3, 3)
    open('bad_count.npz', 'wb').write(count)
    offset = bytearray(data); offset[end + 16:end + 20] = struct.pack('<I', len(data))
    open('bad_offset.npz', 'wb').write(offset); refused('bad_offset.npz')
    open('prepended.npz', 'wb').write(b'#!/bin/sh\\nexit 0\\n' * 10 + data)
    refused('prepended.npz')

    # 5: a zip bomb: 128 MiB of zeros in ~130 KB, and a member whose header claims more than
    # its zip entry holds.
    buffer = io.BytesIO(); np.save(buffer, np.zeros(1 << 24))
    with zipfile.ZipFile('bomb.npz', 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('a.npy', buffer.getvalue()); z.writestr('b.npy', buffer.getvalue())
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }"
    header += b' ' * (117 - len(header)) + b'\\n'
    with zipfile.ZipFile('liar.npz', 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('a.npy', b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(header)) + header + bytes(16))
    refused('liar.npz')

    # Duplicate names and a method numpy never writes.
    import warnings
    warnings.simplefilter('ignore')
    with zipfile.ZipFile('duplicate.npz', 'w') as z:
        small = io.BytesIO(); np.save(small, np.ones(2))
        z.writestr('a.npy', small.getvalue()); z.writestr('a.npy', small.getvalue())
    with zipfile.ZipFile('bzip2.npz', 'w', zipfile.ZIP_BZIP2) as z:
        z.writestr('a.npy', buffer.getvalue()[:1024])
    open('random.npz', 'wb').write(np.random.default_rng(1).bytes(1 << 23))
    """

  @Test func eachClassIsRefusedWithAReason() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script, in: dir.url)
    for name in ["good.npz", "good_compressed.npz"] {
      let archive = try NPZArchive(contentsOf: dir.file(name))
      #expect(archive.names == ["a", "b"])
      #expect(try archive.array(named: "a").scalars == (0..<1000).map(Double.init))
      #expect(try archive.matrix(named: "b") == .ones(rows: 2, columns: 3))
    }
    expectArchiveError(dir.file("truncated.npz"), containing: "not a zip archive")
    expectArchiveError(dir.file("not_npy.npz"), containing: "member 'readme.txt': NPZ: it is not a .npy file")
    expectArchiveError(dir.file("bad_member.npz"), containing: "member 'w.npy': NPY: malformed header")
    expectArchiveError(dir.file("object.npz"), containing: "'|O' (object arrays hold Python objects)")
    expectArchiveError(dir.file("bad_crc.npz"), containing: "member 'a.npy'", "bad CRC-32")
    expectArchiveError(dir.file("bad_deflate.npz"), containing: "member '")
    expectArchiveError(dir.file("encrypted.npz"), containing: "member 'a.npy'", "encrypted")
    expectArchiveError(dir.file("bad_count.npz"), containing: "damaged archive", "declares 3 members")
    expectArchiveError(dir.file("bad_offset.npz"), containing: "damaged archive", "central directory")
    expectArchiveError(dir.file("prepended.npz"), containing: "170 bytes precede the archive")
    expectArchiveError(dir.file("liar.npz"), containing: "member 'a.npy'", "NPY: the data is 16 bytes")
    expectArchiveError(dir.file("duplicate.npz"), containing: "member 'a.npy'", "holds it twice")
    expectArchiveError(dir.file("bzip2.npz"), containing: "compression method 12")
    expectArchiveError(dir.file("random.npz"), containing: "not a zip archive")
    expectArchiveError(dir.file("missing.npz"), containing: "No such file")
  }

  /// Limits are checked against each member's `.npy` header before its data is inflated.
  @Test func limitsBoundMemoryPerArrayAndInTotal() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try NumPy.runScript(Self.script, in: dir.url)
    // 8 000 bytes of 'a' against 4 KiB per array.
    expectArchiveError(
      dir.file("good.npz"), containing: "member 'a.npy'", "more than the 4096 bytes",
      limits: .init(maximumArrayBytes: 4096))
    // Each array fits, both together do not.
    expectArchiveError(
      dir.file("good.npz"), containing: "member 'b.npy'", "more than the 10 bytes left",
      limits: .init(maximumArrayBytes: 10_000, maximumTotalBytes: 8_010))
    // The bomb: two 128 MiB arrays; refused within the default limit's budget.
    expectArchiveError(
      dir.file("bomb.npz"), containing: "member 'a.npy'", "more than the 67108864 bytes",
      limits: .init(maximumArrayBytes: 1 << 26))
    expectArchiveError(
      dir.file("bomb.npz"), containing: "member 'b.npy'",
      limits: .init(maximumArrayBytes: 1 << 27, maximumTotalBytes: 1 << 27))
    #expect(try NPZArchive(contentsOf: dir.file("bomb.npz")).array(named: "b").scalars.count == 1 << 24)
  }

  /// A directory, a FIFO and a large non-zip file are refused at once, without scanning.
  @Test func specialFilesAreRefusedWithoutWaiting() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    try FileManager.default.createDirectory(at: dir.file("weights.npz"), withIntermediateDirectories: false)
    expectArchiveError(dir.file("weights.npz"), containing: "a directory, not a regular file")
    #expect(mkfifo(dir.file("fifo.npz").path, 0o600) == 0)
    expectArchiveError(dir.file("fifo.npz"), containing: "a FIFO (named pipe), not a regular file")
    #expect(throws: NPYError.self) { try NPYArray(contentsOf: dir.file("fifo.npz")) }
  }

  /// What this package writes, numpy reads, and back, for both methods and a ZIP64-free layout.
  @Test(arguments: [false, true])
  func writtenArchivesPassZipfilesOwnCheck(compressed: Bool) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    var archive = NPZArchive(matrices: ["w": Matrix([[1, 2], [3, 4]]), "nested/v": Matrix(column: [5, 6, 7])])
    archive.set(NPYArray(shape: [], scalars: [42]), named: "ü")
    try archive.write(to: dir.file("ours.npz"), compressed: compressed)
    let report = try NumPy.runScript(
      """
      import zipfile
      with zipfile.ZipFile('ours.npz') as z:
          assert z.testzip() is None
          print(sorted((i.filename, i.compress_type) for i in z.infolist()))
      with np.load('ours.npz') as f:
          assert f['w'].tolist() == [[1, 2], [3, 4]] and f['nested/v'].tolist() == [[5], [6], [7]]
          assert f['ü'] == 42
      """, in: dir.url)
    let method = compressed ? 8 : 0
    #expect(report.contains("('nested/v.npy', \(method))"), "\(report)")
    #expect(try NPZArchive(contentsOf: dir.file("ours.npz")).arrays == archive.arrays)
  }
}

/// ZIP64 end records: numpy writes one for more than 65,535 members, and so does this package.
@Suite("NPZ ZIP64", .enabled(if: NumPy.isAvailable, Comment(rawValue: NumPy.unavailableReason)))
struct NPZZip64Tests {
  @Test func moreThan65535MembersBothWays() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let count = 66_000
    try NumPy.runScript(
      """
      import zipfile
      np.savez('many.npz', **{f'a{i}': np.float64(i) for i in range(\(count))})
      with zipfile.ZipFile('many.npz') as z:
          assert len(z.infolist()) == \(count)
      """, in: dir.url)
    let archive = try NPZArchive(contentsOf: dir.file("many.npz"))
    #expect(archive.names.count == count)
    #expect(try archive.array(named: "a65999").scalars == [65_999])

    try archive.write(to: dir.file("ours.npz"))
    let report = try NumPy.runScript(
      """
      with np.load('ours.npz') as f:
          print(len(f.files), float(f['a65999']), float(f['a0']))
      """, in: dir.url)
    #expect(report.trimmingCharacters(in: .whitespacesAndNewlines) == "\(count) 65999.0 0.0")
    #expect(try NPZArchive(contentsOf: dir.file("ours.npz")).names.count == count)
  }
}
