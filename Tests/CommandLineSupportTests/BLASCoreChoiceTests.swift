import BLASDiagnostics
import DenseMatrix
import Testing
import _CommandLineSupport

/// `--blas-core auto|keep|NAME`: the decision, on fixture CPUs and OpenBLAS picks.
@Suite("--blas-core")
struct BLASCoreChoiceTests {
  static let avx512: Set<CPUFeature> = Set(CPUFeature.allCases).subtracting([.avx512bf16])
  static let xeon = CPUInfo(
    vendorID: "GenuineIntel", family: 6, model: 207, name: "Intel(R) Xeon(R) Gold 6530", features: avx512)
  static let zen3 = CPUInfo(
    vendorID: "AuthenticAMD", family: 25, model: 33, name: "AMD Ryzen 9 5950X",
    features: [.sse3, .ssse3, .sse4_2, .avx, .fma, .avx2])
  static let debian = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64"

  static func report(
    core: String, forced: String? = nil, cpu: CPUInfo = xeon, configuration: String = debian
  )
    -> BLAS.KernelReport
  {
    BLAS.KernelReport(configuration: configuration, core: core, forcedCore: forced, cpu: cpu)
  }

  @Test func parsesTheArgument() {
    #expect(BLASCoreChoice(argument: "auto") == .auto && BLASCoreChoice(argument: "KEEP") == .keep)
    #expect(BLASCoreChoice(argument: "SkylakeX") == .named("SkylakeX"))
    #expect(BLASCoreChoice(argument: "") == nil)
  }

  @Test func autoSwitchesOnceFromAStalePick() {
    let stale = Self.report(core: "Prescott")
    #expect(BLASCoreAction(choice: .auto, report: stale, alreadyReexecuted: false) == .reexecute(core: "SkylakeX"))
    // Never twice (a loop guard), never against the user's OPENBLAS_CORETYPE, never when fine.
    #expect(BLASCoreAction(choice: .auto, report: stale, alreadyReexecuted: true) == .proceed)
    #expect(
      BLASCoreAction(choice: .auto, report: Self.report(core: "Prescott", forced: "Prescott"), alreadyReexecuted: false)
        == .proceed)
    #expect(BLASCoreAction(choice: .auto, report: Self.report(core: "SkylakeX"), alreadyReexecuted: false) == .proceed)
    #expect(
      BLASCoreAction(choice: .auto, report: Self.report(core: "Haswell", cpu: Self.zen3), alreadyReexecuted: false)
        == .proceed)
    // A build for one CPU cannot be switched: auto leaves it (the warning names the fix).
    let fixed = Self.report(core: "Prescott", configuration: "OpenBLAS 0.3.21 NO_AFFINITY Prescott")
    #expect(BLASCoreAction(choice: .auto, report: fixed, alreadyReexecuted: false) == .proceed)
    #expect(BLASCoreAction(choice: .keep, report: stale, alreadyReexecuted: false) == .proceed)
  }

  @Test func aNamedCoreIsSetOnlyIfTheCPUAndTheVersionCanRunIt() {
    let zen = Self.report(core: "Zen", cpu: Self.zen3)
    #expect(
      BLASCoreAction(choice: .named("haswell"), report: zen, alreadyReexecuted: false) == .reexecute(core: "Haswell"))
    #expect(BLASCoreAction(choice: .named("Zen"), report: zen, alreadyReexecuted: false) == .proceed)
    #expect(
      BLASCoreAction(choice: .named("SkylakeX"), report: zen, alreadyReexecuted: false)
        == .refuse(
          "--blas-core: SkylakeX needs AVX-512F, AVX-512CD, AVX-512DQ, AVX-512BW, AVX-512VL, which this CPU (AMD Ryzen 9 5950X) lacks"
        ))
    guard
      case .refuse(let message) = BLASCoreAction(choice: .named("Cooperlake"), report: zen, alreadyReexecuted: false)
    else {
      Issue.record("Cooperlake was accepted on OpenBLAS 0.3.21")
      return
    }
    #expect(message.contains("'Cooperlake' is not a core this package sets"))
    guard case .refuse(let unknown) = BLASCoreAction(choice: .named("Pentium"), report: zen, alreadyReexecuted: false)
    else {
      Issue.record("an unknown core was accepted")
      return
    }
    #expect(unknown.contains("Prescott, Core2, Nehalem, Sandybridge, Haswell, Zen, SkylakeX"))
    // After a re-execution that did not take, stop with a message instead of looping; a core
    // of the same tier under another name (0.3.34 forced to Prescott says Katmai) is accepted.
    guard
      case .refuse = BLASCoreAction(
        choice: .named("SkylakeX"), report: Self.report(core: "Haswell"), alreadyReexecuted: true)
    else {
      Issue.record("a second re-execution was allowed")
      return
    }
    #expect(BLASCoreAction(choice: .named("Haswell"), report: zen, alreadyReexecuted: true) == .proceed)
    #expect(
      BLASCoreAction(
        choice: .named("Prescott"), report: Self.report(core: "Katmai", forced: "Prescott"), alreadyReexecuted: true)
        == .proceed)
    // Another BLAS: the option does not apply.
    let blis = Self.report(core: "haswell", configuration: "BLIS 0.9.0 (haswell)")
    #expect(
      BLASCoreAction(choice: .named("Haswell"), report: blis, alreadyReexecuted: false)
        == .refuse("--blas-core: this build uses BLIS 0.9.0 (haswell), not OpenBLAS"))
    #expect(BLASCoreAction(choice: .auto, report: blis, alreadyReexecuted: false) == .proceed)
  }
  /// `OPENBLAS_CORETYPE` naming a core the CPU lacks (SkylakeX on a Zen 3): `auto` replaces it
  /// with the best core despite the user's setting, `keep` stops before any BLAS call (exit 1),
  /// a named core that runs is switched to, and a build that cannot switch stops.
  @Test func aForcedCoreTheCPULacksIsReplacedOrRefusedNeverRun() {
    let forced = Self.report(core: "SkylakeX", forced: "SkylakeX", cpu: Self.zen3)
    guard case .unsupported = forced.verdict else {
      Issue.record("SkylakeX on a Zen 3 should be unsupported: \(forced.verdict)")
      return
    }
    #expect(BLASCoreAction(choice: .auto, report: forced, alreadyReexecuted: false) == .reexecute(core: "Zen"))
    #expect(
      BLASCoreAction(choice: .named("Haswell"), report: forced, alreadyReexecuted: false)
        == .reexecute(core: "Haswell"))
    guard case .unrunnable(let keep) = BLASCoreAction(choice: .keep, report: forced, alreadyReexecuted: false) else {
      Issue.record("keep let a core the CPU lacks run")
      return
    }
    #expect(keep.contains("AVX-512F") && keep.contains("would die of SIGILL"), "\(keep)")
    // After a re-execution that did not take, or in a build for one CPU: stop, never run it.
    guard case .unrunnable = BLASCoreAction(choice: .auto, report: forced, alreadyReexecuted: true) else {
      Issue.record("auto ran an unsupported core after re-executing")
      return
    }
    let fixed = Self.report(
      core: "SkylakeX", cpu: Self.zen3, configuration: "OpenBLAS 0.3.21 NO_AFFINITY SkylakeX MAX_THREADS=64")
    guard case .unrunnable = BLASCoreAction(choice: .auto, report: fixed, alreadyReexecuted: false) else {
      Issue.record("auto ran a single-CPU build's unsupported core")
      return
    }
  }
}
