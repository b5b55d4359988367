import Foundation

extension Report {
  /// A fixed-width table, grouped by batch size and model size.
  func table() -> String {
    var lines = system.lines
    if let peer {
      lines.append(
        "numpy (--compare): BLAS \(peer.blas), kernel \(peer.blasCore), \(peer.blasThreads) thread(s); \(peer.swift)")
    }
    lines.append("Command: \(command)")
    lines.append("")
    let showNumpy = rows.contains { $0.vsNumpy != nil }
    let showRatio = rows.contains { $0.vsFloat64 != nil }
    let showCell = rows.contains { $0.cellKind != "rnn" }
    var header = [
      "n_h=n_x", "B", "formulation", "backend", "dtype", "median µs/step", "min", "max", "GFLOP/s", "vs split",
      "vs raw",
    ]
    if showNumpy { header.append("vs numpy") }
    if showRatio { header.append("f32/f64") }
    var cells: [[String]] = []
    var previous: (String, Int, Int, String)? = nil
    for r in rows {
      if let p = previous, p != (r.cellKind, r.batch, r.size, r.elementType) { cells.append([]) }
      previous = (r.cellKind, r.batch, r.size, r.elementType)
      var line = [
        "\(r.size)", "\(r.batch)", r.formulation == "hoisted" ? "hoisted (T=\(r.steps))" : r.formulation, r.backend,
        r.elementType, micro(r.medianNanosecondsPerStep), micro(r.minNanosecondsPerStep),
        micro(r.maxNanosecondsPerStep), fixed(r.gflops, 2), splitCell(r), r.vsRaw.map { fixed($0, 2) + "x" } ?? "",
      ]
      if showNumpy { line.append(r.vsNumpy.map { fixed($0, 2) + "x" } ?? "") }
      if showRatio { line.append(r.vsFloat64.map { fixed($0, 2) + "x" } ?? "") }
      if showCell { line.insert(r.cellKind, at: 0) }
      cells.append(line)
    }
    if showCell { header.insert("cell", at: 0) }
    let leftAligned = showCell ? 6 : 5
    let widths = header.indices.map { c in ([header] + cells).map { $0.count > c ? $0[c].count : 0 }.max()! }
    func render(_ row: [String]) -> String {
      row.enumerated().map { c, s in
        c < leftAligned
          ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[c] - s.count) + s
      }.joined(separator: "  ")
    }
    lines.append(render(header))
    lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
    for row in cells { lines.append(row.isEmpty ? "" : render(row)) }
    let summary = summaryLines()
    if !summary.isEmpty {
      lines.append("")
      lines.append("Which formulation wins (median of per-round ratios to the runner-up [lowest, highest round]):")
      lines += summary.map { "  " + $0 }
    }
    if rows.contains(where: { $0.noisy == true }) {
      lines.append("")
      lines.append("* noisy: the samples spread by more than the noise threshold even after measuring again.")
    }
    if !verification.isEmpty {
      lines.append("")
      lines.append("Verification (every formulation and backend vs split on BLAS, same state and inputs):")
      for v in verification {
        let tolerance = scientific(v.tolerance ?? 1e-12)
        lines.append(
          "  " + (showCell ? "\(v.cell ?? "rnn") " : "")
            + "n = \(v.size), B = \(v.batch), \(v.dtype ?? "float64"): max |Δ| = \(scientific(v.maxAbsDifference)), "
            + "allclose(rtol \(tolerance), atol \(tolerance)): \(v.allclose)")
      }
    }
    return lines.joined(separator: "\n")
  }

  /// The rows as CSV with the JSON report's field names (snake case), and the system's fields on
  /// every row, so that a CSV file says what it was measured on.
  func csv() -> String {
    let systemFields = [
      ("cpu", system.cpu), ("cores", "\(system.cores)"), ("blas", system.blas), ("blas_core", system.blasCore),
      ("blas_threads", "\(system.blasThreads)"), ("blas_kernel", system.blasKernel ?? ""), ("swift", system.swift),
      ("build", system.build),
    ]
    var lines = [
      ([
        "cell", "size", "batch", "steps", "formulation", "backend", "dtype", "median_nanoseconds_per_step",
        "min_nanoseconds_per_step", "max_nanoseconds_per_step", "gflops", "samples", "vs_split", "vs_split_low",
        "vs_split_high", "vs_raw", "vs_numpy", "vs_float64", "noisy",
      ] + systemFields.map { "system_" + $0.0 }).joined(separator: ",")
    ]
    for r in rows {
      let optional = [r.vsSplit, r.vsSplitLow, r.vsSplitHigh, r.vsRaw, r.vsNumpy, r.vsFloat64].map {
        $0.map { "\($0)" } ?? ""
      }
      lines.append(
        ([
          r.cellKind, "\(r.size)", "\(r.batch)", "\(r.steps)", r.formulation, r.backend, r.elementType,
          "\(r.medianNanosecondsPerStep)",
          "\(r.minNanosecondsPerStep)", "\(r.maxNanosecondsPerStep)", "\(r.gflops)", "\(r.samples)",
        ] + optional + [r.noisy.map { "\($0)" } ?? ""] + systemFields.map { csvField($0.1) }).joined(separator: ","))
    }
    return lines.joined(separator: "\n")
  }

  /// `1.02x [0.97, 1.06]`, with `*` for a noisy row.
  private func splitCell(_ r: Row) -> String {
    guard let ratio = r.vsSplit else { return r.noisy == true ? "*" : "" }
    var text = fixed(ratio, 2) + "x"
    if let low = r.vsSplitLow, let high = r.vsSplitHigh, r.formulation != "split" {
      text += " [\(fixed(low, 2)), \(fixed(high, 2))]"
    }
    return text + (r.noisy == true ? " *" : "")
  }

  /// The verdict for one size and batch: the fastest formulation on the default backend (BLAS),
  /// the runner-up, the per-round ratios of their times, and whether some round does not favour
  /// the winner (a tie).
  struct Verdict {
    var cell: String, size: Int, batch: Int, dtype: String
    var name: String, runnerUp: String
    var median: Double, low: Double, high: Double
    var tie: Bool { high >= 1 }
    var noisy: Bool
  }

  /// The verdicts, keyed `"size/batch"`, in the order the rows came.
  func winnersBySizeAndBatch() -> [String: Verdict] {
    Dictionary(verdicts().filter { $0.cell == "rnn" }.map { ("\($0.size)/\($0.batch)", $0) }) { a, _ in a }
  }

  func verdicts() -> [Verdict] {
    var keys: [(String, Int, Int, String)] = []
    for r in rows where !keys.contains(where: { $0 == (r.cellKind, r.size, r.batch, r.elementType) }) {
      keys.append((r.cellKind, r.size, r.batch, r.elementType))
    }
    return keys.compactMap { cell, size, batch, dtype in
      let candidates = rows.filter {
        $0.cellKind == cell && $0.size == size && $0.batch == batch && $0.elementType == dtype && $0.backend == "blas"
          && $0.roundNanosecondsPerStep != nil
      }.sorted { $0.medianNanosecondsPerStep < $1.medianNanosecondsPerStep }
      guard candidates.count >= 2, let a = candidates[0].roundNanosecondsPerStep,
        let b = candidates[1].roundNanosecondsPerStep
      else { return nil }
      let ratios = zip(a, b).map { $0 / $1 }
      return Verdict(
        cell: cell, size: size, batch: batch, dtype: dtype, name: name(candidates[0]), runnerUp: name(candidates[1]),
        median: Samples(nanosecondsPerStep: ratios).median, low: ratios.min()!, high: ratios.max()!,
        noisy: candidates[0].noisy == true || candidates[1].noisy == true)
    }
  }

  /// One line per size and batch: the winner and its ratio to the runner-up, or a tie.
  func summaryLines() -> [String] {
    let types = Set(verdicts().map(\.dtype)).count
    let kinds = Set(verdicts().map(\.cell))
    return verdicts().map { v in
      let interval = "\(fixed(v.median, 2))x [\(fixed(v.low, 2)), \(fixed(v.high, 2))]"
      let noisy = v.noisy ? " (noisy)" : ""
      var key = types > 1 ? "n = \(v.size), B = \(v.batch), \(v.dtype)" : "n = \(v.size), B = \(v.batch)"
      if kinds != ["rnn"] { key = "\(v.cell) " + key }
      return v.tie
        ? "\(key): tie between \(v.name) and \(v.runnerUp), \(interval)\(noisy)"
        : "\(key): \(v.name) wins, \(interval) of \(v.runnerUp)'s time\(noisy)"
    }
  }

  private func name(_ r: Row) -> String {
    r.formulation == "fusedConcatenatingEachStep" ? "notebook-literal" : r.formulation
  }

  func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }

  static func decode(json data: Data) throws -> Report {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(Report.self, from: data)
  }
}

func micro(_ nanoseconds: Double) -> String {
  let us = nanoseconds / 1000
  return us >= 100 ? fixed(us, 0) : us >= 10 ? fixed(us, 1) : us >= 1 ? fixed(us, 2) : fixed(us, 3)
}

func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
func scientific(_ x: Double) -> String { String(format: "%.1e", x) }

/// A CSV field, quoted when it holds a comma, a quote or a line break.
func csvField(_ text: String) -> String {
  guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
  return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
