public import DenseMatrix

/// PyTorch's `nn.RNN`, `nn.LSTM` and `nn.GRU` for inference: `layerCount` stacked layers of one
/// kind of cell, each one or two directions, loaded from the module's state dict.
///
/// Sequences use PyTorch's default layout (`batch_first=False`) with the three dimensions
/// flattened into a matrix with the same bytes: PyTorch's `T × B × F` tensor, contiguous, is
/// here the `(T · B) × F` matrix whose row `t · B + b` is sequence b's step t. So
///
/// - `input` is `(T · B) × I`;
/// - ``Output/output`` is `(T · B) × (D · H)`: the last layer's states, the forward direction's
///   in columns `0..<H` and the backward direction's in `H..<2H` (D = 2 when bidirectional);
/// - initial and final states are PyTorch's `(D · L) × B × H` as `(D · L · B) × H` matrices:
///   rows `(l · D + d) · B ..< (l · D + d + 1) · B` are layer l, direction d.
///
/// An LSTM with a projection (`proj_size = P`) has P where h appears: the output is
/// `(T · B) × (D · P)`, `h_0` and `h_n` are `(D · L · B) × P`; `c_0` and `c_n` stay
/// `(D · L · B) × H` (``outputSize`` is P).
///
/// Each layer's input is the previous layer's output (both directions); the backward
/// direction reads the sequence from `x_T` down to `x_1` from its own initial state. With
/// ``Formulation/hoisted`` (the default) every layer reads its input and writes its output in
/// these layouts directly, with no transpose; with the other formulations the cells run in this
/// package's column layout (features × (T · B)), the input transposed once on entry and the
/// output once on return.
///
/// A network keeps the buffers of its passes (each layer and direction's workspace, with its
/// hoisted projection of G·H × T·B elements, and the scratch between layers) for its next pass of
/// the same batch shape, so that repeated passes allocate only their outputs: new memory costs a
/// page fault per 4 KiB on first touch, a third of a small network's forward time when it was
/// allocated afresh each pass. The buffers are shared by copies of the network (under a lock;
/// concurrent passes each take their own) and freed with the last copy.
///
/// ```swift
/// let lstm = try RecurrentNetwork<Float>(stateDict: weights)      // mode, layers, directions inferred
/// let result = try lstm.forward(input, batchSize: 4)              // input: (T·4) × I
/// result.output       // (T·4) × (D·H)
/// result.finalState   // (D·L·4) × H, PyTorch's h_n
/// result.finalCell    // (D·L·4) × H, PyTorch's c_n (LSTM only)
/// ```
public struct RecurrentNetwork<Scalar: BLASScalar>: Sendable {
  /// The kind of cell, as PyTorch's `mode` spells it.
  public enum Mode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `nn.RNN(nonlinearity='tanh')`: `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnnTanh = "rnn_tanh"
    /// `nn.RNN(nonlinearity='relu')`: `h' = relu(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnnReLU = "rnn_relu"
    /// `nn.LSTM` (see ``LSTMCell``).
    case lstm
    /// `nn.GRU` (see ``GRUCell``).
    case gru

    /// The number of gates, the rows of `weight_hh` per hidden unit: 1, 4 or 3.
    public var gateCount: Int {
      switch self {
      case .rnnTanh, .rnnReLU: 1
      case .lstm: 4
      case .gru: 3
      }
    }

    /// The name, as PyTorch and the command-line tools spell it.
    public var description: String { rawValue }
  }

  /// What ``forward(_:batchSize:lengths:batchFirst:initialState:initialCell:)`` returns, in PyTorch's layouts.
  public struct Output: Sendable {
    /// The last layer's hidden states, `(T · B) × (D · H)` (PyTorch's `output`).
    public var output: Matrix<Scalar>
    /// Every layer's and direction's last hidden state, `(D · L · B) × H` (× P with a
    /// projection; PyTorch's `h_n`).
    public var finalState: Matrix<Scalar>
    /// The LSTM's last cell states, `(D · L · B) × H` (PyTorch's `c_n`); `nil` for the others.
    public var finalCell: Matrix<Scalar>?
  }

  /// The cells, layer by layer, the forward direction before the backward one.
  enum Cells: Sendable {
    case rnn([RNNCell<Scalar>])
    case lstm([LSTMCell<Scalar>])
    case gru([GRUCell<Scalar>])
  }

  /// The kind of cell.
  public let mode: Mode
  /// L, PyTorch's `num_layers`.
  public let layerCount: Int
  /// Whether each layer also runs backward (PyTorch's `bidirectional`); D = 2 if so.
  public let isBidirectional: Bool
  /// Whether the state dict had biases (PyTorch's `bias`).
  public let hasBias: Bool
  /// H, the hidden state's size (an LSTM's gates and cell state; PyTorch's `hidden_size`).
  public let hiddenSize: Int
  /// P, an LSTM's projection size (PyTorch's `proj_size`, from `weight_hr_l{k}`), or 0 without a
  /// projection.
  public let projectionSize: Int
  /// I, the input's size.
  public let inputSize: Int
  /// The formulation every cell uses; ``Formulation/hoisted`` by default (one product per layer
  /// and direction for all the input projections, as PyTorch does).
  public var formulation: Formulation
  /// The product backend. `nil`, the default, means at each call the backend of an enclosing
  /// `withBackend(_:_:)`, and outside one `Backend.packed`: BLAS for every product but the
  /// per-step `W_hh · h` (and the backward pass's `Δ · W_hh`), which runs on `W_hh` packed once
  /// where the packed kernel's measured rule says it is faster than `cblas_?gemv`/`cblas_?gemm`
  /// (with AVX2 always; with AVX-512 a batch of one, or a large `W_hh` and a batch of at least
  /// one vector; see <doc:Benchmarking>). Set `.blas` for OpenBLAS in every product.
  public var backend: Backend?

  /// The backend a pass runs: ``backend``, else an enclosing `withBackend`'s, else `.packed`.
  var resolvedBackend: Backend { backend ?? Backend.scoped ?? .packed }
  /// How many threads a forward pass may use to run a bidirectional layer's two directions at
  /// the same time (each on its own thread, writing its own half of the layer's output); `nil`,
  /// the default, means `BLAS.threadCount` at each call, and 1 runs the
  /// directions one after the other. The results are the same either way, bit for bit. With
  /// directions on two threads, set `BLAS.threadCount = 1` too, or each direction's products
  /// also ask OpenBLAS for its threads.
  public var threads: Int? = nil
  var cells: Cells
  /// Each cell's parameter names in the state dict (`weight_ih_l0`, …), made once: a cell's
  /// index is `layer · D + direction`, as in ``cells`` (a layer run alone keeps its names in
  /// the whole network).
  let parameterNames: [CellParameterNames]
  /// The number of tensors in the network's state dict: each cell's weights, biases (with
  /// ``hasBias``) and W_hr (with a projection).
  var parameterCount: Int { parameterNames.count * ((hasBias ? 4 : 2) + (projectionSize > 0 ? 1 : 0)) }
  /// The buffers forward and backward passes reuse (shared by copies; see ``ScratchPool``): two
  /// forward passes' worth, each a workspace per layer and direction and at most two matrices,
  /// and a backward pass's.
  let scratch: ScratchPool

  /// The size of h, of `h_n` and of each direction's output: P with a projection, otherwise H.
  public var outputSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

  /// D, the number of directions: 1, or 2 when bidirectional.
  public var directionCount: Int { isBidirectional ? 2 : 1 }
}

extension RecurrentNetwork {
  /// A network of one layer and one direction made of `cell`, whose activation may be any
  /// `Activation` (the notebook's `W_hh`/`W_hx` weights): ``mode`` says ``Mode/rnnReLU`` for
  /// ReLU and ``Mode/rnnTanh`` otherwise. For tools that run such weights through the network's
  /// layouts.
  package init(vanilla cell: RNNCell<Scalar>, formulation: Formulation, backend: Backend?) {
    mode = cell.activation == .relu ? .rnnReLU : .rnnTanh
    layerCount = 1
    isBidirectional = false
    hasBias = true
    hiddenSize = cell.hiddenSize
    projectionSize = 0
    inputSize = cell.inputSize
    self.formulation = formulation
    self.backend = backend
    cells = .rnn([cell])
    scratch = ScratchPool(limit: 2 * (1 + 2))
    parameterNames = [CellParameterNames(layer: 0, reversed: false)]
  }
}

/// The state-dict names of one cell's parameters: layer k's `weight_ih_l{k}`, `weight_hh_l{k}`,
/// `bias_ih_l{k}`, `bias_hh_l{k}` and `weight_hr_l{k}`, each with `_reverse` for the backward
/// direction.
struct CellParameterNames: Sendable {
  let inputWeights: String
  let recurrentWeights: String
  let inputBias: String
  let recurrentBias: String
  let projectionWeights: String

  init(layer: Int, reversed: Bool) {
    let suffix = "_l\(layer)" + (reversed ? "_reverse" : "")
    inputWeights = "weight_ih" + suffix
    recurrentWeights = "weight_hh" + suffix
    inputBias = "bias_ih" + suffix
    recurrentBias = "bias_hh" + suffix
    projectionWeights = "weight_hr" + suffix
  }

  /// The names a cell has: the weights, the biases with `bias`, W_hr with `projection`.
  func names(bias: Bool, projection: Bool) -> [String] {
    [inputWeights, recurrentWeights] + (bias ? [inputBias, recurrentBias] : [])
      + (projection ? [projectionWeights] : [])
  }

  /// Every cell's names, layer by layer, the forward direction first.
  static func all(layers: Int, directions: Int) -> [CellParameterNames] {
    (0..<(layers * directions)).map { CellParameterNames(layer: $0 / directions, reversed: $0 % directions == 1) }
  }
}
