/// A shape mismatch found in data that came from outside the program.
///
/// The trapping operations (``matmul(_:_:backend:)-(Matrix<Scalar>,_,_)``, ``hstack(_:)``, `+`, ...) stop the program with
/// exactly this message when their operands do not fit, because a mismatch in code the programmer
/// wrote is a logic error. Their `checking` variants (``matmul(checking:_:backend:)``,
/// ``hstack(checking:)``, ...) throw this error instead, for shapes that come from files, users'
/// weights or command lines.
public struct ShapeError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The operation that was refused, such as `"matmul"`.
  public var operation: String
  /// What does not fit, such as `"inner dimensions differ"`.
  public var reason: String
  /// The shapes of the operands, in argument order.
  public var shapes: [Shape]
  /// How the shapes are joined in the message (`" · "` for products, `", "` otherwise).
  public var separator: String

  /// Creates an error.
  public init(operation: String, reason: String, shapes: [Shape], separator: String = ", ") {
    self.operation = operation
    self.reason = reason
    self.shapes = shapes
    self.separator = separator
  }

  /// The message, e.g. `matmul: inner dimensions differ: (3×5) · (4×1)`.
  public var description: String {
    let operands = shapes.map(\.compact).joined(separator: separator)
    return operands.isEmpty ? "\(operation): \(reason)" : "\(operation): \(reason): \(operands)"
  }
}

extension ShapeError? {
  /// Traps with the error's message if there is an error: the trapping operations call this.
  package func trapIfPresent(file: StaticString = #fileID, line: UInt = #line) {
    if let error = self { trap(error.description, file: file, line: line) }
  }

  /// Throws the error if there is one: the `checking` operations call this.
  package func throwIfPresent() throws(ShapeError) {
    if let error = self { throw error }
  }
}
