/// The value of a Python literal as it appears in an NPY header.
enum PythonLiteral: Equatable {
  case string(String)
  case integer(Int)
  case boolean(Bool)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  case dictionary([(String, PythonLiteral)])

  static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
    switch (lhs, rhs) {
    case (.string(let a), .string(let b)): return a == b
    case (.integer(let a), .integer(let b)): return a == b
    case (.boolean(let a), .boolean(let b)): return a == b
    case (.none, .none): return true
    case (.tuple(let a), .tuple(let b)), (.list(let a), .list(let b)): return a == b
    case (.dictionary(let a), .dictionary(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }
}

/// A parser for the subset of Python literal syntax that NPY headers use
/// (`{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`): dicts with string keys,
/// strings, integers, booleans, `None`, tuples and lists. Anything else is an error, never a
/// crash: nesting is bounded and every index is checked.
struct PythonLiteralParser {
  private let text: [Unicode.Scalar]
  private var index = 0
  private static let maximumDepth = 16
  /// The keys allowed in the outermost dictionary (`nil`: any).
  private var topLevelKeys: Set<String>? = nil

  init(_ text: String) { self.text = Array(text.unicodeScalars) }

  /// Parses the whole text as one literal followed only by whitespace.
  static func parse(_ text: String, topLevelKeys: Set<String>? = nil) throws(NPYError) -> PythonLiteral {
    var parser = PythonLiteralParser(text)
    parser.topLevelKeys = topLevelKeys
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.index == parser.text.count else {
      throw .malformedHeader("unexpected text after the dictionary at offset \(parser.index)")
    }
    return value
  }

  private mutating func skipWhitespace() {
    while index < text.count, text[index].properties.isWhitespace { index += 1 }
  }

  private mutating func peek() -> Unicode.Scalar? {
    skipWhitespace()
    return index < text.count ? text[index] : nil
  }

  private mutating func expect(_ scalar: Unicode.Scalar) throws(NPYError) {
    guard peek() == scalar else {
      let found = index < text.count ? "'\(printable(String(text[index])))'" : "the end"
      throw .malformedHeader("expected '\(scalar)' at offset \(index), found \(found)")
    }
    index += 1
  }

  private mutating func value(depth: Int) throws(NPYError) -> PythonLiteral {
    guard depth < Self.maximumDepth else { throw .malformedHeader("nesting deeper than \(Self.maximumDepth)") }
    guard let first = peek() else { throw .malformedHeader("unexpected end of header") }
    switch first {
    case "{": return try dictionary(depth: depth)
    case "(":
      // As in Python, `(15)` is the integer 15 in parentheses; only `()`, `(15,)` and
      // `(15, 3)` are tuples.
      let (items, comma) = try sequence(open: "(", close: ")", depth: depth)
      return items.count == 1 && !comma ? items[0] : .tuple(items)
    case "[":
      return .list(try sequence(open: "[", close: "]", depth: depth).items)
    case "'", "\"": return .string(try string())
    case "-", "0"..."9": return .integer(try integer())
    default:
      let word = identifier()
      switch word {
      case "True": return .boolean(true)
      case "False": return .boolean(false)
      case "None": return .none
      default:
        throw .malformedHeader("unexpected '\(printable(word.isEmpty ? String(first) : word))' at offset \(index)")
      }
    }
  }

  private mutating func dictionary(depth: Int) throws(NPYError) -> PythonLiteral {
    try expect("{")
    var entries: [(String, PythonLiteral)] = []
    var seen: Set<String> = []
    while true {
      if peek() == "}" {
        index += 1
        return .dictionary(entries)
      }
      guard peek() == "'" || peek() == "\"" else {
        throw .malformedHeader("dictionary keys must be strings (offset \(index))")
      }
      let key = try string()
      if depth == 0, let topLevelKeys, !topLevelKeys.contains(key) {
        throw .malformedHeader("unexpected key '\(printable(key))'")
      }
      guard seen.insert(key).inserted else { throw .malformedHeader("duplicate key '\(printable(key))'") }
      try expect(":")
      let item = try value(depth: depth + 1)
      entries.append((key, item))
      if peek() == "," {
        index += 1
      } else if peek() != "}" {
        throw .malformedHeader("expected ',' or '}' at offset \(index)")
      }
    }
  }

  /// The items between `open` and `close`, and whether a comma followed the last one.
  private mutating func sequence(
    open: Unicode.Scalar, close: Unicode.Scalar, depth: Int
  ) throws(NPYError) -> (items: [PythonLiteral], trailingComma: Bool) {
    try expect(open)
    var items: [PythonLiteral] = []
    var comma = false
    while true {
      if peek() == close {
        index += 1
        return (items, comma)
      }
      items.append(try value(depth: depth + 1))
      comma = false
      if peek() == "," {
        comma = true
        index += 1
      } else if peek() != close {
        throw .malformedHeader("expected ',' or '\(close)' at offset \(index)")
      }
    }
  }

  private mutating func string() throws(NPYError) -> String {
    let quote = text[index]
    index += 1
    var result = String.UnicodeScalarView()
    while index < text.count {
      let scalar = text[index]
      index += 1
      if scalar == quote { return String(result) }
      if scalar == "\\" {
        // Python's escapes for what a header can hold; any other backslash stays, as in Python
        // (so '<f\8' is the four characters <, f, \ and 8, which numpy refuses as a dtype).
        guard index < text.count else { break }
        switch text[index] {
        case "\\", "'", "\"": result.append(text[index])
        case "n": result.append("\n")
        case "t": result.append("\t")
        case "r": result.append("\r")
        default:
          result.append(scalar)
          continue
        }
        index += 1
      } else {
        result.append(scalar)
      }
    }
    throw .malformedHeader("unterminated string")
  }

  private mutating func integer() throws(NPYError) -> Int {
    let start = index
    if text[index] == "-" { index += 1 }
    while index < text.count, ("0"..."9").contains(text[index]) { index += 1 }
    let digits = String(String.UnicodeScalarView(text[start..<index]))
    guard digits != "-" else { throw .malformedHeader("expected digits after '-' at offset \(start)") }
    // Python 3 writes no leading zeros: `0` and `00` are zero, `05` is a syntax error.
    let magnitude = digits.drop(while: { $0 == "-" })
    guard magnitude.first != "0" || magnitude.allSatisfy({ $0 == "0" }) else {
      throw .malformedHeader("integer '\(digits)' has a leading zero, which Python does not allow")
    }
    if index < text.count, text[index] == "L" { index += 1 }  // Python 2's long suffix
    guard let value = Int(digits) else { throw .malformedHeader("integer '\(digits)' is out of range") }
    return value
  }

  private mutating func identifier() -> String {
    let start = index
    while index < text.count, text[index].properties.isAlphabetic { index += 1 }
    return String(String.UnicodeScalarView(text[start..<index]))
  }
}
