extension NPYArray {
  /// The magic string that starts every `.npy` file: `\x93NUMPY`.
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

  /// The longest header accepted, in bytes: numpy's own default (`max_header_size`), which it
  /// applies for the same reason (parsing an unbounded header is unbounded work).
  public static let maximumHeaderLength = 10_000

  /// Parses the bytes of a `.npy` file (format versions 1.0, 2.0 and 3.0).
  ///
  /// Reads dtypes `<f8`, `>f8`, `<f4`, `>f4` (kept: ``Elements/float64(_:)`` or
  /// ``Elements/float32(_:)``), `<i8`, `>i8`, `<i4` and `>i4` (converted to `Double`; 64-bit
  /// integers beyond 2⁵³ round), in C or Fortran order, of any rank.
  ///
  /// Malformed input is refused with a typed error and never read out of bounds. The declared
  /// shape is checked against the bytes actually present before anything is allocated, so a
  /// header claiming a huge array costs nothing; a header longer than
  /// ``maximumHeaderLength`` is refused before it is parsed.
  ///
  /// - Parameters:
  ///   - bytes: The whole file.
  ///   - maximumCount: The most elements to accept (default: no limit beyond the data present).
  /// - Throws: ``NPYError`` saying what is wrong.
  /// - Complexity: O(bytes.count).
  public init(npyBytes bytes: [UInt8], maximumCount: Int = .max) throws(NPYError) {
    var stream = RangeStream(source: MemoryBytes(bytes: bytes), range: 0..<bytes.count)
    try self.init(decoding: &stream, length: bytes.count, maximumCount: maximumCount)
  }

  /// Decodes a `.npy` file of `length` bytes read front to back from `stream`: the header
  /// first, checked against `length` and `maximumCount` before the data is allocated, then the
  /// data straight into the array's storage (in 64 KiB chunks when it must be converted).
  ///
  /// `maximumBytes` bounds the decoded array (4 bytes per float32 element, 8 for the others,
  /// which are decoded as `Double`).
  init<Stream: ByteStream>(
    decoding stream: inout Stream, length: Int, maximumCount: Int, maximumBytes: Int = .max
  ) throws(NPYError) {
    guard length >= 8 else { throw .truncatedHeader(needed: 10, available: length) }
    var preamble = [UInt8](repeating: 0, count: min(length, 12))
    try stream.readExactly(into: &preamble, 0..<8)
    guard Array(preamble[0..<6]) == Self.magic else { throw .badMagic(found: Array(preamble.prefix(8))) }
    let (major, minor) = (preamble[6], preamble[7])
    let lengthSize: Int
    switch (major, minor) {
    case (1, 0): lengthSize = 2
    case (2, 0), (3, 0): lengthSize = 4
    default: throw .unsupportedVersion(major: major, minor: minor)
    }
    let headerStart = 8 + lengthSize
    guard length >= headerStart else { throw .truncatedHeader(needed: headerStart, available: length) }
    try stream.readExactly(into: &preamble, 8..<headerStart)
    var headerLength = 0
    for i in 0..<lengthSize { headerLength |= Int(preamble[8 + i]) << (8 * i) }
    guard headerLength <= Self.maximumHeaderLength else {
      throw .malformedHeader(
        "the header is \(headerLength) bytes, more than the \(Self.maximumHeaderLength) that numpy accepts by default")
    }
    let dataStart = headerStart + headerLength
    guard dataStart <= length else { throw .truncatedHeader(needed: dataStart, available: length) }

    var headerBytes = [UInt8](repeating: 0, count: headerLength)
    try stream.readExactly(into: &headerBytes, 0..<headerLength)
    let headerText: String
    if major == 3 {
      guard let text = String(validating: headerBytes, as: UTF8.self) else {
        throw .malformedHeader("a version 3.0 header must be UTF-8")
      }
      headerText = text
    } else {
      guard headerBytes.allSatisfy({ $0 < 0x80 }) else {
        throw .malformedHeader("a version \(major).0 header must be ASCII (version 3.0 allows UTF-8)")
      }
      headerText = String(decoding: headerBytes, as: UTF8.self)
    }
    let header = try NPYHeaderFields(parsing: headerText)

    // numpy's rule: the item size times every non-zero dimension must fit in an Int, even when
    // a zero dimension makes the array empty ("array is too big").
    var nonZeroBytes = header.dtype.itemSize
    for dimension in header.shape where dimension != 0 {
      let (product, overflow) = nonZeroBytes.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw .shapeTooLarge(shape: header.shape) }
      nonZeroBytes = product
    }
    let count = header.shape.contains(0) ? 0 : nonZeroBytes / header.dtype.itemSize
    let expectedBytes = count * header.dtype.itemSize
    let foundBytes = length - dataStart
    guard foundBytes == expectedBytes else {
      throw .dataSizeMismatch(expectedBytes: expectedBytes, foundBytes: foundBytes)
    }
    guard count <= maximumCount else {
      throw .exceedsLimit(
        "an array of shape \(pythonTuple(header.shape)) has \(count) elements, more than the limit of \(maximumCount)")
    }
    let decodedBytes = count * (header.dtype == .float32 ? 4 : 8)
    guard decodedBytes <= maximumBytes else {
      throw .exceedsLimit(
        "an array of shape \(pythonTuple(header.shape)) takes \(decodedBytes) bytes, more than the \(maximumBytes) allowed"
      )
    }

    let fortran = header.fortranOrder && header.shape.count > 1
    if header.dtype == .float32 {
      var values = [Float](repeating: 0, count: count)
      try Self.decodeData(from: &stream, header: header, into: &values)
      if fortran { values = Self.cOrder(fromFortranOrder: values, shape: header.shape) }
      self.init(shape: header.shape, elements: .float32(values))
    } else {
      var values = [Double](repeating: 0, count: count)
      try Self.decodeData(from: &stream, header: header, into: &values)
      if fortran { values = Self.cOrder(fromFortranOrder: values, shape: header.shape) }
      self.init(shape: header.shape, scalars: values)
    }
  }

  /// Reads `values.count` elements of `header.dtype` from `stream` into `values`: float32 into
  /// `Float`, the others into `Double`.
  private static func decodeData<Stream: ByteStream, Value: BinaryFloatingPoint>(
    from stream: inout Stream, header: NPYHeaderFields, into values: inout [Value]
  ) throws(NPYError) {
    let native = Value.self == Double.self ? NPYDType.float64 : .float32
    if header.dtype == native && !header.bigEndian {
      // The file's bytes are the values' bytes: no conversion, no second buffer.
      try withMutableBytes(of: &values) { (raw) throws(NPYError) in try stream.readAll(into: raw) }
      return
    }
    let itemSize = header.dtype.itemSize
    let big = header.bigEndian
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var next = 0
    while next < values.count {
      let items = min(values.count - next, chunk.count / itemSize)
      try stream.readExactly(into: &chunk, 0..<(items * itemSize))
      chunk.withUnsafeBytes { data in
        for i in 0..<items {
          let offset = i * itemSize
          let value: Value
          switch header.dtype {
          case .float64:
            let bits = data.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            value = Value(Double(bitPattern: big ? bits.byteSwapped : bits))
          case .float32:
            let bits = data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            value = Value(Float(bitPattern: big ? bits.byteSwapped : bits))
          case .int64:
            let bits = data.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            value = Value(Int64(bitPattern: big ? bits.byteSwapped : bits))
          case .int32:
            let bits = data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            value = Value(Int32(bitPattern: big ? bits.byteSwapped : bits))
          }
          values[next + i] = value
        }
      }
      next += items
    }
  }

  /// Reorders column-major (Fortran) data to row-major (C) order.
  private static func cOrder<Value: BinaryFloatingPoint>(fromFortranOrder values: [Value], shape: [Int]) -> [Value] {
    guard !values.isEmpty else { return values }
    var fortranStrides = [Int](repeating: 1, count: shape.count)
    for axis in 1..<shape.count { fortranStrides[axis] = fortranStrides[axis - 1] * shape[axis - 1] }
    var result = [Value](repeating: 0, count: values.count)
    var index = [Int](repeating: 0, count: shape.count)
    for i in 0..<values.count {
      var source = 0
      for axis in 0..<shape.count { source += index[axis] * fortranStrides[axis] }
      result[i] = values[source]
      var axis = shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        if index[axis] < shape[axis] { break }
        index[axis] = 0
        axis -= 1
      }
    }
    return result
  }
}
