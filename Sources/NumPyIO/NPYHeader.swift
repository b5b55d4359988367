/// The three fields every NPY header holds.
struct NPYHeaderFields {
  var dtype: NPYDType
  var bigEndian: Bool
  var fortranOrder: Bool
  var shape: [Int]

  /// The keys a header has; any other key is refused as soon as the parser reads it.
  static let keys: Set<String> = ["descr", "fortran_order", "shape"]

  init(parsing text: String) throws(NPYError) {
    guard case .dictionary(let entries) = try PythonLiteralParser.parse(text, topLevelKeys: Self.keys) else {
      throw .malformedHeader("the header is not a dictionary")
    }
    var descr: PythonLiteral?
    var fortran: PythonLiteral?
    var shapeValue: PythonLiteral?
    for (key, value) in entries {
      switch key {
      case "descr": descr = value
      case "fortran_order": fortran = value
      case "shape": shapeValue = value
      default: throw .malformedHeader("unexpected key '\(printable(key))'")
      }
    }
    guard let descr, let fortran, let shapeValue else {
      throw .malformedHeader("the header must have the keys 'descr', 'fortran_order' and 'shape'")
    }
    switch descr {
    case .string(let name):
      guard let (dtype, big) = NPYDType.parse(name) else {
        throw .unsupportedDType("'\(printable(name))'\(Self.kind(of: name))")
      }
      self.dtype = dtype
      self.bigEndian = big
    case .list:
      throw .unsupportedDType("(a structured dtype)")
    default:
      throw .malformedHeader("'descr' must be a string")
    }
    guard case .boolean(let fortranOrder) = fortran else {
      throw .malformedHeader("'fortran_order' must be True or False")
    }
    self.fortranOrder = fortranOrder
    guard case .tuple(let dimensions) = shapeValue else { throw .malformedHeader("'shape' must be a tuple") }
    var shape: [Int] = []
    for dimension in dimensions {
      guard case .integer(let n) = dimension, n >= 0 else {
        throw .malformedHeader("'shape' must hold non-negative integers")
      }
      shape.append(n)
    }
    self.shape = shape
  }

  /// A hint naming the kind of an unsupported numpy type string.
  private static func kind(of descr: String) -> String {
    guard let code = descr.dropFirst().first else { return "" }
    switch code {
    case "O": return " (object arrays hold Python objects)"
    case "c": return " (complex)"
    case "U", "S": return " (strings)"
    case "u": return " (unsigned integers)"
    case "b": return " (booleans)"
    case "f", "i": return " (this width is not supported)"
    default: return ""
    }
  }
}
