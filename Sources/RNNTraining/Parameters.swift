public import DenseMatrix

/// A network's parameters or their gradients, by PyTorch's names (`weight_ih_l0`, …): what
/// `RecurrentNetwork(stateDict:)` reads and `RecurrentNetwork.gradients` returns.
public typealias Parameters<Scalar: BLASScalar> = [String: Matrix<Scalar>]

/// `body` over the elements of `matrix` in place, with the elements of `other` (the same
/// count) beside them: the optimizers' element-wise updates.
@inline(__always)
func update<Scalar: BLASScalar>(
  _ matrix: inout Matrix<Scalar>, with other: Matrix<Scalar>, _ body: (inout Scalar, Scalar) -> Void
) {
  precondition(matrix.count == other.count, "parameter and gradient differ in size")
  matrix.withUnsafeMutableBufferPointer { m in
    other.withUnsafeBufferPointer { o in
      for index in 0..<m.count { body(&m[index], o[index]) }
    }
  }
}
