public import DenseMatrix

/// A network's parameters or their gradients, by PyTorch's names (`weight_ih_l0`, …): what
/// `RecurrentNetwork(stateDict:)` reads and `RecurrentNetwork.gradients` returns.
public typealias Parameters<Scalar: BLASScalar> = [String: Matrix<Scalar>]
