public import ArgumentParser
public import NumPyIO

/// numpy's element types, as --dtype spells them.
public enum ElementType: String, ExpressibleByArgument, CaseIterable {
  case float32, float64
}

/// A tool's error: the message it prints after `error:`.
public struct ToolError: Error {
  public var message: String
  public init(_ message: String) { self.message = message }
}

/// A number of bytes on the command line: `1048576`, `512K`, `64M`, `8G` (powers of 1024;
/// `KiB`, `MiB`, `GiB` and a trailing `B` are accepted too).
public struct ByteCount: ExpressibleByArgument {
  public var bytes: Int
  public init(_ bytes: Int) { self.bytes = bytes }

  public init?(argument: String) {
    var text = argument.uppercased()
    if text.hasSuffix("IB") { text.removeLast(2) } else if text.hasSuffix("B") { text.removeLast() }
    var shift = 0
    if let last = text.last, let power = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
      shift = power
      text.removeLast()
    }
    guard let value = Int(text), value > 0 else { return nil }
    let (bytes, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
    guard !overflow else { return nil }
    self.bytes = bytes
  }

  public var defaultValueDescription: String { bytes % (1 << 30) == 0 ? "\(bytes >> 30)G" : "\(bytes)" }
}

/// Runs `body`, turning its error into a tool's message that names `option` (`--inputs: …`).
public func with<T>(_ option: String, _ body: () throws(NPYError) -> T) throws(ToolError) -> T {
  do {
    return try body()
  } catch {
    throw ToolError("\(option): \(error.description)")
  }
}
