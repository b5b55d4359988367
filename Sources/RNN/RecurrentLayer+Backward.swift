import DenseMatrix

/// One layer and direction of a recurrent network, differentiated through time.
///
/// The forward pass is the cells' own hoisted run (the shared sequence driver), which records
/// each step's activated gates in a ``GateTape`` as it goes; the backward pass reads them and
/// the states h_1 … h_T, so that nothing of the forward pass is computed twice: only the
/// products that depend on the step before, `W_hhᵀ · δ_t` for the carried gradient, run step by
/// step. The weight gradients are then one product each over all steps (`dW_ih = Δ Xᵀ`,
/// `dW_hh = Δ_h H_prevᵀ`), as is the input's (`dX = W_ihᵀ Δ`).
///
/// Everything is in the cells' column layout: features × (T · B), column `t · B + b` being
/// sequence b's step t, whichever direction runs.
struct RecurrentLayerBackward<Scalar: BLASScalar> {
  enum Kind {
    case vanilla(Activation)
    case lstm
    case gru

    /// The rows of a layer's ``GateTape`` for H hidden units: the LSTM's i, f, g, o, c_{t−1} and
    /// tanh(c_t) (6H), the GRU's r, z, n and `W_hn · h_{t−1}` (4H); none for the vanilla cell,
    /// whose derivative is read off its state.
    func tapeRows(hidden: Int) -> Int {
      switch self {
      case .vanilla: 0
      case .lstm: 6 * hidden
      case .gru: 4 * hidden
      }
    }
  }

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

  var hidden: Int { recurrentWeights.columns }
  var gateRows: Int { recurrentWeights.rows }
  var isGRU: Bool { if case .gru = kind { true } else { false } }

  /// The gradients of one layer and direction.
  struct Gradients {
    var inputWeights: Matrix<Scalar>
    var recurrentWeights: Matrix<Scalar>
    /// dL/db for the bias added with `W_ih · x`, and with `W_hh · h` (G·H × 1; the same but for
    /// the GRU's n rows).
    var inputBias: Matrix<Scalar>
    var recurrentBias: Matrix<Scalar>
    /// dL/dX, I × (T·B).
    var input: Matrix<Scalar>
    /// dL/dh_0, dL/dc_0 (H × B).
    var initialState: Matrix<Scalar>
    var initialCell: Matrix<Scalar>?
  }

  /// The gradients, given the forward pass's input `x` (I × T·B), states `states` (H × T·B,
  /// column block t holding h after step t), its ``GateTape`` (`nil` for the vanilla cell), the
  /// initial state `h0` (H × B), and the gradients of the loss with respect to every state
  /// (`stateGradient`, H × T·B) and to the last step's h and c (`finalState`, `finalCell`,
  /// H × B; the last step is t = T − 1 forward, t = 0 reversed).
  ///
  /// - Complexity: O(T · B · G·H · (I + H)): three products over all steps and one per step.
  func gradients(
    x: Matrix<Scalar>, states: Matrix<Scalar>, tape: Matrix<Scalar>?, h0: Matrix<Scalar>, batch: Int,
    stateGradient: Matrix<Scalar>, finalState: Matrix<Scalar>?, finalCell: Matrix<Scalar>?, backend: Backend
  ) -> Gradients {
    let (h, g, n) = (hidden, gateRows, states.columns)
    let steps = n / batch
    let previous = previousStates(states, h0: h0, batch: batch)
    // The gradients of the pre-activations: input side (Δ_x) and recurrent side (Δ_h): the same
    // matrix but for the GRU, whose n gate's recurrent part is multiplied by r.
    // (Every element is written by the steps below.)
    var deltaX = Matrix<Scalar>(rows: g, columns: n, initializingEvery: { _ in })
    var deltaH = isGRU ? Matrix<Scalar>(rows: g, columns: n, initializingEvery: { _ in }) : nil
    var carry = finalState ?? .zeros(rows: h, columns: batch)
    var cellCarry = finalCell ?? .zeros(rows: h, columns: batch)
    // Whether a step leaves a part of dh_{t−1} in the carry before W_hhᵀ Δ_h is added: the
    // GRU's z ⊙ dh, and a padded batch's sequences that have not started (their carry passes).
    let carriesState = isGRU || lengths != nil
    // A padded batch's sequences, shortest first: those not running at step t are a prefix.
    let shortestFirst = lengths.map { lengths in lengths.indices.sorted { lengths[$0] < lengths[$1] } } ?? []
    var stash = [Scalar](repeating: 0, count: lengths == nil ? 0 : 2 * h * batch)
    let tape = tape ?? .zeros(rows: 0, columns: 0)
    states.withUnsafeBufferPointer { s in
      previous.withUnsafeBufferPointer { p in
        stateGradient.withUnsafeBufferPointer { ds in
          tape.withUnsafeBufferPointer { tape in
            recurrentBias.withUnsafeBufferPointer { bias in
              deltaX.withUnsafeMutableBufferPointer { dx in
                deltaH.withUnsafeMutablePointerOrNil { dh in
                  carry.withUnsafeMutableBufferPointer { carry in
                    cellCarry.withUnsafeMutableBufferPointer { cellCarry in
                      stash.withUnsafeMutableBufferPointer { stash in
                        recurrentWeights.withUnsafeBufferPointer { w in
                          let dh = dh ?? dx.baseAddress!
                          let pointers = StepPointers(
                            s: s.baseAddress!, p: p.baseAddress!, ds: ds.baseAddress!, tape: tape.baseAddress,
                            hnBias: bias.baseAddress! + 2 * h, dx: dx.baseAddress!, dh: dh, carry: carry.baseAddress!,
                            cellCarry: cellCarry.baseAddress!, n: n, batch: batch)
                          for order in 0..<steps {
                            let t = reversed ? order : steps - 1 - order
                            // The sequences not running at step t (a padded batch's): their
                            // carries pass unchanged and their columns get no gradient.
                            var idle = 0
                            if let lengths {
                              while idle < batch && lengths[shortestFirst[idle]] <= t { idle += 1 }
                            }
                            let notRunning = shortestFirst[0..<idle]
                            for (j, b) in notRunning.enumerated() {
                              for r in 0..<h {
                                stash[r * idle + j] = carry[r * batch + b]
                                stash[(h + r) * idle + j] = cellCarry[r * batch + b]
                              }
                            }
                            stepBackward(pointers, t: t)
                            for (j, b) in notRunning.enumerated() {
                              for r in 0..<h {
                                carry[r * batch + b] = stash[r * idle + j]
                                cellCarry[r * batch + b] = stash[(h + r) * idle + j]
                              }
                              for row in 0..<g {
                                dx[row * n + t * batch + b] = 0
                                dh[row * n + t * batch + b] = 0
                              }
                            }
                            // dh_{t−1} = W_hhᵀ · Δ_h,t (+ what the step left in the carry).
                            GEMMOperands(
                              transposeA: true, m: h, n: batch, k: g, a: w.baseAddress, lda: h,
                              b: dh + t * batch, ldb: n, beta: carriesState ? 1 : 0, c: carry.baseAddress!, ldc: batch
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
    let recurrentDelta = deltaH ?? deltaX
    let inputBias = deltaX.sum(axis: 1)
    let isLSTM: Bool = if case .lstm = kind { true } else { false }
    return Gradients(
      inputWeights: Self.product(deltaX, x, transposeB: true, backend: backend),
      recurrentWeights: Self.product(recurrentDelta, previous, transposeB: true, backend: backend),
      inputBias: inputBias, recurrentBias: deltaH?.sum(axis: 1) ?? inputBias,
      input: Self.product(inputWeights, deltaX, transposeA: true, backend: backend),
      initialState: carry, initialCell: isLSTM ? cellCarry : nil)
  }

  /// H_prev, H × T·B: the state each column's step starts from: step t − 1's forward (t + 1
  /// reversed), h_0 for each sequence's first step (t = 0 forward, its last step reversed). Two
  /// row copies per unit for a full batch.
  private func previousStates(_ states: Matrix<Scalar>, h0: Matrix<Scalar>, batch: Int) -> Matrix<Scalar> {
    let (h, n) = (hidden, states.columns)
    let steps = n / batch
    return Matrix<Scalar>(
      rows: h, columns: n,
      initializingEvery: { p in
        states.withUnsafeBufferPointer { s in
          h0.withUnsafeBufferPointer { h0 in
            let (p, s, h0) = (p.baseAddress!, s.baseAddress!, h0.baseAddress!)
            guard let lengths else {
              for r in 0..<h {
                let (target, source, first) = (p + r * n, s + r * n, h0 + r * batch)
                if reversed {
                  target.update(from: source + batch, count: n - batch)
                  (target + n - batch).update(from: first, count: batch)
                } else {
                  target.update(from: first, count: batch)
                  (target + batch).update(from: source, count: n - batch)
                }
              }
              return
            }
            for r in 0..<h {
              for t in 0..<steps {
                for b in 0..<batch {
                  // (Steps past a sequence's end are not run: h_0 there too, unread.)
                  p[r * n + t * batch + b] =
                    isFirst(t, lengths[b]) || t >= lengths[b]
                    ? h0[r * batch + b] : s[r * n + (reversed ? t + 1 : t - 1) * batch + b]
                }
              }
            }
          }
        }
      })
  }

  /// The buffers one step's backward reads and writes (all H × T·B or G·H × T·B with row stride
  /// n, but the carries, H × B).
  struct StepPointers {
    /// The states, H_prev, dL/d(state).
    let s: UnsafePointer<Scalar>
    let p: UnsafePointer<Scalar>
    let ds: UnsafePointer<Scalar>
    /// The ``GateTape`` (nil for the vanilla cell).
    let tape: UnsafePointer<Scalar>?
    /// The GRU's b_hn (H).
    let hnBias: UnsafePointer<Scalar>
    /// Δ_x and Δ_h (the same buffer but for the GRU).
    let dx: UnsafeMutablePointer<Scalar>
    let dh: UnsafeMutablePointer<Scalar>
    let carry: UnsafeMutablePointer<Scalar>
    let cellCarry: UnsafeMutablePointer<Scalar>
    let n: Int
    let batch: Int
  }

  /// Δ_x and Δ_h of step t (columns t·B ..< (t+1)·B) from dh = dL/dh_t + the carried gradient,
  /// for every column; leaves in `carry` what of dh_{t−1} does not go through W_hh (zero, or
  /// the GRU's z ⊙ dh). One pass over contiguous columns per unit.
  private func stepBackward(_ q: StepPointers, t: Int) {
    let (h, n, batch) = (hidden, q.n, q.batch)
    let c0 = t * batch
    switch kind {
    case .vanilla(let activation):
      for r in 0..<h {
        let (ds, s, dx, carry) = (q.ds + r * n + c0, q.s + r * n + c0, q.dx + r * n + c0, q.carry + r * batch)
        switch activation {
        case .tanh: for k in 0..<batch { dx[k] = (ds[k] + carry[k]) * (1 - s[k] * s[k]) }
        case .sigmoid: for k in 0..<batch { dx[k] = (ds[k] + carry[k]) * (s[k] * (1 - s[k])) }
        case .relu: for k in 0..<batch { dx[k] = s[k] > 0 ? ds[k] + carry[k] : 0 }
        case .identity: for k in 0..<batch { dx[k] = ds[k] + carry[k] }
        }
        carry.update(repeating: 0, count: batch)
      }
    case .lstm:
      let tape = q.tape!
      for r in 0..<h {
        let (ds, carry, cellCarry) = (q.ds + r * n + c0, q.carry + r * batch, q.cellCarry + r * batch)
        let row = { (gate: Int) in tape + (gate * h + r) * n + c0 }
        let (i, f, gg, o, before, tanhC) = (row(0), row(1), row(2), row(3), row(4), row(5))
        let delta = { (gate: Int) in q.dx + (gate * h + r) * n + c0 }
        let (di, df, dg, d_o) = (delta(0), delta(1), delta(2), delta(3))
        for k in 0..<batch {
          let dh = ds[k] + carry[k]
          let dc = cellCarry[k] + dh * o[k] * (1 - tanhC[k] * tanhC[k])
          di[k] = dc * gg[k] * i[k] * (1 - i[k])
          df[k] = dc * before[k] * f[k] * (1 - f[k])
          dg[k] = dc * i[k] * (1 - gg[k] * gg[k])
          d_o[k] = dh * tanhC[k] * o[k] * (1 - o[k])
          cellCarry[k] = dc * f[k]
          carry[k] = 0
        }
      }
    case .gru:
      let tape = q.tape!
      for r in 0..<h {
        let (ds, carry, before) = (q.ds + r * n + c0, q.carry + r * batch, q.p + r * n + c0)
        let row = { (gate: Int) in tape + (gate * h + r) * n + c0 }
        let (rGate, z, nGate, hn) = (row(0), row(1), row(2), row(3))
        let hnBias = q.hnBias[r]
        let (dr, dz, dn) = (q.dx + r * n + c0, q.dx + (h + r) * n + c0, q.dx + (2 * h + r) * n + c0)
        let (dhr, dhz, dhn) = (q.dh + r * n + c0, q.dh + (h + r) * n + c0, q.dh + (2 * h + r) * n + c0)
        for k in 0..<batch {
          let dh = ds[k] + carry[k]
          let dnk = dh * (1 - z[k]) * (1 - nGate[k] * nGate[k])
          let dzk = dh * (before[k] - nGate[k]) * z[k] * (1 - z[k])
          let drk = dnk * (hn[k] + hnBias) * rGate[k] * (1 - rGate[k])
          dr[k] = drk
          dhr[k] = drk
          dz[k] = dzk
          dhz[k] = dzk
          dn[k] = dnk
          dhn[k] = dnk * rGate[k]
          carry[k] = dh * z[k]
        }
      }
    }
  }

  /// Whether step t is the first a sequence of `length` steps runs: t = 0 forward, its last
  /// step reversed.
  @inline(__always)
  private func isFirst(_ t: Int, _ length: Int) -> Bool {
    reversed ? t == length - 1 : t == 0
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

extension Optional {
  /// Calls `body` with the wrapped matrix's storage, or with `nil`.
  fileprivate mutating func withUnsafeMutablePointerOrNil<Scalar, R>(
    _ body: (UnsafeMutablePointer<Scalar>?) -> R
  ) -> R where Wrapped == Matrix<Scalar> {
    guard self != nil else { return body(nil) }
    return self!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
  }
}
