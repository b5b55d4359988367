public import DenseMatrix

/// The sequence indices `0 ..< count` shuffled and cut into consecutive minibatches of `size`
/// (the last one smaller when `size` does not divide `count`, as a `DataLoader` with
/// `shuffle=True, drop_last=False` makes them): one epoch's order.
///
/// The shuffle is Fisher–Yates from the last index down, swapping index i with
/// `generator.next() % (i + 1)`, so that a seeded generator gives the same batches on every
/// machine and Swift version (`SeededGenerator` draws one number per index).
///
/// - Precondition: `count ≥ 0` and `size ≥ 1`.
/// - Complexity: O(count).
public func minibatches<Generator: RandomNumberGenerator>(
  count: Int, size: Int, using generator: inout Generator
) -> [[Int]] {
  precondition(count >= 0 && size >= 1, "minibatches: count must be ≥ 0 and size ≥ 1, got \(count) and \(size)")
  var order = Array(0..<count)
  var i = count - 1
  while i > 0 {
    let j = Int(generator.next() % UInt64(i + 1))
    order.swapAt(i, j)
    i -= 1
  }
  return stride(from: 0, to: count, by: size).map { Array(order[$0..<min($0 + size, count)]) }
}

extension Matrix {
  /// The rows of the sequences `batch` (sequence indices) of a `(blocks · B) × F` matrix whose
  /// row `k · B + b` is block k's (a step's, or a layer and direction's state) sequence b:
  /// `(blocks · batch.count) × F`, in the order of `batch`.
  ///
  /// - Precondition: `rows` is a multiple of `batchSize` and every index is in `0 ..< batchSize`.
  /// - Complexity: O(blocks · batch.count · F).
  public func sequences(_ batch: [Int], of batchSize: Int) -> Matrix {
    precondition(batchSize >= 1 && rows % batchSize == 0, "Matrix.sequences: rows must be a multiple of B")
    precondition(batch.allSatisfy { (0..<batchSize).contains($0) }, "Matrix.sequences: an index is out of range")
    let blocks = rows / batchSize
    var scalars: [Scalar] = []
    scalars.reserveCapacity(blocks * batch.count * columns)
    withUnsafeBufferPointer { source in
      for block in 0..<blocks {
        for b in batch {
          let start = (block * batchSize + b) * columns
          scalars.append(contentsOf: source[start..<(start + columns)])
        }
      }
    }
    return Matrix(rows: blocks * batch.count, columns: columns, scalars: scalars)
  }
}
