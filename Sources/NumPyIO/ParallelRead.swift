import CZlib
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Large reads in parts, on several threads at once.
///
/// Reading a large tensor into new memory costs three passes that one core does one after the
/// other: the kernel zeroes each new page, copies the file's bytes from the page cache, and the
/// archive's CRC-32 reads them again. Split into parts read by separate threads (`pread` at each
/// part's offset, each part checksummed in 256 KiB steps while they are in cache, the parts'
/// CRCs combined as zlib's `crc32_combine` does), a 100 MB member loads in about half the time
/// on two cores. Small reads stay on the calling thread.
package enum ParallelRead {
  /// Below this many bytes a read is not split.
  package static let minimumPart = 4 << 20

  /// The most threads one read uses.
  package static let maximumThreads = 4

  /// The bytes checksummed at a time, read just before (so that they are still in cache).
  static let step = 256 << 10

  /// The threads a read of `count` bytes uses: one per ``minimumPart``, at most the online cores
  /// and ``maximumThreads``.
  package static func threads(for count: Int) -> Int {
    let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    return max(1, min(count / minimumPart, cores, maximumThreads))
  }

  /// Fills `buffer` with the bytes of `source` at `offset ..< offset + buffer.count` and returns
  /// their CRC-32 (`nil` when `checksum` is false), in `parts` parts on as many threads
  /// (`nil`: ``threads(for:)``).
  ///
  /// - Throws: the first part's error, in the order of the parts, after every part has stopped.
  package static func read(
    _ source: any RandomAccessBytes, at offset: Int, into buffer: UnsafeMutableRawBufferPointer, checksum: Bool,
    parts: Int? = nil
  ) throws(NPYError) -> UInt32? {
    let parts = max(1, parts ?? threads(for: buffer.count))
    if parts == 1 {
      let crc = try readPart(source, at: offset, into: buffer, checksum: checksum)
      return checksum ? crc : nil
    }
    // Parts are whole 4 KiB pages but the last, so that no two threads write one page.
    let partSize = ((buffer.count + parts - 1) / parts + 4095) & ~4095
    var results = [Result<UInt32, NPYError>](repeating: .success(0), count: parts)
    results.withUnsafeMutableBufferPointer { results in
      let shared = UnsafeSharing(source: source, buffer: buffer, results: results)
      let body = { @Sendable (part: Int) in
        let start = min(part * partSize, shared.buffer.count)
        let end = min(start + partSize, shared.buffer.count)
        shared.results[part] = Result { () throws(NPYError) -> UInt32 in
          try readPart(
            shared.source, at: offset + start,
            into: UnsafeMutableRawBufferPointer(rebasing: shared.buffer[start..<end]), checksum: checksum)
        }
      }
      DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }
    var crc = CRC32()
    for (part, result) in results.enumerated() {
      let value = try result.get()
      let start = min(part * partSize, buffer.count)
      crc.append(crc: value, length: min(start + partSize, buffer.count) - start)
    }
    return checksum ? crc.value : nil
  }

  private static func readPart(
    _ source: any RandomAccessBytes, at offset: Int, into buffer: UnsafeMutableRawBufferPointer, checksum: Bool
  ) throws(NPYError) -> UInt32 {
    guard buffer.count > 0 else { return 0 }
    guard checksum else {
      try source.read(at: offset, into: buffer)
      return 0
    }
    var crc = CRC32()
    var done = 0
    while done < buffer.count {
      let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<min(done + step, buffer.count)])
      try source.read(at: offset + done, into: chunk)
      crc.update(UnsafeRawBufferPointer(chunk))
      done += chunk.count
    }
    return crc.value
  }
}

/// What the parts of one read share: the source (`pread` at distinct offsets), the destination
/// (each part its own pages) and the results (each part its own slot).
private struct UnsafeSharing: @unchecked Sendable {
  let source: any RandomAccessBytes
  let buffer: UnsafeMutableRawBufferPointer
  let results: UnsafeMutableBufferPointer<Result<UInt32, NPYError>>
}
