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
  /// Whether a time budget may leave this configuration out (a row no verdict needs).
  var optional = false
  var body: () -> Double
}

/// Times several configurations in interleaved rounds (A B C, B C A, C A B, …) rather than all of
/// A then all of B, so that a slow phase of the machine hits every configuration alike. Each
/// configuration is warmed up (at least one call, and at least `minTime / 2`) and its calls per
/// sample scaled to last at least `minTime`; then `samples` rounds each time every configuration
/// once, in an order rotated by one per round.
///
/// `round` is called before each round with its index. ``measureRounds(_:samples:minTime:budget:round:)``
/// does the same within a time budget.
///
/// - Returns: per configuration, its per-round nanoseconds per step (index = round), so that
///   ratios can be taken round by round.
func measureInterleaved(
  _ cases: [TimedCase], samples: Int, minTime: Double, round report: (Int) -> Void = { _ in }
) -> [Samples] {
  // Without a budget nothing is left out.
  measureRounds(cases, samples: samples, minTime: minTime, budget: nil, round: report).map { $0! }
}

/// ``measureInterleaved(_:samples:minTime:budget:round:)``, where a `budget` the rounds cannot
/// keep even at one call per sample leaves out optional configurations, the slowest first,
/// until they fit (their result is `nil`); an optional configuration not yet warmed up when half
/// the budget has gone is left out unmeasured.
func measureRounds(
  _ cases: [TimedCase], samples: Int, minTime: Double, budget: Double?, round report: (Int) -> Void
) -> [Samples?] {
  let minNanos = minTime * 1e9
  let start = now()
  var repetitions = [Int](repeating: 1, count: cases.count)
  var perCall = [Double](repeating: 0, count: cases.count)
  var kept = [Bool](repeating: true, count: cases.count)
  // Warm-up: the configurations a verdict needs first.
  for i in cases.indices.sorted(by: { !cases[$0].optional && cases[$1].optional }) {
    if let budget, cases[i].optional, Double(now() - start) > budget * 1e9 / 2 {
      kept[i] = false
      continue
    }
    var calls = 0
    let warmStart = now()
    while calls == 0 || Double(now() - warmStart) < minNanos / 2 {
      blackHole(cases[i].body())
      calls += 1
    }
    perCall[i] = Swift.max(Double(now() - warmStart) / Double(calls), 1)
    repetitions[i] = Swift.max(1, Int((minNanos / perCall[i]).rounded(.up)))
  }
  if let budget {
    let limit = budget * 1e9
    func planned(_ reps: [Int]) -> Double {
      Double(samples) * cases.indices.filter { kept[$0] }.map { Double(reps[$0]) * perCall[$0] }.reduce(0, +)
    }
    // Even one call per sample is too much: leave out optional configurations, slowest first.
    let ones = [Int](repeating: 1, count: cases.count)
    for i in cases.indices.filter({ cases[$0].optional && kept[$0] }).sorted(by: { perCall[$0] > perCall[$1] })
    where planned(ones) > limit {
      kept[i] = false
    }
    let total = planned(repetitions)
    if total > limit {
      repetitions = repetitions.map { Swift.max(1, Int(Double($0) * limit / total)) }
    }
  }
  let measured = cases.indices.filter { kept[$0] }
  var times = [[Double]](repeating: [], count: cases.count)
  for round in 0..<samples {
    report(round)
    for k in measured.indices {
      let i = measured[(k + round) % measured.count]
      let start = now()
      for _ in 0..<repetitions[i] { blackHole(cases[i].body()) }
      times[i].append(Double(now() - start) / Double(repetitions[i] * cases[i].stepsPerCall))
    }
  }
  return cases.indices.map { kept[$0] ? Samples(nanosecondsPerStep: times[$0]) : nil }
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
