import Foundation

extension Report {
  /// A self-contained SVG chart that answers "which formulation wins at my size": one panel per
  /// cell, element type and batch size (a row of panels per cell and type, a column per batch);
  /// for each size, each formulation's time on the default backend (BLAS) relative to split's, on
  /// a log scale with 1 = split; whiskers from the lowest to the highest per-round ratio; the
  /// raw-CBLAS fused step in grey as the floor the library could reach; the faster formulation of
  /// each size marked with a star, or "uncertain" (see ``verdicts()``). No dependency: open it in
  /// a browser or render it with `rsvg-convert`.
  func svg() -> String {
    var kinds: [(cell: String, dtype: String)] = []
    for r in rows where r.backend != "numpy" && !kinds.contains(where: { $0 == (r.cellKind, r.elementType) }) {
      kinds.append((r.cellKind, r.elementType))
    }
    let batches = Array(Set(rows.map(\.batch))).sorted()
    let sizes = Array(Set(rows.map(\.size))).sorted()
    let series: [(key: String, label: String, color: String)] = [
      ("fused", "fused", "#1f77b4"), ("hoisted", "hoisted", "#2ca02c"),
      ("fusedConcatenatingEachStep", "notebook-literal", "#9467bd"),
    ]
    let panelWidth = 420.0, panelHeight = 300.0, left = 64.0, firstTop = 96.0, gap = 56.0, rowGap = 84.0
    let width = left + Double(batches.count) * (panelWidth + gap)
    let height = firstTop + Double(kinds.count) * (panelHeight + rowGap) - rowGap + 58
    // The y range: every ratio and whisker, within [1/8, 8], on whole powers of two.
    let ratios = rows.filter { $0.backend == "blas" || $0.backend == "raw-cblas" }
      .flatMap { [$0.vsSplitLow, $0.vsSplitHigh, $0.vsSplit].compactMap { $0 } }
    let lowExponent = Swift.max(-3, Int(floor(log2(ratios.min() ?? 0.5))))
    let highExponent = Swift.min(3, Swift.max(1, Int(ceil(log2(ratios.max() ?? 2)))))

    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left)" y="22" font-size="15">Time per step relative to split (below 1 is faster), BLAS backend</text>
      <text x="\(left)" y="40" fill="#555">\(escape(system.cpu)); \(escape(system.blasKernel ?? system.blasCore)); \(system.blasThreads) BLAS thread(s)</text>

      """
    // One-line legend.
    var lx = left
    for entry in series {
      s += "<line x1=\"\(lx)\" x2=\"\(lx + 22)\" y1=\"58\" y2=\"58\" stroke=\"\(entry.color)\" stroke-width=\"2.5\"/>"
      s += "<circle cx=\"\(lx + 11)\" cy=\"58\" r=\"3.5\" fill=\"\(entry.color)\"/>"
      s += "<text x=\"\(lx + 28)\" y=\"62\">\(entry.label)</text>\n"
      lx += 28 + Double(entry.label.count) * 7 + 18
    }
    s +=
      "<line x1=\"\(lx)\" x2=\"\(lx + 22)\" y1=\"58\" y2=\"58\" stroke=\"#999\" stroke-width=\"2\" stroke-dasharray=\"4,3\"/>"
    s += "<text x=\"\(lx + 28)\" y=\"62\">raw CBLAS fused</text>\n"
    lx += 28 + 15 * 7 + 18
    s += "<text x=\"\(lx)\" y=\"62\">★ faster in every round</text>\n"

    let verdicts = verdicts()
    for (g, kind) in kinds.enumerated() {
      let top = firstTop + Double(g) * (panelHeight + rowGap)
      func py(_ ratio: Double) -> Double {
        let clamped = Swift.min(Swift.max(ratio, pow(2, Double(lowExponent))), pow(2, Double(highExponent)))
        return top + (Double(highExponent) - log2(clamped)) / Double(highExponent - lowExponent) * panelHeight
      }
      for (p, batch) in batches.enumerated() {
        let x0 = left + Double(p) * (panelWidth + gap)
        func px(_ index: Int) -> Double { x0 + (Double(index) + 0.5) / Double(sizes.count) * panelWidth }
        s +=
          "<text x=\"\(x0)\" y=\"\(top - 6)\" font-weight=\"bold\">\(kind.cell == "rnn" ? "RNN" : kind.cell.uppercased()), \(kind.dtype), B = \(batch)</text>\n"
        s +=
          "<rect x=\"\(x0)\" y=\"\(top)\" width=\"\(panelWidth)\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
        for exponent in lowExponent...highExponent {
          let ratio = pow(2, Double(exponent))
          let label = exponent >= 0 ? "\(Int(ratio))" : "1/\(Int(1 / ratio))"
          let stroke = exponent == 0 ? "stroke=\"#444\" stroke-width=\"1.2\"" : "stroke=\"#e5e5e5\""
          s += "<line x1=\"\(x0)\" x2=\"\(x0 + panelWidth)\" y1=\"\(py(ratio))\" y2=\"\(py(ratio))\" \(stroke)/>"
          s += "<text x=\"\(x0 - 6)\" y=\"\(py(ratio) + 4)\" text-anchor=\"end\">\(label)×</text>\n"
        }
        for (i, size) in sizes.enumerated() {
          s += "<text x=\"\(px(i))\" y=\"\(top + panelHeight + 18)\" text-anchor=\"middle\">\(size)</text>\n"
        }
        s +=
          "<text x=\"\(x0 + panelWidth / 2)\" y=\"\(top + panelHeight + 38)\" text-anchor=\"middle\">n_h = n_x</text>\n"

        // The raw-CBLAS floor, in grey.
        let raw = sizes.enumerated().compactMap { i, size -> (Int, Double)? in
          guard let ratio = rawFusedRatio(kind.cell, kind.dtype, size: size, batch: batch) else { return nil }
          return (i, ratio)
        }
        if raw.count > 1 {
          let points = raw.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
          s +=
            "<polyline fill=\"none\" stroke=\"#999\" stroke-width=\"2\" stroke-dasharray=\"4,3\" points=\"\(points)\"/>\n"
        }
        for (k, entry) in series.enumerated() {
          let offset = (Double(k) - 1) * 7  // side by side, so that whiskers do not overlap
          var points: [String] = []
          for (i, size) in sizes.enumerated() {
            guard
              let r = rows.first(where: {
                $0.cellKind == kind.cell && $0.elementType == kind.dtype && $0.size == size && $0.batch == batch
                  && $0.backend == "blas" && $0.formulation == entry.key
              }), let ratio = r.vsSplit
            else { continue }
            let x = px(i) + offset
            points.append("\(x),\(py(ratio))")
            if let low = r.vsSplitLow, let high = r.vsSplitHigh {
              s +=
                "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(py(low))\" y2=\"\(py(high))\" stroke=\"\(entry.color)\" stroke-width=\"1.2\"/>"
            }
            s += "<circle cx=\"\(x)\" cy=\"\(py(ratio))\" r=\"3.5\" fill=\"\(entry.color)\">"
            s += "<title>\(entry.label), n = \(size), B = \(batch): \(fixed(ratio, 2))× split</title></circle>\n"
          }
          if points.count > 1 {
            s +=
              "<polyline fill=\"none\" stroke=\"\(entry.color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
          }
        }
        // The winner of each size, above the panel's data.
        for (i, size) in sizes.enumerated() {
          guard
            let verdict = verdicts.first(where: {
              $0.cell == kind.cell && $0.dtype == kind.dtype && $0.size == size && $0.batch == batch
            })
          else { continue }
          let text = verdict.certain ? "★ \(Report.displayName(verdict.faster))" : "uncertain"
          s += "<text x=\"\(px(i))\" y=\"\(top + 16)\" text-anchor=\"middle\" font-size=\"11\">\(escape(text))</text>\n"
        }
      }
    }
    return s + "</svg>\n"
  }

  /// The raw-CBLAS fused step's time over BLAS split's, round by round (median).
  private func rawFusedRatio(_ cell: String, _ dtype: String, size: Int, batch: Int) -> Double? {
    func find(_ backend: String, _ formulation: String) -> [Double]? {
      rows.first(where: {
        $0.cellKind == cell && $0.elementType == dtype && $0.size == size && $0.batch == batch
          && $0.backend == backend && $0.formulation == formulation
      })?.roundNanosecondsPerStep
    }
    guard let raw = find("raw-cblas", "fused"), let split = find("blas", "split")
    else { return nil }
    return Samples(nanosecondsPerStep: zip(raw, split).map { $0 / $1 }).median
  }
}

private func escape(_ s: String) -> String {
  s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
    of: ">", with: "&gt;")
}
