public import Foundation

#if !NUMPYIO_STANDALONE
import DenseMatrix  // checkPrecondition (the fuzzers compile its file in)
#endif

extension NPYArray {
  /// A `.npy` destination checked before the array exists, so that a program can refuse a bad
  /// output path before it does any work, then write atomically (see ``NPYArray/write(to:)``).
  ///
  /// ```swift
  /// let destination = try NPYArray.Destination(url: output)   // a directory: refused here
  /// let result = compute()
  /// try destination.write(result)
  /// ```
  public struct Destination: Sendable {
    private let writer: AtomicFileWriter

    /// Checks what is at `url` (nothing, a regular file, or a link to one), and that its
    /// directory exists and takes new files: an empty `.NAME.RANDOM.probe` file is created
    /// beside it and removed at once, since permission bits do not tell (a read-only mount,
    /// `/proc`, a process that bypasses permissions).
    ///
    /// - Throws: ``NPYError/io(path:reason:)`` for a directory, FIFO, device, socket, read-only
    ///   file or a link to nothing, or a directory that is missing or takes no new files.
    public init(url: URL) throws(NPYError) {
      writer = try AtomicFileWriter(path: url.writablePath)
    }

    /// Checks what is at `path` (relative to the working directory unless absolute); errors
    /// and ``path`` say it as given.
    ///
    /// - Throws: as ``init(url:)``.
    public init(path: String) throws(NPYError) {
      writer = try AtomicFileWriter(path: path)
    }

    /// Writes `array` atomically.
    ///
    /// - Throws: ``NPYError/io(path:reason:)``.
    /// - Complexity: O(array.scalars.count).
    public func write(_ array: NPYArray) throws(NPYError) {
      let bytes = array.npyBytes()
      try writer.write { (file) throws(NPYError) in try file.write(bytes) }
    }

    /// Whether `self` and `other` would replace the same file (links and relative paths
    /// resolved).
    public func isSameFile(as other: Destination) -> Bool { writer.identity == other.writer.identity }

    /// Writes several arrays, all or none: every file is written in full next to its
    /// destination and flushed first; then each destination is checked again and the files are
    /// renamed into place, each replaced file kept until all renames have succeeded. If any
    /// step fails, every destination is left exactly as it was before the call (a rename that
    /// already happened is undone) and no temporary file remains.
    ///
    /// - Precondition: no two destinations are the same file (see ``isSameFile(as:)``).
    /// - Throws: ``NPYError/io(path:reason:)`` for the first file that fails, naming its path.
    /// - Complexity: O(total elements).
    public static func write(_ arrays: [(Destination, NPYArray)]) throws(NPYError) {
      try write(arrays, beforeCommit: {}, beforeRename: { _ in })
    }

    /// ``write(_:)`` with test hooks: `beforeCommit` runs once every file is staged,
    /// `beforeRename` with each file's index before it is renamed into place.
    package static func write(
      _ arrays: [(Destination, NPYArray)], beforeCommit: () -> Void, beforeRename: (Int) -> Void
    ) throws(NPYError) {
      for (i, (a, _)) in arrays.enumerated() {
        for (b, _) in arrays[(i + 1)...] {
          checkPrecondition(!a.isSameFile(as: b), "NPYArray.Destination.write: \(a.writer.path) is given twice")
        }
      }
      var staged: [StagedFile] = []
      for (destination, array) in arrays {
        let bytes = array.npyBytes()
        staged.append(try destination.writer.stage { (file) throws(NPYError) in try file.write(bytes) })
      }
      beforeCommit()
      try StagedFile.commit(staged, beforeRename: beforeRename)
    }

    /// The path this destination was made with, as given.
    public var path: String { writer.path }
  }
}
