/// How a cell computes its step: for an ``RNNCell``, `h_t = g(W_ih · x_t + W_hh · h_{t-1} + b)`;
/// ``LSTMCell`` and ``GRUCell`` apply the same choices to their gates' products (see each).
///
/// All four give the same hidden states up to rounding; they differ in the BLAS calls they make
/// and the memory they touch. `rnn-bench` (`--cell rnn|lstm|gru`) measures which is fastest at
/// your sizes.
public enum Formulation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// `g([W_ih | W_hh] · [x; h] + b)`, the weights joined once when the cell is made: one product
  /// per step (the notebook's `W_h · [h; x]` with `W_h = [W_hh | W_hx]`, its blocks in PyTorch's
  /// order). The workspace keeps `[x; h]` as one buffer: each step writes `x_t` into its upper
  /// block and the bias-and-activation pass writes the new `h` into its lower block.
  case fused
  /// `g(W_ih · x + W_hh · h + b)`: two products accumulated into one buffer (`beta = 1`), with no
  /// temporary for their sum.
  case split
  /// The notebook taken literally: `hstack` the weights and `vstack` the state and input on every
  /// step, then one product. It allocates on every step; it is the baseline the benchmark
  /// measures the others against.
  case fusedConcatenatingEachStep
  /// For sequences: the input projection `W_ih · [x_1 … x_T]` as one large product for all
  /// steps, then per step only `W_hh · h` accumulated onto it (as cuDNN and mlx-swift do). For a
  /// single step it computes exactly what ``split`` computes.
  case hoisted

  /// The name, as command-line tools spell it.
  public var description: String { rawValue }
}
