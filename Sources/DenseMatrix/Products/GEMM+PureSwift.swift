// The pure-Swift backend: a GotoBLAS/BLIS-style GEMM (packed panels, a register-blocked
// micro-kernel, cache blocking) and streaming GEMV kernels.
//
// The kernels use plain multiply-then-add on SIMD vectors, never `addingProduct`/`fma`: in a
// default (baseline x86-64) build those become calls into libm. Built for a newer CPU
// (`-Xswiftc -target-cpu -Xswiftc x86-64-v3`), the same code compiles to 256-bit AVX.

/// Register block: the micro-kernel computes an `mr × nr` tile of C, `nr` the lanes of one 32-byte
/// vector (`Scalar._Lanes`: 4 doubles or 8 floats). 6 rows of two 128-bit halves keep 12
/// accumulators + 3 operands within x86-64's 16 SSE registers, for either type.
private let mr = 6
/// Cache blocks: an `mc × kc` block of packed A (~240 KiB) stays in L2, a `kc × nr` micro-panel
/// of packed B (8 KiB) in L1, and a `kc × nc` block of packed B in L3.
private let kc = 256
private let mc = 96
private let nc = 2048
/// Each packed A value is stored `broadcast` times (the lanes of a 16-byte half: 2 doubles or 4
/// floats), so the kernel loads a ready-made vector instead of splatting a scalar (SSE2 has no
/// load-and-broadcast; splatting costs a shuffle and a register copy per value, which made the
/// kernel dispatch-bound).
extension GEMMOperands {
  private var nr: Int { Scalar._Lanes.scalarCount }
  private var broadcast: Int { Scalar._HalfLanes.scalarCount }
  private var lanes: Int { Scalar._Lanes.scalarCount }
}

extension GEMMOperands {
  /// The pure-Swift backend. Requires `m, n, k > 0` and `alpha != 0` (checked by ``run(_:)``).
  func runPureSwift() {
    if n == 1 {
      // C (m×1) = alpha · op(A) · x + beta · C, x = op(B) with stride ldb (or 1 if transposed).
      gemv(
        transpose: transposeA, rows: m, columns: k, matrix: a!, ld: lda, x: b!, incx: transposeB ? 1 : ldb,
        y: c!, incy: ldc)
    } else if m == 1 {
      // Cᵀ (n×1) = alpha · op(B)ᵀ · op(A)ᵀ + beta · Cᵀ.
      gemv(
        transpose: !transposeB, rows: n, columns: k, matrix: b!, ld: ldb, x: a!, incx: transposeA ? lda : 1,
        y: c!, incy: 1)
    } else {
      packedGEMM()
    }
  }

  /// `y = alpha · M · x + beta · y` where M is `rows × columns` (`transpose == false`: M is the
  /// stored row-major matrix; `true`: M is the transpose of a stored `columns × rows` matrix).
  private func gemv(
    transpose: Bool, rows: Int, columns: Int, matrix: UnsafePointer<Scalar>, ld: Int,
    x: UnsafePointer<Scalar>, incx: Int, y: UnsafeMutablePointer<Scalar>, incy: Int
  ) {
    let scratch = PackingBuffers.forCurrentThread()
    // A contiguous copy of x (k values) when it is strided.
    let xs: UnsafePointer<Scalar>
    if incx == 1 {
      xs = x
    } else {
      let buffer: UnsafeMutablePointer<Scalar> = scratch.vector(columns)
      for p in 0..<columns { buffer[p] = x[p * incx] }
      xs = UnsafePointer(buffer)
    }
    if !transpose {
      dotRows(rows: rows, columns: columns, matrix: matrix, ld: ld, x: xs, y: y, incy: incy)
    } else {
      axpyRows(rows: rows, columns: columns, matrix: matrix, ld: ld, x: xs, y: y, incy: incy, scratch: scratch)
    }
  }

  /// y[i] = alpha · ⟨row i, x⟩ + beta · y[i], four rows at a time, one 32-byte vector accumulator
  /// per row.
  private func dotRows(
    rows: Int, columns: Int, matrix: UnsafePointer<Scalar>, ld: Int, x: UnsafePointer<Scalar>,
    y: UnsafeMutablePointer<Scalar>, incy: Int
  ) {
    let vectorEnd = columns - columns % lanes
    var i = 0
    while i < rows {
      let count = min(4, rows - i)
      var sums = SIMD4<Scalar>()
      if count == 4 {
        let r0 = matrix + i * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld
        var a0 = Scalar._Lanes(), a1 = Scalar._Lanes(), a2 = Scalar._Lanes(), a3 = Scalar._Lanes()
        var p = 0
        while p < vectorEnd {
          let xv = load(x + p)
          a0 += load(r0 + p) * xv
          a1 += load(r1 + p) * xv
          a2 += load(r2 + p) * xv
          a3 += load(r3 + p) * xv
          p += lanes
        }
        sums = SIMD4(a0.sum(), a1.sum(), a2.sum(), a3.sum())
        while p < columns {
          sums += SIMD4(r0[p], r1[p], r2[p], r3[p]) * x[p]
          p += 1
        }
      } else {
        for r in 0..<count {
          let row = matrix + (i + r) * ld
          var acc = Scalar._Lanes()
          var p = 0
          while p < vectorEnd {
            acc += load(row + p) * load(x + p)
            p += lanes
          }
          var s = acc.sum()
          while p < columns {
            s += row[p] * x[p]
            p += 1
          }
          sums[r] = s
        }
      }
      for r in 0..<count {
        let target = y + (i + r) * incy
        target.pointee = beta == 0 ? alpha * sums[r] : alpha * sums[r] + beta * target.pointee
      }
      i += 4
    }
  }

  /// y = alpha · Σₚ x[p] · (row p of the stored matrix) + beta · y: for `Mᵀ · x`, streaming the
  /// stored rows, in blocks of 64 outputs held in a contiguous accumulator.
  private func axpyRows(
    rows: Int, columns: Int, matrix: UnsafePointer<Scalar>, ld: Int, x: UnsafePointer<Scalar>,
    y: UnsafeMutablePointer<Scalar>, incy: Int, scratch: PackingBuffers
  ) {
    let block = 64
    let acc: UnsafeMutablePointer<Scalar> = scratch.accumulator(block)
    var i0 = 0
    while i0 < rows {
      let width = min(block, rows - i0)
      let vectorEnd = width - width % lanes
      acc.update(repeating: 0, count: block)
      for p in 0..<columns {
        let row = matrix + p * ld + i0
        let xp = Scalar._Lanes(repeating: x[p])
        var i = 0
        while i < vectorEnd {
          store(load(acc + i) + load(row + i) * xp, acc + i)
          i += lanes
        }
        while i < width {
          acc[i] += row[i] * x[p]
          i += 1
        }
      }
      for i in 0..<width {
        let target = y + (i0 + i) * incy
        target.pointee = beta == 0 ? alpha * acc[i] : alpha * acc[i] + beta * target.pointee
      }
      i0 += block
    }
  }

  /// C = alpha · op(A) · op(B) + beta · C with packed panels and the `mr × nr` micro-kernel
  /// (6 × 4 for Double, 6 × 8 for Float: one 32-byte vector per row).
  private func packedGEMM() {
    let (a, b, c) = (self.a!, self.b!, self.c!)
    let buffers = PackingBuffers.forCurrentThread()
    let packedA: UnsafeMutablePointer<Scalar> = buffers.a(((mc + mr - 1) / mr) * mr * kc * broadcast)
    let packedB: UnsafeMutablePointer<Scalar> = buffers.b(((nc + nr - 1) / nr) * nr * kc)
    var jc = 0
    while jc < n {
      let ncb = min(nc, n - jc)
      var pc = 0
      while pc < k {
        let kcb = min(kc, k - pc)
        packB(b, rows: pc, count: kcb, columns: jc, width: ncb, into: packedB)
        var ic = 0
        while ic < m {
          let mcb = min(mc, m - ic)
          packA(a, rows: ic, height: mcb, columns: pc, count: kcb, into: packedA)
          var jr = 0
          while jr < ncb {
            let nrb = min(nr, ncb - jr)
            var ir = 0
            while ir < mcb {
              let mrb = min(mr, mcb - ir)
              microKernel(
                kc: kcb, a: packedA + ir * kcb * broadcast, b: packedB + jr * kcb, c: c + (ic + ir) * ldc + jc + jr,
                rows: mrb, columns: nrb, accumulate: pc > 0)
              ir += mr
            }
            jr += nr
          }
          ic += mc
        }
        pc += kc
      }
      jc += nc
    }
  }

  /// Packs op(A)[row ..< row+height, column ..< column+count] into micro-panels of `mr` rows:
  /// for each panel, for each p, `mr` values each repeated `broadcast` times (zero-padded past
  /// the edge).
  private func packA(
    _ a: UnsafePointer<Scalar>, rows row: Int, height: Int, columns column: Int, count: Int,
    into packed: UnsafeMutablePointer<Scalar>
  ) {
    var out = packed
    var i = 0
    while i < height {
      let h = min(mr, height - i)
      for p in 0..<count {
        for r in 0..<mr {
          var value: Scalar = 0
          if r < h {
            let (ii, pp) = (row + i + r, column + p)
            value = transposeA ? a[pp * lda + ii] : a[ii * lda + pp]
          }
          for copy in 0..<broadcast { out[r * broadcast + copy] = value }
        }
        out += mr * broadcast
      }
      i += mr
    }
  }

  /// Packs op(B)[row ..< row+count, column ..< column+width] into micro-panels of `nr`
  /// columns: for each panel, for each p, `nr` consecutive values (zero-padded past the edge).
  private func packB(
    _ b: UnsafePointer<Scalar>, rows row: Int, count: Int, columns column: Int, width: Int,
    into packed: UnsafeMutablePointer<Scalar>
  ) {
    var out = packed
    var j = 0
    while j < width {
      let w = min(nr, width - j)
      if !transposeB && w == nr {
        var source = b + row * ldb + column + j
        for _ in 0..<count {
          store(load(source), out)
          source += ldb
          out += nr
        }
      } else {
        for p in 0..<count {
          for q in 0..<nr {
            if q < w {
              let (pp, jj) = (row + p, column + j + q)
              out[q] = transposeB ? b[jj * ldb + pp] : b[pp * ldb + jj]
            } else {
              out[q] = 0
            }
          }
          out += nr
        }
      }
      j += nr
    }
  }

  /// The register-blocked kernel: an `mr × nr` tile (6 × 4 Double, 6 × 8 Float) of `op(A) · op(B)` over `kc` packed values,
  /// then `C = alpha · tile + beta · C` (first k-block) or `C += alpha · tile` (later blocks).
  @inline(__always)
  private func microKernel(
    kc: Int, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, c: UnsafeMutablePointer<Scalar>,
    rows: Int, columns: Int, accumulate: Bool
  ) {
    var c0 = Scalar._Lanes(), c1 = Scalar._Lanes(), c2 = Scalar._Lanes()
    var c3 = Scalar._Lanes(), c4 = Scalar._Lanes(), c5 = Scalar._Lanes()
    var pa = a
    var pb = b
    let (step, width) = (broadcast, nr)
    for _ in 0..<kc {
      let bv = load(pb)
      c0 += splat(pa) * bv
      c1 += splat(pa + step) * bv
      c2 += splat(pa + 2 * step) * bv
      c3 += splat(pa + 3 * step) * bv
      c4 += splat(pa + 4 * step) * bv
      c5 += splat(pa + 5 * step) * bv
      pa += mr * step
      pb += width
    }
    let tile = (c0, c1, c2, c3, c4, c5)
    let scale = Scalar._Lanes(repeating: alpha)
    let betaV = Scalar._Lanes(repeating: beta)
    withUnsafeBytes(of: tile) { raw in
      let t = raw.baseAddress!.assumingMemoryBound(to: Scalar.self)
      if columns == nr {
        for r in 0..<rows {
          let target = c + r * ldc
          let value = scale * load(t + r * nr)
          if accumulate || beta == 1 {
            store(load(target) + value, target)
          } else if beta == 0 {
            store(value, target)
          } else {
            store(value + betaV * load(target), target)
          }
        }
      } else {
        for r in 0..<rows {
          for q in 0..<columns {
            let target = c + r * ldc + q
            let value = alpha * t[r * nr + q]
            if accumulate || beta == 1 {
              target.pointee += value
            } else if beta == 0 {
              target.pointee = value
            } else {
              target.pointee = value + beta * target.pointee
            }
          }
        }
      }
    }
  }
}

@inline(__always)
private func load<Scalar: BLASScalar>(_ p: UnsafePointer<Scalar>) -> Scalar._Lanes {
  UnsafeRawPointer(p).loadUnaligned(as: Scalar._Lanes.self)
}

@inline(__always)
private func load<Scalar: BLASScalar>(_ p: UnsafeMutablePointer<Scalar>) -> Scalar._Lanes {
  UnsafeRawPointer(p).loadUnaligned(as: Scalar._Lanes.self)
}

/// A vector of copies of `p[0]`, read from `broadcast` stored copies: one 16-byte load used for
/// both halves, no shuffle.
@inline(__always)
private func splat<Scalar: BLASScalar>(_ p: UnsafePointer<Scalar>) -> Scalar._Lanes {
  let half = UnsafeRawPointer(p).loadUnaligned(as: Scalar._HalfLanes.self)
  return Scalar._lanes(half, half)
}

@inline(__always)
private func store<Scalar: BLASScalar>(_ v: Scalar._Lanes, _ p: UnsafeMutablePointer<Scalar>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: Scalar._Lanes.self)
}
