import DenseMatrix

/// One layer and direction of a recurrent network, differentiated through time.
///
/// The forward pass is the cells' own hoisted run (the shared sequence driver), which records
/// each step's activated gates in a tape as it goes; the backward pass reads them and the
/// states h_1 … h_T, so that nothing of the forward pass is computed twice: only the products
/// that depend on the step before, `Δ_t · W_hh` for the carried gradient, run step by step.
/// The weight gradients are then one product each over all steps (`dW_ih = Δᵀ X`,
/// `dW_hh = Δ_hᵀ H_prev`), as is the input's (`dX = Δ W_ih`).
///
/// Everything is in PyTorch's batch-major layout, the network's own: row `t · B + b` is
/// sequence b's step t, whichever direction runs, so that the layer's input and output are
/// read in place and each step's rows are one contiguous block.
struct RecurrentLayerBackward<Scalar: BLASScalar> {
  /// The cell kind, as the gate-gradient kernels name it.
  typealias Kind = GateGradientCell

  let kind: Kind
  /// W_ih (G·H × I), W_hh (G·H × H).
  let inputWeights: Matrix<Scalar>
  let recurrentWeights: Matrix<Scalar>
  /// The bias added with `W_hh · h` (G·H × 1): the GRU's b_hn (rows 2H..<3H) is read; the others
  /// need no bias (their gates are on the tape).
  let recurrentBias: Matrix<Scalar>
  let reversed: Bool
  /// Each sequence's length for a padded batch (`nil`: every sequence has every step): steps
  /// at or past a sequence's length are not run, as `pack_padded_sequence` has it (the
  /// backward direction starts at the sequence's last step).
  var lengths: [Int]? = nil
  /// An LSTM's projection W_hr (P × H, PyTorch's `proj_size`): h = W_hr (o ⊙ tanh(c)), and
  /// W_hh is 4H × P.
  var projectionWeights: Matrix<Scalar>? = nil

  /// The size of h (and of the carried gradient): P with a projection, otherwise H.
  var hidden: Int { recurrentWeights.columns }
  var gateRows: Int { recurrentWeights.rows }
  /// H, the units of each gate (and of an LSTM's c).
  var units: Int {
    switch kind {
    case .vanilla: gateRows
    case .lstm: gateRows / 4
    case .gru: gateRows / 3
    }
  }
  var isGRU: Bool { if case .gru = kind { true } else { false } }

  /// The gradients of one layer and direction.
  struct Gradients {
    var inputWeights: Matrix<Scalar>
    var recurrentWeights: Matrix<Scalar>
    /// dL/db for the bias added with `W_ih · x`, and with `W_hh · h` (G·H × 1; the same but for
    /// the GRU's n rows).
    var inputBias: Matrix<Scalar>
    var recurrentBias: Matrix<Scalar>
    /// dL/dh_0 (B × P or H), dL/dc_0 (B × H).
    var initialState: Matrix<Scalar>
    var initialCell: Matrix<Scalar>?
    /// dL/dW_hr (P × H) with a projection.
    var projectionWeights: Matrix<Scalar>?
  }

  /// The gradients, given the forward pass's input `x` (N × I, N = T · B; zero at a padded
  /// batch's steps not run, which dW_ih's product reads), its output `output`
  /// (N × D·H; this direction's states in columns `column ..< column + H`), its tape (N × the
  /// kind's ``Kind/tapeWidth(hidden:)``; `nil` for the vanilla cell), the initial state `h0`
  /// (B × H), and the gradients of the loss with respect to the output (`outputGradient`, shaped
  /// like `output`, the same columns) and to the last step's h and c (`finalState`,
  /// `finalCell`, B × H; the last step is t = T − 1 forward, t = 0 reversed). dL/dX goes into
  /// `inputGradient` (N × I), added to what is there with `accumulate` (the second direction).
  /// The pass's own buffers come from `scratch` and go back to it.
  ///
  /// - Complexity: O(T · B · G·H · (I + H)): three products over all steps and one per step.
  func gradients(
    x: Matrix<Scalar>, output: Matrix<Scalar>, column: Int, tape: Matrix<Scalar>?, h0: Matrix<Scalar>, batch: Int,
    outputGradient: Matrix<Scalar>, finalState: Matrix<Scalar>?, finalCell: Matrix<Scalar>?,
    inputGradient: inout Matrix<Scalar>, accumulate: Bool, scratch: ScratchPool, backend: Backend
  ) -> Gradients {
    let (h, g, n, units) = (hidden, gateRows, x.rows, units)
    let steps = n / batch
    var previous: Matrix<Scalar> = scratch.matrix(rows: n, columns: h)
    previousStates(output, column: column, h0: h0, batch: batch, into: &previous)
    // The gradients of the pre-activations, a row per step and sequence: input side (Δ_x) and
    // recurrent side (Δ_h): the same matrix but for the GRU, whose n gate's recurrent part is
    // multiplied by r. (Every element is written by the steps below.)
    var deltaX: Matrix<Scalar> = scratch.matrix(rows: n, columns: g)
    var deltaH: Matrix<Scalar>? = isGRU ? scratch.matrix(rows: n, columns: g) : nil
    var carry = finalState ?? .zeros(rows: batch, columns: h)
    var cellCarry = finalCell ?? .zeros(rows: batch, columns: units)
    // With a projection: each row's dL/dh (N × P), each step's dL/d(o ⊙ tanh c) (B × H), and
    // zeros for the kernel's own dL/dh.
    var stateDelta: Matrix<Scalar> =
      projectionWeights == nil ? .zeros(rows: 0, columns: 0) : scratch.matrix(rows: n, columns: h)
    var projected = Matrix<Scalar>.zeros(rows: projectionWeights == nil ? 0 : batch, columns: units)
    let noGradient = Matrix<Scalar>.zeros(rows: projectionWeights == nil ? 0 : 1, columns: units)
    let projection = projectionWeights ?? .zeros(rows: 0, columns: 0)
    // Whether a step leaves a part of dh_{t−1} in the carry before Δ_h W_hh is added: the GRU's
    // z ⊙ dh, and a padded batch's sequences that are not running (their carry passes).
    let carriesState = isGRU || lengths != nil
    let tape = tape ?? .zeros(rows: 0, columns: 0)
    output.withUnsafeBufferPointer { s in
      previous.withUnsafeBufferPointer { p in
        outputGradient.withUnsafeBufferPointer { ds in
          tape.withUnsafeBufferPointer { tape in
            recurrentBias.withUnsafeBufferPointer { bias in
              deltaX.withUnsafeMutableBufferPointer { dx in
                deltaH.withUnsafeMutablePointerOrNil { dh in
                  carry.withUnsafeMutableBufferPointer { carry in
                    cellCarry.withUnsafeMutableBufferPointer { cellCarry in
                      stateDelta.withUnsafeMutableBufferPointer { stateDelta in
                        projected.withUnsafeMutableBufferPointer { projected in
                          noGradient.withUnsafeBufferPointer { noGradient in
                            projection.withUnsafeBufferPointer { wr in
                              recurrentWeights.withUnsafeBufferPointer { w in
                                let dh = dh ?? dx.baseAddress!
                                let pointers = RowPointers(
                                  s: s.baseAddress! + column, p: p.baseAddress!, ds: ds.baseAddress! + column,
                                  stride: output.columns, tape: tape.baseAddress, hnBias: bias.baseAddress! + 2 * units,
                                  dx: dx.baseAddress!, dh: dh, carry: carry.baseAddress!,
                                  cellCarry: cellCarry.baseAddress!,
                                  path: ActivationPath.current)
                                for order in 0..<steps {
                                  let t = reversed ? order : steps - 1 - order
                                  // (An empty buffer may have a base address: the projection decides.)
                                  if projectionWeights != nil, let stateDelta = stateDelta.baseAddress,
                                    let projected = projected.baseAddress
                                  {
                                    // dL/dh_t = dL/d(output) + the carry, into its row (zero where not
                                    // run), the carry then zero where run; dL/d(o ⊙ tanh c) = dL/dh_t W_hr.
                                    for b in 0..<batch {
                                      let row = t * batch + b
                                      let (target, carried) = (stateDelta + row * h, carry.baseAddress! + b * h)
                                      guard lengths.map({ t < $0[b] }) ?? true else {
                                        target.update(repeating: 0, count: h)
                                        continue
                                      }
                                      let source = pointers.ds + row * pointers.stride
                                      for r in 0..<h { target[r] = source[r] + carried[r] }
                                      carried.update(repeating: 0, count: h)
                                    }
                                    GEMMOperands(
                                      m: batch, n: units, k: h, a: stateDelta + t * batch * h, lda: h,
                                      b: wr.baseAddress,
                                      ldb: units, c: projected, ldc: units
                                    ).run(backend)
                                  }
                                  for b in 0..<batch {
                                    let row = t * batch + b
                                    if let lengths, t >= lengths[b] {
                                      // Not run: no gradient; the carries pass unchanged.
                                      (pointers.dx + row * g).update(repeating: 0, count: g)
                                      (pointers.dh + row * g).update(repeating: 0, count: g)
                                      continue
                                    }
                                    if projectionWeights != nil, let projected = projected.baseAddress {
                                      // The kernel's dL/dh is dL/d(o ⊙ tanh c), in the projected row.
                                      rowBackward(
                                        pointers, row: row, sequence: b, ds: noGradient.baseAddress!,
                                        carry: projected + b * units)
                                    } else {
                                      rowBackward(pointers, row: row, sequence: b)
                                    }
                                  }
                                  // dh_{t−1} = Δ_h,t · W_hh (+ what the step left in the carry).
                                  GEMMOperands(
                                    m: batch, n: h, k: g, a: dh + t * batch * g, lda: g, b: w.baseAddress, ldb: h,
                                    beta: carriesState ? 1 : 0, c: carry.baseAddress!, ldc: h
                                  ).run(backend)
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let recurrentDelta = deltaH ?? deltaX
    let inputBias = Self.columnSums(deltaX, backend: backend)
    // dX (+)= Δ_x · W_ih.
    inputGradient.withUnsafeMutableBufferPointer { dX in
      deltaX.withUnsafeBufferPointer { d in
        inputWeights.withUnsafeBufferPointer { w in
          GEMMOperands(
            m: n, n: inputWeights.columns, k: g, a: d.baseAddress, lda: g, b: w.baseAddress,
            ldb: max(1, inputWeights.columns), beta: accumulate ? 1 : 0, c: dX.baseAddress,
            ldc: max(1, inputWeights.columns)
          ).run(backend)
        }
      }
    }
    let isLSTM: Bool = if case .lstm = kind { true } else { false }
    // dW_hr = Σ_t dL/dh_tᵀ (o_t ⊙ tanh c_t), one product over all steps.
    var projectionGradient: Matrix<Scalar>? = nil
    if projectionWeights != nil {
      var m: Matrix<Scalar> = scratch.matrix(rows: n, columns: units)
      m.withUnsafeMutableBufferPointer { m in
        tape.withUnsafeBufferPointer { tape in
          for row in 0..<n {
            let (target, record) = (m.baseAddress! + row * units, tape.baseAddress! + row * 6 * units)
            // A step not run has no record (its row of the tape is not written): zero.
            guard lengths.map({ row / batch < $0[row % batch] }) ?? true else {
              target.update(repeating: 0, count: units)
              continue
            }
            for r in 0..<units { target[r] = record[3 * units + r] * record[5 * units + r] }
          }
        }
      }
      projectionGradient = Self.product(stateDelta, m, transposeA: true, backend: backend)
      scratch.keep(m)
      scratch.keep(stateDelta)
    }
    let gradients = Gradients(
      inputWeights: Self.product(deltaX, x, transposeA: true, backend: backend),
      recurrentWeights: Self.product(recurrentDelta, previous, transposeA: true, backend: backend),
      inputBias: inputBias, recurrentBias: deltaH.map { Self.columnSums($0, backend: backend) } ?? inputBias,
      initialState: carry, initialCell: isLSTM ? cellCarry : nil, projectionWeights: projectionGradient)
    scratch.keep(deltaX)
    scratch.keep(previous)
    if let deltaH { scratch.keep(deltaH) }
    return gradients
  }

  /// H_prev, N × H: the state each row's step starts from: step t − 1's forward (t + 1
  /// reversed), h_0 for each sequence's first step (t = 0 forward, its last step reversed). A
  /// row copy each.
  private func previousStates(
    _ output: Matrix<Scalar>, column: Int, h0: Matrix<Scalar>, batch: Int, into previous: inout Matrix<Scalar>
  ) {
    let (h, n, stride) = (hidden, output.rows, output.columns)
    let steps = n / batch
    previous.withUnsafeMutableBufferPointer { p in
      output.withUnsafeBufferPointer { s in
        h0.withUnsafeBufferPointer { h0 in
          guard let p = p.baseAddress, let s = s.baseAddress, let h0 = h0.baseAddress else { return }
          for t in 0..<steps {
            for b in 0..<batch {
              let length = lengths?[b] ?? steps
              // (Steps past a sequence's end are not run: h_0 there too, unread.)
              let source =
                isFirst(t, length) || t >= length
                ? h0 + b * h : s + ((reversed ? t + 1 : t - 1) * batch + b) * stride + column
              (p + (t * batch + b) * h).update(from: source, count: h)
            }
          }
        }
      }
    }
  }

  /// The buffers one row's backward reads and writes: the states and dL/d(state) (row stride
  /// `stride`), H_prev (H per row), the tape, Δ_x and Δ_h (G·H per row), the carries (B × H).
  struct RowPointers {
    let s: UnsafePointer<Scalar>
    let p: UnsafePointer<Scalar>
    let ds: UnsafePointer<Scalar>
    let stride: Int
    /// The tape (nil for the vanilla cell).
    let tape: UnsafePointer<Scalar>?
    /// The GRU's b_hn (H).
    let hnBias: UnsafePointer<Scalar>
    /// Δ_x and Δ_h (the same buffer but for the GRU).
    let dx: UnsafeMutablePointer<Scalar>
    let dh: UnsafeMutablePointer<Scalar>
    let carry: UnsafeMutablePointer<Scalar>
    let cellCarry: UnsafeMutablePointer<Scalar>
    /// The vector kernels' instruction set.
    let path: ActivationPath
  }

  /// Δ_x and Δ_h of one row (sequence `sequence` at a step) from dh = dL/dh_t + the carried
  /// gradient; leaves in the carry what of dh_{t−1} does not go through W_hh (zero, or the
  /// GRU's z ⊙ dh). One pass over the row's contiguous units in the vector kernel of the
  /// current activation path (`swift_blas_rnn_gate_gradients_*`).
  /// With a projection, `ds` and `carry` are given: the kernel's dL/dh is theirs (H long).
  @inline(__always)
  private func rowBackward(
    _ q: RowPointers, row: Int, sequence b: Int, ds: UnsafePointer<Scalar>? = nil,
    carry: UnsafeMutablePointer<Scalar>? = nil
  ) {
    let (h, g, units) = (hidden, gateRows, units)
    Scalar._gateGradients(
      kind, path: q.path, hidden: units, tape: q.tape.map { $0 + row * kind.tapeWidth(hidden: units) },
      state: q.s + row * q.stride, previous: q.p + row * h, hnBias: q.hnBias, ds: ds ?? q.ds + row * q.stride,
      carry: carry ?? q.carry + b * h, cellCarry: q.cellCarry + b * units, delta: q.dx + row * g,
      recurrentDelta: isGRU ? q.dh + row * g : nil)
  }

  /// Whether step t is the first a sequence of `length` steps runs: t = 0 forward, its last
  /// step reversed.
  @inline(__always)
  private func isFirst(_ t: Int, _ length: Int) -> Bool {
    reversed ? t == length - 1 : t == 0
  }

  /// The sums of each column of `matrix` (N × G·H), as a G·H × 1 column: a bias's gradient.
  /// `matrixᵀ · 1`, one `cblas_?gemv`.
  static func columnSums(_ matrix: Matrix<Scalar>, backend: Backend) -> Matrix<Scalar> {
    let ones = [Scalar](repeating: 1, count: matrix.rows)
    return ones.withUnsafeBufferPointer { ones in
      Matrix(
        rows: matrix.columns, columns: 1,
        initializingEvery: { sums in
          matrix.withUnsafeBufferPointer { m in
            GEMMOperands(
              transposeA: true, m: matrix.columns, n: 1, k: matrix.rows, a: m.baseAddress, lda: max(1, matrix.columns),
              b: ones.baseAddress, ldb: 1, c: sums.baseAddress, ldc: 1
            ).run(backend)
          }
        })
    }
  }

  /// `a · b` (with `aᵀ`, `bᵀ` as asked) plus `bias` broadcast over the columns, as a new matrix.
  static func product(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, bias: Matrix<Scalar>? = nil, transposeA: Bool = false,
    transposeB: Bool = false, backend: Backend
  ) -> Matrix<Scalar> {
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    // Every element is written: the bias, then the product added (or the product alone).
    return Matrix<Scalar>(
      rows: m, columns: n,
      initializingEvery: { c in
        if let bias {
          bias.withUnsafeBufferPointer { bias in
            for r in 0..<m { (c.baseAddress! + r * n).update(repeating: bias[r], count: n) }
          }
        }
        a.withUnsafeBufferPointer { a in
          b.withUnsafeBufferPointer { b in
            GEMMOperands(
              transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress,
              lda: max(1, transposeA ? m : k),
              b: b.baseAddress, ldb: max(1, transposeB ? k : n), beta: bias == nil ? 0 : 1, c: c.baseAddress,
              ldc: max(1, n)
            ).run(backend)
          }
        }
      })
  }
}

extension GateGradientCell {
  /// The columns of a layer's tape for H hidden units: the LSTM's i, f, g, o, c_{t−1} and
  /// tanh(c_t) (6H), the GRU's r, z, n and `W_hn · h_{t−1}` (4H); none for the vanilla cell,
  /// whose derivative is read off its state.
  func tapeWidth(hidden: Int) -> Int {
    switch self {
    case .vanilla: 0
    case .lstm: 6 * hidden
    case .gru: 4 * hidden
    }
  }
}

extension Optional {
  /// Calls `body` with the wrapped matrix's storage, or with `nil`.
  fileprivate mutating func withUnsafeMutablePointerOrNil<Scalar, R>(
    _ body: (UnsafeMutablePointer<Scalar>?) -> R
  ) -> R where Wrapped == Matrix<Scalar> {
    guard self != nil else { return body(nil) }
    return self!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
  }
}
