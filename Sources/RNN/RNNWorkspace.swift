public import DenseMatrix

/// Reusable buffers, and the current hidden state, for stepping an ``RNNCell`` without
/// allocating.
///
/// Make one per task with ``RNNCell/makeWorkspace(batchSize:initialState:)``; it holds the
/// state `h` (`hiddenSize × batchSize`) and scratch space. Stepping with
/// ``RNNCell/step(x:into:formulation:)`` or ``RNNCell/forward(inputs:into:states:formulation:reversed:)``
/// performs no heap allocation once the workspace exists (except
/// ``Formulation/fusedConcatenatingEachStep``, which allocates by design, and OpenBLAS's own
/// thread dispatch when it runs a large product on several threads; see `BLAS.threadCount`).
///
/// A workspace is a value: a copy shares the buffers until one of the two is stepped, which then
/// copies them (copy-on-write). Keep one workspace per task and step it in place.
///
/// Inside, the state lives in the upper block of one `(hiddenSize + inputSize) × batchSize`
/// buffer `[h; x]`, so the fused product reads the state and the input in a single operand.
public struct RNNWorkspace<Scalar: BLASScalar>: RecurrentWorkspace {
  /// n_h.
  public let hiddenSize: Int
  /// n_x.
  public let inputSize: Int
  /// B, the number of sequences stepped together.
  public let batchSize: Int
  /// `[h; x]`, `(hiddenSize + inputSize) × batchSize`; rows `0..<hiddenSize` are the state.
  @usableFromInline var stacked: Matrix<Scalar>
  /// The pre-activation `W·[h; x]`, `hiddenSize × batchSize`.
  var preactivation: Matrix<Scalar>

  init(hiddenSize: Int, inputSize: Int, batchSize: Int) {
    checkPrecondition(batchSize >= 1, "RNNWorkspace<Scalar>: batch size must be at least 1, got \(batchSize)")
    self.hiddenSize = hiddenSize
    self.inputSize = inputSize
    self.batchSize = batchSize
    stacked = .zeros(rows: hiddenSize + inputSize, columns: batchSize)
    preactivation = .zeros(rows: hiddenSize, columns: batchSize)
  }

  /// The current hidden state, `hiddenSize × batchSize`.
  ///
  /// Reading copies the state into a new matrix; use ``withState(_:)`` to read it in place.
  ///
  /// - Precondition (set): the new state is `hiddenSize × batchSize`.
  /// - Complexity: O(hiddenSize × batchSize).
  public var state: Matrix<Scalar> {
    get { withState { Matrix(rows: hiddenSize, columns: batchSize, scalars: Array($0)) } }
    set {
      checkPrecondition(
        newValue.rows == hiddenSize && newValue.columns == batchSize,
        "RNNWorkspace.state: expected (\(hiddenSize)×\(batchSize)), got \(newValue.shape.compact)")
      let count = hiddenSize * batchSize
      newValue.withUnsafeBufferPointer { source in
        stacked.withUnsafeMutableBufferPointer { target in
          guard count > 0 else { return }
          target.baseAddress!.update(from: source.baseAddress!, count: count)
        }
      }
    }
  }

  /// Calls `body` with the current hidden state in place: `hiddenSize × batchSize` elements,
  /// row-major.
  ///
  /// - warning: Do not escape the pointer.
  @inlinable
  public func withState<R, E: Error>(_ body: (UnsafeBufferPointer<Scalar>) throws(E) -> R) throws(E) -> R {
    try stacked.withUnsafeBufferPointer { (all) throws(E) -> R in
      try body(UnsafeBufferPointer(rebasing: all[0..<(hiddenSize * batchSize)]))
    }
  }

  /// Sets the hidden state to zero.
  ///
  /// - Complexity: O(hiddenSize × batchSize).
  public mutating func resetState() {
    let count = hiddenSize * batchSize
    stacked.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: count) }
  }
}

extension RNNCell {
  /// A workspace for batches of `batchSize` sequences, the state zero.
  ///
  /// - Precondition: `batchSize >= 1`.
  /// - Complexity: O((hiddenSize + inputSize) × batchSize); this is where the workspace allocates.
  public func makeWorkspace(batchSize: Int) -> RNNWorkspace<Scalar> {
    RNNWorkspace<Scalar>(hiddenSize: hiddenSize, inputSize: inputSize, batchSize: batchSize)
  }

  /// A workspace for batches of `batchSize` sequences, with the state set to `initialState`
  /// (zero if `nil`).
  ///
  /// - Precondition: `batchSize >= 1`; `initialState`, if given, is `hiddenSize × batchSize`.
  /// - Complexity: O((hiddenSize + inputSize) × batchSize); this is where the workspace allocates.
  public func makeWorkspace(batchSize: Int, initialState: Matrix<Scalar>?) -> RNNWorkspace<Scalar> {
    var workspace = makeWorkspace(batchSize: batchSize)
    if let initialState { workspace.state = initialState }
    return workspace
  }
}
