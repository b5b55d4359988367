#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written in full next to its destination, not yet in place.
final class StagedFile {
  fileprivate let temporary: String
  private let slot: CInt
  fileprivate let writer: AtomicFileWriter
  fileprivate var committed = false

  init(temporary: String, slot: CInt, writer: AtomicFileWriter) {
    (self.temporary, self.slot, self.writer) = (temporary, slot, writer)
  }

  /// Renames the file over its destination (atomic: readers see the old file or the new one).
  ///
  /// - Throws: ``NPYError/io(path:reason:)``; the temporary file is then removed.
  func commit() throws(NPYError) {
    try StagedFile.commit([self])
  }

  /// Renames every file over its destination, all or none.
  ///
  /// Right before the first rename, each destination is checked again (what was there when its
  /// writer was made may have become a directory, or read-only, while the program computed).
  /// A file that is replaced is kept under a hard link (`.NAME.RANDOM.backup`, beside it) until
  /// every rename has succeeded; if one fails, the files renamed so far are put back as they
  /// were (or removed, where nothing was there), and the error names the file that failed.
  /// SIGINT, SIGTERM and SIGHUP that arrive meanwhile take effect after the commit (see
  /// ``StagedFileRegistry``).
  ///
  /// - Parameter beforeRename: Called with each file's index before it is renamed (a test hook).
  /// - Throws: ``NPYError/io(path:reason:)`` for the first file that fails; every destination is
  ///   then as it was before the call, and the temporary files are removed.
  static func commit(_ files: [StagedFile], beforeRename: (Int) -> Void = { _ in }) throws(NPYError) {
    for file in files {
      let now = try AtomicFileWriter(path: file.writer.path)
      guard now.destination == file.writer.destination else {
        throw .io(path: file.writer.path, reason: "cannot write: it changed while the output was computed")
      }
    }
    StagedFileRegistry.commitBegin()
    defer { StagedFileRegistry.commitEnd() }
    // What each rename replaced: the backup's path, or nil where nothing was there.
    var replaced: [String?] = []
    func undo() {
      for (file, backup) in zip(files, replaced).reversed() {
        if let backup {
          rename(backup, file.writer.destination)
        } else {
          unlink(file.writer.destination)
        }
      }
    }
    for (index, file) in files.enumerated() {
      beforeRename(index)
      var backup: String?
      var status = stat()
      if lstat(file.writer.destination, &status) == 0, fileKind(status.st_mode) == .regular {
        let candidate = file.writer.siblingPath(suffix: "backup")
        guard link(file.writer.destination, candidate) == 0 else {
          let reason = systemMessage(errno)
          undo()
          throw .io(path: file.writer.path, reason: "cannot keep the file it replaces: \(reason)")
        }
        backup = candidate
      }
      guard rename(file.temporary, file.writer.destination) == 0 else {
        let reason = systemMessage(errno)
        if let backup { unlink(backup) }
        undo()
        throw .io(path: file.writer.path, reason: "cannot write: \(reason)")
      }
      file.committed = true
      file.unregister()
      replaced.append(backup)
    }
    for case let backup? in replaced { unlink(backup) }
  }

  private var registered = true
  private func unregister() {
    if registered { StagedFileRegistry.unregister(slot) }
    registered = false
  }

  deinit {
    if !committed { unlink(temporary) }
    unregister()
  }
}
