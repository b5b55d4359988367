import DenseMatrix
import Synchronization

/// A cell's `W_hh` packed for ``DenseMatrix/Backend/packed``, made on first use and then shared
/// by every copy of the cell (the weights are constants of the cell, so the packed copy never goes
/// stale). Costs nothing until a `.packed` product needs it; then as much memory as `W_hh`.
final class PackedRecurrentWeights<Scalar: BLASScalar>: Sendable {
  private let packed = Mutex<PackedMatrix<Scalar>?>(nil)

  /// `weights` packed; the first call packs them (O(G·H × H)), later calls return that copy.
  func matrix(packing weights: Matrix<Scalar>) -> PackedMatrix<Scalar> {
    packed.withLock { packed in
      if let packed { return packed }
      let made = PackedMatrix(packing: weights)
      packed = made
      return made
    }
  }
}
