public import Foundation

extension NPYArray {
  /// Reads a `.npy` file of any rank, like `np.load(path)`.
  ///
  /// Only the header is read before the data size is checked against the file's size and
  /// `maximumCount`, so a file that declares more than it holds costs nothing. The path must
  /// name a regular file (or a symbolic link to one); directories, FIFOs and devices are refused.
  ///
  /// - Parameters:
  ///   - url: The file.
  ///   - maximumCount: The most elements to accept (default: no limit beyond the data present).
  /// - Throws: ``NPYError/io(path:reason:)`` if the file cannot be read, otherwise
  ///   ``NPYError/file(path:error:)`` holding what is wrong with it.
  /// - Complexity: O(file size); memory is the array plus 64 KiB.
  public init(contentsOf url: URL, maximumCount: Int = .max) throws(NPYError) {
    try self.init(path: url.path, maximumCount: maximumCount, maximumBytes: .max)
  }

  /// Reads a `.npy` file at `path` (as given, for messages) whose decoded array takes at most
  /// `maximumBytes` (4 bytes per float32 element, 8 otherwise), checked before it is allocated.
  package init(path: String, maximumCount: Int = .max, maximumBytes: Int) throws(NPYError) {
    let file = try ReadableFile(path: path)
    var stream = RangeStream(source: file, range: 0..<file.count)
    do {
      try self.init(decoding: &stream, length: file.count, maximumCount: maximumCount, maximumBytes: maximumBytes)
    } catch {
      throw error.inFile(path)
    }
  }

  /// Writes the array to a `.npy` file (`<f8`, C order), like `np.save(path, a)`.
  ///
  /// The file is replaced atomically: the bytes go to a temporary file in the same directory,
  /// renamed over `url` when complete, so a failure leaves no partial file and an existing file
  /// unchanged. An existing regular file keeps its permission bits; a symbolic link is followed
  /// (the file it points to is replaced, the link kept); a directory, FIFO, device or socket,
  /// a read-only file and a link to nothing are refused. Other hard links to a replaced file
  /// keep the old contents.
  ///
  /// - Throws: ``NPYError/io(path:reason:)`` saying why the file cannot be written.
  /// - Complexity: O(count).
  public func write(to url: URL) throws(NPYError) {
    try Destination(url: url).write(self)
  }
}

extension URL {
  /// The path to write to, keeping the trailing `/` of a directory URL (`newdir/`), which
  /// `path` drops, so that the writer refuses it instead of creating a file `newdir`.
  package var writablePath: String { hasDirectoryPath && path != "/" ? path + "/" : path }
}
