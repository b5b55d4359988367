extension GEMMOperands {
  /// The plain triple loop: each element is `alpha · Σₚ op(A)[i,p] · op(B)[p,j] + beta · C[i,j]`,
  /// summed in order p = 0, 1, …, k-1. Slow and obviously right: the oracle for the other backends.
  ///
  /// Requires `m, n, k > 0` (checked by ``run(_:)``).
  package func runReference() {
    let (a, b, c) = (self.a!, self.b!, self.c!)
    for i in 0..<m {
      for j in 0..<n {
        var sum: Scalar = 0
        for p in 0..<k {
          let x = transposeA ? a[p * lda + i] : a[i * lda + p]
          let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
          sum += x * y
        }
        let old = c[i * ldc + j]
        c[i * ldc + j] = beta == 0 ? alpha * sum : alpha * sum + beta * old
      }
    }
  }
}
