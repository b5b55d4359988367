extension Matrix {
  /// The logistic sigmoid of every element, stable for all finite inputs
  /// (see ``Activation/logistic(_:)``).
  ///
  /// - Complexity: O(rows × columns).
  public func sigmoid() -> Matrix { applying(.sigmoid) }

  /// The hyperbolic tangent of every element, within 2 ulp (see ``Activation/tanh``).
  ///
  /// - Complexity: O(rows × columns).
  public func tanh() -> Matrix { applying(.tanh) }

  /// `max(0, x)` of every element.
  ///
  /// - Complexity: O(rows × columns).
  public func relu() -> Matrix { applying(.relu) }

  /// Replaces every element with its sigmoid.
  ///
  /// - Complexity: O(rows × columns).
  public mutating func formSigmoid() { apply(.sigmoid) }

  /// Replaces every element with its hyperbolic tangent.
  ///
  /// - Complexity: O(rows × columns).
  public mutating func formTanh() { apply(.tanh) }

  /// Replaces every element with `max(0, x)`.
  ///
  /// - Complexity: O(rows × columns).
  public mutating func formRelu() { apply(.relu) }

  /// `activation` applied to every element.
  ///
  /// - Complexity: O(rows × columns).
  public func applying(_ activation: Activation) -> Matrix {
    var result = self
    result.apply(activation)
    return result
  }

  /// Applies `activation` to every element in place.
  ///
  /// - Complexity: O(rows × columns).
  public mutating func apply(_ activation: Activation) {
    withUnsafeMutableBufferPointer { activation.apply(to: $0) }
  }
}
