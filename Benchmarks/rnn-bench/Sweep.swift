import CBLAS
import DenseMatrix
import RNN

/// The raw rows' bias and activation: a plain bias loop, then the library's public `tanh` kernel
/// on the contiguous buffer, so that "vs raw" measures the library's overhead, not a different
/// `tanh`.
private func biasTanh(_ c: inout [Double], _ bias: [Double], _ batch: Int) {
  c.withUnsafeMutableBufferPointer { c in
    for r in 0..<bias.count {
      for j in 0..<batch { c[r * batch + j] += bias[r] }
    }
    Activation.tanh.apply(to: c)
  }
}

/// The formulation sweep: every selected formulation and backend at every size and batch.
struct Sweep {
  var sizes: [Int]
  var batches: [Int]
  var steps: Int
  var formulations: [Formulation]
  var backends: [Backend]
  var includeRaw: Bool
  var samples: Int
  var minTime: Double
  var progress: (String) -> Void

  func run() -> (rows: [Row], verification: [Verification]) {
    var rows: [Row] = []
    var verification: [Verification] = []
    for size in sizes {
      for batch in batches {
        var rng = SeededGenerator(seed: UInt64(size * 1000 + batch))
        let cell = try! RNNCell.random(hiddenSize: size, inputSize: size, using: &rng)
        let inputs = (0..<steps).map { _ in Matrix.randomNormal(rows: size, columns: batch, using: &rng) }
        let sequence = hstack(inputs)
        let h0 = Matrix.randomNormal(rows: size, columns: batch, standardDeviation: 0.5, using: &rng)
        let flopsPerStep = 2.0 * Double(size) * Double(2 * size) * Double(batch)
        func row(_ formulation: String, _ backend: String, _ samples: Samples) -> Row {
          progress("n = \(size), B = \(batch): \(formulation) on \(backend): \(micro(samples.median)) µs/step")
          return Row(
            size: size, batch: batch, steps: steps, formulation: formulation, backend: backend,
            medianNanosecondsPerStep: samples.median, minNanosecondsPerStep: samples.min,
            maxNanosecondsPerStep: samples.max, gflops: flopsPerStep / samples.median,
            samples: samples.nanosecondsPerStep.count)
        }
        for backend in backends {
          var bound = cell
          bound.backend = backend
          for formulation in formulations {
            var workspace = bound.makeWorkspace(batchSize: batch, initialState: h0)
            let result: Samples
            if formulation == .hoisted {
              var states = Matrix.zeros(rows: size, columns: steps * batch)
              result = measure(samples: samples, minTime: minTime, stepsPerCall: steps) {
                bound.forward(inputs: sequence, into: &workspace, states: &states, formulation: .hoisted)
                return states.withUnsafeBufferPointer { $0[$0.count - 1] }
              }
            } else {
              var t = 0
              result = measure(samples: samples, minTime: minTime, stepsPerCall: 1) {
                bound.step(x: inputs[t % steps], into: &workspace, formulation: formulation)
                t += 1
                return workspace.withState { $0[0] }
              }
            }
            rows.append(row(formulation.rawValue, backend.rawValue, result))
          }
        }
        if includeRaw {
          rows.append(row("fused", "raw-cblas", rawFused(cell, h0, inputs)))
          rows.append(row("split", "raw-cblas", rawSplit(cell, h0, inputs)))
        }
        verification.append(verify(cell, inputs: Array(inputs.prefix(5)), h0: h0))
      }
    }
    return (rows, verification)
  }

  /// Every formulation and backend from the same state over the same inputs, against split on BLAS.
  private func verify(_ cell: RNNCell, inputs: [Matrix], h0: Matrix) -> Verification {
    var reference = cell
    reference.backend = .blas
    let expected = hstack(reference.forward(inputs: inputs, initialState: h0, formulation: .split))
    var maxDifference = 0.0
    var close = true
    for backend in Backend.allCases {
      var bound = cell
      bound.backend = backend
      for formulation in Formulation.allCases {
        let got = hstack(bound.forward(inputs: inputs, initialState: h0, formulation: formulation))
        maxDifference = max(maxDifference, zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0)
        close = close && allclose(got, expected, rtol: 1e-12, atol: 1e-12)
      }
    }
    return Verification(size: cell.hiddenSize, batch: h0.columns, maxAbsDifference: maxDifference, allclose: close)
  }

  /// The fused step written directly against CBLAS on preallocated buffers: copy `x_t` into
  /// `[h; x]`, one `cblas_dgemv` (B = 1) or `cblas_dgemm`, bias and `tanh`, and the new `h`
  /// copied back. Same data, same recurrence as the library's rows.
  private func rawFused(_ cell: RNNCell, _ h0: Matrix, _ inputs: [Matrix]) -> Samples {
    let m = cell.hiddenSize, nx = cell.inputSize, k = m + nx, batch = h0.columns
    let a = cell.fusedWeights.scalars
    let bias = cell.bias.scalars
    let xs = inputs.map(\.scalars)
    var s = h0.scalars + [Double](repeating: 0, count: nx * batch)
    var c = [Double](repeating: 0, count: m * batch)
    var t = 0
    return measure(samples: samples, minTime: minTime, stepsPerCall: 1) {
      s.withUnsafeMutableBufferPointer { s in
        xs[t % xs.count].withUnsafeBufferPointer { x in
          (s.baseAddress! + m * batch).update(from: x.baseAddress!, count: nx * batch)
        }
        if batch == 1 {
          cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, a, Int32(k), s.baseAddress, 1, 0, &c, 1)
        } else {
          cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(batch), Int32(k), 1, a, Int32(k),
            s.baseAddress, Int32(batch), 0, &c, Int32(batch))
        }
        biasTanh(&c, bias, batch)
        (s.baseAddress!).update(from: c, count: m * batch)
      }
      t += 1
      return s[0]
    }
  }

  /// The split step written directly against CBLAS: `W_hx · x_t`, then `W_hh · h` accumulated
  /// (beta = 1), then bias and `tanh`, and the new `h` copied back.
  private func rawSplit(_ cell: RNNCell, _ h0: Matrix, _ inputs: [Matrix]) -> Samples {
    let m = cell.hiddenSize, nx = cell.inputSize, batch = h0.columns
    let whh = cell.hiddenToHidden.scalars, whx = cell.inputToHidden.scalars
    let bias = cell.bias.scalars
    let xs = inputs.map(\.scalars)
    var h = h0.scalars
    var c = [Double](repeating: 0, count: m * batch)
    var t = 0
    return measure(samples: samples, minTime: minTime, stepsPerCall: 1) {
      let x = xs[t % xs.count]
      if batch == 1 {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(nx), 1, whx, Int32(nx), x, 1, 0, &c, 1)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(m), 1, whh, Int32(m), h, 1, 1, &c, 1)
      } else {
        cblas_dgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(batch), Int32(nx), 1, whx, Int32(nx), x,
          Int32(batch), 0, &c, Int32(batch))
        cblas_dgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(batch), Int32(m), 1, whh, Int32(m), h,
          Int32(batch), 1, &c, Int32(batch))
      }
      biasTanh(&c, bias, batch)
      h.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: c, count: m * batch) }
      t += 1
      return h[0]
    }
  }
}
