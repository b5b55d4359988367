public import DenseMatrix

/// Reusable buffers, and the current hidden state, for stepping an ``RNNCell`` without
/// allocating.
///
/// Make one per task with ``RNNCell/makeWorkspace(batchSize:initialState:)``; it holds the
/// state `h` (`hiddenSize × batchSize`) and scratch space. Stepping with
/// ``RNNCell/step(x:into:formulation:)`` or ``RNNCell/forward(inputs:into:states:formulation:reversed:)``
/// performs no heap allocation once the workspace exists (except
/// ``Formulation/fusedConcatenatingEachStep``, which allocates by design, the hoisted
/// projection's buffer, allocated on the first run of a sequence length, and OpenBLAS's own
/// thread dispatch when it runs a large product on several threads; see `BLAS.threadCount`).
///
/// A workspace is a value: a copy shares the buffers until one of the two is stepped, which then
/// copies them (copy-on-write). Keep one workspace per task and step it in place.
///
/// Inside, as in the gated cells' workspaces, the state lives in the lower block of one
/// `(inputSize + hiddenSize) × batchSize` buffer `[x; h]`, so the fused product reads the input
/// and the state in a single operand.
public struct RNNWorkspace<Scalar: BLASScalar>: RecurrentWorkspace, CellWorkspace {
  /// H (the notebook's n_h).
  public let hiddenSize: Int
  /// I (the notebook's n_x).
  public let inputSize: Int
  /// B, the number of sequences stepped together.
  public internal(set) var batchSize: Int
  /// `[x; h]`, `(inputSize + hiddenSize) × batchSize`; rows `inputSize...` are the state.
  @usableFromInline var stacked: Matrix<Scalar>
  /// The pre-activation, `hiddenSize × batchSize`.
  var preactivation: Matrix<Scalar>
  /// ``Formulation/hoisted``'s `W_ih · X` for a whole sequence; grown when a longer sequence
  /// comes, then reused.
  var projection: Matrix<Scalar>

  var hidden: Int { hiddenSize }
  var input: Int { inputSize }

  init(hiddenSize: Int, inputSize: Int, batchSize: Int) {
    checkPrecondition(batchSize >= 1, "RNNWorkspace<Scalar>: batch size must be at least 1, got \(batchSize)")
    self.hiddenSize = hiddenSize
    self.inputSize = inputSize
    self.batchSize = batchSize
    stacked = .zeros(rows: inputSize + hiddenSize, columns: batchSize)
    preactivation = .zeros(rows: hiddenSize, columns: batchSize)
    projection = .zeros(rows: 0, columns: 0)
  }

  /// The current hidden state, `hiddenSize × batchSize`.
  ///
  /// Reading copies the state into a new matrix; use ``withState(_:)`` to read it in place.
  ///
  /// - Precondition (set): the new state is `hiddenSize × batchSize`.
  /// - Complexity: O(hiddenSize × batchSize).
  public var state: Matrix<Scalar> {
    get { stackedState }
    set { setStackedState(newValue, name: "RNNWorkspace") }
  }

  /// Calls `body` with the current hidden state in place: `hiddenSize × batchSize` elements,
  /// row-major.
  ///
  /// - warning: Do not escape the pointer.
  /// - Complexity: O(1).
  @inlinable
  public func withState<R, E: Error>(_ body: (UnsafeBufferPointer<Scalar>) throws(E) -> R) throws(E) -> R {
    let start = inputSize * batchSize
    return try stacked.withUnsafeBufferPointer { (all) throws(E) -> R in
      try body(UnsafeBufferPointer(rebasing: all[start..<(start + hiddenSize * batchSize)]))
    }
  }
}

extension RNNCell {
  /// A workspace for batches of `batchSize` sequences, with a zero initial state.
  ///
  /// - Precondition: `batchSize >= 1`.
  /// - Complexity: O((H + I) × B); this is where the workspace allocates.
  public func makeWorkspace(batchSize: Int) -> RNNWorkspace<Scalar> {
    RNNWorkspace<Scalar>(hiddenSize: hiddenSize, inputSize: inputSize, batchSize: batchSize)
  }

  /// A workspace for batches of `batchSize` sequences, starting from `initialState` (zero when
  /// `nil`).
  ///
  /// - Precondition: `batchSize >= 1`; `initialState`, if given, is `hiddenSize × batchSize`.
  /// - Complexity: O((H + I) × B).
  public func makeWorkspace(batchSize: Int, initialState: Matrix<Scalar>?) -> RNNWorkspace<Scalar> {
    var workspace = makeWorkspace(batchSize: batchSize)
    if let initialState { workspace.state = initialState }
    return workspace
  }
}
