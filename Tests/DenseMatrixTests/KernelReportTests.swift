import BLASDiagnostics
import DenseMatrix
import Testing

/// The CPU → OpenBLAS core table and the kernel report, on fixture CPUs, so that every case is
/// tested on whatever machine runs the tests.
@Suite("BLAS kernel report")
struct KernelReportTests {
  /// `/proc/cpuinfo` as Linux prints it (first processor's block, abridged to the fields read).
  static func cpuinfo(vendor: String, family: Int, model: Int, name: String, flags: String) -> String {
    """
    processor\t: 0
    vendor_id\t: \(vendor)
    cpu family\t: \(family)
    model\t\t: \(model)
    model name\t: \(name)
    stepping\t: 1
    flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr sse sse2 \(flags)

    processor\t: 1
    vendor_id\t: OtherVendor
    cpu family\t: 99

    """
  }

  static let sse = "pni ssse3 sse4_1"
  static let avx = "pni ssse3 sse4_1 sse4_2 popcnt aes xsave avx"
  static let avx2 = avx + " fma f16c bmi1 avx2 bmi2"
  static let avx512 = avx2 + " avx512f avx512dq avx512cd avx512bw avx512vl"

  /// The four classes the issue names, and AMD's Zen 4 and Zen 5.
  enum Fixture: String, CaseIterable, CustomTestStringConvertible {
    case zen3, sapphireRapids, sandyBridge, core2, zen4, zen5
    var testDescription: String { rawValue }

    var text: String {
      switch self {
      case .zen3:
        return cpuinfo(vendor: "AuthenticAMD", family: 25, model: 33, name: "AMD Ryzen 9 5950X", flags: avx2)
      case .sapphireRapids:
        return cpuinfo(
          vendor: "GenuineIntel", family: 6, model: 143, name: "Intel(R) Xeon(R) Platinum 8480+",
          flags: avx512 + " avx512_bf16 amx_bf16 amx_tile")
      case .sandyBridge:
        return cpuinfo(vendor: "GenuineIntel", family: 6, model: 42, name: "Intel(R) Core(TM) i7-2600", flags: avx)
      case .core2:
        return cpuinfo(vendor: "GenuineIntel", family: 6, model: 23, name: "Intel(R) Core(TM)2 Duo E8400", flags: sse)
      case .zen4:
        return cpuinfo(
          vendor: "AuthenticAMD", family: 25, model: 17, name: "AMD EPYC 9654", flags: avx512 + " avx512_bf16")
      case .zen5:
        return cpuinfo(
          vendor: "AuthenticAMD", family: 26, model: 2, name: "AMD EPYC 9005", flags: avx512 + " avx512_bf16")
      }
    }

    var cpu: CPUInfo { CPUInfo.parse(procCPUInfo: text)! }

    /// The best core with Debian 12's OpenBLAS 0.3.21 and with 0.3.26.
    var best: (debian: String, newer: String) {
      switch self {
      case .zen3, .zen4: return ("Zen", "Zen")
      case .sapphireRapids, .zen5: return ("SkylakeX", "SkylakeX")
      case .sandyBridge: return ("Sandybridge", "Sandybridge")
      case .core2: return ("Core2", "Core2")
      }
    }
  }

  static let debian = "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64"
  static let newer = "OpenBLAS 0.3.26 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"

  @Test func parsesTheFirstProcessor() {
    let cpu = Fixture.sapphireRapids.cpu
    #expect(cpu.vendorID == "GenuineIntel" && cpu.family == 6 && cpu.model == 143)
    #expect(cpu.name == "Intel(R) Xeon(R) Platinum 8480+")
    #expect(cpu.features == Set(CPUFeature.allCases))
    #expect(Fixture.core2.cpu.features == [.sse3, .ssse3])
    #expect(CPUInfo.parse(procCPUInfo: "processor : 0\nCPU implementer : 0x41\n") == nil)
  }

  @Test(arguments: Fixture.allCases)
  func bestCoreForEachCPUClass(fixture: Fixture) {
    let cpu = fixture.cpu
    #expect(OpenBLASCore.best(for: cpu, openBLASVersion: .init(0, 3, 21))?.name == fixture.best.debian)
    #expect(OpenBLASCore.best(for: cpu, openBLASVersion: .init(0, 3, 26))?.name == fixture.best.newer)
  }

  /// Never a core whose instructions the CPU lacks, for every fixture, every version, and every
  /// CPU that lacks one more feature than a fixture.
  @Test(arguments: Fixture.allCases)
  func neverRecommendsMissingInstructions(fixture: Fixture) {
    var cpus = [fixture.cpu]
    for feature in fixture.cpu.features {
      var reduced = fixture.cpu
      reduced.features.remove(feature)
      cpus.append(reduced)
    }
    for cpu in cpus {
      for patch in [0, 21, 22, 26, 30] {
        if let core = OpenBLASCore.best(for: cpu, openBLASVersion: .init(0, 3, patch)) {
          #expect(core.requiredFeatures.isSubset(of: cpu.features), "\(core.name) on \(cpu)")
          #expect(core.forcibleSince.map { $0 <= .init(0, 3, patch) } == true)
        } else {
          #expect(!cpu.features.contains(.sse3))
        }
      }
    }
  }

  @Test(arguments: Fixture.allCases)
  func prescottIsStaleWithTheExactFix(fixture: Fixture) throws {
    let report = BLAS.KernelReport(configuration: Self.debian, core: "Prescott", forcedCore: nil, cpu: fixture.cpu)
    #expect(report.verdict == .stale)
    #expect(report.fix == "set OPENBLAS_CORETYPE=\(fixture.best.debian)")
    let warning = try #require(report.warning)
    #expect(warning.contains("OpenBLAS 0.3.21 runs its Prescott kernels on \(fixture.cpu.name)"), "\(warning)")
    #expect(warning.hasSuffix("set OPENBLAS_CORETYPE=\(fixture.best.debian)"), "\(warning)")
    #expect(!warning.contains("\n"))
  }

  @Test(arguments: Fixture.allCases)
  func theBestCoreIsFine(fixture: Fixture) {
    let report = BLAS.KernelReport(
      configuration: Self.debian, core: fixture.best.debian, forcedCore: nil, cpu: fixture.cpu)
    #expect(report.verdict == .fine)
    #expect(report.warning == nil && report.fix == nil)
    #expect(report.description.contains("fine"))
  }

  @Test func sameTierIsFineAndOldCPUsCanBeFineOnPrescott() {
    // Haswell on Zen 3 and Cooperlake (picked by 0.3.21's feature fallback) on Zen 5: same tier.
    #expect(
      BLAS.KernelReport(configuration: Self.debian, core: "Haswell", forcedCore: nil, cpu: Fixture.zen3.cpu).verdict
        == .fine)
    #expect(
      BLAS.KernelReport(configuration: Self.debian, core: "Cooperlake", forcedCore: nil, cpu: Fixture.zen5.cpu).verdict
        == .fine)
    let sse3Only = CPUInfo(vendorID: "AuthenticAMD", family: 15, model: 65, name: "Opteron", features: [.sse3])
    #expect(
      BLAS.KernelReport(configuration: Self.debian, core: "Prescott", forcedCore: nil, cpu: sse3Only).verdict == .fine)
  }

  @Test func aForcedCoreTheCPULacksIsUnsupported() throws {
    let report = BLAS.KernelReport(
      configuration: Self.newer, core: "SkylakeX", forcedCore: "SkylakeX", cpu: Fixture.zen3.cpu)
    #expect(report.verdict == .unsupported(missing: [.avx512f, .avx512cd, .avx512dq, .avx512bw, .avx512vl]))
    let warning = try #require(report.warning)
    #expect(warning.contains("OPENBLAS_CORETYPE=SkylakeX makes OpenBLAS 0.3.26 run its SkylakeX kernels"), "\(warning)")
    #expect(warning.contains("unset OPENBLAS_CORETYPE"))
    let haswellOnSandyBridge = BLAS.KernelReport(
      configuration: Self.debian, core: "Haswell", forcedCore: "haswell", cpu: Fixture.sandyBridge.cpu)
    #expect(haswellOnSandyBridge.verdict == .unsupported(missing: [.fma, .avx2]))
  }

  @Test func aForcedStaleCoreNamesTheVariable() throws {
    let report = BLAS.KernelReport(
      configuration: Self.debian, core: "Haswell", forcedCore: "Haswell", cpu: Fixture.sapphireRapids.cpu)
    #expect(report.verdict == .stale)
    #expect(
      report.description.contains("kernel Haswell (set by OPENBLAS_CORETYPE=Haswell); best for this CPU: SkylakeX"))
    #expect(try #require(report.warning).contains("OPENBLAS_CORETYPE=Haswell makes OpenBLAS 0.3.21 run"))
  }

  @Test func whatCannotBeJudgedSaysWhy() {
    let blis = BLAS.KernelReport(
      configuration: "BLIS 0.9.0 (haswell)", core: "haswell", forcedCore: "Haswell", cpu: Fixture.zen3.cpu)
    #expect(blis.verdict == .unknown(reason: "the BLAS is not OpenBLAS") && blis.warning == nil)
    #expect(blis.forcedCore == nil, "OPENBLAS_CORETYPE means nothing to BLIS")
    // BLIS 0.9 on a CPU it does not know runs portable C: stale, and the fix is another provider.
    let generic = BLAS.KernelReport(
      configuration: "BLIS 0.9.0 (generic)", core: "generic", forcedCore: nil, cpu: Fixture.zen5.cpu)
    #expect(generic.verdict == .stale)
    #expect(generic.warning?.contains("BLIS 0.9.0 runs its generic kernels") == true, "\(generic.warning ?? "")")
    #expect(generic.fix?.contains("SWIFT_BLAS_RNN_BLAS=openblas") == true)
    let noCPU = BLAS.KernelReport(configuration: Self.debian, core: "Haswell", forcedCore: nil, cpu: nil)
    #expect(noCPU.verdict == .unknown(reason: "the CPU could not be read (/proc/cpuinfo)"))
    let odd = BLAS.KernelReport(configuration: Self.debian, core: "Loongson3R4", forcedCore: nil, cpu: Fixture.zen3.cpu)
    #expect(
      odd.verdict == .unknown(reason: "OpenBLAS reports the core 'Loongson3R4', which this package does not know"))
    // A build for one CPU cannot be switched by OPENBLAS_CORETYPE: the fix is another build.
    let fixed = BLAS.KernelReport(
      configuration: "OpenBLAS 0.3.21 NO_AFFINITY Prescott MAX_THREADS=64", core: "Prescott", forcedCore: nil,
      cpu: Fixture.zen3.cpu)
    #expect(fixed.verdict == .stale && fixed.fix?.contains("DYNAMIC_ARCH") == true)
  }

  @Test func versionsParseAndCompare() {
    #expect(OpenBLASVersion(configuration: Self.debian) == .init(0, 3, 21))
    #expect(OpenBLASVersion(configuration: "OpenBLAS 0.3.30.dev DYNAMIC_ARCH") == .init(0, 3, 30))
    #expect(OpenBLASVersion(configuration: "BLIS") == nil)
    #expect(OpenBLASVersion(0, 3, 21) < OpenBLASVersion(0, 3, 22))
  }

  /// This machine: whatever it is, the report is consistent with the table.
  @Test func thisMachine() {
    let report = BLAS.kernelReport
    #expect(report.core == BLAS.coreName)
    if let cpu = CPUInfo.current, let best = report.bestCore {
      #expect(best.runs(on: cpu))
    }
  }
}
