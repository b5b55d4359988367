import ArgumentParser
import DenseMatrix
import Foundation
import NumPyIO
import RNN
import _CommandLineSupport

// Writing the outputs, all or none.
extension RNNForward {
  /// An output option, its path as typed, and its checked destination.
  struct Output {
    var option: String
    var path: String
    var destination: NPYArray.Destination
  }

  /// Writes every output, all or none; a failure names the option whose file failed.
  ///
  /// With `SWIFT_BLAS_RNN_TEST_STOP_BEFORE_COMMIT` set (a test hook), the process stops itself
  /// (SIGSTOP) once every output is staged, so that a test can change a destination or send a
  /// signal at that point, then continue it.
  func commit(_ writes: [(Output, NPYArray)]) throws(ToolError) {
    let stop = getenv("SWIFT_BLAS_RNN_TEST_STOP_BEFORE_COMMIT") != nil
    do {
      try NPYArray.Destination.write(
        writes.map { ($0.0.destination, $0.1) },
        beforeCommit: {
          guard stop else { return }
          printError("rnn-forward: test hook: every output is staged; stopping")
          raise(SIGSTOP)
        }, beforeRename: { _ in })
    } catch {
      let failed = writes.first { output, _ in
        if case .io(let path, _) = error { return path == output.destination.path }
        return false
      }
      throw ToolError("\(failed?.0.option ?? "--output"): \(error.description)")
    }
  }

  func destination(_ option: String, _ path: String) throws(ToolError) -> NPYArray.Destination {
    try with(option) { () throws(NPYError) in try NPYArray.Destination(path: path) }
  }
}
