public import DenseMatrix

extension RNNCell {
  /// A cell with the usual initialisation for vanilla RNNs: an orthogonal `W_hh` (scaled by
  /// `gain`), `W_ih` drawn from N(0, 1/I), and a zero bias.
  ///
  /// `W_hh` comes from `Matrix.randomOrthogonal(_:gain:using:)` (QR of a Gaussian
  /// matrix with PyTorch's sign fix, via `LAPACKE_?geqrf` and `LAPACKE_?orgqr`), so every
  /// singular value of `W_hh` equals `gain`.
  ///
  /// - Throws: `LAPACKError` if LAPACK fails.
  /// - Precondition: `hiddenSize >= 1`, `inputSize >= 0`.
  /// - Complexity: O(H³ + H · I).
  public static func random<G: RandomNumberGenerator>(
    hiddenSize: Int, inputSize: Int, activation: Activation = .tanh, formulation: Formulation = .fused,
    gain: Scalar = 1, using generator: inout G
  ) throws(LAPACKError) -> RNNCell {
    try makeRandom(
      hiddenSize: hiddenSize, inputSize: inputSize, activation: activation, formulation: formulation, gain: gain,
      using: &generator)
  }

  static func makeRandom<G: RandomNumberGenerator>(
    hiddenSize: Int, inputSize: Int, activation: Activation, formulation: Formulation, gain: Scalar,
    using generator: inout G
  ) throws(LAPACKError) -> RNNCell {
    checkPrecondition(hiddenSize >= 1 && inputSize >= 0, "RNNCell.random: need hiddenSize >= 1 and inputSize >= 0")
    let whh = try Matrix<Scalar>.randomOrthogonal(hiddenSize, gain: gain, using: &generator)
    let whx = Matrix<Scalar>.randomNormal(
      rows: hiddenSize, columns: inputSize, standardDeviation: 1 / Scalar(max(inputSize, 1)).squareRoot(),
      using: &generator)
    do {
      return try RNNCell(
        hiddenToHidden: whh, inputToHidden: whx, bias: .zeros(rows: hiddenSize, columns: 1),
        activation: activation, formulation: formulation)
    } catch {
      trap("RNNCell.random built inconsistent shapes: \(error)")
    }
  }

  /// The singular values of `W_hh`, largest first.
  ///
  /// The largest bounds how far one step can push two hidden states apart before the activation;
  /// below 1 (for `tanh`, `relu`, identity) the recurrence is a contraction. Uses `LAPACKE_?gesdd`.
  ///
  /// - Throws: `LAPACKError` if LAPACK fails to converge.
  /// - Complexity: O(H³).
  public func recurrentSingularValues() throws(LAPACKError) -> [Scalar] {
    try singularValues(recurrentWeights)
  }

  /// The spectral radius of `W_hh`: the largest modulus of its eigenvalues.
  ///
  /// Below 1, repeated steps of the linearised recurrence shrink the hidden state (gradients
  /// vanish); above 1 they grow (gradients may explode). Uses `LAPACKE_?geev`.
  ///
  /// - Throws: `LAPACKError` if LAPACK fails to converge.
  /// - Complexity: O(H³).
  public func recurrentSpectralRadius() throws(LAPACKError) -> Scalar {
    try spectralRadius(recurrentWeights)
  }
}

extension RNNCell where Scalar == Double {
  /// ``random(hiddenSize:inputSize:activation:formulation:gain:using:)`` for `Double`, the type
  /// when nothing else says one (`RNNCell<Float>.random(...)` for `Float`).
  public static func random<G: RandomNumberGenerator>(
    hiddenSize: Int, inputSize: Int, activation: Activation = .tanh, formulation: Formulation = .fused,
    gain: Double = 1, using generator: inout G
  ) throws(LAPACKError) -> RNNCell<Double> {
    try makeRandom(
      hiddenSize: hiddenSize, inputSize: inputSize, activation: activation, formulation: formulation, gain: gain,
      using: &generator)
  }
}
