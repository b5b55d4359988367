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
      lines.append(
        "Which formulation wins (on BLAS; the faster one's time over the runner-up's: median of the per-round ratios [lowest, highest round]):"
      )
      lines += summary.map { "  " + $0 }
    }
    if rows.contains(where: { $0.noisy == true }) {
      lines.append("")
      lines.append("* noisy: the samples spread by more than the noise threshold even after measuring again.")
    }
    if summary.contains(where: { $0.hasSuffix("uncertain") }) {
      lines.append(
        "uncertain: some round did not favour the faster one, or one of the two rows is noisy; measure again on a quieter machine, or with a larger --time-budget."
      )
    }
    if let notes, !notes.isEmpty {
      lines.append("")
      lines.append(notes[0])
      lines += notes.dropFirst().map { "  " + $0 }
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
  /// every row, so that a CSV file says what it was measured on; then one row per verdict. The
  /// first column, `record`, tells them apart (`measurement` or `verdict`); a verdict row puts the
  /// faster formulation in `formulation`, and fills `versus`, `ratio`, `ratio_low`, `ratio_high`,
  /// `consistent` and `verdict` (`faster` or `uncertain`), which measurement rows leave empty.
  func csv() -> String {
    let systemFields = [
      ("cpu", system.cpu), ("cores", "\(system.cores)"), ("blas", system.blas), ("blas_core", system.blasCore),
      ("blas_threads", "\(system.blasThreads)"), ("blas_kernel", system.blasKernel ?? ""), ("swift", system.swift),
      ("build", system.build),
    ]
    let system = systemFields.map { csvField($0.1) }
    var lines = [
      ([
        "record", "cell", "size", "batch", "steps", "formulation", "backend", "dtype", "median_nanoseconds_per_step",
        "min_nanoseconds_per_step", "max_nanoseconds_per_step", "gflops", "samples", "vs_split", "vs_split_low",
        "vs_split_high", "vs_raw", "vs_numpy", "vs_float64", "noisy", "versus", "ratio", "ratio_low", "ratio_high",
        "consistent", "verdict",
      ] + systemFields.map { "system_" + $0.0 }).joined(separator: ",")
    ]
    for r in rows {
      let optional = [r.vsSplit, r.vsSplitLow, r.vsSplitHigh, r.vsRaw, r.vsNumpy, r.vsFloat64].map {
        $0.map { "\($0)" } ?? ""
      }
      lines.append(
        ([
          "measurement", r.cellKind, "\(r.size)", "\(r.batch)", "\(r.steps)", r.formulation, r.backend, r.elementType,
          "\(r.medianNanosecondsPerStep)",
          "\(r.minNanosecondsPerStep)", "\(r.maxNanosecondsPerStep)", "\(r.gflops)", "\(r.samples)",
        ] + optional + ["\(r.noisy ?? false)", "", "", "", "", "", ""] + system).joined(separator: ","))
    }
    for v in verdicts() {
      let steps = rows.first { $0.cellKind == v.cell && $0.size == v.size && $0.batch == v.batch }?.steps
      lines.append(
        ([
          "verdict", v.cell, "\(v.size)", "\(v.batch)", steps.map { "\($0)" } ?? "", v.faster, "blas", v.dtype,
        ] + Array(repeating: "", count: 11) + [
          "\(v.noisy)", v.other, "\(v.ratio)", "\(v.ratioLow)", "\(v.ratioHigh)", "\(v.consistent)",
          v.certain ? "faster" : "uncertain",
        ] + system).joined(separator: ","))
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

  /// The verdicts of every cell, size, batch and element type, in the order the rows came: see
  /// ``Verdict``.
  func verdicts() -> [Verdict] {
    var keys: [(String, Int, Int, String)] = []
    for r in rows
    where r.backend == "blas" && !keys.contains(where: { $0 == (r.cellKind, r.size, r.batch, r.elementType) }) {
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
      // The two lowest medians; the faster of them is the one the per-round ratios favour, so
      // that the ratio printed is always below 1 (the medians of times may order them otherwise).
      var (faster, other) = (candidates[0].formulation, candidates[1].formulation)
      var ratios = zip(a, b).map { $0 / $1 }
      if Samples(nanosecondsPerStep: ratios).median > 1 {
        (faster, other) = (other, faster)
        ratios = zip(b, a).map { $0 / $1 }
      }
      return Verdict(
        cell: cell, size: size, batch: batch, dtype: dtype, faster: faster, other: other,
        ratio: Samples(nanosecondsPerStep: ratios).median, ratioLow: ratios.min()!, ratioHigh: ratios.max()!,
        noisy: candidates[0].noisy == true || candidates[1].noisy == true)
    }
  }

  /// One line per verdict: the faster formulation, its time over the runner-up's, and whether it
  /// can be trusted.
  func summaryLines() -> [String] {
    let all = verdicts()
    let types = Set(all.map(\.dtype)).count
    let kinds = Set(all.map(\.cell))
    return all.map { v in
      var key = types > 1 ? "n = \(v.size), B = \(v.batch), \(v.dtype)" : "n = \(v.size), B = \(v.batch)"
      if kinds != ["rnn"] { key = "\(v.cell) " + key }
      return "\(key): \(v.sentence)"
    }
  }

  /// A formulation as reports print it: the notebook's literal one (`fusedConcatenatingEachStep`)
  /// as `notebook-literal`.
  static func displayName(_ formulation: String) -> String {
    formulation == "fusedConcatenatingEachStep" ? "notebook-literal" : formulation
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
