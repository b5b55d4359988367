/// A source of bytes read front to back: a file's range, or an archive member as it is inflated.
package protocol ByteStream {
  /// Reads up to `buffer.count` bytes into `buffer` and returns how many; 0 only at the end.
  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) -> Int

  /// Fills `buffer` completely, as ``readExactly(into:)`` does; streams that can read a large
  /// buffer faster in parts (``ParallelRead``) do so.
  mutating func readAll(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError)
}

extension ByteStream {
  package mutating func readAll(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) {
    try readExactly(into: buffer)
  }

  /// Fills `buffer` completely.
  ///
  /// - Throws: ``NPYError/dataSizeMismatch(expectedBytes:foundBytes:)`` if the stream ends first
  ///   (callers check lengths beforehand, so this means the source lied about its size).
  package mutating func readExactly(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) {
    var done = 0
    while done < buffer.count {
      let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
      guard n > 0 else { throw .dataSizeMismatch(expectedBytes: buffer.count, foundBytes: done) }
      done += n
    }
  }

  /// Fills `bytes[range]` completely.
  package mutating func readExactly(into bytes: inout [UInt8], _ range: Range<Int>) throws(NPYError) {
    try withMutableBytes(of: &bytes) { (raw) throws(NPYError) in
      try readExactly(into: UnsafeMutableRawBufferPointer(rebasing: raw[range]))
    }
  }
}

/// The bytes of `source` in `range`, front to back.
struct RangeStream: ByteStream {
  let source: any RandomAccessBytes
  var range: Range<Int>

  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) -> Int {
    let n = min(buffer.count, range.count)
    guard n > 0 else { return 0 }
    try source.read(at: range.lowerBound, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
    range = (range.lowerBound + n)..<range.upperBound
    return n
  }

  mutating func readAll(into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) {
    guard buffer.count <= range.count else {
      throw .dataSizeMismatch(expectedBytes: buffer.count, foundBytes: range.count)
    }
    _ = try ParallelRead.read(source, at: range.lowerBound, into: buffer, checksum: false)
    range = (range.lowerBound + buffer.count)..<range.upperBound
  }
}

/// `array.withUnsafeMutableBytes(body)`, keeping `body`'s error type (the standard library's
/// version is `rethrows`, which erases it).
package func withMutableBytes<Element>(
  of array: inout [Element], _ body: (UnsafeMutableRawBufferPointer) throws(NPYError) -> Void
) throws(NPYError) {
  var failure: NPYError?
  array.withUnsafeMutableBytes { raw in
    do throws(NPYError) { try body(raw) } catch { failure = error }
  }
  if let failure { throw failure }
}

/// `array.withUnsafeBytes(body)`, keeping `body`'s error type.
package func withBytes<Element>(
  of array: [Element], _ body: (UnsafeRawBufferPointer) throws(NPYError) -> Void
) throws(NPYError) {
  var failure: NPYError?
  array.withUnsafeBytes { raw in
    do throws(NPYError) { try body(raw) } catch { failure = error }
  }
  if let failure { throw failure }
}
