#if !PYTORCHIO_STANDALONE
public import Foundation
package import NumPyIO
#else
import Foundation
#endif

/// Reads a `.safetensors` file: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 48]}, "__metadata__":
/// {...}}`), then the tensors' bytes, little-endian and C-ordered. Everything is checked as the
/// format's own reader checks it: a header of at most 100 MB within the file, known dtypes,
/// byte ranges that match the shapes and tile the data exactly (no overlap, no gap, nothing past
/// the end).
struct SafeTensorsReader {
  static let maximumHeaderBytes = 100_000_000

  let source: any RandomAccessBytes
  let limits: StateDict.Limits

  func read() throws(StateDictError) -> StateDict.Contents {
    guard source.count >= 8 else {
      throw .safeTensors("the file is \(source.count) bytes, shorter than its header length")
    }
    let lengthBytes = try bytes(at: 0, count: 8)
    let declared = lengthBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard declared <= UInt64(Self.maximumHeaderBytes), Int(declared) <= source.count - 8 else {
      throw .safeTensors(
        "the header declares \(declared) bytes but the file has \(source.count - 8) after the length (and at most \(Self.maximumHeaderBytes) are read)"
      )
    }
    let headerLength = Int(declared)
    var json = JSONReader(bytes: try bytes(at: 8, count: headerLength))
    guard case .object(let entries) = try json.document() else {
      throw .safeTensors("the header is not a JSON object")
    }
    let dataStart = 8 + headerLength
    let dataSize = source.count - dataStart
    struct Entry {
      var name: String
      var dtype: TorchDType
      var shape: [Int]
      var range: Range<Int>
    }
    var tensors: [Entry] = []
    var contents = StateDict.Contents(format: .safeTensors)
    for (name, value) in entries where name != "__metadata__" {
      func bad(_ reason: String) -> StateDictError { .safeTensors("tensor '\(printable(name))': \(reason)") }
      guard case .object(let fields) = value else { throw bad("its entry is not an object") }
      let keys = fields.map(\.key)
      guard Set(keys) == ["dtype", "shape", "data_offsets"], keys.count == 3 else {
        throw bad("its entry has \(keys.map { printable($0) }) (dtype, shape and data_offsets expected)")
      }
      let field = Dictionary(fields, uniquingKeysWith: { first, _ in first })
      guard case .string(let dtypeName) = field["dtype"], let dtype = Self.dtypes[dtypeName] else {
        throw bad("an unknown dtype (\(Self.dtypes.keys.sorted().joined(separator: ", ")) are known)")
      }
      guard case .array(let shapeValues) = field["shape"], shapeValues.count <= 64 else {
        throw bad("its shape is not a list of at most 64 dimensions")
      }
      var shape: [Int] = []
      var count = 1
      var overflow = false
      for value in shapeValues {
        guard case .integer(let n) = value, n >= 0 else { throw bad("its shape is not non-negative integers") }
        shape.append(n)
        let product = count.multipliedReportingOverflow(by: n)
        count = product.partialValue
        overflow = overflow || product.overflow
      }
      guard case .array(let offsets) = field["data_offsets"], offsets.count == 2, case .integer(let begin) = offsets[0],
        case .integer(let end) = offsets[1], begin >= 0, begin <= end, end <= dataSize
      else {
        throw bad("data_offsets is not [begin, end] with 0 ≤ begin ≤ end ≤ \(dataSize), the data's size")
      }
      let size = count.multipliedReportingOverflow(by: dtype.itemSize)
      guard !overflow, !size.overflow, size.partialValue == end - begin else {
        throw bad(
          "shape \(pythonTuple(shape)) of \(dtypeName) needs \(overflow ? "more than Int.max" : String(size.partialValue)) bytes but data_offsets holds \(end - begin)"
        )
      }
      tensors.append(Entry(name: name, dtype: dtype, shape: shape, range: begin..<end))
    }
    // The byte ranges tile the data: sorted, each starts where the one before ended.
    var next = 0
    for tensor in tensors.sorted(by: {
      ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
    }) {
      guard tensor.range.lowerBound == next else {
        throw .safeTensors(
          "tensor '\(printable(tensor.name))' starts at byte \(tensor.range.lowerBound) of the data but the one before it ends at \(next) (ranges must neither overlap nor leave gaps)"
        )
      }
      next = tensor.range.upperBound
    }
    guard next == dataSize else {
      throw .safeTensors("the tensors' data ends at byte \(next) but the file has \(dataSize) bytes of data")
    }
    var total = 0
    for tensor in tensors {
      guard StateDict.decodedItemSize(tensor.dtype) != nil else {
        contents.unreadable[tensor.name] = tensor.dtype.name
        continue
      }
      try StateDict.reserve(
        tensor.range.count / tensor.dtype.itemSize, of: tensor.dtype, name: tensor.name, shape: tensor.shape,
        total: &total, limits: limits)
    }
    for tensor in tensors where StateDict.decodedItemSize(tensor.dtype) != nil {
      // float32 and float64, little-endian as this machine: read straight into the array.
      let direct: NPYArray?
      do {
        direct = try StateDict.readDirectly(dtype: tensor.dtype, shape: tensor.shape, byteCount: tensor.range.count) {
          (buffer) throws(NPYError) in
          _ = try ParallelRead.read(source, at: dataStart + tensor.range.lowerBound, into: buffer, checksum: false)
        }
      } catch {
        throw .npy(error)
      }
      if let direct {
        contents.tensors[tensor.name] = direct
        continue
      }
      // float16 and bfloat16: widened to float32.
      let raw = try bytes(at: dataStart + tensor.range.lowerBound, count: tensor.range.count)
      contents.tensors[tensor.name] = StateDict.decode(
        raw, dtype: tensor.dtype, bigEndian: false, offset: 0, shape: tensor.shape, strides: nil)
      contents.widened[tensor.name] = tensor.dtype.name
    }
    return contents
  }

  private func bytes(at offset: Int, count: Int) throws(StateDictError) -> [UInt8] {
    do {
      return try StateDict.uninitializedArray(count: count) { (buffer) throws(NPYError) in
        try source.read(at: offset, into: buffer)
      }
    } catch {
      throw .npy(error)
    }
  }

  /// The format's dtype names.
  static let dtypes: [String: TorchDType] = [
    "F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16, "I64": .int64, "I32": .int32,
    "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool, "C64": .complex64,
  ]
}

extension StateDict {
  /// Writes the tensors as a `.safetensors` file, which `safetensors.torch.load_file` reads:
  /// float32 tensors as `F32`, float64 as `F64`, in name order, the header padded with spaces
  /// to a multiple of 8 bytes and with `{"format": "pt"}` as its metadata.
  ///
  /// The file is replaced atomically (as `NPYArray.write(to:)` replaces one): on failure nothing
  /// is left and an existing file is unchanged.
  ///
  /// - Throws: ``StateDictError/name(_:)`` for an empty name or `__metadata__`;
  ///   ``StateDictError/npy(_:)`` if the file cannot be written.
  /// - Complexity: O(total size).
  public func writeSafeTensors(to url: URL) throws(StateDictError) {
    try checkSafeTensorsNames()
    do {
      let writer = try AtomicFileWriter(path: url.writablePath)
      try writer.write { (file) throws(NPYError) in try writeSafeTensors(into: file) }
    } catch {
      throw .npy(error)
    }
  }

  /// Refuses names a safetensors file cannot hold.
  package func checkSafeTensorsNames() throws(StateDictError) {
    for name in tensors.keys where name.isEmpty || name == "__metadata__" {
      throw .name("cannot write a tensor named '\(printable(name))' to a safetensors file")
    }
  }

  /// Writes the `.safetensors` bytes into `file` (see ``SafeTensorsContents``); the names must
  /// pass ``checkSafeTensorsNames()``.
  ///
  /// - Throws: ``NPYError/io(path:reason:)`` if the file cannot be written.
  package func writeSafeTensors(into file: borrowing OutputFile) throws(NPYError) {
    let names = tensors.keys.sorted()
    var header = "{\"__metadata__\":{\"format\":\"pt\"}"
    var offset = 0
    for name in names {
      let array = tensors[name]!
      let size = array.elements.count * array.itemSize
      header += ",\(JSONReader.quoted(name)):{\"dtype\":\"\(array.itemSize == 4 ? "F32" : "F64")\",\"shape\":["
      header += array.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(offset + size)]}"
      offset += size
    }
    header += "}"
    var headerBytes = Array(header.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
    var prefix: [UInt8] = []
    for i in 0..<8 { prefix.append(UInt8(truncatingIfNeeded: UInt64(headerBytes.count) >> (8 * UInt64(i)))) }
    try file.write(prefix + headerBytes)
    for name in names {
      switch tensors[name]!.elements {
      case .float32(let values):
        let little = values.map { $0.bitPattern.littleEndian }
        try withBytes(of: little) { (raw) throws(NPYError) in try file.write(raw) }
      case .float64(let values):
        let little = values.map { $0.bitPattern.littleEndian }
        try withBytes(of: little) { (raw) throws(NPYError) in try file.write(raw) }
      }
    }
  }
}

/// A state dict as a `.safetensors` file's contents (for `CheckedFileDestination.write(_:)`).
package struct SafeTensorsContents: FileContents {
  package let stateDict: StateDict
  package init(_ stateDict: StateDict) { self.stateDict = stateDict }
  package func write(into file: borrowing OutputFile) throws(NPYError) { try stateDict.writeSafeTensors(into: file) }
}

/// A JSON value as a safetensors header uses it.
indirect enum JSONValue {
  case object([(key: String, value: JSONValue)])
  case array([JSONValue])
  case string(String)
  case integer(Int)
  case other  // numbers with fractions or exponents, true, false, null
}

/// A strict JSON reader (RFC 8259) with a nesting limit, for safetensors headers: duplicate
/// keys, trailing bytes other than spaces, and nesting deeper than 16 are refused.
struct JSONReader {
  let bytes: [UInt8]
  var position = 0
  static let maximumDepth = 16

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  private func fail(_ reason: String) -> StateDictError {
    .safeTensors("the header is not valid JSON: \(reason) at byte \(position)")
  }

  mutating func document() throws(StateDictError) -> JSONValue {
    let value = try self.value(depth: 0)
    skipSpace()
    guard position == bytes.count else { throw fail("bytes after the value") }
    return value
  }

  private mutating func skipSpace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  private mutating func expect(_ byte: UInt8) throws(StateDictError) {
    skipSpace()
    guard position < bytes.count, bytes[position] == byte else {
      throw fail("'\(Character(Unicode.Scalar(byte)))' expected")
    }
    position += 1
  }

  private mutating func value(depth: Int) throws(StateDictError) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth)") }
    skipSpace()
    guard position < bytes.count else { throw fail("the header ends where a value was expected") }
    switch bytes[position] {
    case UInt8(ascii: "{"):
      position += 1
      var entries: [(key: String, value: JSONValue)] = []
      var keys: Set<String> = []
      skipSpace()
      if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
        position += 1
        return .object(entries)
      }
      while true {
        skipSpace()
        let key = try string()
        guard keys.insert(key).inserted else { throw fail("the key '\(printable(key))' appears twice") }
        try expect(UInt8(ascii: ":"))
        entries.append((key, try value(depth: depth + 1)))
        skipSpace()
        guard position < bytes.count else { throw fail("an object is not closed") }
        if bytes[position] == UInt8(ascii: ",") {
          position += 1
          continue
        }
        try expect(UInt8(ascii: "}"))
        return .object(entries)
      }
    case UInt8(ascii: "["):
      position += 1
      var items: [JSONValue] = []
      skipSpace()
      if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
        position += 1
        return .array(items)
      }
      while true {
        items.append(try value(depth: depth + 1))
        skipSpace()
        guard position < bytes.count else { throw fail("an array is not closed") }
        if bytes[position] == UInt8(ascii: ",") {
          position += 1
          continue
        }
        try expect(UInt8(ascii: "]"))
        return .array(items)
      }
    case UInt8(ascii: "\""):
      return .string(try string())
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      return try number()
    default:
      for word in ["true", "false", "null"] where bytes[position...].starts(with: word.utf8) {
        position += word.utf8.count
        return .other
      }
      throw fail("an unexpected character")
    }
  }

  private mutating func number() throws(StateDictError) -> JSONValue {
    let start = position
    if bytes[position] == UInt8(ascii: "-") { position += 1 }
    let digitsStart = position
    while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
    guard position > digitsStart, bytes[digitsStart] != UInt8(ascii: "0") || position == digitsStart + 1 else {
      throw fail("a malformed number")
    }
    var integral = true
    while position < bytes.count, ".eE+-0123456789".utf8.contains(bytes[position]) {
      integral = false
      position += 1
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if integral {
      guard let value = Int(text) else { throw fail("the integer \(text) does not fit 64 bits") }
      return .integer(value)
    }
    guard Double(text) != nil else { throw fail("a malformed number") }
    return .other
  }

  private mutating func string() throws(StateDictError) -> String {
    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("a string expected") }
    position += 1
    var scalars = String.UnicodeScalarView()
    var run: [UInt8] = []
    func flush() throws(StateDictError) {
      guard let text = String(validating: run, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
      scalars.append(contentsOf: text.unicodeScalars)
      run = []
    }
    while true {
      guard position < bytes.count else { throw fail("a string is not closed") }
      let byte = bytes[position]
      position += 1
      switch byte {
      case UInt8(ascii: "\""):
        try flush()
        return String(scalars)
      case 0..<0x20:
        throw fail("a control character in a string")
      case UInt8(ascii: "\\"):
        try flush()
        guard position < bytes.count else { throw fail("a string is not closed") }
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "\""): scalars.append("\"")
        case UInt8(ascii: "\\"): scalars.append("\\")
        case UInt8(ascii: "/"): scalars.append("/")
        case UInt8(ascii: "b"): scalars.append("\u{08}")
        case UInt8(ascii: "f"): scalars.append("\u{0C}")
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code) {
            guard bytes[position...].starts(with: "\\u".utf8) else { throw fail("a lone surrogate") }
            position += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let scalar = Unicode.Scalar(code) else { throw fail("a lone surrogate") }
          scalars.append(scalar)
        default: throw fail("an unknown escape")
        }
      default:
        run.append(byte)
      }
    }
  }

  private mutating func hex4() throws(StateDictError) -> UInt32 {
    guard position + 4 <= bytes.count,
      let value = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16),
      bytes[position..<(position + 4)].allSatisfy({ !"+-".utf8.contains($0) })
    else { throw fail("a malformed \\u escape") }
    position += 4
    return value
  }

  /// `text` as a JSON string literal.
  static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case _ where scalar.value < 0x20:
        result += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}
