public import BLASDiagnostics
import _ActivationKernels

/// Which implementation runs the bias-and-activation pass of ``Activation`` over a block.
///
/// Every path is one C implementation in clang's vector extensions (16, 8 or 4 doubles per vector,
/// branch-free), compiled once per instruction set. A Swift package cannot pass `-target-cpu`, so
/// a default build targets baseline x86-64 (SSE2): the portable path is that build's own
/// instructions, and the AVX2 and AVX-512 paths are compiled with function-level `target`
/// attributes (no `unsafeFlags`) and chosen once at run time from `CPUInfo.current`
/// (`BLASDiagnostics`). All compute
/// the algorithms of the scalar functions (``Activation/callAsFunction(_:)->Double``), within 2 ulp of
/// the exact results; on x86-64 the portable path (no FMA) gives the scalar results bit for bit.
///
/// The default is ``best``; ``withActivationPath(_:_:)`` forces one for a scope (tests and the
/// benchmark use it to check and time every path the CPU supports).
public enum ActivationPath: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// The build's baseline instructions, 16 doubles at a time: SSE2 on x86-64 (no FMA), NEON on
  /// arm64. Every machine.
  case portable
  /// 4 doubles per vector with FMA: CPUs with AVX2 and FMA.
  case avx2
  /// 8 doubles per vector: CPUs with AVX-512F.
  case avx512

  /// The instruction sets the path executes.
  public var requiredFeatures: Set<CPUFeature> {
    switch self {
    case .portable: return []
    case .avx2: return [.avx, .avx2, .fma]
    case .avx512: return [.avx, .avx2, .fma, .avx512f]
    }
  }

  /// Whether the path can run on `cpu` (and this build has it: the C kernels exist on x86-64).
  public func isSupported(by cpu: CPUInfo?) -> Bool {
    guard self != .portable else { return true }
    guard swift_blas_rnn_activation_kernels_available() != 0, let cpu else { return false }
    return requiredFeatures.isSubset(of: cpu.features)
  }

  /// The widest path `cpu` supports.
  public static func best(for cpu: CPUInfo?) -> ActivationPath {
    [.avx512, .avx2].first { $0.isSupported(by: cpu) } ?? .portable
  }

  /// The widest path this machine supports, chosen once.
  public static let best = best(for: CPUInfo.current)

  /// The paths this machine supports, narrowest first.
  public static var supported: [ActivationPath] { allCases.filter { $0.isSupported(by: CPUInfo.current) } }

  /// The path activations use: ``best`` unless changed for the current task (and its child
  /// tasks) by ``withActivationPath(_:_:)``.
  @TaskLocal public static var current: ActivationPath = best

  /// The name, as the benchmark prints it.
  public var description: String { rawValue }

  /// The elements of `Scalar` the activation kernels take at once on this path (16 `Float`s
  /// with AVX-512, 8 with AVX2, 32 on the portable path): a row whose length is not a multiple
  /// of it ends in a slower tail.
  package func lanes<Scalar>(of _: Scalar.Type) -> Int {
    (self == .avx512 ? 64 : self == .avx2 ? 32 : 128) / MemoryLayout<Scalar>.stride
  }
}

/// Runs `body` with ``ActivationPath/current`` set to `path` for the current task.
///
/// - Precondition: this CPU supports `path` (another would stop with SIGILL).
public func withActivationPath<R, E: Error>(_ path: ActivationPath, _ body: () throws(E) -> R) throws(E) -> R {
  checkPrecondition(
    path.isSupported(by: CPUInfo.current),
    "withActivationPath: \(path) needs \(CPUFeature.allCases.filter(path.requiredFeatures.contains).map(\.displayName).joined(separator: ", ")), which this CPU does not have"
  )
  var result: Result<R, E>?
  ActivationPath.$current.withValue(path) {
    do throws(E) { result = .success(try body()) } catch { result = .failure(error) }
  }
  return try result!.get()
}
