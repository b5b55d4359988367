#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Matrix: CustomStringConvertible {
  /// The elements printed as numpy prints a 2-D float64 (or float32) array with its default options
  /// (`str(a)`: precision 8, line width 75, summarised with `...` above 1000 elements).
  ///
  /// ```
  /// [[1. 1. 9. 9. 9.]
  ///  [1. 1. 9. 9. 9.]]
  /// ```
  ///
  /// - Complexity: O(rows × columns) for matrices up to 1000 elements, O(rows + columns) above.
  public var description: String { NumPyArrayFormatter(self).string }
}

/// numpy's `array2string` for 2-D float arrays with default print options (digits from the
/// element type's shortest round-trip representation, as numpy's dragon4 for that dtype).
private struct NumPyArrayFormatter<Scalar: BLASScalar> {
  static var lineWidth: Int { 75 }
  static var threshold: Int { 1000 }
  static var edgeItems: Int { 3 }

  let matrix: Matrix<Scalar>
  let rowIndices: [Int?]  // nil marks the "..." row
  let columnIndices: [Int?]
  let format: FloatFormat<Scalar>

  init(_ matrix: Matrix<Scalar>) {
    self.matrix = matrix
    let summarize = matrix.count > Self.threshold
    func indices(_ count: Int) -> [Int?] {
      guard summarize, count > 2 * Self.edgeItems else { return Array(0..<count) }
      return Array(0..<Self.edgeItems) + [nil] + Array((count - Self.edgeItems)..<count)
    }
    rowIndices = indices(matrix.rows)
    columnIndices = indices(matrix.columns)
    var shown: [Scalar] = []
    for r in rowIndices.compactMap({ $0 }) {
      for c in columnIndices.compactMap({ $0 }) { shown.append(matrix[r, c]) }
    }
    format = FloatFormat(shown)
  }

  var string: String {
    guard matrix.count > 0 else { return "[]" }
    // Mirrors numpy's recursive _formatArray for ndim == 2 (legacy=False).
    var rowsText: [String] = []
    for row in rowIndices {
      guard let row else {
        rowsText.append("...")
        continue
      }
      rowsText.append(formatRow(row))
    }
    var s = ""
    for (i, text) in rowsText.enumerated() {
      s += " " + text + (i == rowsText.count - 1 ? "" : "\n")
    }
    return "[" + s.dropFirst() + "]"
  }

  private func formatRow(_ row: Int) -> String {
    let hangingIndent = "  "
    let elementWidth = Self.lineWidth - 1 - 1  // one `]` per level of nesting
    var s = ""
    var line = hangingIndent
    for (i, column) in columnIndices.enumerated() {
      let word = column.map { format.string(matrix[row, $0]) } ?? "..."
      if line.count + word.count > elementWidth && line.count > hangingIndent.count {
        s += String(line.reversed().drop(while: { $0 == " " }).reversed()) + "\n"
        line = hangingIndent
      }
      line += word
      if i < columnIndices.count - 1 { line += " " }
    }
    s += line
    return "[" + s.dropFirst(hangingIndent.count) + "]"
  }
}

/// numpy's FloatingFormat with floatmode `maxprec`, precision 8, sign `-`.
private struct FloatFormat<Scalar: BLASScalar> {
  static var precision: Int { 8 }
  var scientific = false
  var padLeft = 0
  var padRight = 0
  var fractionDigits = 0  // scientific: mantissa digits after the point, zero-padded
  var exponentDigits = 2

  init(_ values: [Scalar]) {
    let finite = values.filter { $0.isFinite }
    let magnitudes = finite.filter { $0 != 0 }.map { abs($0) }
    if let maxValue = magnitudes.max(), let minValue = magnitudes.min() {
      scientific = maxValue >= 1e8 || minValue < 0.0001 || maxValue / minValue > 1000
    }
    if finite.isEmpty {
      padLeft = 0
      padRight = 0
    } else if scientific {
      let parts = finite.map { Self.scientificParts($0, minFractionDigits: 0) }
      fractionDigits = parts.map(\.fraction.count).max()!
      exponentDigits = parts.map(\.exponent.count).max()!
      padLeft = parts.map(\.integer.count).max()!
      padRight = exponentDigits + 2 + fractionDigits
    } else {
      let parts = finite.map(Self.positionalParts)
      padLeft = parts.map(\.integer.count).max()!
      padRight = parts.map(\.fraction.count).max()!
    }
    if finite.count != values.count {
      let negativeInfinity = values.contains { $0 == -.infinity } ? 1 : 0
      let offset = padRight + 1
      padLeft = max(padLeft, 3 - offset, 3 + negativeInfinity - offset)
    }
  }

  func string(_ x: Scalar) -> String {
    if !x.isFinite {
      let text = x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf")
      return String(repeating: " ", count: max(0, padLeft + padRight + 1 - text.count)) + text
    }
    if scientific {
      let parts = Self.scientificParts(x, minFractionDigits: fractionDigits)
      let exponent = String(repeating: "0", count: max(0, exponentDigits - parts.exponent.count)) + parts.exponent
      return pad(parts.integer, left: padLeft) + "." + parts.fraction + "e" + parts.exponentSign + exponent
    }
    let parts = Self.positionalParts(x)
    return pad(parts.integer, left: padLeft) + "." + parts.fraction
      + String(repeating: " ", count: padRight - parts.fraction.count)
  }

  private func pad(_ s: String, left width: Int) -> String {
    String(repeating: " ", count: max(0, width - s.count)) + s
  }

  /// The shortest round-trip decimal digits of |x| and its decimal exponent: |x| = d.ddd × 10^e.
  private static func shortestDigits(_ x: Scalar) -> (digits: [UInt8], exponent: Int) {
    let text = abs(x).description  // Swift prints the shortest representation that round-trips
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      mantissa = text[..<e]
      exponent = Int(text[text.index(after: e)...])!
    }
    let point = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
    let integerCount = mantissa.distance(from: mantissa.startIndex, to: point)
    var digits = mantissa.compactMap { $0.asciiValue.flatMap { $0 >= 48 && $0 <= 57 ? $0 - 48 : nil } }
    exponent += integerCount - 1
    while let first = digits.first, first == 0 {
      digits.removeFirst()
      exponent -= 1
    }
    while let last = digits.last, last == 0 { digits.removeLast() }
    if digits.isEmpty { exponent = 0 }
    return (digits, exponent)
  }

  /// `dragon4_positional(x, precision=8, unique=True, fractional=True, trim='.')`, split at the point.
  static func positionalParts(_ x: Scalar) -> (integer: String, fraction: String) {
    let sign = x.sign == .minus ? "-" : ""
    let (digits, exponent) = shortestDigits(x)
    let fractionCount = max(0, digits.count - 1 - exponent)
    if fractionCount > precision {
      let text = cFormat(abs(x), "%.8f")
      let parts = text.split(separator: ".", omittingEmptySubsequences: false)
      let fraction = String(parts[1].reversed().drop(while: { $0 == "0" }).reversed())
      return (sign + parts[0], fraction)
    }
    let characters = digits.map { Character(Unicode.Scalar($0 + 48)) }
    if digits.isEmpty { return (sign + "0", "") }
    if exponent < 0 {
      return (sign + "0", String(repeating: "0", count: -exponent - 1) + String(characters))
    }
    let integer = (0...exponent).map { $0 < characters.count ? characters[$0] : "0" }
    let fraction = characters.count > exponent + 1 ? characters[(exponent + 1)...] : []
    return (sign + String(integer), String(fraction))
  }

  /// `dragon4_scientific(x, precision=8, unique=True, trim='.')` with at least `minFractionDigits`
  /// mantissa digits after the point (zero-padded).
  static func scientificParts(
    _ x: Scalar, minFractionDigits: Int
  )
    -> (integer: String, fraction: String, exponentSign: String, exponent: String)
  {
    let sign = x.sign == .minus ? "-" : ""
    var (digits, exponent) = shortestDigits(x)
    if digits.count - 1 > precision {
      // Round to 8 digits after the point, correctly, as printf does.
      let text = cFormat(abs(x), "%.8e")
      let e = text.firstIndex(of: "e")!
      exponent = Int(text[text.index(after: e)...])!
      digits = text[..<e].compactMap { $0.asciiValue.flatMap { $0 >= 48 && $0 <= 57 ? $0 - 48 : nil } }
      while digits.count > 1, digits.last == 0 { digits.removeLast() }
    }
    if digits.isEmpty { digits = [0] }
    let characters = digits.map { Character(Unicode.Scalar($0 + 48)) }
    var fraction = String(characters.dropFirst())
    fraction += String(repeating: "0", count: max(0, minFractionDigits - fraction.count))
    let magnitude = String(abs(exponent))
    return (
      sign + String(characters[0]), fraction, exponent < 0 ? "-" : "+",
      magnitude.count < 2 ? "0" + magnitude : magnitude
    )
  }

  private static func cFormat(_ x: Scalar, _ format: String) -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    _ = withVaList([Double(x)]) { arguments in
      buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, arguments) }
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
