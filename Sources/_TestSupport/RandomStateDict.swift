public import DenseMatrix

/// A random PyTorch recurrent state dict (`weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
/// `bias_hh_l{k}`, `_reverse` when bidirectional) of `gates` gates (1, 3 or 4), normal with
/// `standardDeviation`, drawn in name order from `generator`; with `projection` P > 0 (an LSTM's
/// `proj_size`) also `weight_hr_l{k}` (P × H), `weight_hh` then 4H × P and the layers after the
/// first reading D·P features.
public func randomStateDict(
  gates: Int, hidden: Int, input: Int, layers: Int, bidirectional: Bool, bias: Bool, standardDeviation: Double,
  projection: Int = 0, using generator: inout SeededGenerator
) -> [String: Matrix<Double>] {
  let directions = bidirectional ? 2 : 1
  let stateSize = projection > 0 ? projection : hidden
  var stateDict: [String: Matrix<Double>] = [:]
  for layer in 0..<layers {
    for suffix in bidirectional ? ["", "_reverse"] : [""] {
      let columns = layer == 0 ? input : directions * stateSize
      func draw(_ columns: Int, rows: Int = gates * hidden) -> Matrix<Double> {
        .randomNormal(rows: rows, columns: columns, standardDeviation: standardDeviation, using: &generator)
      }
      stateDict["weight_ih_l\(layer)\(suffix)"] = draw(columns)
      stateDict["weight_hh_l\(layer)\(suffix)"] = draw(stateSize)
      if bias {
        stateDict["bias_ih_l\(layer)\(suffix)"] = draw(1)
        stateDict["bias_hh_l\(layer)\(suffix)"] = draw(1)
      }
      if projection > 0 { stateDict["weight_hr_l\(layer)\(suffix)"] = draw(hidden, rows: projection) }
    }
  }
  return stateDict
}
