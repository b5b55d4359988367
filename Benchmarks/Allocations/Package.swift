// swift-tools-version:6.1
//===----------------------------------------------------------------------===//
//
// Allocation and wall-clock benchmarks of the RNN hot path, with ordo-one's package-benchmark.
// A separate package so that neither it nor its dependencies enter the library's build.
//
//   cd Benchmarks/Allocations && swift package benchmark
//
//===----------------------------------------------------------------------===//

import PackageDescription

let package = Package(
  name: "swift-blas-rnn-allocations",
  dependencies: [
    .package(name: "swift-blas-rnn", path: "../.."),
    // The malloc interposer counts every malloc, including those the Swift runtime makes.
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "RNNStepAllocations",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "DenseMatrix", package: "swift-blas-rnn"),
        .product(name: "RNN", package: "swift-blas-rnn"),
        .product(name: "RNNTraining", package: "swift-blas-rnn"),
      ],
      path: "Benchmarks/RNNStepAllocations",
      swiftSettings: [.swiftLanguageMode(.v6)],
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
  ]
)
