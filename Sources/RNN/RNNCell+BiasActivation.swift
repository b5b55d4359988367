import DenseMatrix

extension RNNCell {
  /// `destination[r, c] = g(source[r, c] + b[r])` for an n_h × `columns` block, optionally also
  /// stored into `copy`. Row strides are given per buffer. One pass, no allocation.
  func biasActivate(
    columns: Int, addBias: Bool = true,
    source: UnsafePointer<Double>, sourceStride: Int,
    destination: UnsafeMutablePointer<Double>, destinationStride: Int,
    copy: UnsafeMutablePointer<Double>? = nil, copyStride: Int = 0
  ) {
    let g = activation
    bias.withUnsafeBufferPointer { b in
      for r in 0..<hiddenSize {
        let offset = addBias ? b[r] : 0
        let input = source + r * sourceStride
        let output = destination + r * destinationStride
        switch g {
        case .identity: for c in 0..<columns { output[c] = input[c] + offset }
        case .relu: for c in 0..<columns { output[c] = max(0, input[c] + offset) }
        case .sigmoid: for c in 0..<columns { output[c] = Activation.logistic(input[c] + offset) }
        case .tanh: for c in 0..<columns { output[c] = g(input[c] + offset) }
        }
        if let copy {
          (copy + r * copyStride).update(from: output, count: columns)
        }
      }
    }
  }
}
