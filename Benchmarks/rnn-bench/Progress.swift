import ArgumentParser
import Foundation

/// `--time-budget`: seconds (`90`, `90s`), minutes (`3m`), or `none` for no limit.
struct TimeLimit: ExpressibleByArgument {
  /// `nil` for no limit.
  var seconds: Double?

  init(seconds: Double?) { self.seconds = seconds }

  init?(argument: String) {
    let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
    if text == "none" {
      seconds = nil
      return
    }
    let (number, unit): (Substring, Double) =
      text.hasSuffix("m") ? (text.dropLast(), 60) : text.hasSuffix("s") ? (text.dropLast(), 1) : (Substring(text), 1)
    guard let value = Double(number), value.isFinite, value > 0, value * unit <= 86_400 else { return nil }
    seconds = value * unit
  }

  static var defaultCompletionKind: CompletionKind { .default }
}

/// Progress on standard error: on a terminal one line rewritten in place, elsewhere (a log, CI) one
/// line per update; lines printed with ``print(_:)`` stay.
struct StatusLine: Sendable {
  private let terminal = isatty(STDERR_FILENO) == 1

  /// Shows `line` as the current status.
  func show(_ line: String) {
    write(terminal ? "\r\u{1B}[K" + line : line + "\n")
  }

  /// Prints `line` for good (above the status, on a terminal).
  func print(_ line: String) {
    write(terminal ? "\r\u{1B}[K" + line + "\n" : line + "\n")
  }

  /// Removes the status from a terminal.
  func clear() {
    if terminal { write("\r\u{1B}[K") }
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}

let statusLine = StatusLine()
