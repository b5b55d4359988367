import ArgumentParser
import BLASDiagnostics
import DenseMatrix
import _CommandLineSupport

/// The teaching notebook, in Swift: join the weights and the state two ways, compute the hidden
/// state's pre-activation by both formulas, and check that they agree, before and after a bias
/// and a sigmoid.
@main
struct HiddenStateDemo: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hidden-state-demo",
    abstract: "Computes a vanilla RNN hidden state fused and split, and checks that they agree.",
    discussion: """
      Formula 1 (fused):  W_h · [h_prev; x]  with  W_h = [W_hh | W_hx]
      Formula 2 (split):  W_hh · h_prev + W_hx · x

      By default it uses the notebook's illustration data (W_hh all ones, W_hx all nines), \
      which gives 245 in every row. --random uses standard-normal data instead; --outputs, \
      --hidden and --input set the shapes.

      The third "Data" section always replays the notebook's own second example of a vertical \
      join (a fixed 4 × 1 state of ones above a fixed 10 × 1 input of nines) and is labelled \
      so; the flags do not change it.
      """)

  @Flag(help: "Use standard-normal data instead of the notebook's ones and nines.")
  var random = false

  @Option(help: "Seed for --random data and for the bias (same seed, same output on every machine).")
  var seed: UInt64 = 0

  @Option(help: "Rows of h_prev (columns of W_hh).")
  var hidden = 2

  @Option(help: "Rows of x (columns of W_hx).")
  var input = 3

  @Option(help: "Rows of the result (rows of W_hh and W_hx).")
  var outputs = 3

  @Option(help: "Product backend: \(Backend.allCases.map(\.rawValue).joined(separator: ", ")).")
  var backend: Backend = .blas

  func validate() throws {
    for (name, value) in [("--hidden", hidden), ("--input", input), ("--outputs", outputs)]
    where value < 1 || value > 100_000 {
      throw ValidationError("\(name) must be between 1 and 100000, got \(value)")
    }
  }

  func run() throws {
    if let warning = BLAS.kernelReport.warning { printError("hidden-state-demo: \(warning)") }
    var rng = SeededGenerator(seed: seed)
    func data(_ rows: Int, _ columns: Int, _ value: Double) -> Matrix<Double> {
      random
        ? .randomNormal(rows: rows, columns: columns, using: &rng)
        : .full(rows: rows, columns: columns, value: value)
    }
    let wHH = data(outputs, hidden, 1)
    let wHX = data(outputs, input, 9)
    let hPrevious = data(hidden, 1, 1)
    let x = data(input, 1, 9)

    showJoins(("w_hh", wHH), ("w_hx", wHX), axis: 1)
    showJoins(("h_t_prev", hPrevious), ("x_t", x), axis: 0)
    // The notebook's second vertical join: a fixed 4-row state above a fixed 10-row input,
    // whatever the flags say (labelled so).
    print("-- The notebook's fixed example: a 4 × 1 state above a 10 × 1 input (not set by the flags) --\n")
    showJoins(
      ("h_t_prev", .full(rows: 4, columns: 1, value: 1)), ("x_t", .full(rows: 10, columns: 1, value: 9)), axis: 0)

    print("-- Results --")
    let stack1 = hstack([wHH, wHX])
    let stack2 = vstack([hPrevious, x])
    let formula1 = matmul(stack1, stack2, backend: backend)
    print("\nFormula 1")
    print("Term1:\n", stack1)
    print("Term2:\n", stack2)
    print("Output:")
    print(formula1)

    let mul1 = matmul(wHH, hPrevious, backend: backend)
    let mul2 = matmul(wHX, x, backend: backend)
    let formula2 = mul1 + mul2
    print("\nFormula 2")
    print("Term1:\n", mul1)
    print("Term2:\n", mul2)
    print("\nOutput:")
    print(formula2, "\n")

    print("-- Verify --")
    let same = allclose(formula1, formula2)
    print("Results are the same :", same)

    print("\n-- Bias and sigmoid --")
    let b = Matrix.randomNormal(rows: outputs, columns: 1, using: &rng)
    let activated1 = formula1.addingColumnVector(b).sigmoid()
    let activated2 = formula2.addingColumnVector(b).sigmoid()
    print("Formula 1 Output:\n", activated1)
    print("Formula 2 Output:\n", activated2)
    let sameAfter = allclose(activated1, activated2)
    print("Results after activation are the same :", sameAfter)
    print("\nBLAS: \(BLAS.configuration), \(BLAS.threadCount) thread(s); backend: \(backend)")
    if !same || !sameAfter { throw ExitCode.failure }
  }

  /// The notebook's "Data" and "Joining" cells: both operands, then the join done both ways
  /// (`concatenate` and `hstack` for axis 1, `concatenate` and `vstack` for axis 0).
  private func showJoins(
    _ a: (name: String, matrix: Matrix<Double>), _ b: (name: String, matrix: Matrix<Double>), axis: Int
  ) {
    print("-- Data --\n")
    show(a.name, a.matrix)
    show(b.name, b.matrix)
    print("-- Joining --\n")
    let horizontal = axis == 1
    print("option 1 : concatenate\n")
    show(horizontal ? "w_h" : "ax_1", concatenate([a.matrix, b.matrix], axis: axis))
    print("option 2 : \(horizontal ? "hstack" : "vstack")\n")
    show(horizontal ? "w_h" : "ax_2", horizontal ? hstack([a.matrix, b.matrix]) : vstack([a.matrix, b.matrix]))
  }

  private func show(_ name: String, _ matrix: Matrix<Double>) {
    print("\(name) :")
    print(matrix)
    print("\(name) shape :", matrix.shape, "\n")
  }
}
