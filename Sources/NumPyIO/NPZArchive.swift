public import Foundation

/// The arrays of an `.npz` file, as written by `np.savez` and `np.savez_compressed`.
///
/// ```swift
/// let weights = try NPZArchive(contentsOf: URL(fileURLWithPath: "weights.npz"))
/// let wHH = try weights.matrix(named: "W_hh")
/// ```
///
/// Every member is parsed when the archive is read, so a malformed member is reported at once.
/// The zip container is read and written by this module, with zlib for deflate and CRC-32.
public struct NPZArchive: Sendable {
  /// The arrays by name (the member's file name without `.npy`).
  public private(set) var arrays: [String: NPYArray]

  /// The names of the arrays, sorted.
  public var names: [String] { arrays.keys.sorted() }

  /// An archive of the given arrays, to be written with ``write(to:compressed:)``.
  public init(arrays: [String: NPYArray] = [:]) {
    self.arrays = arrays
  }

  /// How much an archive may hold once decoded, so that a small compressed file cannot expand
  /// into unbounded memory. Sizes are bytes of decoded arrays (4 per float32 element, 8 for
  /// float64 and for integers, which are decoded as `Double`), checked against each member's
  /// `.npy` header before its data is inflated.
  public struct Limits: Hashable, Sendable {
    /// The largest array accepted, in bytes (default 8 GiB).
    public var maximumArrayBytes: Int
    /// The most bytes all arrays together may take (default 8 GiB).
    public var maximumTotalBytes: Int

    /// Limits; both default to 8 GiB.
    public init(maximumArrayBytes: Int = 1 << 33, maximumTotalBytes: Int = 1 << 33) {
      self.maximumArrayBytes = maximumArrayBytes
      self.maximumTotalBytes = maximumTotalBytes
    }

    /// 8 GiB per array and in total.
    public static let `default` = Limits()
  }

  /// Reads an `.npz` file, like `np.load(path)` for an archive, checking everything `zipfile`
  /// checks and more.
  ///
  /// Refused, with a message naming the file and the member: a path that is not a regular file;
  /// anything that is not a zip archive; a damaged central directory (its member count, offsets
  /// and sizes are checked against the end record and the file's size); encrypted members and
  /// compression methods other than stored and deflate; a member whose CRC-32 or size does not
  /// match the central directory; duplicate names; members that are not `.npy` files or are
  /// malformed (see ``NPYArray/init(npyBytes:maximumCount:)``); arrays beyond `limits`.
  /// Directory entries are skipped. Bytes prepended to the archive (a self-extracting stub) are
  /// refused, as `np.load` refuses them (`zipfile` alone would read past them).
  ///
  /// Array names are kept exactly as the members name them, as numpy keeps them: `../up` for a
  /// member `../up.npy`, the empty name for a member `.npy`. ``write(to:compressed:)`` refuses
  /// such path-like names, so an archive read this way may need renaming before it is written.
  ///
  /// - Parameters:
  ///   - url: The `.npz` file.
  ///   - limits: The most memory the arrays may take (default 8 GiB per array and in total).
  /// - Throws: ``NPYError/io(path:reason:)`` if the file cannot be read; otherwise
  ///   ``NPYError/file(path:error:)`` holding what is wrong (``NPYError/member(name:error:)`` for
  ///   one member).
  /// - Complexity: O(file size + decoded size); memory is the decoded arrays plus 64 KiB.
  public init(contentsOf url: URL, limits: Limits = .default) throws(NPYError) {
    try self.init(path: url.path, limits: limits)
  }

  /// ``init(contentsOf:limits:)`` for the file at `path`, named in messages as given.
  package init(path: String, limits: Limits = .default) throws(NPYError) {
    let file = try ReadableFile(path: path)
    do {
      try self.init(reading: file, limits: limits)
    } catch {
      throw error.inFile(path)
    }
  }

  /// Reads an `.npz` archive held in memory; see ``init(contentsOf:limits:)``.
  ///
  /// - Throws: ``NPYError`` saying what is wrong.
  /// - Complexity: O(bytes.count + decoded size).
  public init(npzBytes bytes: [UInt8], limits: Limits = .default) throws(NPYError) {
    try self.init(reading: MemoryBytes(bytes: bytes), limits: limits)
  }

  package init(reading source: any RandomAccessBytes, limits: Limits) throws(NPYError) {
    let directory = try ZipDirectory(reading: source)
    var arrays: [String: NPYArray] = [:]
    var used = 0
    for entry in directory.entries where !entry.isDirectory {
      do throws(NPYError) {
        guard entry.name.hasSuffix(".npy") else { throw NPYError.archive("it is not a .npy file") }
        let name = String(entry.name.dropLast(4))
        guard arrays[name] == nil else { throw NPYError.archive("the archive holds it twice") }
        var stream = try ZipMemberStream(entry: entry, in: source, dataEnd: directory.centralDirectoryStart)
        let budget = min(limits.maximumArrayBytes, limits.maximumTotalBytes - used)
        let array: NPYArray
        do {
          array = try NPYArray(
            decoding: &stream, length: entry.uncompressedSize, maximumCount: .max, maximumBytes: max(budget, 0))
        } catch .exceedsLimit {
          throw NPYError.exceedsLimit(
            "its array needs more than the \(max(budget, 0)) bytes left of the archive's limits "
              + "(\(limits.maximumArrayBytes) per array, \(limits.maximumTotalBytes) in total)")
        }
        try stream.finish()
        used += array.elements.count * array.itemSize
        arrays[name] = array
      } catch {
        throw NPYError.member(name: entry.name, error: error)
      }
    }
    self.arrays = arrays
  }

  /// The array called `name`.
  ///
  /// - Throws: ``NPYError/missingArray(name:available:)`` naming the arrays present.
  public func array(named name: String) throws(NPYError) -> NPYArray {
    guard let array = arrays[name] else { throw .missingArray(name: name, available: names) }
    return array
  }

  /// Adds or replaces an array.
  public mutating func set(_ array: NPYArray, named name: String) {
    arrays[name] = array
  }

  /// Writes the archive like `np.savez` (stored) or `np.savez_compressed` (deflate), one
  /// `name.npy` member per array, in name order.
  ///
  /// The file is replaced atomically (see ``NPYArray/write(to:)`` for what may be at `url`):
  /// on failure nothing is left and an existing file is unchanged.
  ///
  /// - Throws: ``NPYError/archive(_:)`` for an array name that is empty, absolute, has a `..`
  ///   component or a NUL byte, or is too long for a zip member; ``NPYError/io(path:reason:)``
  ///   if the file cannot be written.
  /// - Complexity: O(total size).
  public func write(to url: URL, compressed: Bool = false) throws(NPYError) {
    for name in names { try Self.validate(memberName: name) }
    let writer = try AtomicFileWriter(path: url.writablePath)
    try writer.write { (file) throws(NPYError) in try write(into: file, compressed: compressed) }
  }

  /// Writes the archive's bytes, uncompressed, into `file` (as a ``FileContents``).
  ///
  /// - Throws: as ``write(to:compressed:)``.
  package func write(into file: borrowing OutputFile) throws(NPYError) {
    try write(into: file, compressed: false)
  }

  /// Writes the archive's bytes into `file`.
  ///
  /// - Throws: as ``write(to:compressed:)``.
  package func write(into file: borrowing OutputFile, compressed: Bool) throws(NPYError) {
    for name in names { try Self.validate(memberName: name) }
    var zip = ZipWriter()
    for name in names {
      try zip.add(name: name + ".npy", data: arrays[name]!.npyBytes(), compressed: compressed, to: file)
    }
    try zip.finish(to: file)
  }

  /// Refuses names that would escape the directory an archive is extracted into, or that a
  /// zip member cannot hold.
  static func validate(memberName name: String) throws(NPYError) {
    let components = name.split(separator: "/", omittingEmptySubsequences: false)
    var problem: String?
    if name.isEmpty {
      problem = "an array name is empty"
    } else if name.utf8.contains(0) {
      problem = "an array name contains a NUL byte"
    } else if name.hasPrefix("/") {
      problem = "it is an absolute path"
    } else if components.contains("..") {
      problem = "it has a '..' component"
    } else if name.utf8.count > 65_535 - 4 {
      problem = "it is longer than a zip member name can be"
    }
    if let problem {
      throw .archive("cannot use '\(printable(name))' as an array name: \(problem)")
    }
  }
}

extension NPZArchive: FileContents {}
