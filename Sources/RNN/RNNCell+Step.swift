public import DenseMatrix

extension RNNCell {
  /// Advances the workspace's hidden state by one step: `h ← g(W_hh · h + W_hx · x + b)`.
  ///
  /// No heap allocation happens here in steady state, except with
  /// ``Formulation/fusedConcatenatingEachStep`` (which joins matrices by design). With
  /// ``Formulation/hoisted`` a single step runs ``Formulation/split``.
  ///
  /// The products go through `cblas_dgemm`, or `cblas_dgemv` when the batch size is 1 (with the
  /// default `Backend.blas`).
  ///
  /// - Parameters:
  ///   - x: The input, `inputSize × workspace.batchSize`.
  ///   - workspace: Holds `h` before and after the step.
  ///   - formulation: Overrides the cell's ``formulation`` for this call.
  /// - Precondition: the workspace was made by a cell of the same sizes and `x` fits it; the
  ///   message names the shapes. Use ``step(checkingX:into:formulation:)`` for data.
  /// - Complexity: O(n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(x: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, formulation: Formulation? = nil) {
    stepError(x: x.shape, workspace: workspace).trapIfPresent()
    advance(x: x, into: &workspace, formulation: formulation ?? self.formulation)
  }

  /// Advances the workspace's state by one step, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError`; the workspace is then unchanged.
  /// - Complexity: O(n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(
    checkingX x: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, formulation: Formulation? = nil
  ) throws(ShapeError) {
    try stepError(x: x.shape, workspace: workspace).throwIfPresent()
    advance(x: x, into: &workspace, formulation: formulation ?? self.formulation)
  }

  /// One step from `h` to the next hidden state, `g(W_hh · h + W_hx · x + b)`.
  ///
  /// The convenience form of ``step(x:into:formulation:)``: it makes a workspace, so it
  /// allocates, and it returns exactly (bit for bit) what the workspace path computes.
  ///
  /// - Parameters:
  ///   - h: The previous hidden state, `hiddenSize × B` (B ≥ 1).
  ///   - x: The input, `inputSize × B`.
  ///   - formulation: Overrides the cell's ``formulation``.
  /// - Returns: The new hidden state, `hiddenSize × B`.
  /// - Precondition: the shapes fit; the message names them. Use ``step(checkingH:x:formulation:)``.
  /// - Complexity: O(n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(h: Matrix<Scalar>, x: Matrix<Scalar>, formulation: Formulation? = nil) -> Matrix<Scalar> {
    stepError(h: h.shape, x: x.shape).trapIfPresent()
    var workspace = makeWorkspace(batchSize: h.columns, initialState: h)
    advance(x: x, into: &workspace, formulation: formulation ?? self.formulation)
    return workspace.state
  }

  /// One step from `h`, throwing instead of trapping on a shape mismatch.
  ///
  /// - Throws: `ShapeError` naming the shapes, e.g.
  ///   `RNNCell.step: x must be (3×1) to match W_hx and h: (2×1), (4×1)`.
  /// - Complexity: O(n_h · (n_h + n_x) · B).
  @specialized(where Scalar == Float)
  @specialized(where Scalar == Double)
  public func step(
    checkingH h: Matrix<Scalar>, x: Matrix<Scalar>, formulation: Formulation? = nil
  ) throws(ShapeError) -> Matrix<Scalar> {
    try stepError(h: h.shape, x: x.shape).throwIfPresent()
    var workspace = makeWorkspace(batchSize: h.columns, initialState: h)
    advance(x: x, into: &workspace, formulation: formulation ?? self.formulation)
    return workspace.state
  }

  func stepError(h: Shape, x: Shape) -> ShapeError? {
    guard h.rows == hiddenSize, h.columns >= 1 else {
      return ShapeError(
        operation: "RNNCell.step", reason: "h must be (\(hiddenSize)×B) with B ≥ 1 to match W_hh",
        shapes: [hiddenToHidden.shape, h])
    }
    guard x.rows == inputSize, x.columns == h.columns else {
      return ShapeError(
        operation: "RNNCell.step", reason: "x must be (\(inputSize)×\(h.columns)) to match W_hx and h",
        shapes: [h, x])
    }
    return nil
  }

  func stepError(x: Shape, workspace: RNNWorkspace<Scalar>) -> ShapeError? {
    if let error = workspaceError(workspace) { return error }
    guard x.rows == inputSize, x.columns == workspace.batchSize else {
      return ShapeError(
        operation: "RNNCell.step",
        reason: "x must be (\(inputSize)×\(workspace.batchSize)) to match W_hx and the workspace's batch size",
        shapes: [inputToHidden.shape, x])
    }
    return nil
  }

  func workspaceError(_ workspace: RNNWorkspace<Scalar>) -> ShapeError? {
    guard workspace.hiddenSize == hiddenSize, workspace.inputSize == inputSize else {
      return ShapeError(
        operation: "RNNCell",
        reason:
          "the workspace was made for n_h = \(workspace.hiddenSize), n_x = \(workspace.inputSize), but the cell has n_h = \(hiddenSize), n_x = \(inputSize)",
        shapes: [])
    }
    return nil
  }

  private func advance(x: Matrix<Scalar>, into workspace: inout RNNWorkspace<Scalar>, formulation: Formulation) {
    x.withUnsafeBufferPointer { x_ in
      advance(x: x_.baseAddress, xStride: workspace.batchSize, workspace: &workspace, formulation: formulation)
    }
  }

  /// One step on raw buffers: `x` is n_x × B with row stride `xStride`; the new state is written
  /// into the workspace and, if given, into `output` (n_h × B, row stride `outputStride`).
  func advance(
    x: UnsafePointer<Scalar>?, xStride: Int, workspace: inout RNNWorkspace<Scalar>, formulation: Formulation,
    output: UnsafeMutablePointer<Scalar>? = nil, outputStride: Int = 0
  ) {
    let (nh, nx, batch) = (hiddenSize, inputSize, workspace.batchSize)
    let backend = resolvedBackend
    switch formulation {
    case .fused:
      workspace.stacked.withUnsafeMutableBufferPointer { stacked in
        let s = stacked.baseAddress!
        // [h; x]: write x into the lower block; the upper block already holds h.
        copyRows(x, stride: xStride, rows: nx, batch: batch, into: s + nh * batch)
        workspace.preactivation.withUnsafeMutableBufferPointer { pre in
          fusedWeights.withUnsafeBufferPointer { w in
            GEMMOperands(
              m: nh, n: batch, k: nh + nx, a: w.baseAddress, lda: nh + nx, b: s, ldb: batch,
              c: pre.baseAddress, ldc: batch
            ).run(backend)
          }
          // The new h goes straight into the upper block of [h; x].
          biasActivate(
            columns: batch, source: pre.baseAddress!, sourceStride: batch, destination: s,
            destinationStride: batch, copy: output, copyStride: outputStride)
        }
      }
    case .split, .hoisted:
      workspace.stacked.withUnsafeMutableBufferPointer { stacked in
        let h = stacked.baseAddress!
        workspace.preactivation.withUnsafeMutableBufferPointer { pre in
          // pre = W_hx · x;  pre += W_hh · h  (beta = 1: no temporary for the sum)
          inputToHidden.withUnsafeBufferPointer { w in
            GEMMOperands(
              m: nh, n: batch, k: nx, a: w.baseAddress, lda: max(1, nx), b: x, ldb: xStride,
              c: pre.baseAddress, ldc: batch
            ).run(backend)
          }
          hiddenToHidden.withUnsafeBufferPointer { w in
            GEMMOperands(
              m: nh, n: batch, k: nh, a: w.baseAddress, lda: nh, b: h, ldb: batch, beta: 1,
              c: pre.baseAddress, ldc: batch
            ).run(backend)
          }
          biasActivate(
            columns: batch, source: pre.baseAddress!, sourceStride: batch, destination: h,
            destinationStride: batch, copy: output, copyStride: outputStride)
        }
      }
    case .fusedConcatenatingEachStep:
      // The notebook, literally: join, multiply, add the bias, activate. Allocates by design.
      let input = Matrix(rows: nx, columns: batch) { r, c in x![r * xStride + c] }
      let z = withBackend(backend) {
        matmul(hstack([hiddenToHidden, inputToHidden]), vstack([workspace.state, input]))
      }
      z.withUnsafeBufferPointer { z_ in
        workspace.stacked.withUnsafeMutableBufferPointer { stacked in
          biasActivate(
            columns: batch, source: z_.baseAddress!, sourceStride: batch, destination: stacked.baseAddress!,
            destinationStride: batch, copy: output, copyStride: outputStride)
        }
      }
    }
  }
}
