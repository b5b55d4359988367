public import DenseMatrix

/// The state and buffers of GRU steps for one batch size; made once by
/// ``GRUCell/makeWorkspace(batchSize:)``, then stepped without allocating.
///
/// A value: a copy shares the buffers until one of the two is stepped (copy-on-write).
public struct GRUWorkspace<Scalar: BLASScalar>: RecurrentWorkspace, CellWorkspace {
  let hidden: Int
  let input: Int
  /// B, the number of sequences stepped together.
  public internal(set) var batchSize: Int
  /// `[x; h]`, (I + H) × B; rows I..<I+H are h.
  var stacked: Matrix<Scalar>
  /// The input-side gates (split: `W_ih · x`, 3H × B) or the fused product's 4H × B.
  var gates: Matrix<Scalar>
  /// The recurrent side, `W_hh · h`, 3H × B (split and hoisted).
  var recurrentGates: Matrix<Scalar>
  /// ``Formulation/hoisted``'s `W_ih · X` for a whole sequence, 3H × (T · B); sized on a
  /// sequence length's first run, then reused.
  var projection: Matrix<Scalar>

  init(hidden: Int, input: Int, batch: Int) {
    checkPrecondition(batch >= 1, "GRUWorkspace: batch size must be at least 1, got \(batch)")
    (self.hidden, self.input, self.batchSize) = (hidden, input, batch)
    stacked = .zeros(rows: input + hidden, columns: batch)
    gates = .zeros(rows: 4 * hidden, columns: batch)
    recurrentGates = .zeros(rows: 3 * hidden, columns: batch)
    projection = .zeros(rows: 0, columns: 0)
  }

  /// h, H × B (a copy; setting it copies in).
  ///
  /// - Precondition: a new value is H × B.
  public var state: Matrix<Scalar> {
    get { stackedState }
    set { setStackedState(newValue, name: "GRUWorkspace") }
  }

  /// Calls `body` with every buffer's address (made unique first, so writes stay in this value).
  mutating func withBuffers<R>(_ body: (GRUBuffers<Scalar>) -> R) -> R {
    let (input, batch) = (self.input, batchSize)
    return stacked.withUnsafeMutableBufferPointer { stacked in
      gates.withUnsafeMutableBufferPointer { gates in
        recurrentGates.withUnsafeMutableBufferPointer { recurrent in
          projection.withUnsafeMutableBufferPointer { projection in
            body(
              GRUBuffers(
                stacked: stacked.baseAddress!, h: stacked.baseAddress! + input * batch, gates: gates.baseAddress!,
                recurrent: recurrent.baseAddress!, projection: projection.baseAddress))
          }
        }
      }
    }
  }
}

/// The workspace's buffers as pointers, for the length of one call.
struct GRUBuffers<Scalar: BLASScalar> {
  var stacked: UnsafeMutablePointer<Scalar>
  var h: UnsafeMutablePointer<Scalar>
  var gates: UnsafeMutablePointer<Scalar>
  var recurrent: UnsafeMutablePointer<Scalar>
  var projection: UnsafeMutablePointer<Scalar>?
}
