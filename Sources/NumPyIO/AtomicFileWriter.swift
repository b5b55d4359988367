#if !NUMPYIO_STANDALONE
import DenseMatrix  // checkPrecondition (the fuzzers compile its file in)
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically: the bytes go to a new file in the destination's directory, which is
/// then renamed over the destination with `rename(2)`. Readers see the old file or the new one,
/// never a partial one, and a failure leaves the destination exactly as it was.
///
/// The rules for what is at the destination:
/// - nothing: a new file with mode `0666` minus the process's umask, like `open(2)`;
/// - a regular file: replaced, keeping its permission bits (and, where the process may, its
///   owner and group); a file without write permission is refused, as `open(2)` would;
/// - a symbolic link: followed; the file it points to is replaced and the link kept (a link to
///   nothing is refused);
/// - a directory, FIFO, device or socket: refused, and left alone.
///
/// Replacing a file gives it a new inode: other hard links to the old file keep the old bytes.
package struct AtomicFileWriter {
  /// The path given by the caller, for messages.
  let path: String
  /// The regular file that is replaced (the symbolic link's target, if `path` is one).
  let destination: String
  /// The permission bits for the new file, or `nil` to let `open(2)` apply the umask.
  private let mode: mode_t?
  private let owner: (uid: uid_t, gid: gid_t)?

  /// Checks the destination; nothing is created yet.
  package init(path: String) throws(NPYError) {
    self.path = path
    guard !path.isEmpty else { throw .io(path: path, reason: "cannot write: the path is empty") }
    var destination = path
    var status = stat()
    if lstat(path, &status) == 0, fileKind(status.st_mode) == .symbolicLink {
      guard let resolved = realpath(path, nil) else {
        throw .io(path: path, reason: "cannot write: a symbolic link to a missing file (\(systemMessage(errno)))")
      }
      destination = String(cString: resolved)
      free(resolved)
    }
    self.destination = destination
    if stat(destination, &status) == 0 {
      let kind = fileKind(status.st_mode)
      guard kind == .regular else {
        throw .io(path: path, reason: "cannot write: it is \(kind.phrase); only regular files are replaced")
      }
      guard access(destination, W_OK) == 0, status.st_mode & 0o222 != 0 else {
        throw .io(path: path, reason: "cannot write: the file is read-only")
      }
      mode = status.st_mode & 0o7777
      owner = (status.st_uid, status.st_gid)
    } else if errno == ENOENT {
      guard !path.hasSuffix("/") else {
        throw .io(path: path, reason: "cannot write: a path ending in '/' names a directory, not a file")
      }
      mode = nil
      owner = nil
    } else {
      throw .io(path: path, reason: "cannot write: \(systemMessage(errno))")
    }
    // The new file is created beside the destination and renamed over it: its directory must
    // exist and take new files, or the write would fail only after the work.
    let directory = Self.directory(of: destination)
    guard stat(directory, &status) == 0 else {
      throw .io(path: path, reason: "cannot create a file in \(directory): \(systemMessage(errno))")
    }
    guard fileKind(status.st_mode) == .directory else {
      throw .io(path: path, reason: "cannot create a file in \(directory): \(systemMessage(ENOTDIR))")
    }
    guard access(directory, W_OK | X_OK) == 0 else {
      throw .io(path: path, reason: "cannot create a file in \(directory): \(systemMessage(errno))")
    }
    // Permission bits do not tell everything (a read-only mount, /proc, root's bypass): create and
    // remove an empty file beside the destination, as the write will.
    let probe = siblingPath(suffix: "probe")
    let slot = StagedFileRegistry.register(probe)
    let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    let error = errno
    if descriptor >= 0 {
      close(descriptor)
      unlink(probe)
    }
    StagedFileRegistry.unregister(slot)
    guard descriptor >= 0 else {
      throw .io(path: path, reason: "cannot create a file in \(directory): \(systemMessage(error))")
    }
  }

  private static func directory(of destination: String) -> String {
    guard let slash = destination.lastIndex(of: "/") else { return "." }
    return slash == destination.startIndex ? "/" : String(destination[..<slash])
  }

  /// The directory that holds the destination.
  private var directory: String { Self.directory(of: destination) }

  /// A new name beside the destination, `.NAME.RANDOM.SUFFIX`, for staged files and backups.
  func siblingPath(suffix: String) -> String {
    let name = destination.split(separator: "/").last.map(String.init) ?? "output"
    return "\(directory)/.\(name).\(UInt32.random(in: 0...UInt32.max)).\(suffix)"
  }

  /// Creates the temporary file, lets `body` write to it, and renames it into place.
  ///
  /// - Throws: ``NPYError/io(path:reason:)`` or what `body` throws; the temporary file is removed.
  package func write(_ body: (borrowing OutputFile) throws(NPYError) -> Void) throws(NPYError) {
    try stage(body).commit()
  }

  /// The destination's canonical path (its directory resolved), to tell whether two writers
  /// would replace the same file.
  var identity: String {
    let name = destination.split(separator: "/").last.map(String.init) ?? destination
    guard let resolved = realpath(directory, nil) else { return destination }
    defer { free(resolved) }
    return String(cString: resolved) + "/" + name
  }

  /// Writes the whole file next to the destination, flushed to disk, without replacing anything
  /// yet: ``StagedFile/commit()`` renames it into place; dropping it unstaged removes it.
  ///
  /// - Throws: ``NPYError/io(path:reason:)`` or what `body` throws; nothing is left behind.
  func stage(_ body: (borrowing OutputFile) throws(NPYError) -> Void) throws(NPYError) -> StagedFile {
    var temporary = ""
    var descriptor: CInt = -1
    var slot: CInt = -1
    for _ in 0..<16 {
      temporary = siblingPath(suffix: "partial")
      // Registered before it exists, so that an interruption never leaves it behind.
      slot = StagedFileRegistry.register(temporary)
      descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o666)
      if descriptor >= 0 { break }
      let error = errno
      StagedFileRegistry.unregister(slot)
      errno = error
      if error != EEXIST { break }
    }
    guard descriptor >= 0 else {
      throw .io(path: path, reason: "cannot create a file in \(directory): \(systemMessage(errno))")
    }
    let staged = StagedFile(temporary: temporary, slot: slot, writer: self)
    do throws(NPYError) {
      let file = OutputFile(descriptor: descriptor, path: path)
      try body(file)
      if let mode {
        if let owner { _ = fchown(descriptor, owner.uid, owner.gid) }  // allowed only for root or the owner
        guard fchmod(descriptor, mode) == 0 else {
          throw NPYError.io(path: path, reason: "cannot write: \(systemMessage(errno))")
        }
      }
      guard fsync(descriptor) == 0 else {
        throw NPYError.io(path: path, reason: "cannot write: \(systemMessage(errno))")
      }
    } catch {
      close(descriptor)
      throw error
    }
    guard close(descriptor) == 0 else { throw .io(path: path, reason: "cannot write: \(systemMessage(errno))") }
    return staged
  }
}

/// A file being written by ``AtomicFileWriter``.
package struct OutputFile: ~Copyable {
  let descriptor: CInt
  let path: String

  /// Writes all of `bytes`.
  package func write(_ bytes: UnsafeRawBufferPointer) throws(NPYError) {
    var done = 0
    while done < bytes.count {
      let n = posixWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw .io(path: path, reason: "cannot write: \(systemMessage(errno))") }
      done += n
    }
  }

  /// Writes all of `bytes`.
  package func write(_ bytes: [UInt8]) throws(NPYError) {
    try withBytes(of: bytes) { (raw) throws(NPYError) in try write(raw) }
  }
}

/// `write(2)`, under a name that `OutputFile.write` does not shadow.
private func posixWrite(_ descriptor: CInt, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, bytes, count)
}

/// Writes `bytes` to `path` with the rules of ``AtomicFileWriter``: the package's tools use this
/// for every output file, so that `--output` never replaces a device, FIFO or directory.
///
/// - Throws: ``NPYError/io(path:reason:)``.
package func writeFileAtomically(_ bytes: [UInt8], toPath path: String) throws(NPYError) {
  try CheckedFileDestination(path: path).write(bytes)
}

/// A file destination checked when it is made, before any work (as ``NPYArray/Destination``
/// for `.npy` files), and written atomically later with the rules of ``AtomicFileWriter``: the
/// package's tools check every output option this way first.
package struct CheckedFileDestination: Sendable {
  private let writer: AtomicFileWriter

  /// Checks what is at `path` and that its directory takes new files.
  ///
  /// - Throws: ``NPYError/io(path:reason:)``.
  package init(path: String) throws(NPYError) {
    writer = try AtomicFileWriter(path: path)
  }

  /// Writes `bytes` atomically.
  ///
  /// - Throws: ``NPYError/io(path:reason:)``.
  package func write(_ bytes: [UInt8]) throws(NPYError) {
    try writer.write { (file) throws(NPYError) in try file.write(bytes) }
  }

  /// Whether `self` and `other` would replace the same file (links and relative paths resolved).
  package func isSameFile(as other: CheckedFileDestination) -> Bool { writer.identity == other.writer.identity }

  /// The path as given.
  package var path: String { writer.path }

  /// Writes several files, all or none, as ``NPYArray/Destination/write(_:)`` writes arrays:
  /// each file's contents are written in full next to its destination, then every destination
  /// is checked again and all are renamed into place, or none.
  ///
  /// - Precondition: no two destinations are the same file.
  /// - Throws: ``NPYError/io(path:reason:)`` for the first file that fails, or what writing a
  ///   file's contents throws; every destination is then as it was.
  package static func write(_ files: [(CheckedFileDestination, any FileContents)]) throws(NPYError) {
    for (i, (a, _)) in files.enumerated() {
      for (b, _) in files[(i + 1)...] {
        checkPrecondition(!a.isSameFile(as: b), "CheckedFileDestination.write: \(a.path) is given twice")
      }
    }
    var staged: [StagedFile] = []
    for (destination, contents) in files {
      staged.append(try destination.writer.stage { (file) throws(NPYError) in try contents.write(into: file) })
    }
    try StagedFile.commit(staged)
  }
}

/// What a file holds, written into it by ``CheckedFileDestination/write(_:)``: an archive, a
/// state dict, or bytes.
package protocol FileContents {
  /// Writes the contents into `file`, front to back.
  func write(into file: borrowing OutputFile) throws(NPYError)
}

/// Bytes as a file's contents.
package struct FileBytes: FileContents {
  package var bytes: [UInt8]
  package init(_ bytes: [UInt8]) { self.bytes = bytes }
  package func write(into file: borrowing OutputFile) throws(NPYError) { try file.write(bytes) }
}
