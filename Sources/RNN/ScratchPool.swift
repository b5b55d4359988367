import DenseMatrix
import Glibc

/// The buffers a network's forward passes reuse: each layer and direction's workspace (its
/// state, gate and hoisted-projection buffers) and the scratch matrices between layers (a padded
/// batch's packed input, the inner layers' outputs). A pass takes what the pass before kept, for
/// the same shapes, and keeps it again when done, so that a network run again and again on
/// batches of one shape allocates only what it returns.
///
/// Fresh memory is not free: on Linux each new 4 KiB page costs a fault and a zero-fill on first
/// touch, and the C allocator gives large freed blocks back to the system, so a pass that
/// allocated its scratch anew each time paid that for every megabyte of it (a third of an
/// RNN's forward time at H = 64, B = 32, T = 100 on the machine it was measured on).
///
/// Shared by every copy of the network; a lock guards it, and passes on several threads at once
/// each take their own buffers (a buffer is never in two passes). It keeps at most `limit`
/// buffers, the oldest dropped first (the network's is two passes' worth: a pass on a new shape
/// pushes the last shape's out), so its memory is bounded by about twice the largest pass's
/// scratch, until the network is released.
///
/// The lock is a `pthread_mutex_t`, which ThreadSanitizer sees (it did not see the standard
/// library's `Mutex` order the two directions' threads, and reported a race that was not one).
final class ScratchPool: @unchecked Sendable {
  /// What a buffer is for.
  enum Key: Hashable, Sendable {
    /// Layer-direction `index` (`layer · D + direction`)'s workspace for batches of `batch` and
    /// inputs of `input` features.
    case workspace(index: Int, batch: Int, input: Int)
    /// A matrix of `count` elements.
    case matrix(count: Int)
  }

  /// The most buffers kept.
  let limit: Int
  /// The buffers kept, oldest first, each in a box of its own type (``Box``); a box whose
  /// value was taken stays, empty, for the next value of its key and type (so that keeping a
  /// value allocates nothing once a box exists: a value in an existential would be boxed anew
  /// each time). Read and written only with `lock` held.
  private var kept: [(key: Key, box: AnyObject)] = []
  private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

  /// A network's limit: two forward passes' worth (each layer and direction's workspace and two
  /// scratch matrices), and a backward pass's buffers: one cell's at a time (H_prev, the deltas,
  /// the carries, the ones of the bias sums, with a projection four more, and on packed `W_hhᵀ`
  /// the transposed delta and carry: twelve), two layers' input gradients, and room for two
  /// shapes of each.
  static func limit(layers: Int, directions: Int) -> Int {
    2 * (layers * directions + 2) + 2 * (12 + 2)
  }

  init(limit: Int) {
    self.limit = limit
    pthread_mutex_init(lock, nil)
  }

  deinit {
    pthread_mutex_destroy(lock)
    lock.deallocate()
  }

  private func locked<R>(_ body: () -> R) -> R {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return body()
  }

  /// A buffer kept under `key`, if there is one of that type (the newest).
  func take<Value: Sendable>(_: Value.Type, _ key: Key) -> Value? {
    locked {
      for entry in kept.reversed() where entry.key == key {
        guard let box = entry.box as? Box<Value>, let value = box.value else { continue }
        box.value = nil
        return value
      }
      return nil
    }
  }

  /// Keeps `value` under `key` for a later pass (in an empty box of its key and type if there
  /// is one), dropping the oldest buffer beyond ``limit``.
  func keep<Value: Sendable>(_ value: Value, _ key: Key) {
    locked {
      for entry in kept where entry.key == key {
        guard let box = entry.box as? Box<Value>, box.value == nil else { continue }
        box.value = value
        return
      }
      kept.append((key, Box(value)))
      if kept.count > limit { kept.removeFirst(kept.count - limit) }
    }
  }

  /// A kept value, or none (taken).
  private final class Box<Value> {
    var value: Value?
    init(_ value: Value) { self.value = value }
  }

  /// A `rows × columns` matrix whose elements are to be written before they are read: a kept
  /// one of that size, or a new one (not initialized beyond what `Matrix` requires).
  func matrix<Scalar: BLASScalar>(rows: Int, columns: Int) -> Matrix<Scalar> {
    if let scalars = take([Scalar].self, .matrix(count: rows * columns)) {
      return Matrix(rows: rows, columns: columns, scalars: scalars)
    }
    return Matrix(rows: rows, columns: columns, initializingEvery: { _ in })
  }

  /// Keeps a matrix's storage for a later ``matrix(rows:columns:)`` (it must have no other user).
  func keep<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>) {
    keep(matrix.scalars, .matrix(count: matrix.count))
  }
}

extension CellWorkspace {
  /// Every sequence running again, h (and c) zero: a kept workspace made as new (its buffers are
  /// written before they are read).
  mutating func clearStates() {
    let (input, hidden, cellRows) = (self.input, self.hidden, self.cellRows)
    let capacity = stacked.columns
    batchSize = capacity
    withStateStorage { stacked, cell in
      (stacked + input * capacity).update(repeating: 0, count: hidden * capacity)
      cell?.update(repeating: 0, count: cellRows * capacity)
    }
  }
}
