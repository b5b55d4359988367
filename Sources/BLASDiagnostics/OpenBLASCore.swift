/// One of OpenBLAS's x86-64 kernel sets ("cores"), as a `DYNAMIC_ARCH` build chooses among them
/// at load time and `OPENBLAS_CORETYPE` forces one.
///
/// The table ``all`` is the single place that says which instructions each core executes and how
/// fast it is relative to the others; ``best(for:openBLASVersion:)`` and the kernel report are
/// derived from it, and tests check it against fixture CPUs.
public struct OpenBLASCore: Hashable, Sendable {
  /// The name as `openblas_get_corename` prints it and `OPENBLAS_CORETYPE` takes it.
  public let name: String
  /// The instruction sets its kernels execute: forcing it on a CPU without them crashes
  /// (SIGILL) or, in old builds, computes wrong results.
  public let requiredFeatures: Set<CPUFeature>
  /// The vector ISA generation of its double-precision kernels: 1 SSE2/SSE3, 2 SSSE3, 3 SSE4.2,
  /// 4 AVX, 5 AVX2 + FMA, 6 AVX-512 (Cooperlake and SapphireRapids add BF16 and AMX kernels
  /// for other types; their DGEMM is SkylakeX's). Cores of one tier run DGEMM at about the
  /// same speed; a lower tier than the CPU allows is a stale kernel.
  public let tier: Int
  /// The first OpenBLAS version whose `OPENBLAS_CORETYPE` reliably selects this core, or `nil`
  /// if this package never recommends it (only reports it): cores of other vendors' old CPUs,
  /// and Cooperlake, which 0.3.21 cannot be forced to (its lookup stops one entry short).
  public let forcibleSince: OpenBLASVersion?

  private static let avx2: Set<CPUFeature> = [.sse3, .ssse3, .sse4_2, .avx, .avx2, .fma]
  private static let avx512 = avx2.union([.avx512f, .avx512cd, .avx512dq, .avx512bw, .avx512vl])

  /// Every x86-64 core of OpenBLAS 0.3.x that this package knows, lowest tier first.
  public static let all: [OpenBLASCore] = [
    // Pre-SSE3 cores: never chosen on x86-64, but reported by some builds (0.3.34 forced to
    // Prescott names its core Katmai).
    OpenBLASCore(name: "Katmai", requiredFeatures: [], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Coppermine", requiredFeatures: [], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Northwood", requiredFeatures: [], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Banias", requiredFeatures: [], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Athlon", requiredFeatures: [], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Opteron", requiredFeatures: [], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Prescott", requiredFeatures: [.sse3], tier: 1, forcibleSince: .init(0, 3, 0)),
    OpenBLASCore(name: "Atom", requiredFeatures: [.sse3, .ssse3], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Barcelona", requiredFeatures: [.sse3], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Opteron_SSE3", requiredFeatures: [.sse3], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Bobcat", requiredFeatures: [.sse3, .ssse3], tier: 1, forcibleSince: nil),
    OpenBLASCore(name: "Core2", requiredFeatures: [.sse3, .ssse3], tier: 2, forcibleSince: .init(0, 3, 0)),
    OpenBLASCore(name: "Penryn", requiredFeatures: [.sse3, .ssse3], tier: 2, forcibleSince: nil),
    OpenBLASCore(name: "Dunnington", requiredFeatures: [.sse3, .ssse3], tier: 2, forcibleSince: nil),
    OpenBLASCore(name: "Nehalem", requiredFeatures: [.sse3, .ssse3, .sse4_2], tier: 3, forcibleSince: .init(0, 3, 0)),
    OpenBLASCore(name: "Nano", requiredFeatures: [.sse3, .ssse3], tier: 3, forcibleSince: nil),
    OpenBLASCore(
      name: "Sandybridge", requiredFeatures: [.sse3, .ssse3, .sse4_2, .avx], tier: 4, forcibleSince: .init(0, 3, 0)),
    OpenBLASCore(name: "Bulldozer", requiredFeatures: [.sse3, .ssse3, .avx], tier: 4, forcibleSince: nil),
    OpenBLASCore(name: "Piledriver", requiredFeatures: [.sse3, .ssse3, .avx, .fma], tier: 4, forcibleSince: nil),
    OpenBLASCore(name: "Steamroller", requiredFeatures: [.sse3, .ssse3, .avx, .fma], tier: 4, forcibleSince: nil),
    OpenBLASCore(name: "Excavator", requiredFeatures: [.sse3, .ssse3, .avx, .avx2, .fma], tier: 5, forcibleSince: nil),
    OpenBLASCore(name: "Haswell", requiredFeatures: avx2, tier: 5, forcibleSince: .init(0, 3, 0)),
    OpenBLASCore(name: "Zen", requiredFeatures: avx2, tier: 5, forcibleSince: .init(0, 3, 0)),
    OpenBLASCore(name: "SkylakeX", requiredFeatures: avx512, tier: 6, forcibleSince: .init(0, 3, 0)),
    // Not recommended: 0.3.21 cannot be forced to it and 0.3.34 forced to it reports SkylakeX;
    // its DGEMM is SkylakeX's, which every version can be forced to.
    OpenBLASCore(name: "Cooperlake", requiredFeatures: avx512.union([.avx512bf16]), tier: 6, forcibleSince: nil),
    OpenBLASCore(name: "SapphireRapids", requiredFeatures: avx512.union([.avx512bf16]), tier: 6, forcibleSince: nil),
  ]

  /// The core called `name` (compared without case, as OpenBLAS compares it).
  public static func named(_ name: String) -> OpenBLASCore? {
    all.first { $0.name.lowercased() == name.lowercased() }
  }

  /// Whether `cpu` has every instruction set this core executes.
  public func runs(on cpu: CPUInfo) -> Bool { requiredFeatures.isSubset(of: cpu.features) }

  /// The core OpenBLAS's own newest selection logic gives `cpu`, among those `version` can be
  /// forced to: the highest tier whose instructions the CPU has, except that AMD's Zen 1–4
  /// (families 23–25) get the Zen kernels, as upstream OpenBLAS does (Zen 4 executes AVX-512
  /// at half width). Within a tier: Zen on AMD, Haswell on others.
  ///
  /// Never a core whose instructions `cpu` lacks; `nil` if the CPU lacks even SSE3.
  public static func best(for cpu: CPUInfo, openBLASVersion version: OpenBLASVersion) -> OpenBLASCore? {
    let candidates = all.filter { core in
      guard let since = core.forcibleSince, since <= version, core.runs(on: cpu) else { return false }
      if cpu.isAMD && (23...25).contains(cpu.family) { return core.tier <= 5 }
      return true
    }
    let preferred = cpu.isAMD ? "Zen" : "Haswell"
    return candidates.max { a, b in
      if a.tier != b.tier { return a.tier < b.tier }
      if a.name == preferred || b.name == preferred { return b.name == preferred }
      return a.requiredFeatures.count < b.requiredFeatures.count
    }
  }
}

/// An OpenBLAS version such as 0.3.21, comparable.
public struct OpenBLASVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The three numbers.
  public var major: Int, minor: Int, patch: Int

  /// Creates a version.
  public init(_ major: Int, _ minor: Int, _ patch: Int) {
    (self.major, self.minor, self.patch) = (major, minor, patch)
  }

  /// The version in a configuration string such as `OpenBLAS 0.3.21 DYNAMIC_ARCH …` (the first
  /// word of the form N.N.N, with a `.dev` suffix ignored).
  public init?(configuration: String) {
    for word in configuration.split(separator: " ") {
      let parts = word.split(separator: ".").prefix(3).map { Int($0) }
      if parts.count == 3, let major = parts[0], let minor = parts[1], let patch = parts[2] {
        self.init(major, minor, patch)
        return
      }
    }
    return nil
  }

  /// `0.3.21`.
  public var description: String { "\(major).\(minor).\(patch)" }

  /// Orders versions by their numbers.
  public static func < (a: OpenBLASVersion, b: OpenBLASVersion) -> Bool {
    (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
  }
}
