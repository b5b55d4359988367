public import DenseMatrix

/// A random PyTorch recurrent state dict (`weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
/// `bias_hh_l{k}`, `_reverse` when bidirectional) of `gates` gates (1, 3 or 4), normal with
/// `standardDeviation`, drawn in name order from `generator`.
public func randomStateDict(
  gates: Int, hidden: Int, input: Int, layers: Int, bidirectional: Bool, bias: Bool, standardDeviation: Double,
  using generator: inout SeededGenerator
) -> [String: Matrix<Double>] {
  let directions = bidirectional ? 2 : 1
  var stateDict: [String: Matrix<Double>] = [:]
  for layer in 0..<layers {
    for suffix in bidirectional ? ["", "_reverse"] : [""] {
      let columns = layer == 0 ? input : directions * hidden
      func draw(_ columns: Int) -> Matrix<Double> {
        .randomNormal(rows: gates * hidden, columns: columns, standardDeviation: standardDeviation, using: &generator)
      }
      stateDict["weight_ih_l\(layer)\(suffix)"] = draw(columns)
      stateDict["weight_hh_l\(layer)\(suffix)"] = draw(hidden)
      if bias {
        stateDict["bias_ih_l\(layer)\(suffix)"] = draw(1)
        stateDict["bias_hh_l\(layer)\(suffix)"] = draw(1)
      }
    }
  }
  return stateDict
}
