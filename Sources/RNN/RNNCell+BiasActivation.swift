import DenseMatrix

extension RNNCell {
  /// `destination[r, c] = g(source[r, c] + b[r])` for an n_h × `columns` block, optionally also
  /// stored into `copy`. Row strides are given per buffer. One pass, no allocation.
  func biasActivate(
    columns: Int, addBias: Bool = true,
    source: UnsafePointer<Scalar>, sourceStride: Int,
    destination: UnsafeMutablePointer<Scalar>, destinationStride: Int,
    copy: UnsafeMutablePointer<Scalar>? = nil, copyStride: Int = 0
  ) {
    bias.withUnsafeBufferPointer { b in
      activation.apply(
        rows: hiddenSize, columns: columns, source: source, sourceStride: sourceStride,
        bias: addBias ? b.baseAddress : nil, destination: destination, destinationStride: destinationStride)
    }
    if let copy {
      for r in 0..<hiddenSize {
        (copy + r * copyStride).update(from: destination + r * destinationStride, count: columns)
      }
    }
  }
}
