extension Matrix {
  /// Calls `body` with a pointer to the elements in row-major order.
  ///
  /// The buffer holds `rows * columns` elements; element (r, c) is at index `r * columns + c`.
  ///
  /// - warning: Do not escape the pointer: it is valid only for the duration of `body`.
  /// - Complexity: O(1).
  @inlinable
  public func withUnsafeBufferPointer<R, E: Error>(
    _ body: (UnsafeBufferPointer<Scalar>) throws(E) -> R
  ) throws(E) -> R {
    try storage.withUnsafeBufferPointer(body)
  }

  /// Calls `body` with a mutable pointer to the elements in row-major order, making the storage
  /// unique first (copy-on-write).
  ///
  /// - warning: Do not escape the pointer: it is valid only for the duration of `body`.
  /// - Complexity: O(1), or O(rows × columns) if the storage is shared and must be copied.
  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R, E: Error>(
    _ body: (UnsafeMutableBufferPointer<Scalar>) throws(E) -> R
  ) throws(E) -> R {
    // The closure gets a copy of the buffer, so it cannot replace the array's base address.
    try storage.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Scalar>) throws(E) -> R in
      try body(buffer)
    }
  }
}
