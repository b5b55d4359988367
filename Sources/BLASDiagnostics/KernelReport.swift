#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import CBLAS

/// Whether the BLAS runs the kernels this CPU deserves, and if not, how to fix it.
///
/// A `DYNAMIC_ARCH` OpenBLAS picks a kernel set ("core") when it loads. An OpenBLAS older than
/// the CPU may not know it and fall back to an old core: Debian 12's OpenBLAS 0.3.21 runs its
/// SSE3 `Prescott` kernels on current Intel Xeons (family 6, model 207), 4–10× below their
/// AVX-512 speed, and says nothing. This report compares the core in use with the best one
/// this OpenBLAS has for the CPU (``OpenBLASCore/best(for:openBLASVersion:)``).
///
/// ```swift
/// let report = KernelReport.current
/// if let warning = report.warning { print(warning) }   // stale: names OPENBLAS_CORETYPE=…
/// ```
public struct KernelReport: Hashable, Sendable, CustomStringConvertible {
  /// The verdict on the core in use.
  public enum Verdict: Hashable, Sendable {
    /// The core is of the best tier this BLAS offers for the CPU.
    case fine
    /// A core of a lower tier runs; ``KernelReport/fix`` says how to get the best one.
    case stale
    /// The core executes instructions the CPU lacks (forced by `OPENBLAS_CORETYPE`): it will
    /// crash with SIGILL or, in old builds, compute wrong results.
    case unsupported(missing: [CPUFeature])
    /// The report cannot judge: another BLAS, an unreadable CPU, or an unknown core.
    case unknown(reason: String)
  }

  /// The configuration string, e.g. `OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH …`.
  public var configuration: String
  /// The OpenBLAS version, if the configuration names one.
  public var version: OpenBLASVersion?
  /// Whether the library chooses its core at load time (`DYNAMIC_ARCH`); only then can
  /// `OPENBLAS_CORETYPE` change it.
  public var isDynamicArch: Bool
  /// The core in use, as `openblas_get_corename` names it.
  public var core: String
  /// The value of `OPENBLAS_CORETYPE` when the library loaded, if it was set.
  public var forcedCore: String?
  /// The CPU, if it could be read.
  public var cpu: CPUInfo?
  /// The best core this OpenBLAS can be set to on this CPU.
  public var bestCore: OpenBLASCore?
  /// The verdict.
  public var verdict: Verdict

  /// Judges `core` on `cpu`. ``current`` passes this process's values; tests pass
  /// fixtures.
  ///
  /// - Parameters:
  ///   - configuration: The BLAS configuration string.
  ///   - core: The core in use.
  ///   - forcedCore: `OPENBLAS_CORETYPE`, if set.
  ///   - cpu: The CPU, or `nil` if unknown.
  public init(configuration: String, core: String, forcedCore: String?, cpu: CPUInfo?) {
    self.configuration = configuration
    self.version = OpenBLASVersion(configuration: configuration)
    self.isDynamicArch = configuration.split(separator: " ").contains("DYNAMIC_ARCH")
    self.core = core
    self.forcedCore = configuration.hasPrefix("OpenBLAS") ? forcedCore : nil
    self.cpu = cpu
    guard configuration.hasPrefix("OpenBLAS") else {
      bestCore = nil
      // BLIS 0.9 runs portable C kernels on CPUs it does not recognise (AMD family 26, say).
      if configuration.hasPrefix("BLIS"), core == "generic", let cpu, cpu.features.contains(.avx2) {
        verdict = .stale
      } else {
        verdict = .unknown(reason: "the BLAS is not OpenBLAS")
      }
      return
    }
    guard let cpu else {
      bestCore = nil
      verdict = .unknown(reason: "the CPU could not be read (/proc/cpuinfo)")
      return
    }
    bestCore = OpenBLASCore.best(for: cpu, openBLASVersion: version ?? OpenBLASVersion(0, 3, 0))
    guard let current = OpenBLASCore.named(core) else {
      verdict = .unknown(reason: "OpenBLAS reports the core '\(core)', which this package does not know")
      return
    }
    guard current.runs(on: cpu) else {
      verdict = .unsupported(
        missing: CPUFeature.allCases.filter { current.requiredFeatures.contains($0) && !cpu.features.contains($0) })
      return
    }
    guard let bestCore else {
      verdict = .unknown(reason: "no OpenBLAS core fits this CPU")
      return
    }
    verdict = current.tier < bestCore.tier ? .stale : .fine
  }

  /// What to do about a stale or unsupported core, or `nil` if nothing is to be done.
  public var fix: String? {
    switch verdict {
    case .fine, .unknown: return nil
    case .unsupported:
      return "unset OPENBLAS_CORETYPE (it names a core this CPU cannot run)"
    case .stale:
      guard let bestCore else {
        return "this BLIS does not recognise the CPU; build with SWIFT_BLAS_RNN_BLAS=openblas or scipy-openblas"
      }
      guard isDynamicArch else {
        return
          "this OpenBLAS is built for one CPU; use a DYNAMIC_ARCH build (Debian's libopenblas0-pthread, or scipy-openblas32 from PyPI)"
      }
      return "set OPENBLAS_CORETYPE=\(bestCore.name)"
    }
  }

  /// One line for standard error when the core is stale or unsupported, naming the fix;
  /// `nil` when it is fine or cannot be judged.
  public var warning: String? { problem.map { "warning: \($0)" } }

  /// What ``warning`` says, without its `warning: ` prefix (for an error message).
  public var problem: String? {
    guard let fix, let cpuName = cpu?.name else { return nil }
    let who = forcedCore.map { "OPENBLAS_CORETYPE=\($0) makes \(libraryName) run" } ?? "\(libraryName) runs"
    switch verdict {
    case .unsupported(let missing):
      let names = missing.map(\.displayName).joined(separator: ", ")
      return "\(who) its \(core) kernels, which need \(names), missing on this CPU (\(cpuName)): \(fix)"
    case .stale:
      let best = bestCore.map { " (best here: \($0.name))" } ?? ""
      return "\(who) its \(core) kernels on \(cpuName), below what the CPU supports\(best): \(fix)"
    case .fine, .unknown:
      return nil
    }
  }

  /// `OpenBLAS 0.3.21`, or the first two words of another BLAS's configuration (`BLIS 0.9.0`).
  private var libraryName: String {
    guard configuration.hasPrefix("OpenBLAS") else {
      return configuration.split(separator: " ").prefix(2).joined(separator: " ")
    }
    return version.map { "OpenBLAS \($0)" } ?? "OpenBLAS"
  }

  /// One line: the core, who chose it, the best core, and the verdict.
  public var description: String {
    let source = forcedCore.map { "set by OPENBLAS_CORETYPE=\($0)" } ?? "chosen by \(libraryName)"
    let best = bestCore.map { "best for this CPU: \($0.name)" } ?? "best for this CPU: unknown"
    let judgement: String
    switch verdict {
    case .fine: judgement = "fine"
    case .stale: judgement = "stale: \(fix ?? "")"
    case .unsupported: judgement = "unsupported by this CPU: \(fix ?? "")"
    case .unknown(let reason): judgement = "unknown (\(reason))"
    }
    return "kernel \(core) (\(source)); \(best); \(judgement)"
  }
}

extension KernelReport {
  /// The kernel report for this process: the core the BLAS runs, `OPENBLAS_CORETYPE`, and this
  /// machine's CPU.
  ///
  /// The corresponding functions are `openblas_get_config` and `openblas_get_corename` (BLIS:
  /// `bli_info_get_version_str` and `bli_arch_string`).
  /// - Complexity: O(1) after the first call (the CPU is read once).
  public static var current: KernelReport {
    KernelReport(
      configuration: blasConfiguration, core: blasCoreName,
      forcedCore: getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }, cpu: CPUInfo.current)
  }

  /// The provider's configuration string (`openblas_get_config`); DenseMatrix's
  /// `BLAS.configuration` reads it here.
  package static var blasConfiguration: String {
    guard let config = swift_blas_rnn_blas_config() else { return "unknown" }
    return String(cString: config)
  }

  /// The core the provider chose (`openblas_get_corename`); DenseMatrix's `BLAS.coreName` reads
  /// it here.
  package static var blasCoreName: String {
    guard let name = swift_blas_rnn_blas_corename() else { return "unknown" }
    return String(cString: name)
  }
}

/// The contents of a small text file, or `nil` if it cannot be read.
func readTextFile(_ path: String) -> String? {
  guard let file = fopen(path, "r") else { return nil }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 4096)
  while true {
    let n = fread(&chunk, 1, chunk.count, file)
    bytes += chunk[0..<n]
    if n < chunk.count || bytes.count > 1 << 22 { break }
  }
  return String(decoding: bytes, as: UTF8.self)
}
