#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds.
func now() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Keeps a value alive so the optimiser cannot drop the work that produced it.
@inline(never)
func blackHole(_ value: Double) {
  sink &+= value.bitPattern
}

nonisolated(unsafe) var sink: UInt64 = 0

/// Per-step times of a measured operation.
struct Samples {
  var nanosecondsPerStep: [Double]
  var median: Double {
    let s = nanosecondsPerStep.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
  var min: Double { nanosecondsPerStep.min() ?? .nan }
  var max: Double { nanosecondsPerStep.max() ?? .nan }
}

/// Measures `body`, which performs `stepsPerCall` steps and returns a value to consume.
///
/// Warm-up: calls until 3 calls and `minTime / 2` have passed. Then the number of calls per
/// sample is scaled so that each sample lasts at least `minTime`, and `samples` samples are taken.
func measure(samples: Int, minTime: Double, stepsPerCall: Int, _ body: () -> Double) -> Samples {
  let minNanos = minTime * 1e9
  var calls = 0
  let warmStart = now()
  while calls < 3 || Double(now() - warmStart) < minNanos / 2 {
    blackHole(body())
    calls += 1
  }
  let perCall = Double(now() - warmStart) / Double(calls)
  let repetitions = Swift.max(1, Int((minNanos / Swift.max(perCall, 1)).rounded(.up)))
  var result: [Double] = []
  for _ in 0..<samples {
    let start = now()
    for _ in 0..<repetitions { blackHole(body()) }
    let elapsed = Double(now() - start)
    result.append(elapsed / Double(repetitions * stepsPerCall))
  }
  return Samples(nanosecondsPerStep: result)
}
