import DenseMatrix
import Synchronization

/// A cell's `W_hh` packed for ``DenseMatrix/Backend/packed``, each layout made on first use and
/// then shared by every copy of the cell (the weights are constants of the cell, so the packed
/// copies never go stale: a cell whose weights are replaced in place, by
/// `RecurrentNetwork.load(stateDict:)`, repacks them here only when it is this object's one
/// owner, and takes a new one otherwise; see ``refreshed(_:weights:)``). Costs nothing until a
/// `.packed` product needs it; then as much memory as `W_hh` per layout used (batches of one
/// take the one-column layout, others the panels; the backward pass's `Δ · W_hh` takes
/// `W_hhᵀ`'s).
final class PackedRecurrentWeights<Scalar: BLASScalar>: Sendable {
  private let packed = Mutex<PackedMatrix<Scalar>?>(nil)
  private let packedForVectors = Mutex<PackedMatrix<Scalar>?>(nil)
  private let transposed = Mutex<PackedMatrix<Scalar>?>(nil)
  private let transposedForVectors = Mutex<PackedMatrix<Scalar>?>(nil)

  /// `weights` packed; the first call packs them (O(G·H × H)), later calls return that copy.
  func matrix(packing weights: Matrix<Scalar>) -> PackedMatrix<Scalar> {
    Self.made(in: packed) { PackedMatrix(packing: weights) }
  }

  /// `weights` packed for one column; the first call packs them, later calls return that copy.
  func vectorMatrix(packing weights: Matrix<Scalar>) -> PackedMatrix<Scalar> {
    Self.made(in: packedForVectors) { PackedMatrix(packingForVectors: weights) }
  }

  /// `weightsᵀ` packed, for any number of columns or (`forVectors`) for one; the first call
  /// packs it, later calls return that copy.
  func transposedMatrix(packing weights: Matrix<Scalar>, forVectors: Bool) -> PackedMatrix<Scalar> {
    let make = { PackedMatrix(packingTransposeOf: weights, forVectors: forVectors) }
    return forVectors ? Self.made(in: transposedForVectors, make) : Self.made(in: transposed, make)
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

  /// After a cell's `W_hh` is replaced by `weights` (same shape): the packed copies made so far
  /// packed again in place when `owner` is the only reference to them (no allocation), else a
  /// new, empty object in `owner` (the old one stays with the copies of the cell that share it,
  /// whose weights did not change).
  static func refreshed(_ owner: inout PackedRecurrentWeights, weights: Matrix<Scalar>) {
    guard isKnownUniquelyReferenced(&owner) else {
      owner = PackedRecurrentWeights()
      return
    }
    repack(owner.packed, weights)
    repack(owner.packedForVectors, weights)
    repack(owner.transposed, weights)
    repack(owner.transposedForVectors, weights)
  }

  /// The copy in `slot` packed again from `weights` in place, or dropped (to be made again on
  /// next use) if something else holds it.
  private static func repack(_ slot: borrowing Mutex<PackedMatrix<Scalar>?>, _ weights: Matrix<Scalar>) {
    slot.withLock { packed in
      guard var copy = packed else { return }
      packed = nil
      if copy.repack(weights) { packed = copy }
    }
  }
}
