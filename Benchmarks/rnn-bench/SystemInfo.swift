import BLASDiagnostics
import DenseMatrix
import Foundation

/// What the numbers were measured on.
struct SystemInfo: Codable {
  var cpu: String
  var cores: Int
  var blas: String
  var blasCore: String
  var blasThreads: Int
  /// Which kernel runs, who chose it, and the kernel report's verdict (absent in numpy's reports).
  var blasKernel: String?
  var swift: String
  var build: String

  static func current(kernel: String) -> SystemInfo {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
      cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) } ?? "unknown"
    #if DEBUG
    let build = "debug"
    #else
    let build = "release"
    #endif
    return SystemInfo(
      cpu: CPUInfo.current.map { "\($0.name) (family \($0.family), model \($0.model))" } ?? model,
      cores: ProcessInfo.processInfo.activeProcessorCount,
      blas: BLAS.configuration,
      blasCore: BLAS.coreName, blasThreads: BLAS.threadCount, blasKernel: kernel, swift: swiftVersion,
      build: build)
  }

  var lines: [String] {
    var lines = [
      "CPU: \(cpu), \(cores) cores",
      "BLAS: \(blas) (kernel \(blasCore)), \(blasThreads) thread(s)",
      "BLAS \(blasKernel ?? "kernel \(blasCore)")",
      "Swift: \(swift), \(build) build",
    ]
    if build == "debug" {
      lines.append("WARNING: DEBUG BUILD: these timings are meaningless. Use `swift run -c release rnn-bench`.")
    }
    return lines
  }
}

private var swiftVersion: String {
  #if compiler(>=6.4)
  return "6.4 or later"
  #elseif compiler(>=6.3)
  return "6.3"
  #elseif compiler(>=6.2)
  return "6.2"
  #else
  return "older than 6.2"
  #endif
}
