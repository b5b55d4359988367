// swift-tools-version:6.3
//===----------------------------------------------------------------------===//
//
// swift-blas-rnn: BLAS-speed dense linear algebra with numpy's semantics, and
// the vanilla RNN hidden-state step computed fused and split.
//
//===----------------------------------------------------------------------===//

import PackageDescription

// MARK: - BLAS provider

// The CBLAS and LAPACKE provider, chosen when the package is built (see the README's
// "Which BLAS?"); the module names stay CBLAS and CLAPACKE whichever it is:
//   openblas        Debian's libopenblas-dev + liblapacke-dev (the default)
//   scipy-openblas  the scipy-openblas32 wheel from PyPI, numpy's and scipy's OpenBLAS, with its
//                   own LAPACKE (set up by Sources/BLASProviders/scipy-openblas/configure.py)
//   blis            Debian's libblis-pthread-dev (CBLAS) + liblapacke-dev
let blasProvider = Context.environment["SWIFT_BLAS_RNN_BLAS"] ?? "openblas"
let (cblas, clapacke): (Target, Target)
switch blasProvider {
case "scipy-openblas":
  cblas = .systemLibrary(
    name: "CBLAS", path: "Sources/BLASProviders/scipy-openblas/CBLAS", pkgConfig: "swift-blas-rnn-scipy-openblas")
  clapacke = .systemLibrary(
    name: "CLAPACKE", path: "Sources/BLASProviders/scipy-openblas/CLAPACKE", pkgConfig: "swift-blas-rnn-scipy-openblas")
case "blis":
  cblas = .systemLibrary(
    name: "CBLAS", path: "Sources/BLASProviders/blis/CBLAS", providers: [.apt(["libblis-pthread-dev"])])
  clapacke = .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])])
default:
  precondition(
    blasProvider == "openblas", "SWIFT_BLAS_RNN_BLAS must be openblas, scipy-openblas or blis, got \(blasProvider)")
  cblas = .systemLibrary(
    name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])])
  clapacke = .systemLibrary(
    name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"]), .brew(["lapack"])])
}

let package = Package(
  name: "swift-blas-rnn",
  products: [
    .library(name: "DenseMatrix", targets: ["DenseMatrix"]),
    .library(name: "RNN", targets: ["RNN"]),
    .library(name: "RNNTraining", targets: ["RNNTraining"]),
    .library(name: "NumPyIO", targets: ["NumPyIO"]),
    .library(name: "PyTorchIO", targets: ["PyTorchIO"]),
    .library(name: "BLASDiagnostics", targets: ["BLASDiagnostics"]),
    .executable(name: "hidden-state-demo", targets: ["hidden-state-demo"]),
    .executable(name: "rnn-bench", targets: ["rnn-bench"]),
    .executable(name: "rnn-forward", targets: ["rnn-forward"]),
    .executable(name: "rnn-train", targets: ["rnn-train"]),
  ],
  dependencies: [
    // Only the executables use it. A package that depends on our libraries still resolves it
    // (SwiftPM resolves a dependency's whole manifest) and compiles its plugins, but never its
    // library.
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // RealModule: exp, log and the other elementary functions, generic over Float and Double.
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
  ],
  targets: [
    // MARK: - Public API

    .target(
      name: "DenseMatrix",
      dependencies: [
        "CBLAS", "CLAPACKE", "_ActivationKernels", "_PackedKernels", "BLASDiagnostics",
        .product(name: "RealModule", package: "swift-numerics"),
      ]),
    // Which BLAS kernels run, and whether they fit the CPU: the CPU's features, OpenBLAS's cores,
    // the kernel report. DenseMatrix uses it to choose its vector kernels and to refuse kernels
    // the CPU cannot run; the tools use it for --blas-core.
    .target(name: "BLASDiagnostics", dependencies: ["CBLAS"]),
    .target(name: "RNN", dependencies: ["DenseMatrix"]),
    // Training the RNN module's networks: losses, optimizers and gradient clipping with
    // PyTorch's semantics (the gradients themselves are RecurrentNetwork.gradients).
    .target(name: "RNNTraining", dependencies: ["RNN", "DenseMatrix"]),
    .target(name: "NumPyIO", dependencies: ["DenseMatrix", "CZlib", "_CRC32", "_StagedFileCleanup"]),
    // The files PyTorch users have: torch.save's zip files (read by a pickle interpreter that
    // runs nothing) and .safetensors, beside .npz, as one state dict.
    .target(name: "PyTorchIO", dependencies: ["NumPyIO", "DenseMatrix"]),

    // MARK: - Executables

    .executableTarget(
      name: "hidden-state-demo",
      dependencies: [
        "DenseMatrix", "BLASDiagnostics", "_CommandLineSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "rnn-forward",
      dependencies: [
        "DenseMatrix", "RNN", "NumPyIO", "PyTorchIO", "_CommandLineSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "rnn-train",
      dependencies: [
        "DenseMatrix", "RNN", "RNNTraining", "NumPyIO", "PyTorchIO", "_CommandLineSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "rnn-bench",
      dependencies: [
        "DenseMatrix", "BLASDiagnostics", "RNN", "RNNTraining", "CBLAS", "NumPyIO", "PyTorchIO", "_CommandLineSupport",
        "_FMAPeak", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/rnn-bench"
    ),
    // The core's floating-point peak, measured by a loop of independent multiply-adds (C vector
    // extensions, AVX2 and AVX-512 through per-function target attributes), for rnn-bench.
    .target(name: "_FMAPeak", path: "Benchmarks/FMAPeak", cSettings: [.treatAllWarnings(as: .error)]),

    // MARK: - Implementation details

    cblas,
    clapacke,
    // The bias-and-activation kernels (C vector extensions: baseline, and AVX2 and AVX-512 through
    // per-function target attributes).
    .target(
      name: "_ActivationKernels", exclude: ["README.md", "fit_exp_polynomial.py"],
      cSettings: [.treatAllWarnings(as: .error)]),
    // The packed-weights product of the .packed backend (C vector extensions: baseline, and AVX2
    // and AVX-512 through per-function target attributes, as the activation kernels).
    .target(name: "_PackedKernels", cSettings: [.treatAllWarnings(as: .error)]),
    // The signal handlers that remove NumPyIO's staged output files when a tool is interrupted
    // (C: a fixed table that an async-signal-safe handler can read).
    .target(name: "_StagedFileCleanup", cSettings: [.treatAllWarnings(as: .error)]),
    // CRC-32 by carry-less multiplication (PCLMULQDQ through a function-level target attribute),
    // for the archives' CRC checks; zlib's table-driven crc32 does the rest.
    .target(name: "_CRC32", cSettings: [.treatAllWarnings(as: .error)]),
    // zlib's deflate, inflate and CRC-32 for the .npz container.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
    .target(name: "_TestSupport", dependencies: ["DenseMatrix"], exclude: ["README.md"]),
    .target(
      name: "_CommandLineSupport",
      dependencies: [
        "DenseMatrix", "RNN", "RNNTraining", "BLASDiagnostics", "NumPyIO", "PyTorchIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // MARK: - Unit test bundles

    .testTarget(name: "DenseMatrixTests", dependencies: ["DenseMatrix", "BLASDiagnostics", "_TestSupport"]),
    .testTarget(name: "RNNTests", dependencies: ["RNN", "DenseMatrix", "_TestSupport"]),
    .testTarget(name: "RNNTrainingTests", dependencies: ["RNNTraining", "RNN", "DenseMatrix", "_TestSupport"]),
    .testTarget(
      name: "CommandLineSupportTests", dependencies: ["_CommandLineSupport", "DenseMatrix", "BLASDiagnostics"]),
    .testTarget(name: "NumPyIOTests", dependencies: ["NumPyIO", "DenseMatrix", "_TestSupport"]),
    .testTarget(
      name: "PyTorchIOTests",
      dependencies: ["PyTorchIO", "NumPyIO", "RNN", "DenseMatrix", "_TestSupport", "rnn-forward"],
      exclude: ["Fixtures"]),
    // The tools run as child processes (the test target depends on them so that they are built).
    .testTarget(
      name: "RNNForwardTests",
      dependencies: [
        "NumPyIO", "PyTorchIO", "DenseMatrix", "RNN", "RNNTraining", "BLASDiagnostics", "_TestSupport", "rnn-forward",
        "rnn-train", "hidden-state-demo",
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)

let cTargets: Set<String> = ["_ActivationKernels", "_PackedKernels", "_StagedFileCleanup", "_FMAPeak"]
for target in package.targets where target.type != .system && !cTargets.contains(target.name) {
  var settings = target.swiftSettings ?? []
  settings += [
    // SE-0409: imports are internal unless marked public, so C modules never leak into the API.
    .enableUpcomingFeature("InternalImportsByDefault"),
    // SE-0335: spell existential types with `any`.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0444: a member is visible only where its module is imported.
    .enableUpcomingFeature("MemberImportVisibility"),
    // SE-0480: our own code builds without warnings (not applied when we are a dependency).
    .treatAllWarnings(as: .error),
  ]
  target.swiftSettings = settings
}

// MARK: - Documentation

// swift-docc-plugin only when asked, so that library users never resolve it:
//   SWIFT_BLAS_RNN_DOCS=1 swift package generate-documentation --target DenseMatrix
if Context.environment["SWIFT_BLAS_RNN_DOCS"] != nil {
  package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
