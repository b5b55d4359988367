#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to the bytes of an `.npy` or `.npz` source: a file or a buffer in memory.
package protocol RandomAccessBytes {
  /// The number of bytes.
  var count: Int { get }
  /// Fills `buffer` with the bytes at `offset ..< offset + buffer.count`, which must lie within
  /// `0 ..< count`.
  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(NPYError)
}

/// A regular file opened for reading. Anything else (a directory, a FIFO, a device) is refused
/// when it is opened, so that no reader ever waits on a pipe or scans a directory.
package final class ReadableFile: RandomAccessBytes {
  package let path: String
  package let count: Int
  private let descriptor: CInt

  /// Opens `path`, following symbolic links.
  ///
  /// - Throws: ``NPYError/io(path:reason:)`` saying why it cannot be read.
  package init(path: String) throws(NPYError) {
    self.path = path
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { throw .io(path: path, reason: "cannot read: \(systemMessage(errno))") }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let code = errno
      close(descriptor)
      throw .io(path: path, reason: "cannot read: \(systemMessage(code))")
    }
    guard fileKind(status.st_mode) == .regular else {
      close(descriptor)
      throw .io(path: path, reason: "cannot read: \(fileKind(status.st_mode).phrase), not a regular file")
    }
    self.descriptor = descriptor
    self.count = Int(status.st_size)
  }

  deinit { close(descriptor) }

  package func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) {
    var done = 0
    while done < buffer.count {
      let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        let reason = n == 0 ? "the file became shorter while it was read" : systemMessage(errno)
        throw .io(path: path, reason: "cannot read: \(reason)")
      }
      done += n
    }
  }
}

/// Bytes held in memory.
package struct MemoryBytes: RandomAccessBytes {
  package let bytes: [UInt8]
  package var count: Int { bytes.count }

  package init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  package func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) {
    bytes.withUnsafeBytes { source in
      buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + buffer.count)]))
    }
  }
}

/// The kinds of directory entries, as `stat` reports them.
enum FileKind {
  case regular, directory, symbolicLink, fifo, characterDevice, blockDevice, socket, unknown

  /// "a directory", "a FIFO", ...: for messages.
  var phrase: String {
    switch self {
    case .regular: return "a regular file"
    case .directory: return "a directory"
    case .symbolicLink: return "a symbolic link"
    case .fifo: return "a FIFO (named pipe)"
    case .characterDevice: return "a character device"
    case .blockDevice: return "a block device"
    case .socket: return "a socket"
    case .unknown: return "a special file"
    }
  }
}

func fileKind(_ mode: mode_t) -> FileKind {
  switch mode & S_IFMT {
  case S_IFREG: return .regular
  case S_IFDIR: return .directory
  case S_IFLNK: return .symbolicLink
  case S_IFIFO: return .fifo
  case S_IFCHR: return .characterDevice
  case S_IFBLK: return .blockDevice
  case S_IFSOCK: return .socket
  default: return .unknown
  }
}

/// `strerror`, as a Swift string.
func systemMessage(_ code: CInt) -> String {
  String(cString: strerror(code))
}

/// The contents of the regular file at `path`, refusing directories, FIFOs, devices and files
/// larger than `maximumBytes`.
///
/// - Throws: ``NPYError/io(path:reason:)``.
package func readRegularFile(atPath path: String, maximumBytes: Int) throws(NPYError) -> [UInt8] {
  let file = try ReadableFile(path: path)
  guard file.count <= maximumBytes else {
    throw .io(path: path, reason: "cannot read: \(file.count) bytes, more than the \(maximumBytes) expected")
  }
  var bytes = [UInt8](repeating: 0, count: file.count)
  try withMutableBytes(of: &bytes) { (raw) throws(NPYError) in try file.read(at: 0, into: raw) }
  return bytes
}
