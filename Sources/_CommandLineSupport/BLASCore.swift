public import ArgumentParser
public import BLASDiagnostics
public import DenseMatrix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The tools' `--blas-core auto|keep|NAME`.
public enum BLASCoreChoice: Hashable, Sendable, ExpressibleByArgument, CustomStringConvertible {
  /// Switch to the best core once, by re-executing, when OpenBLAS's own pick is stale and
  /// `OPENBLAS_CORETYPE` is unset, or when `OPENBLAS_CORETYPE` names a core the CPU lacks (the
  /// default).
  case auto
  /// Change nothing; stop before any BLAS call if the core in use cannot run on this CPU.
  case keep
  /// Run this core (re-executing with `OPENBLAS_CORETYPE` set), if the CPU can.
  case named(String)

  public init?(argument: String) {
    switch argument.lowercased() {
    case "auto": self = .auto
    case "keep": self = .keep
    case "": return nil
    default: self = .named(argument)
    }
  }

  public var description: String {
    switch self {
    case .auto: return "auto"
    case .keep: return "keep"
    case .named(let name): return name
    }
  }

  public var defaultValueDescription: String { description }

  /// The help text the tools share.
  public static let help: ArgumentHelp = """
    The OpenBLAS kernel set: auto (switch once to the best core for this CPU when OpenBLAS's own \
    pick is stale and OPENBLAS_CORETYPE is unset, or when OPENBLAS_CORETYPE names a core this CPU \
    cannot run), keep (stops with exit 1 if the core in use cannot run here), or a core name such \
    as Haswell, Zen or SkylakeX (refused if this CPU cannot run it).
    """
}

/// What a tool does about the BLAS core when it starts.
public enum BLASCoreAction: Hashable, Sendable {
  /// Nothing.
  case proceed
  /// Run again with `OPENBLAS_CORETYPE` set to this core.
  case reexecute(core: String)
  /// Stop with this message: the option asks for something this BLAS or CPU cannot do (a
  /// usage error, exit 64).
  case refuse(String)
  /// Stop with this message before any BLAS call: the kernels in use would die of SIGILL and
  /// the choice forbids switching them (a runtime error, exit 1).
  case unrunnable(String)

  /// The decision, from the report and the environment alone (so that it is testable with
  /// fixture CPUs): never a core the CPU lacks, never a second re-execution, and never against
  /// an `OPENBLAS_CORETYPE` the user set unless `choice` names a core or the core it names
  /// cannot run on this CPU (then `auto` replaces it with the best one, and `keep` stops).
  public init(choice: BLASCoreChoice, report: BLAS.KernelReport, alreadyReexecuted: Bool) {
    if case .unsupported = report.verdict, choice == .keep {
      self = .unrunnable(
        "\(report.problem ?? report.description); --blas-core \(choice) keeps it, and the first BLAS call would "
          + "die of SIGILL (or use --blas-core auto to replace it)")
      return
    }
    switch choice {
    case .keep:
      self = .proceed
    case .auto:
      if case .unsupported = report.verdict {
        guard report.isDynamicArch, !alreadyReexecuted, let best = report.bestCore else {
          self = .unrunnable(
            "\(report.problem ?? report.description); --blas-core auto cannot replace it "
              + (alreadyReexecuted ? "(the re-executed process still runs it)" : "(this OpenBLAS is built for one CPU)")
          )
          return
        }
        self = .reexecute(core: best.name)
        return
      }
      guard report.verdict == .stale, report.isDynamicArch, report.forcedCore == nil, !alreadyReexecuted,
        let best = report.bestCore
      else {
        self = .proceed
        return
      }
      self = .reexecute(core: best.name)
    case .named(let name):
      guard report.configuration.hasPrefix("OpenBLAS") else {
        self = .refuse("--blas-core: this build uses \(report.configuration), not OpenBLAS")
        return
      }
      let version = report.version ?? OpenBLASVersion(0, 3, 0)
      guard let core = OpenBLASCore.named(name), let since = core.forcibleSince, since <= version else {
        let known = OpenBLASCore.all.filter { $0.forcibleSince.map { $0 <= version } == true }.map(\.name)
        let reason =
          OpenBLASCore.named(name)?.forcibleSince.map { "needs OpenBLAS \($0) or later" }
          ?? "is not a core this package sets"
        self = .refuse("--blas-core: '\(name)' \(reason); use auto, keep or one of \(known.joined(separator: ", "))")
        return
      }
      if let cpu = report.cpu, !core.runs(on: cpu) {
        let missing = CPUFeature.allCases.filter { core.requiredFeatures.contains($0) && !cpu.features.contains($0) }
        self = .refuse(
          "--blas-core: \(core.name) needs \(missing.map(\.displayName).joined(separator: ", ")), which this CPU (\(cpu.name)) lacks"
        )
        return
      }
      let running = OpenBLASCore.named(report.core)
      if report.core.lowercased() == core.name.lowercased() || (alreadyReexecuted && running?.tier == core.tier) {
        self = .proceed
      } else if alreadyReexecuted || !report.isDynamicArch {
        self = .refuse(
          "--blas-core: OpenBLAS runs \(report.core) and cannot be switched to \(core.name) (\(report.configuration))")
      } else {
        self = .reexecute(core: core.name)
      }
    }
  }
}

/// Applies `--blas-core` at a tool's start: re-executes the process once with
/// `OPENBLAS_CORETYPE` set when the choice calls for it, prints the kernel report's warning on
/// standard error when the core in use is stale or unsupported, and returns a line that says
/// which kernel runs and who chose it, for reports.
///
/// - Throws: `ValidationError` when the choice is refused.
public func applyBLASCore(_ choice: BLASCoreChoice, tool: String) throws -> String {
  let marker = "SWIFT_BLAS_RNN_BLAS_CORE_PICKED"
  let picked = getenv(marker).map { String(cString: $0) }
  let report = BLAS.kernelReport
  switch BLASCoreAction(choice: choice, report: report, alreadyReexecuted: picked != nil) {
  case .refuse(let message):
    throw ValidationError(message)
  case .unrunnable(let message):
    printError("\(tool): error: \(message)")
    throw ExitCode.failure
  case .reexecute(let core):
    let original =
      report.forcedCore.map { "OPENBLAS_CORETYPE=\($0) gave" }
      ?? "\(report.version.map { "OpenBLAS \($0)" } ?? "OpenBLAS") picked"
    let unsupported: Bool
    if case .unsupported = report.verdict { unsupported = true } else { unsupported = false }
    if unsupported, let warning = report.warning {
      printError("\(tool): \(warning); running \(core) instead (--blas-core \(choice))")
    }
    setenv(marker, "\(choice)|\(original) \(report.core)", 1)
    setenv("OPENBLAS_CORETYPE", core, 1)
    fflush(nil)  // what was printed so far, once
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // Only reached if exec failed: go on with the current core, unless it cannot run here.
    let reason = String(cString: strerror(errno))
    unsetenv(marker)
    if unsupported {
      printError(
        "\(tool): error: could not re-execute with OPENBLAS_CORETYPE=\(core) (\(reason)), and \(report.core) cannot run here"
      )
      throw ExitCode.failure
    }
    printError("\(tool): warning: could not re-execute with OPENBLAS_CORETYPE=\(core): \(reason)")
  case .proceed:
    break
  }
  // A core the user named is their choice: no warning about it being below the best. A core
  // that auto replaced was warned about before the re-execution.
  if case .named = choice {
  } else if let warning = report.warning {
    printError("\(tool): \(warning)")
  }
  if let picked {
    unsetenv(marker)  // not for the processes this one starts
    let parts = picked.split(separator: "|", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { return report.description }
    return "kernel \(report.core), set by --blas-core \(parts[0]); \(parts[1]) here"
  }
  return report.description
}

/// Writes `line` and a newline to standard error.
public func printError(_ line: String) {
  let bytes = Array((line + "\n").utf8)
  _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
