public import Foundation

/// One of this package's executables, built beside the test bundle (a test target that depends
/// on the executable target gets it built).
public func builtTool(_ name: String) -> URL {
  URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    .appendingPathComponent(name)
}

/// Runs `tool` with `arguments` (this process's environment plus `environment`), standard
/// output discarded, and returns its exit status and what it wrote on standard error.
public func runTool(
  _ tool: URL, _ arguments: [String], environment: [String: String] = [:]
) throws -> (status: Int32, stderr: String) {
  let process = Process()
  process.executableURL = tool
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  let stderr = Pipe()
  process.standardError = stderr
  process.standardOutput = Pipe()
  try process.run()
  let errors = stderr.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: errors, as: UTF8.self))
}
