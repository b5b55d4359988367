/// A failure reported by LAPACK, or operands that do not fit a LAPACK routine.
public enum LAPACKError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The operands' shapes do not fit the routine.
  case shape(ShapeError)
  /// The matrix is exactly singular: `U[info, info]` of its LU factorisation is zero
  /// (`info` is LAPACK's 1-based index).
  case singular(routine: String, info: Int32)
  /// LAPACK reported `info != 0` for another reason: negative `info` means argument `-info` had
  /// an illegal value; positive `info` is routine-specific (for example, no convergence).
  case failed(routine: String, info: Int32)
  /// The matrix has a NaN or infinite entry, which the routine cannot take (LAPACK would report
  /// an illegal argument or return NaN; numpy raises `LinAlgError`).
  case notFinite(routine: String)

  /// A message naming the routine and LAPACK's `info`.
  public var description: String {
    switch self {
    case .shape(let error):
      return error.description
    case .singular(let routine, let info):
      return "\(routine): the matrix is singular (U[\(info),\(info)] is exactly zero, info = \(info))"
    case .failed(let routine, let info) where info < 0:
      return "\(routine): argument \(-info) had an illegal value (info = \(info))"
    case .failed(let routine, let info):
      return "\(routine): failed with info = \(info)"
    case .notFinite(let routine):
      return "\(routine): the matrix must be finite, but it has a NaN or infinite entry"
    }
  }
}
