// _TestSupport has no stable API: it exists for this package's tests.

public import DenseMatrix
public import Foundation

/// Runs Python scripts against numpy as an independent oracle for the tests.
///
/// Matrices travel as text with every double printed in its shortest round-trip form (Swift's
/// `description`, Python's `repr`), so values cross the boundary exactly.
public enum NumPy {
  /// Whether `python3` with numpy can be run here, checked once.
  public static let isAvailable: Bool = {
    (try? run("out['ok'] = np.array([[1.0]])", inputs: [:]))?["ok"] != nil
  }()

  /// Why numpy tests are skipped when they are.
  public static let unavailableReason = "python3 with numpy is not installed: the numpy oracle tests are skipped"

  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// Runs `script` with `np` imported, `inp` holding the inputs as 2-D float64 arrays and
  /// `out` an empty dict; returns `out`, whose values must be arrays of at most 2 dimensions
  /// (0-D and 1-D become 1×1 and n×1), or strings (returned in ``strings``).
  public static func run(_ script: String, inputs: [String: Matrix<Double>]) throws -> [String: Matrix<Double>] {
    try runWithStrings(script, inputs: inputs).matrices
  }

  /// Like ``run(_:inputs:)``, also returning the string values of `out`.
  public static func runWithStrings(
    _ script: String, inputs: [String: Matrix<Double>], python executable: String = "python3"
  ) throws
    -> (matrices: [String: Matrix<Double>], strings: [String: String])
  {
    var input = ""
    for (name, matrix) in inputs.sorted(by: { $0.key < $1.key }) {
      input += "\(name) \(matrix.rows) \(matrix.columns)"
      for value in matrix.scalars { input += " \(value)" }
      input += "\n"
    }
    let program = """
      import sys, numpy as np
      inp = {}
      for line in sys.stdin.read().splitlines():
          f = line.split()
          inp[f[0]] = np.array([float(v) for v in f[3:]], dtype=np.float64).reshape(int(f[1]), int(f[2]))
      out = {}
      exec(compile(sys.argv[1], 'oracle', 'exec'))
      for k, v in out.items():
          if isinstance(v, str):
              print('S', k, v.encode().hex())
              continue
          a = np.asarray(v, dtype=np.float64)
          if a.ndim == 0: a = a.reshape(1, 1)
          if a.ndim == 1: a = a.reshape(-1, 1)
          print('M', k, a.shape[0], a.shape[1], *[repr(float(x)) for x in a.ravel()])
      """
    let output = try python(["-c", program, script], input: Data(input.utf8), executable: executable)
    var matrices: [String: Matrix<Double>] = [:]
    var strings: [String: String] = [:]
    for line in output.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields[0] == "S" {
        let hex = fields.count > 2 ? Array(fields[2].utf8) : []
        var bytes: [UInt8] = []
        var i = 0
        while i + 1 < hex.count {
          bytes.append(UInt8(String(decoding: hex[i...(i + 1)], as: UTF8.self), radix: 16)!)
          i += 2
        }
        strings[String(fields[1])] = String(decoding: bytes, as: UTF8.self)
      } else {
        let rows = Int(fields[2])!
        let columns = Int(fields[3])!
        matrices[String(fields[1])] = Matrix<Double>(
          rows: rows, columns: columns, scalars: fields[4...].map { Double(String($0))! })
      }
    }
    return (matrices, strings)
  }
}

extension NumPy {
  /// Runs `script` with `np` imported and the working directory set to `directory`; returns
  /// what it printed. For tests that exchange files with numpy.
  @discardableResult
  public static func runScript(_ script: String, in directory: URL) throws -> String {
    try python(["-c", "import numpy as np\n" + script], in: directory)
  }

  /// Runs `python3` with `arguments`, feeding `input` on standard input; returns standard output.
  /// Standard input and standard error are served on their own threads, so that no pipe can fill
  /// up and block the other side.
  ///
  /// - Throws: ``Failure`` with python's standard error if it exits non-zero.
  static func python(
    _ arguments: [String], input: Data = Data(), in directory: URL? = nil, executable: String = "python3"
  ) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    if let directory { process.currentDirectoryURL = directory }
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let writer = Thread {
      stdin.fileHandleForWriting.write(input)
      try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let errors = ErrorCollector()
    let errorsRead = DispatchSemaphore(value: 0)
    let reader = Thread {
      errors.data = stderr.fileHandleForReading.readDataToEndOfFile()
      errorsRead.signal()
    }
    reader.start()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    errorsRead.wait()
    guard process.terminationStatus == 0 else {
      throw Failure(
        description:
          "\(executable) failed (\(process.terminationStatus)): \(String(decoding: errors.data, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
  }
}

/// Standard error, written by the reader thread and read after its semaphore is signalled.
private final class ErrorCollector: @unchecked Sendable {
  var data = Data()
}

/// A fresh temporary directory, removed by `cleanUp()`.
public struct TemporaryDirectory: Sendable {
  public let url: URL

  public init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("swift-blas-rnn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  public func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// PyTorch as an oracle: the numpy oracle's protocol, run by a Python that has torch
/// (`SWIFT_BLAS_RNN_TORCH_PYTHON`, else `python3`).
public enum Torch {
  /// The Python that runs the scripts.
  public static let python = ProcessInfo.processInfo.environment["SWIFT_BLAS_RNN_TORCH_PYTHON"] ?? "python3"

  /// Whether that Python imports torch, checked once.
  public static let isAvailable: Bool = {
    (try? run("out['ok'] = np.array([[1.0]])", inputs: [:]))?["ok"] != nil
  }()

  /// Why PyTorch tests are skipped when they are.
  public static let unavailableReason =
    "no python3 with torch (set SWIFT_BLAS_RNN_TORCH_PYTHON to one that has it): the PyTorch oracle tests are skipped"

  /// Runs `script` with `np` and `torch` imported, as ``NumPy/run(_:inputs:)`` does.
  public static func run(_ script: String, inputs: [String: Matrix<Double>]) throws -> [String: Matrix<Double>] {
    try NumPy.runWithStrings("import torch\n" + script, inputs: inputs, python: python).matrices
  }
}
