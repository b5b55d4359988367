public import DenseMatrix

/// An optimizer: updates parameters in place from their gradients, as `torch.optim`'s
/// `optimizer.step()` does after `loss.backward()`.
///
/// Each conforming type keeps its state (momentum buffers, moment estimates, the step count)
/// per parameter name, created at the first step that sees the name.
public protocol Optimizer<Scalar> {
  /// The parameters' element type.
  associatedtype Scalar: BLASScalar

  /// One step: every parameter that has a gradient is updated; the others are left alone.
  ///
  /// - Precondition: each gradient has its parameter's number of elements.
  mutating func step(_ parameters: inout Parameters<Scalar>, gradients: Parameters<Scalar>)
}
