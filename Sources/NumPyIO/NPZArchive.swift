public import DenseMatrix
public import Foundation
import ZIPFoundation

/// The arrays of an `.npz` file, as written by `np.savez` and `np.savez_compressed`.
///
/// ```swift
/// let weights = try NPZArchive(contentsOf: URL(fileURLWithPath: "weights.npz"))
/// let wHH = try weights.matrix(named: "W_hh")
/// ```
///
/// Every member is parsed when the archive is read, so a malformed member is reported at once.
/// The zip container is read by ZIPFoundation.
public struct NPZArchive: Sendable {
  /// The arrays by name (the member's file name without `.npy`).
  public private(set) var arrays: [String: NPYArray]

  /// The names of the arrays, sorted.
  public var names: [String] { arrays.keys.sorted() }

  /// An archive of the given arrays, to be written with ``write(to:compressed:)``.
  public init(arrays: [String: NPYArray] = [:]) {
    self.arrays = arrays
  }

  /// An archive of the given matrices (each stored as a 2-D array).
  public init(matrices: [String: Matrix]) {
    self.arrays = matrices.mapValues(\.npyArray)
  }

  /// Reads an `.npz` file.
  ///
  /// - Parameters:
  ///   - url: The `.npz` file.
  ///   - maximumBytes: The largest uncompressed member accepted (default 16 GiB), so that a
  ///     small compressed file cannot expand into unbounded memory.
  /// - Throws: ``NPYError``: `.io` if unreadable, `.archive` if not a zip archive or a member
  ///   is not a `.npy` file, or what is wrong with a member (prefixed with its name).
  /// - Complexity: O(uncompressed size).
  public init(contentsOf url: URL, maximumBytes: Int = 1 << 34) throws(NPYError) {
    let archive: Archive
    do {
      archive = try Archive(url: url, accessMode: .read)
    } catch {
      if !FileManager.default.isReadableFile(atPath: url.path) {
        throw .io(path: url.path, reason: "cannot read the file")
      }
      throw .archive("\(url.path) is not a zip archive (\(error))")
    }
    var arrays: [String: NPYArray] = [:]
    for entry in archive where entry.type == .file {
      let path = entry.path
      guard path.hasSuffix(".npy") else { throw .archive("member '\(path)' is not a .npy file") }
      let name = String(path.dropLast(4))
      guard entry.uncompressedSize >= 0, entry.uncompressedSize <= Int64(maximumBytes) else {
        throw .archive(
          "member '\(path)' declares \(entry.uncompressedSize) bytes, more than the limit of \(maximumBytes)")
      }
      var bytes: [UInt8] = []
      bytes.reserveCapacity(Int(entry.uncompressedSize))
      do {
        _ = try archive.extract(entry, skipCRC32: false) { chunk in
          guard bytes.count + chunk.count <= Int(entry.uncompressedSize) else { throw NPZOverflow() }
          bytes.append(contentsOf: chunk)
        }
      } catch {
        throw .archive("cannot extract member '\(path)' (\(error))")
      }
      do {
        arrays[name] = try NPYArray(npyBytes: bytes)
      } catch {
        throw .archive("member '\(path)': \(error.description)")
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

  /// The matrix called `name` (0-, 1- or 2-D; see `Matrix(npy:)`).
  ///
  /// - Throws: ``NPYError/missingArray(name:available:)`` or ``NPYError/unsupportedRank(shape:)``.
  public func matrix(named name: String) throws(NPYError) -> Matrix {
    try Matrix(npy: array(named: name))
  }

  /// Adds or replaces an array.
  public mutating func set(_ array: NPYArray, named name: String) {
    arrays[name] = array
  }

  /// Writes the archive like `np.savez` (stored) or `np.savez_compressed` (deflate), one
  /// `name.npy` member per array, atomically: on failure no partial file is left.
  ///
  /// - Throws: ``NPYError/io(path:reason:)`` or ``NPYError/archive(_:)``.
  /// - Complexity: O(total size).
  public func write(to url: URL, compressed: Bool = false) throws(NPYError) {
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(UInt64.random(in: 0..<UInt64.max)).partial")
    defer { try? FileManager.default.removeItem(at: temporary) }
    do {
      let archive = try Archive(url: temporary, accessMode: .create)
      for name in names {
        let bytes = arrays[name]!.npyBytes()
        try archive.addEntry(
          with: name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
          compressionMethod: compressed ? .deflate : .none
        ) { position, size in
          Data(bytes[Int(position)..<(Int(position) + size)])
        }
      }
    } catch {
      throw .archive("cannot write \(url.path) (\(error))")
    }
    do {
      if FileManager.default.fileExists(atPath: url.path) {
        _ = try FileManager.default.replaceItemAt(url, withItemAt: temporary)
      } else {
        try FileManager.default.moveItem(at: temporary, to: url)
      }
    } catch {
      throw .io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
    }
  }
}

private struct NPZOverflow: Error, CustomStringConvertible {
  var description: String { "the member is larger than its declared size" }
}
