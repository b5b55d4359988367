import DenseMatrix
import Synchronization

/// A cell's `W_hh` packed for ``DenseMatrix/Backend/packed``, each layout made on first use and
/// then shared by every copy of the cell (the weights are constants of the cell, so the packed
/// copies never go stale). Costs nothing until a `.packed` product needs it; then as much memory
/// as `W_hh` per layout used (batches of one take the one-column layout, others the panels).
final class PackedRecurrentWeights<Scalar: BLASScalar>: Sendable {
  private let packed = Mutex<PackedMatrix<Scalar>?>(nil)
  private let packedForVectors = Mutex<PackedMatrix<Scalar>?>(nil)

  /// `weights` packed; the first call packs them (O(G·H × H)), later calls return that copy.
  func matrix(packing weights: Matrix<Scalar>) -> PackedMatrix<Scalar> {
    Self.made(in: packed) { PackedMatrix(packing: weights) }
  }

  /// `weights` packed for one column; the first call packs them, later calls return that copy.
  func vectorMatrix(packing weights: Matrix<Scalar>) -> PackedMatrix<Scalar> {
    Self.made(in: packedForVectors) { PackedMatrix(packingForVectors: weights) }
  }

  /// The copy in `slot`, made by `make` on the first call.
  private static func made(
    in slot: borrowing Mutex<PackedMatrix<Scalar>?>, _ make: () -> PackedMatrix<Scalar>
  ) -> PackedMatrix<Scalar> {
    slot.withLock { packed in
      if let packed { return packed }
      let made = make()
      packed = made
      return made
    }
  }
}
