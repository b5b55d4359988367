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
  /// How far apart the samples are, as a fraction of the median: (max − min) / median over the
  /// samples without the lowest and the highest one when there are at least 5 (one sample cut
  /// short by another process does not make the median untrustworthy), over all of them otherwise.
  var spread: Double {
    let s = nanosecondsPerStep.sorted()
    let kept = s.count >= 5 ? Array(s.dropFirst().dropLast()) : s
    guard let low = kept.first, let high = kept.last else { return .nan }
    return (high - low) / median
  }
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
/// configuration is warmed up (at least one call, and at least `minTime / 2`) and its calls per
/// sample scaled to last at least `minTime`; then `samples` rounds each time every configuration
/// once, in an order rotated by one per round.
///
/// With a `budget` (seconds for the rounds), the calls per sample are scaled down, never below
/// one, so that the planned rounds fit it: a slow or busy machine gets shorter samples, not a late
/// answer. `round` is called before each round with its index.
///
/// - Returns: per configuration, its per-round nanoseconds per step (index = round), so that
///   ratios can be taken round by round.
func measureInterleaved(
  _ cases: [TimedCase], samples: Int, minTime: Double, budget: Double? = nil, round report: (Int) -> Void = { _ in }
) -> [Samples] {
  let minNanos = minTime * 1e9
  var repetitions: [Int] = []
  var perCall: [Double] = []
  for c in cases {
    var calls = 0
    let warmStart = now()
    while calls == 0 || Double(now() - warmStart) < minNanos / 2 {
      blackHole(c.body())
      calls += 1
    }
    perCall.append(Swift.max(Double(now() - warmStart) / Double(calls), 1))
    repetitions.append(Swift.max(1, Int((minNanos / perCall[perCall.count - 1]).rounded(.up))))
  }
  if let budget {
    let planned = Double(samples) * zip(repetitions, perCall).map { Double($0) * $1 }.reduce(0, +)
    if planned > budget * 1e9 {
      let scale = budget * 1e9 / planned
      repetitions = repetitions.map { Swift.max(1, Int(Double($0) * scale)) }
    }
  }
  var times = [[Double]](repeating: [], count: cases.count)
  for round in 0..<samples {
    report(round)
    for k in 0..<cases.count {
      let i = (k + round) % cases.count
      let start = now()
      for _ in 0..<repetitions[i] { blackHole(cases[i].body()) }
      times[i].append(Double(now() - start) / Double(repetitions[i] * cases[i].stepsPerCall))
    }
  }
  return times.map { Samples(nanosecondsPerStep: $0) }
}

/// A run's time budget: a deadline, and each remaining piece of work's share of what is left in
/// proportion to its weight, so that early pieces do not starve later, larger ones.
struct TimeBudget {
  /// Nanoseconds on ``now()``'s clock.
  let deadline: UInt64

  init(seconds: Double) {
    deadline = now() + UInt64(seconds * 1e9)
  }

  /// Seconds until the deadline (0 once it has passed).
  var remaining: Double {
    let t = now()
    return t >= deadline ? 0 : Double(deadline - t) / 1e9
  }

  /// The seconds a piece of `weight` may take, when it and the pieces still to come weigh
  /// `remainingWeight` in all (this piece included).
  func share(weight: Double, remainingWeight: Double) -> Double {
    remaining * weight / Swift.max(remainingWeight, weight)
  }
}
