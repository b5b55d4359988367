import DenseMatrix
import Foundation
import NumPyIO

/// ONNX Runtime as a peer in the same run: `Benchmarks/onnxruntime/rnn_onnxruntime.py --serve`,
/// started once, which builds the ONNX model of the same state dict, checks its output against
/// ours through files, and times one sample whenever asked, so that its samples alternate with
/// ours round by round.
final class OnnxRuntimePeer {
  private let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private var buffered: [UInt8] = []
  /// The version ONNX Runtime reports.
  private(set) var version = ""
  private let directory: URL

  /// The script beside this benchmark's sources.
  static let defaultScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("onnxruntime/rnn_onnxruntime.py").path

  /// Starts the script with `python` (found on `PATH`).
  ///
  /// - Throws: ``RuntimeError`` when python3, the script, or onnxruntime/onnx are missing.
  init(python: String, script: String) throws {
    guard FileManager.default.fileExists(atPath: script) else {
      throw RuntimeError("--onnxruntime: \(script) does not exist (run from a checkout of the package)")
    }
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, script, "--serve"]
    process.standardInput = input
    process.standardOutput = output
    do { try process.run() } catch {
      throw RuntimeError("--onnxruntime: cannot start \(python): \(error.localizedDescription)")
    }
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-bench-ort-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let ready = try readReply()
    if let error = ready["error"] as? String { throw RuntimeError("--onnxruntime: \(error)") }
    guard let version = ready["onnxruntime"] as? String else {
      throw RuntimeError("--onnxruntime: the script did not start (\(python) \(script) --serve)")
    }
    self.version = version
  }

  deinit {
    if process.isRunning {
      try? send(["op": "quit"])
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(at: directory)
  }

  /// Gives ONNX Runtime the network's state dict and input; returns its output, or the reason
  /// it cannot run this configuration (ONNX Runtime has no float64 RNN kernels).
  func prepare<Scalar: BLASScalar>(
    stateDict: [String: Matrix<Scalar>], input x: Matrix<Scalar>, mode: String, layers: Int, bidirectional: Bool,
    batch: Int, threads: Int, minTime: Double
  ) throws -> Result<Matrix<Scalar>, RuntimeError> {
    let weights = directory.appendingPathComponent("state.npz")
    let inputs = directory.appendingPathComponent("x.npy")
    let result = directory.appendingPathComponent("y.npy")
    try NPZArchive(matrices: stateDict).write(to: weights)
    try x.writeNPY(to: inputs)
    try send([
      "op": "prepare", "weights": weights.path, "input": inputs.path, "output": result.path, "mode": mode,
      "layers": layers, "bidirectional": bidirectional, "batch": batch, "threads": threads, "min_time": minTime,
    ])
    let reply = try readReply()
    if let error = reply["error"] as? String { return .failure(RuntimeError(error)) }
    return .success(try Matrix<Scalar>(contentsOfNPY: result))
  }

  /// One sample of the configuration last prepared: nanoseconds per step.
  func sample() throws -> Double {
    try send(["op": "sample"])
    guard let nanoseconds = try readReply()["ns_per_step"] as? Double else {
      throw RuntimeError("--onnxruntime: the script's sample has no ns_per_step")
    }
    return nanoseconds
  }

  private func send(_ request: [String: Any]) throws {
    var data = try JSONSerialization.data(withJSONObject: request)
    data.append(0x0A)
    try input.fileHandleForWriting.write(contentsOf: data)
  }

  /// The next line the script prints, as a JSON object.
  private func readReply() throws -> [String: Any] {
    while !buffered.contains(0x0A) {
      // availableData returns what the pipe holds (read(upToCount:) would wait for all 4096 bytes).
      let chunk = output.fileHandleForReading.availableData
      guard !chunk.isEmpty else {
        throw RuntimeError(
          "--onnxruntime: the script ended (is onnxruntime installed? python3 -m pip install onnxruntime onnx)")
      }
      buffered += chunk
    }
    let end = buffered.firstIndex(of: 0x0A)!
    let line = Data(buffered[..<end])
    buffered.removeSubrange(...end)
    guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
      throw RuntimeError("--onnxruntime: the script printed \(String(decoding: line, as: UTF8.self))")
    }
    return object
  }
}
