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
  /// need none (their gates are on the tape): `nil`.
  let recurrentBias: Matrix<Scalar>?
  let reversed: Bool
  /// Each sequence's length for a padded batch (`nil`: every sequence has every step): steps
  /// at or past a sequence's length are not run, as `pack_padded_sequence` has it (the
  /// backward direction starts at the sequence's last step).
  var lengths: [Int]? = nil
  /// An LSTM's projection W_hr (P × H, PyTorch's `proj_size`): h = W_hr (o ⊙ tanh(c)), and
  /// W_hh is 4H × P.
  var projectionWeights: Matrix<Scalar>? = nil
  /// The cell's packed copies of W_hh, whose `W_hhᵀ` the per-step `Δ · W_hh` runs on with
  /// ``DenseMatrix/Backend/packed`` where the packed kernel's rule says it beats BLAS.
  let packedRecurrent: PackedRecurrentWeights<Scalar>

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

  /// Where one layer and direction's gradients go: the network's dictionary of parameter
  /// gradients (each entry overwritten in place when it has the shape, else made), under this
  /// cell's names, and the rows of dL/dh_0 and dL/dc_0 (`(D · L · B) ×` h's and c's size) of
  /// this cell.
  struct Targets {
    var parameters: [String: Matrix<Scalar>]
    var initialState: Matrix<Scalar>
    /// An LSTM's; `.empty` for the others.
    var initialCell: Matrix<Scalar>
    let names: CellParameterNames
    let hasBias: Bool
    /// The cell's first row of the state matrices: `(layer · D + direction) · B`.
    let stateRow: Int
  }

  /// The gradients, given the forward pass's input `x` (N × I, N = T · B; zero at a padded
  /// batch's steps not run, which dW_ih's product reads), its output `output`
  /// (N × D·H; this direction's states in columns `column ..< column + H`), its tape (N × the
  /// kind's ``Kind/tapeWidth(hidden:)``; `nil` for the vanilla cell), the network's initial
  /// states `h0` (`(D · L · B) × H`, this cell's rows from `targets.stateRow`; `nil` for zero),
  /// and the gradients of the loss with respect to the output (`outputGradient`, shaped like
  /// `output`, the same columns) and to h_n and c_n (`finalState`, `finalCell`, shaped like
  /// `h0`, or `nil` for zero; the last step is t = T − 1 forward, t = 0 reversed). dL/dX goes
  /// into `inputGradient` (N × I), added to what is there with `accumulate` (the second
  /// direction); the parameters' gradients, dL/dh_0 and dL/dc_0 into `targets`. The pass's own
  /// buffers come from `scratch` and go back to it: with the targets reused, no allocation.
  ///
  /// - Complexity: O(T · B · G·H · (I + H)): three products over all steps and one per step.
  func gradients(
    x: Matrix<Scalar>, output: Matrix<Scalar>, column: Int, tape: Matrix<Scalar>?, h0: Matrix<Scalar>?, batch: Int,
    outputGradient: Matrix<Scalar>, finalState: Matrix<Scalar>?, finalCell: Matrix<Scalar>?,
    inputGradient: inout Matrix<Scalar>, accumulate: Bool, into targets: inout Targets, scratch: ScratchPool,
    backend: Backend
  ) {
    let (h, g, n, units) = (hidden, gateRows, x.rows, units)
    let steps = n / batch
    let stateRow = targets.stateRow
    var previous: Matrix<Scalar> = scratch.matrix(rows: n, columns: h)
    previousStates(output, column: column, h0: h0, h0Row: stateRow, batch: batch, into: &previous)
    // The gradients of the pre-activations, a row per step and sequence: input side (Δ_x) and
    // recurrent side (Δ_h): the same matrix but for the GRU, whose n gate's recurrent part is
    // multiplied by r. (Every element is written by the steps below.)
    var deltaX: Matrix<Scalar> = scratch.matrix(rows: n, columns: g)
    var deltaH: Matrix<Scalar>? = isGRU ? scratch.matrix(rows: n, columns: g) : nil
    // The carried dL/dh_t and dL/dc_t (B × P or H, B × H), from dL/dh_n and dL/dc_n's rows.
    var carry: Matrix<Scalar> = scratch.matrix(rows: batch, columns: h)
    var cellCarry: Matrix<Scalar> = scratch.matrix(rows: batch, columns: units)
    carry.copyRows(of: finalState, from: stateRow)
    cellCarry.copyRows(of: finalCell, from: stateRow)
    // With a projection: each row's dL/dh (N × P), each step's dL/d(o ⊙ tanh c) (B × H), and
    // zeros for the kernel's own dL/dh.
    let projecting = projectionWeights != nil
    var stateDelta: Matrix<Scalar> = projecting ? scratch.matrix(rows: n, columns: h) : .empty
    var projected: Matrix<Scalar> = projecting ? scratch.matrix(rows: batch, columns: units) : .empty
    var noGradient: Matrix<Scalar> = projecting ? scratch.matrix(rows: 1, columns: units) : .empty
    noGradient.copyRows(of: nil, from: 0)
    let projection = projectionWeights ?? .empty
    // Whether a step leaves a part of dh_{t−1} in the carry before Δ_h W_hh is added: the GRU's
    // z ⊙ dh, and a padded batch's sequences that are not running (their carry passes).
    let carriesState = isGRU || lengths != nil
    // dh_{t−1}ᵀ = W_hhᵀ Δ_h,tᵀ on W_hhᵀ packed once, as the forward's W_hh · h: for a batch of
    // one, Δ's row and the carry are already those columns; for more, Δ_h,t and the carry are
    // transposed into and out of the kernel's layout (B × G·H and B × H elements a step, against
    // the product's B · G·H · H multiply-adds).
    let transposedPack: PackedMatrix<Scalar>? =
      backend == .packed && PackedMatrix<Scalar>.beatsBLAS(rows: h, columns: g, n: batch, on: ActivationPath.current)
      ? packedRecurrent.transposedMatrix(packing: recurrentWeights, forVectors: batch == 1) : nil
    let transposing = transposedPack != nil && batch > 1
    var deltaColumns: Matrix<Scalar> = transposing ? scratch.matrix(rows: g, columns: batch) : .empty
    var carryColumns: Matrix<Scalar> = transposing ? scratch.matrix(rows: h, columns: batch) : .empty
    let tape = tape ?? .empty
    let recurrentBias = self.recurrentBias ?? .empty
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
                                  stride: output.columns, tape: tape.baseAddress,
                                  hnBias: bias.baseAddress.map { $0 + 2 * units },
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
                                  if let transposedPack {
                                    recurrentProduct(
                                      transposedPack, delta: dh + t * batch * g, batch: batch, beta: carriesState,
                                      carry: carry.baseAddress!, deltaColumns: &deltaColumns,
                                      carryColumns: &carryColumns)
                                  } else {
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
    }
    let recurrentDelta = deltaH ?? deltaX
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
    let names = targets.names
    // dW_ih = Δ_xᵀ X, dW_hh = Δ_hᵀ H_prev: one product each over all steps.
    Self.product(deltaX, x, into: &targets.parameters, names.inputWeights, backend: backend)
    Self.product(recurrentDelta, previous, into: &targets.parameters, names.recurrentWeights, backend: backend)
    if targets.hasBias {
      // dL/db = Σ rows of Δ (both PyTorch biases of the LSTM and the vanilla cell get the same:
      // one sum, copied).
      var ones: Matrix<Scalar> = scratch.matrix(rows: n, columns: 1)
      ones.withUnsafeMutableBufferPointer { $0.update(repeating: 1) }
      Self.columnSums(deltaX, ones: ones, into: &targets.parameters, names.inputBias, backend: backend)
      if let deltaH {
        Self.columnSums(deltaH, ones: ones, into: &targets.parameters, names.recurrentBias, backend: backend)
      } else {
        let sums = targets.parameters[names.inputBias]!
        Self.write(&targets.parameters, names.recurrentBias, rows: sums.rows, columns: 1) { target in
          sums.withUnsafeBufferPointer { target?.update(from: $0.baseAddress!, count: $0.count) }
        }
      }
      scratch.keep(ones)
    }
    // dW_hr = Σ_t dL/dh_tᵀ (o_t ⊙ tanh c_t), one product over all steps.
    if projecting {
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
      Self.product(stateDelta, m, into: &targets.parameters, names.projectionWeights, backend: backend)
      scratch.keep(m)
      scratch.keep(stateDelta)
      scratch.keep(projected)
      scratch.keep(noGradient)
    }
    // dL/dh_0 and dL/dc_0: what is left in the carries, into this cell's rows.
    targets.initialState.setRows(from: stateRow, to: carry)
    if case .lstm = kind { targets.initialCell.setRows(from: stateRow, to: cellCarry) }
    if transposing {
      scratch.keep(deltaColumns)
      scratch.keep(carryColumns)
    }
    scratch.keep(deltaX)
    scratch.keep(previous)
    scratch.keep(carry)
    scratch.keep(cellCarry)
    if let deltaH { scratch.keep(deltaH) }
  }

  /// H_prev, N × H: the state each row's step starts from: step t − 1's forward (t + 1
  /// reversed), h_0 for each sequence's first step (t = 0 forward, its last step reversed). A
  /// row copy each.
  private func previousStates(
    _ output: Matrix<Scalar>, column: Int, h0: Matrix<Scalar>?, h0Row: Int, batch: Int,
    into previous: inout Matrix<Scalar>
  ) {
    let (h, n, stride) = (hidden, output.rows, output.columns)
    let steps = n / batch
    previous.withUnsafeMutableBufferPointer { p in
      output.withUnsafeBufferPointer { s in
        h0.withUnsafeOptionalPointer { h0 in
          guard let p = p.baseAddress, let s = s.baseAddress else { return }
          for t in 0..<steps {
            for b in 0..<batch {
              let length = lengths?[b] ?? steps
              let target = p + (t * batch + b) * h
              // (Steps past a sequence's end are not run: h_0 there too, unread.)
              guard isFirst(t, length) || t >= length else {
                target.update(from: s + ((reversed ? t + 1 : t - 1) * batch + b) * stride + column, count: h)
                continue
              }
              if let h0 {
                target.update(from: h0 + (h0Row + b) * h, count: h)
              } else {
                target.update(repeating: 0, count: h)
              }
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
    let hnBias: UnsafePointer<Scalar>?
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

  /// `carry = (beta ? carry : 0) + delta · W_hh` (`delta` B × G·H, `carry` B × H) as
  /// `carryᵀ = W_hhᵀ deltaᵀ` on the packed `W_hhᵀ`: for B = 1 in place (a row is a column), else
  /// through `deltaColumns` (G·H × B) and `carryColumns` (H × B) and the transpose kernel.
  @inline(__always)
  private func recurrentProduct(
    _ packed: PackedMatrix<Scalar>, delta: UnsafePointer<Scalar>, batch: Int, beta: Bool,
    carry: UnsafeMutablePointer<Scalar>, deltaColumns: inout Matrix<Scalar>, carryColumns: inout Matrix<Scalar>
  ) {
    let (h, g) = (hidden, gateRows)
    guard batch > 1 else {
      return packed.multiply(delta, ldh: 1, columns: 1, beta: beta ? 1 : 0, into: carry, ldc: 1)
    }
    deltaColumns.withUnsafeMutableBufferPointer { d in
      carryColumns.withUnsafeMutableBufferPointer { c in
        let (d, c) = (d.baseAddress!, c.baseAddress!)
        transpose(delta, rows: batch, columns: g, into: d)
        if beta { transpose(carry, rows: batch, columns: h, into: c) }
        packed.multiply(d, ldh: batch, columns: batch, beta: beta ? 1 : 0, into: c, ldc: batch)
        transpose(c, rows: h, columns: batch, into: carry)
      }
    }
  }

  /// Whether step t is the first a sequence of `length` steps runs: t = 0 forward, its last
  /// step reversed.
  @inline(__always)
  private func isFirst(_ t: Int, _ length: Int) -> Bool {
    reversed ? t == length - 1 : t == 0
  }

  /// `parameters[name] = aᵀ · b` (`a` N × m, `b` N × k: an m × k sum over the N rows), one
  /// `cblas_?gemm`, into the matrix already there when it is m × k (no allocation).
  static func product(
    _ a: Matrix<Scalar>, _ b: Matrix<Scalar>, into parameters: inout [String: Matrix<Scalar>], _ name: String,
    backend: Backend
  ) {
    let (m, n, k) = (a.columns, b.columns, a.rows)
    write(&parameters, name, rows: m, columns: n) { c in
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          GEMMOperands(
            transposeA: true, m: m, n: n, k: k, a: a.baseAddress, lda: max(1, m), b: b.baseAddress, ldb: max(1, n),
            c: c, ldc: max(1, n)
          ).run(backend)
        }
      }
    }
  }

  /// `parameters[name]` = the sums of each column of `matrix` (N × G·H) as a G·H × 1 column (a
  /// bias's gradient): `matrixᵀ · ones`, one `cblas_?gemv`, into the matrix already there when
  /// it has that shape.
  static func columnSums(
    _ matrix: Matrix<Scalar>, ones: Matrix<Scalar>, into parameters: inout [String: Matrix<Scalar>], _ name: String,
    backend: Backend
  ) {
    write(&parameters, name, rows: matrix.columns, columns: 1) { sums in
      matrix.withUnsafeBufferPointer { m in
        ones.withUnsafeBufferPointer { ones in
          GEMMOperands(
            transposeA: true, m: matrix.columns, n: 1, k: matrix.rows, a: m.baseAddress, lda: max(1, matrix.columns),
            b: ones.baseAddress, ldb: 1, c: sums, ldc: 1
          ).run(backend)
        }
      }
    }
  }

  /// `body` writing every element of `parameters[name]` as a `rows × columns` matrix: the one
  /// there when it has that shape, else a new one.
  private static func write(
    _ parameters: inout [String: Matrix<Scalar>], _ name: String, rows: Int, columns: Int,
    _ body: (UnsafeMutablePointer<Scalar>?) -> Void
  ) {
    if parameters[name].map({ $0.rows != rows || $0.columns != columns }) ?? true {
      parameters[name] = Matrix(rows: rows, columns: columns, initializingEvery: { _ in })
    }
    parameters[name]!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
  }
}

extension Matrix {
  /// This matrix's rows (every column) set to `source`'s from row `first` on, or zero when
  /// `source` is `nil`: a B × k block of a `(D · L · B) × k` state matrix.
  mutating func copyRows(of source: Matrix?, from first: Int) {
    let columns = self.columns
    withUnsafeMutableBufferPointer { target in
      guard let base = target.baseAddress else { return }
      guard let source else { return base.update(repeating: 0, count: target.count) }
      source.withUnsafeBufferPointer { base.update(from: $0.baseAddress! + first * columns, count: target.count) }
    }
  }

  /// Rows `first ..< first + block.rows` set to `block`'s (the same columns).
  mutating func setRows(from first: Int, to block: Matrix) {
    let columns = self.columns
    withUnsafeMutableBufferPointer { target in
      block.withUnsafeBufferPointer { source in
        guard let base = target.baseAddress, let source = source.baseAddress else { return }
        (base + first * columns).update(from: source, count: block.count)
      }
    }
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
