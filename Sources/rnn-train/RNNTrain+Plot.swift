import Foundation

/// The loss curve `--plot` writes: a self-contained SVG in the style of `rnn-bench`'s charts (a
/// white page, sans-serif, the first series' blue), the loss of every step (before its update)
/// on a log scale, a grid line and label per power of ten, a dashed line where each epoch starts.
struct LossChart {
  /// Each step's loss, in order (step 1 first).
  var losses: [Double]
  /// Each step's epoch (all 1 for full-batch steps).
  var epochs: [Int]
  /// What the chart is of: mode, optimizer, learning rate, dtype.
  var subtitle: String

  func svg() -> String {
    let (left, top, width, height) = (72.0, 64.0, 560.0, 260.0)
    let positive = losses.filter { $0 > 0 }
    // Whole decades around every positive loss (a zero loss sits on the bottom line).
    var low = floor(log10(positive.min() ?? 1))
    var high = ceil(log10(positive.max() ?? 10))
    if high <= low { (low, high) = (low, low + 1) }
    let count = losses.count
    func x(_ step: Int) -> Double {
      count <= 1 ? left + width / 2 : left + Double(step - 1) / Double(count - 1) * width
    }
    func y(_ loss: Double) -> Double {
      let exponent = loss > 0 ? Swift.min(Swift.max(log10(loss), low), high) : low
      return top + (high - exponent) / (high - low) * height
    }
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(left + width + 40))" height="\(Int(top + height + 56))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(left)" y="22" font-size="15">Training loss per step (log scale)</text>
      <text x="\(left)" y="40" fill="#555">\(escape(subtitle))</text>

      """
    for exponent in stride(from: Int(low), through: Int(high), by: 1) {
      let py = y(pow(10, Double(exponent)))
      s += "<line x1=\"\(left)\" x2=\"\(left + width)\" y1=\"\(py)\" y2=\"\(py)\" stroke=\"#ddd\"/>"
      s += "<text x=\"\(left - 8)\" y=\"\(py + 4)\" text-anchor=\"end\">1e\(exponent)</text>\n"
    }
    // Where each epoch after the first starts (for a score of epochs; beyond, they would fill the chart).
    let starts = epochs.indices.dropFirst().filter { epochs[$0] != epochs[$0 - 1] }
    if starts.count <= 20 {
      for index in starts {
        let px = x(index + 1)
        s +=
          "<line x1=\"\(px)\" x2=\"\(px)\" y1=\"\(top)\" y2=\"\(top + height)\" stroke=\"#bbb\" stroke-dasharray=\"4,3\"/>\n"
      }
    }
    // Five step labels, the first and the last among them.
    let ticks = Array(Set((0...4).map { 1 + ($0 * Swift.max(0, count - 1)) / 4 })).sorted()
    for step in ticks {
      s += "<text x=\"\(x(step))\" y=\"\(top + height + 18)\" text-anchor=\"middle\">\(step)</text>\n"
    }
    s +=
      "<text x=\"\(left + width / 2)\" y=\"\(top + height + 40)\" text-anchor=\"middle\">step\(starts.isEmpty ? "" : " (dashed: a new epoch)")</text>\n"
    s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width)\" height=\"\(height)\" fill=\"none\" stroke=\"#888\"/>\n"
    let points = losses.enumerated().map { String(format: "%.2f,%.2f", x($0.offset + 1), y($0.element)) }
    s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
    if let last = losses.last {
      s += "<text x=\"\(left + width)\" y=\"\(top - 6)\" text-anchor=\"end\" fill=\"#1f77b4\">"
      s += "first \(format(losses[0])), last \(format(last))</text>\n"
    }
    return s + "</svg>\n"
  }

  private func format(_ value: Double) -> String { String(format: "%.4g", value) }

  private func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
