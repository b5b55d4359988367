/// Why a `.npy` or `.npz` file could not be read or written.
///
/// Every case says what was found, so a message like
/// `NPY: unsupported dtype '<c16' (complex); supported: <f8, >f8, <f4, >f4, <i8, >i8, <i4, >i4`
/// is enough to fix the file.
public enum NPYError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The file does not start with `\x93NUMPY`.
  case badMagic(found: [UInt8])
  /// A format version other than 1.0, 2.0 or 3.0.
  case unsupportedVersion(major: UInt8, minor: UInt8)
  /// The file ends inside the fixed preamble or the header.
  case truncatedHeader(needed: Int, available: Int)
  /// The header is not the Python dict literal the format prescribes.
  case malformedHeader(String)
  /// A dtype this package does not read (object, complex, structured, unsigned, ...).
  case unsupportedDType(String)
  /// An array with a rank this operation does not take (a `Matrix` holds 0-, 1- or 2-D arrays).
  case unsupportedRank(shape: [Int])
  /// An array whose element type is not the one asked for (a float32 array for a
  /// `Matrix<Double>`, say), when converting was not asked for.
  case dtypeMismatch(found: String, expected: String)
  /// The declared shape's size overflows: the item size times the product of the non-zero
  /// dimensions exceeds `Int.max` (numpy's rule, which refuses `(0, 2**62, 2**62)` too).
  case shapeTooLarge(shape: [Int])
  /// The data after the header is shorter or longer than the shape and dtype require.
  case dataSizeMismatch(expectedBytes: Int, foundBytes: Int)
  /// An `.npz` archive lacks the requested array.
  case missingArray(name: String, available: [String])
  /// The `.npz` container itself is unreadable or unwritable.
  case archive(String)
  /// Reading or writing the file failed.
  case io(path: String, reason: String)
  /// The data is well formed but larger than a limit the caller set (or the default limit).
  case exceedsLimit(String)
  /// What is wrong with a member of an `.npz` archive (`name` is the member's file name).
  indirect case member(name: String, error: NPYError)
  /// What is wrong with the file at `path`.
  indirect case file(path: String, error: NPYError)

  /// The message: what was expected and what was found.
  public var description: String {
    switch self {
    case .badMagic(let found):
      return "NPY: not a .npy file: expected the magic bytes 93 4e 55 4d 50 59 ('\\x93NUMPY'), found \(hexBytes(found))"
    case .unsupportedVersion(let major, let minor):
      return "NPY: unsupported format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)"
    case .truncatedHeader(let needed, let available):
      return "NPY: the file is truncated: its header needs \(needed) bytes but the file has \(available)"
    case .malformedHeader(let reason):
      return "NPY: malformed header: \(reason)"
    case .unsupportedDType(let descr):
      return "NPY: unsupported dtype \(descr); supported: <f8, >f8, <f4, >f4, <i8, >i8, <i4, >i4"
    case .unsupportedRank(let shape):
      return
        "NPY: a \(shape.count)-D array of shape \(pythonTuple(shape)) does not fit here (a Matrix takes 0-, 1- or 2-D arrays)"
    case .dtypeMismatch(let found, let expected):
      return
        "NPY: the array is \(found) but \(expected) was asked for (convert explicitly: `converting: true`, or rnn-forward's --dtype \(expected))"
    case .shapeTooLarge(let shape):
      return
        "NPY: the declared shape \(pythonTuple(shape)) is too large: its non-zero dimensions times the item size exceed Int.max (numpy: \"array is too big\")"
    case .dataSizeMismatch(let expected, let found):
      return "NPY: the data is \(found) bytes but the shape and dtype require \(expected)"
    case .missingArray(let name, let available):
      return "NPZ: no array named '\(name)' (the archive holds: \(available.sorted().joined(separator: ", ")))"
    case .archive(let reason):
      return "NPZ: \(reason)"
    case .io(let path, let reason):
      return "\(path): \(reason)"
    case .exceedsLimit(let reason):
      return "NPY: \(reason)"
    case .member(let name, let error):
      return "member '\(printable(name))': \(error.description)"
    case .file(let path, let error):
      return "\(path): \(error.description)"
    }
  }
}

extension NPYError {
  /// This error, said to be about the file at `path` (unless it already names a file).
  package func inFile(_ path: String) -> NPYError {
    switch self {
    case .io, .file: return self
    default: return .file(path: path, error: self)
    }
  }

  /// The innermost error, without the file and member that say where it happened.
  public var underlying: NPYError {
    switch self {
    case .file(_, let error), .member(_, let error): return error.underlying
    default: return self
    }
  }
}

/// `text` with control characters and non-ASCII bytes shown as escapes (`\0`, `\x07`,
/// `\u{202E}`), so that a message never carries raw bytes from a file to a terminal.
package func printable(_ text: String) -> String {
  var result = ""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\0": result += "\\0"
    case "\\": result += "\\\\"
    case " "..."~": result.unicodeScalars.append(scalar)
    case _ where scalar.value < 0x80: result += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
    case _
    where scalar.properties.generalCategory == .format || scalar.properties.generalCategory == .control
      || scalar.properties.generalCategory == .lineSeparator || scalar.properties.generalCategory == .paragraphSeparator:
      result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    default: result.unicodeScalars.append(scalar)
    }
  }
  return result
}

/// The first 8 of `bytes` in hex, two digits each: `93 4e 55 4d`.
package func hexBytes(_ bytes: some Collection<UInt8>) -> String {
  bytes.prefix(8).map { byte in
    String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
  }
  .joined(separator: " ")
}

/// `(3, 4)`, `(5,)` or `()`, as Python prints a shape.
package func pythonTuple(_ shape: [Int]) -> String {
  shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
