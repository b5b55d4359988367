/// Monotonic nanoseconds, from the standard library's `ContinuousClock`.
func now() -> UInt64 {
  let start = origin  // initialised on first use: before the clock is read
  let elapsed = ContinuousClock.now - start
  return UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
}

private let origin = ContinuousClock.now

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
  /// (max − min) / median: how far apart the samples are.
  var spread: Double { (max - min) / median }
}

/// Measures `body`, which performs `stepsPerCall` steps and returns a value to consume: warm-up,
/// calls per sample scaled to last at least `minTime`, then `samples` samples (one configuration
/// of ``measureInterleaved(_:samples:minTime:)``).
func measure(samples: Int, minTime: Double, stepsPerCall: Int, _ body: @escaping () -> Double) -> Samples {
  measureInterleaved([TimedCase(stepsPerCall: stepsPerCall, body: body)], samples: samples, minTime: minTime)[0]
}

/// One configuration timed by ``measureInterleaved(_:samples:minTime:)``: `body` performs
/// `stepsPerCall` steps and returns a value to consume.
struct TimedCase {
  var stepsPerCall: Int
  var body: () -> Double
}

/// Times several configurations in interleaved rounds (A B C, B C A, C A B, …) rather than all of
/// A then all of B, so that a slow phase of the machine hits every configuration alike. Each
/// configuration is warmed up and its calls per sample scaled to last at least `minTime`; then
/// `samples` rounds each time every configuration once, in an order rotated by one per round.
///
/// - Returns: per configuration, its per-round nanoseconds per step (index = round), so that
///   ratios can be taken round by round.
func measureInterleaved(_ cases: [TimedCase], samples: Int, minTime: Double) -> [Samples] {
  let minNanos = minTime * 1e9
  var repetitions: [Int] = []
  for c in cases {
    var calls = 0
    let warmStart = now()
    while calls < 3 || Double(now() - warmStart) < minNanos / 2 {
      blackHole(c.body())
      calls += 1
    }
    let perCall = Double(now() - warmStart) / Double(calls)
    repetitions.append(Swift.max(1, Int((minNanos / Swift.max(perCall, 1)).rounded(.up))))
  }
  var times = [[Double]](repeating: [], count: cases.count)
  for round in 0..<samples {
    for k in 0..<cases.count {
      let i = (k + round) % cases.count
      let start = now()
      for _ in 0..<repetitions[i] { blackHole(cases[i].body()) }
      times[i].append(Double(now() - start) / Double(repetitions[i] * cases[i].stepsPerCall))
    }
  }
  return times.map { Samples(nanosecondsPerStep: $0) }
}
