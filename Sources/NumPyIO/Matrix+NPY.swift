public import DenseMatrix
public import Foundation

extension Matrix {
  /// The matrix an array of rank 0, 1 or 2 denotes: 2-D as is, 1-D as a column vector (n × 1),
  /// 0-D as 1 × 1.
  ///
  /// The array's element type must be `Scalar`'s (float32 for `Matrix<Float>`, float64 for
  /// `Matrix<Double>`; integer arrays are read as float64) unless `converting` is true: then the
  /// elements are converted, rounded to nearest when narrowing, like numpy's `astype`.
  ///
  /// - Throws: ``NPYError/unsupportedRank(shape:)`` for 3-D and higher arrays,
  ///   ``NPYError/dtypeMismatch(found:expected:)`` for another element type without `converting`.
  /// - Complexity: O(1) when the types match (the scalars are adopted), O(count) when converting.
  public init(npy array: NPYArray, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(array, converting: converting)
  }

  static func decoding(_ array: NPYArray, converting: Bool) throws(NPYError) -> Matrix {
    let scalars: [Scalar]
    switch array.elements {
    case .float64(let values) where Scalar.self == Double.self:
      scalars = unsafeBitCast(values, to: [Scalar].self)  // the same type: no copy
    case .float32(let values) where Scalar.self == Float.self:
      scalars = unsafeBitCast(values, to: [Scalar].self)
    case .float64(let values) where converting:
      scalars = values.map { Scalar($0) }
    case .float32(let values) where converting:
      scalars = values.map { Scalar($0) }
    default:
      throw .dtypeMismatch(found: array.dtypeName, expected: Scalar.dtypeName)
    }
    switch array.shape.count {
    case 0: return Matrix(rows: 1, columns: 1, scalars: scalars)
    case 1: return Matrix(column: scalars)
    case 2: return Matrix(rows: array.shape[0], columns: array.shape[1], scalars: scalars)
    default: throw .unsupportedRank(shape: array.shape)
    }
  }

  /// Reads a `.npy` file, like `np.load(path)`; see ``NPYArray/init(npyBytes:maximumCount:)`` for
  /// the dtypes, versions and orders read.
  ///
  /// The element type must be `Scalar`'s unless `converting` (see `init(npy:converting:)`).
  ///
  /// - Throws: ``NPYError``: `.io` if the file cannot be read, otherwise what is wrong with it.
  /// - Complexity: O(file size).
  public init(contentsOfNPY url: URL, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(NPYArray(contentsOf: url), converting: converting)
  }

  /// This matrix as a 2-D array of its element type (float32 or float64).
  public var npyArray: NPYArray {
    if Scalar.self == Float.self {
      return NPYArray(shape: [rows, columns], elements: .float32(unsafeBitCast(scalars, to: [Float].self)))
    }
    return NPYArray(shape: [rows, columns], scalars: scalars.map { Double($0) })
  }

  /// Writes the matrix to a `.npy` file as 2-D little-endian float64 (`Matrix<Double>`) or float32
  /// (`Matrix<Float>`) in C order, like
  /// `np.save(path, a)`, atomically (see ``NPYArray/write(to:)`` for what may be at `url`).
  ///
  /// - Throws: ``NPYError/io(path:reason:)``.
  /// - Complexity: O(rows × columns).
  public func writeNPY(to url: URL) throws(NPYError) {
    try npyArray.write(to: url)
  }
}

extension Matrix where Scalar == Double {
  /// `init(npy:converting:)` as `Matrix<Double>` when nothing says the type (numpy's default
  /// dtype); `try Matrix<Float>(npy: array)` for float32.
  public init(npy array: NPYArray, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(array, converting: converting)
  }

  /// `init(contentsOfNPY:converting:)` as `Matrix<Double>` when nothing says the type.
  public init(contentsOfNPY url: URL, converting: Bool = false) throws(NPYError) {
    self = try Self.decoding(NPYArray(contentsOf: url), converting: converting)
  }
}

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

    /// Checks what is at `url` (nothing, a regular file, or a link to one).
    ///
    /// - Throws: ``NPYError/io(path:reason:)`` for a directory, FIFO, device, socket, read-only
    ///   file or a link to nothing.
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

extension URL {
  /// The path to write to, keeping the trailing `/` of a directory URL (`newdir/`), which
  /// `path` drops, so that the writer refuses it instead of creating a file `newdir`.
  var writablePath: String { hasDirectoryPath && path != "/" ? path + "/" : path }
}
