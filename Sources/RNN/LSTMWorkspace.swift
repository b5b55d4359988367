public import DenseMatrix

/// The state (h and c) and buffers of LSTM steps for one batch size; made once by
/// ``LSTMCell/makeWorkspace(batchSize:)``, then stepped without allocating.
///
/// A value: a copy shares the buffers until one of the two is stepped (copy-on-write).
public struct LSTMWorkspace<Scalar: BLASScalar>: RecurrentWorkspace, CellWorkspace {
  /// The size of h: the cell's ``LSTMCell/stateSize`` (H, or P with a projection).
  let hidden: Int
  /// H, the gates' and c's size.
  let cellSize: Int
  let input: Int
  /// B, the number of sequences stepped together.
  public internal(set) var batchSize: Int
  /// `[x; h]`, (I + P) × B; rows I..<I+P are h (P = H without a projection).
  var stacked: Matrix<Scalar>
  /// The four gates' pre-activations and then activations, 4H × B.
  var gates: Matrix<Scalar>
  /// c, H × B.
  var cell: Matrix<Scalar>
  /// tanh(c), then o ⊙ tanh(c) before a projection, H × B.
  var scratch: Matrix<Scalar>
  /// ``Formulation/hoisted``'s `W_ih · X` for a whole sequence, 4H × (T · B); grown when a
  /// longer sequence comes, then reused.
  var projection: Matrix<Scalar>

  init(hidden: Int, state: Int, input: Int, batch: Int) {
    checkPrecondition(batch >= 1, "LSTMWorkspace: batch size must be at least 1, got \(batch)")
    (self.hidden, self.cellSize, self.input, self.batchSize) = (state, hidden, input, batch)
    stacked = .zeros(rows: input + state, columns: batch)
    gates = .zeros(rows: 4 * hidden, columns: batch)
    cell = .zeros(rows: hidden, columns: batch)
    scratch = .zeros(rows: hidden, columns: batch)
    projection = .zeros(rows: 0, columns: 0)
  }

  /// h, H × B (P × B with a projection; a copy; setting it copies in).
  ///
  /// - Precondition: a new value has that shape.
  public var state: Matrix<Scalar> {
    get { stackedState }
    set { setStackedState(newValue, name: "LSTMWorkspace") }
  }

  /// c, H × B (a copy; setting it copies in).
  ///
  /// - Precondition: a new value is H × B.
  public var cellState: Matrix<Scalar> {
    get { cell }
    set {
      checkPrecondition(
        newValue.rows == cellSize && newValue.columns == batchSize,
        "LSTMWorkspace.cellState: expected (\(cellSize)×\(batchSize)), got \(newValue.shape.compact)")
      cell = newValue
    }
  }
}

/// The workspace's buffers as pointers, for the length of one call.
struct LSTMBuffers<Scalar: BLASScalar> {
  /// `[x; h]`.
  var stacked: UnsafeMutablePointer<Scalar>
  /// h, the lower block of `stacked`.
  var h: UnsafeMutablePointer<Scalar>
  var gates: UnsafeMutablePointer<Scalar>
  var cell: UnsafeMutablePointer<Scalar>
  var scratch: UnsafeMutablePointer<Scalar>
  /// nil until a hoisted run has sized it.
  var projection: UnsafeMutablePointer<Scalar>?
}

extension LSTMWorkspace {
  /// Calls `body` with every buffer's address (made unique first, so writes stay in this value).
  mutating func withBuffers<R>(_ body: (LSTMBuffers<Scalar>) -> R) -> R {
    let (input, batch) = (self.input, batchSize)
    return stacked.withUnsafeMutableBufferPointer { stacked in
      gates.withUnsafeMutableBufferPointer { gates in
        cell.withUnsafeMutableBufferPointer { cell in
          scratch.withUnsafeMutableBufferPointer { scratch in
            projection.withUnsafeMutableBufferPointer { projection in
              body(
                LSTMBuffers(
                  stacked: stacked.baseAddress!, h: stacked.baseAddress! + input * batch, gates: gates.baseAddress!,
                  cell: cell.baseAddress!, scratch: scratch.baseAddress!, projection: projection.baseAddress))
            }
          }
        }
      }
    }
  }
}

extension LSTMWorkspace {
  /// c's rows: H.
  var cellRows: Int { cellSize }

  /// `[x; h]`'s and c's storage.
  mutating func withStateStorage<R>(
    _ body: (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>?) -> R
  ) -> R {
    stacked.withUnsafeMutableBufferPointer { stacked in
      cell.withUnsafeMutableBufferPointer { cell in body(stacked.baseAddress!, cell.baseAddress!) }
    }
  }
}
