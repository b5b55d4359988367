// _CommandLineSupport has no stable API: it is shared by this package's command-line tools.

public import ArgumentParser
public import DenseMatrix
public import RNN
public import RNNTraining

// The package's enums as command-line values, spelled as their raw values
// (`--backend pureSwift`, `--formulation hoisted`, `--activation tanh`).

extension Backend: ExpressibleByArgument {}
extension Formulation: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension RecurrentNetwork.Mode: ExpressibleByArgument {}
extension MSELoss.Reduction: ExpressibleByArgument {}
