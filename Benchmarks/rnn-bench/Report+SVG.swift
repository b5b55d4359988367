import Foundation

extension Report {
  /// A self-contained SVG chart: one panel per batch size, GFLOP/s against n_h = n_x (log scale),
  /// one line per formulation and backend. No dependency; open it in a browser.
  func svg() -> String {
    let batches = Array(Set(rows.map(\.batch))).sorted()
    let sizes = Array(Set(rows.map(\.size))).sorted()
    let series = Array(Set(rows.map { "\($0.formulation)|\($0.backend)" })).sorted()
    let formulationColors = [
      "fused": "#1f77b4", "split": "#d62728", "hoisted": "#2ca02c", "fusedConcatenatingEachStep": "#9467bd",
    ]
    let backendDashes = ["blas": "", "blasGEMM": "6,3", "pureSwift": "2,3", "raw-cblas": "1,1", "numpy": "10,3,2,3"]
    let panelWidth = 460.0, panelHeight = 300.0, left = 60.0, top = 50.0,
      legendHeight = 18.0 * Double(series.count) + 20
    let width = left + Double(batches.count) * (panelWidth + 40)
    let height = top + panelHeight + 60 + legendHeight
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left)" y="20" font-size="15">RNN step throughput (GFLOP/s, higher is better): \(escape(system.cpu)), \(system.blasThreads) BLAS thread(s)</text>

      """
    for (p, batch) in batches.enumerated() {
      let x0 = left + Double(p) * (panelWidth + 40)
      let panelRows = rows.filter { $0.batch == batch }
      let maxY = Swift.max(panelRows.map(\.gflops).max() ?? 1, 1e-9) * 1.1
      func px(_ size: Int) -> Double {
        guard sizes.count > 1 else { return x0 + panelWidth / 2 }
        let lo = log2(Double(sizes.first!)), hi = log2(Double(sizes.last!))
        return x0 + (log2(Double(size)) - lo) / (hi - lo) * panelWidth
      }
      func py(_ y: Double) -> Double { top + panelHeight - y / maxY * panelHeight }
      s += "<text x=\"\(x0)\" y=\"\(top - 10)\" font-weight=\"bold\">batch B = \(batch)</text>\n"
      s +=
        "<rect x=\"\(x0)\" y=\"\(top)\" width=\"\(panelWidth)\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
      for i in 0...4 {
        let y = maxY * Double(i) / 4
        s += "<line x1=\"\(x0)\" x2=\"\(x0 + panelWidth)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#eee\"/>"
        s += "<text x=\"\(x0 - 5)\" y=\"\(py(y) + 4)\" text-anchor=\"end\">\(fixed(y, 1))</text>\n"
      }
      for size in sizes {
        s += "<text x=\"\(px(size))\" y=\"\(top + panelHeight + 16)\" text-anchor=\"middle\">\(size)</text>\n"
      }
      s +=
        "<text x=\"\(x0 + panelWidth / 2)\" y=\"\(top + panelHeight + 34)\" text-anchor=\"middle\">n_h = n_x</text>\n"
      for key in series {
        let parts = key.split(separator: "|").map(String.init)
        let points = panelRows.filter { $0.formulation == parts[0] && $0.backend == parts[1] }.sorted {
          $0.size < $1.size
        }
        guard !points.isEmpty else { continue }
        let color = formulationColors[parts[0]] ?? "#333"
        let dash = backendDashes[parts[1]] ?? ""
        let path = points.map { "\(px($0.size)),\(py($0.gflops))" }.joined(separator: " ")
        s +=
          "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"\(dash)\" points=\"\(path)\">"
        s += "<title>\(escape(key))</title></polyline>\n"
        for point in points {
          s +=
            "<circle cx=\"\(px(point.size))\" cy=\"\(py(point.gflops))\" r=\"2.5\" fill=\"\(color)\"><title>\(escape(parts[0])) / \(escape(parts[1])), n = \(point.size): \(fixed(point.gflops, 2)) GFLOP/s, \(micro(point.medianNanosecondsPerStep)) µs/step</title></circle>\n"
        }
      }
    }
    var y = top + panelHeight + 60
    for key in series {
      let parts = key.split(separator: "|").map(String.init)
      let color = formulationColors[parts[0]] ?? "#333"
      s +=
        "<line x1=\"\(left)\" x2=\"\(left + 40)\" y1=\"\(y - 4)\" y2=\"\(y - 4)\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"\(backendDashes[parts[1]] ?? "")\"/>"
      s += "<text x=\"\(left + 48)\" y=\"\(y)\">\(escape(parts[0])) on \(escape(parts[1]))</text>\n"
      y += 18
    }
    return s + "</svg>\n"
  }
}

private func escape(_ s: String) -> String {
  s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
    of: ">", with: "&gt;")
}
