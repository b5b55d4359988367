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
    var header = [
      "n_h=n_x", "B", "formulation", "backend", "median µs/step", "min", "max", "GFLOP/s", "vs split", "vs raw",
    ]
    if showNumpy { header.append("vs numpy") }
    var cells: [[String]] = []
    var previous: (Int, Int)? = nil
    for r in rows {
      if let p = previous, p != (r.batch, r.size) { cells.append([]) }
      previous = (r.batch, r.size)
      var line = [
        "\(r.size)", "\(r.batch)", r.formulation == "hoisted" ? "hoisted (T=\(r.steps))" : r.formulation, r.backend,
        micro(r.medianNanosecondsPerStep), micro(r.minNanosecondsPerStep), micro(r.maxNanosecondsPerStep),
        fixed(r.gflops, 2), r.vsSplit.map { fixed($0, 2) + "x" } ?? "", r.vsRaw.map { fixed($0, 2) + "x" } ?? "",
      ]
      if showNumpy { line.append(r.vsNumpy.map { fixed($0, 2) + "x" } ?? "") }
      cells.append(line)
    }
    let widths = header.indices.map { c in ([header] + cells).map { $0.count > c ? $0[c].count : 0 }.max()! }
    func render(_ row: [String]) -> String {
      row.enumerated().map { c, s in
        c < 4
          ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[c] - s.count) + s
      }.joined(separator: "  ")
    }
    lines.append(render(header))
    lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
    for row in cells { lines.append(row.isEmpty ? "" : render(row)) }
    if !verification.isEmpty {
      lines.append("")
      lines.append("Verification (every formulation and backend vs split on BLAS, same state and inputs):")
      for v in verification {
        lines.append(
          "  n = \(v.size), B = \(v.batch): max |Δ| = \(scientific(v.maxAbsDifference)), allclose(rtol 1e-12, atol 1e-12): \(v.allclose)"
        )
      }
    }
    return lines.joined(separator: "\n")
  }

  func csv() -> String {
    var lines = [
      "size,batch,steps,formulation,backend,median_ns_per_step,min_ns_per_step,max_ns_per_step,gflops,samples,vs_split,vs_raw,vs_numpy"
    ]
    for r in rows {
      let optional = [r.vsSplit, r.vsRaw, r.vsNumpy].map { $0.map { "\($0)" } ?? "" }
      lines.append(
        ([
          "\(r.size)", "\(r.batch)", "\(r.steps)", r.formulation, r.backend, "\(r.medianNanosecondsPerStep)",
          "\(r.minNanosecondsPerStep)", "\(r.maxNanosecondsPerStep)", "\(r.gflops)", "\(r.samples)",
        ] + optional).joined(separator: ","))
    }
    return lines.joined(separator: "\n")
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
