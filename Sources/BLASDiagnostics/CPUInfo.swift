#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The processor this process runs on, as far as the BLAS kernel choice depends on it: vendor,
/// family and model, and the vector instruction sets the CPU *and the operating system* support.
///
/// On Linux the facts come from `/proc/cpuinfo`, whose `flags` line lists only what the kernel
/// lets programs use (AVX-512 is absent when the OS does not save its registers), so a core
/// chosen from these features never executes an instruction the machine refuses.
/// ``parse(procCPUInfo:)`` reads the same text from a fixture, so every decision that depends on
/// the CPU is testable on any machine.
public struct CPUInfo: Hashable, Sendable, CustomStringConvertible {
  /// The `vendor_id` string, e.g. `GenuineIntel` or `AuthenticAMD`.
  public var vendorID: String
  /// The display family (`cpu family` in `/proc/cpuinfo`), e.g. 6 for Intel Core, 25 for AMD Zen 3/4.
  public var family: Int
  /// The display model, e.g. 143 for Sapphire Rapids.
  public var model: Int
  /// The marketing name (`model name`).
  public var name: String
  /// The instruction sets that matter for BLAS kernels.
  public var features: Set<CPUFeature>

  /// Creates a description of a CPU.
  public init(vendorID: String, family: Int, model: Int, name: String, features: Set<CPUFeature>) {
    self.vendorID = vendorID
    self.family = family
    self.model = model
    self.name = name
    self.features = features
  }

  /// Whether the vendor is AMD (or Hygon, whose cores are AMD's Zen).
  public var isAMD: Bool { vendorID == "AuthenticAMD" || vendorID == "HygonGenuine" }

  /// `AMD EPYC (family 25, model 1; SSE3 … AVX2 FMA)`: for reports.
  public var description: String {
    let listed = CPUFeature.allCases.filter(features.contains).map(\.displayName).joined(separator: " ")
    return "\(name) (\(vendorID) family \(family), model \(model); \(listed.isEmpty ? "no SIMD features" : listed))"
  }

  /// Reads the first processor's entry of a `/proc/cpuinfo` text.
  ///
  /// - Returns: `nil` if the text has no `vendor_id`, `cpu family` or `model` line (for
  ///   example on a non-x86 machine).
  /// - Complexity: O(text length).
  public static func parse(procCPUInfo text: String) -> CPUInfo? {
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.allSatisfy(\.isWhitespace) {
        if !fields.isEmpty { break }  // the end of the first processor's block
        continue
      }
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = line[..<colon].trimmingWhitespace()
      if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingWhitespace() }
    }
    guard let vendor = fields["vendor_id"], let family = fields["cpu family"].flatMap({ Int($0) }),
      let model = fields["model"].flatMap({ Int($0) })
    else { return nil }
    let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
    let features = Set(CPUFeature.allCases.filter { flags.contains($0.procCPUInfoFlag) })
    return CPUInfo(
      vendorID: vendor, family: family, model: model, name: fields["model name"] ?? "unknown", features: features)
  }

  /// This machine's CPU, read once from `/proc/cpuinfo`; `nil` where that file does not
  /// describe an x86 CPU.
  ///
  /// For tests of CPU-dependent behaviour, the environment variable `SWIFT_BLAS_RNN_CPUINFO`
  /// may name a file in `/proc/cpuinfo`'s format to read instead (a fixture CPU: the kernel
  /// report, `--blas-core` and the kernel check then judge that CPU).
  public static let current: CPUInfo? =
    readTextFile(getenv("SWIFT_BLAS_RNN_CPUINFO").map { String(cString: $0) } ?? "/proc/cpuinfo")
    .flatMap(parse(procCPUInfo:))
}

/// A vector instruction set a BLAS kernel may need.
public enum CPUFeature: String, CaseIterable, Hashable, Sendable {
  /// SSE3 (`pni`): OpenBLAS's oldest x86-64 kernels (Prescott).
  case sse3
  /// Supplemental SSE3 (Core2).
  case ssse3
  /// SSE4.2 (Nehalem).
  case sse4_2
  /// 256-bit AVX (Sandybridge).
  case avx
  /// Fused multiply-add on 256-bit vectors (with AVX2: Haswell, Zen).
  case fma
  /// AVX2 (Haswell, Zen).
  case avx2
  /// AVX-512 Foundation (SkylakeX and later).
  case avx512f
  /// AVX-512 Conflict Detection.
  case avx512cd
  /// AVX-512 Doubleword and Quadword.
  case avx512dq
  /// AVX-512 Byte and Word.
  case avx512bw
  /// AVX-512 Vector Length extensions (OpenBLAS's own AVX-512 test).
  case avx512vl
  /// AVX-512 BFloat16 (Cooperlake, Sapphire Rapids, Zen 4 and 5).
  case avx512bf16

  /// The flag `/proc/cpuinfo` lists for it (SSE3 is `pni`, "Prescott New Instructions").
  public var procCPUInfoFlag: String {
    switch self {
    case .sse3: return "pni"
    case .avx512bf16: return "avx512_bf16"
    default: return rawValue
    }
  }

  /// The name people write: `SSE4.2`, `AVX-512F`, ...
  public var displayName: String {
    switch self {
    case .sse3: return "SSE3"
    case .ssse3: return "SSSE3"
    case .sse4_2: return "SSE4.2"
    case .avx: return "AVX"
    case .fma: return "FMA"
    case .avx2: return "AVX2"
    case .avx512f: return "AVX-512F"
    case .avx512cd: return "AVX-512CD"
    case .avx512dq: return "AVX-512DQ"
    case .avx512bw: return "AVX-512BW"
    case .avx512vl: return "AVX-512VL"
    case .avx512bf16: return "AVX-512-BF16"
    }
  }
}

extension Substring {
  fileprivate func trimmingWhitespace() -> String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}
