public import DenseMatrix
import NumPyIO

extension StateDict {
  /// A state dict of the given matrices, each a 2-D tensor of its element type, to be written
  /// with ``writeSafeTensors(to:)``. PyTorch's biases are 1-D: give them as
  /// `NPYArray(shape: [n], …)` through ``init(tensors:)`` when `load_state_dict` must accept them.
  public init<Scalar: BLASScalar>(matrices: [String: Matrix<Scalar>]) {
    self.init(tensors: matrices.mapValues { $0.npyArray })
  }

  /// The tensor called `name` as a matrix of the element type the context asks for (0-, 1- or
  /// 2-D tensors; see `Matrix(npy:converting:)`); `converting` allows another element type.
  ///
  /// - Throws: ``StateDictError/npy(_:)`` holding `NPYError.missingArray` (naming the tensors
  ///   present), `NPYError.unsupportedRank` or `NPYError.dtypeMismatch`.
  /// - Complexity: O(the tensor's size).
  public func matrix<Scalar: BLASScalar>(
    named name: String, as type: Scalar.Type = Scalar.self, converting: Bool = false
  ) throws(StateDictError) -> Matrix<Scalar> {
    guard let tensor = tensors[name] else {
      throw .npy(.missingArray(name: name, available: tensors.keys.sorted()))
    }
    do {
      return try Matrix<Scalar>(npy: tensor, converting: converting)
    } catch {
      throw .npy(error)
    }
  }
}
