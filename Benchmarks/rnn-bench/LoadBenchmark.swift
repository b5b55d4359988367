import ArgumentParser
import Foundation
import NumPyIO
import PyTorchIO

/// Reading a state dict file against reading its bytes: what decoding costs beyond the I/O.
struct LoadBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "load",
    abstract: "StateDict(contentsOf:) on state dict files (.pt, .safetensors, .npz) against reading their bytes.",
    discussion: """
      For each file, in interleaved rounds: the file's bytes read into a new buffer (what `cat` \\
      does, plus the allocation a reader needs), and the file read as a StateDict (format \\
      recognised, checked, every tensor decoded into its own array). Medians of the rounds, and \\
      the median of the per-round ratios load / bytes with the lowest and highest round. Run \\
      each file once before the rounds, so that both read from the page cache.
      """)

  @Argument(help: "State dict files.")
  var files: [String]

  @Option(help: "Rounds (default 7).")
  var rounds = 7

  func validate() throws {
    guard (3...1000).contains(rounds) else { throw ValidationError("--rounds must be between 3 and 1000") }
  }

  func run() throws {
    print("file                                      MB      bytes ms   load ms   load / bytes [rounds]")
    for path in files {
      var bytesTimes: [Double] = []
      var loadTimes: [Double] = []
      var size = 0
      func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
      }
      do {
        _ = try StateDict(path: path)  // warm the page cache, and fail early on a bad file
        for _ in 0..<rounds {
          bytesTimes.append(try time { size = try readRegularFile(atPath: path, maximumBytes: .max).count })
          loadTimes.append(try time { _ = try StateDict(path: path) })
        }
      } catch {
        throw RuntimeError("\(path): \(error)")
      }
      let ratios = zip(loadTimes, bytesTimes).map { $0 / $1 }.sorted()
      func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
      let name = URL(fileURLWithPath: path).lastPathComponent
      print(
        name.padding(toLength: 40, withPad: " ", startingAt: 0)
          + String(
            format: "%8.1f  %9.1f  %8.1f   %.2fx [%.2f, %.2f]", Double(size) / 1e6, median(bytesTimes),
            median(loadTimes), ratios[ratios.count / 2], ratios.first!, ratios.last!))
    }
  }
}
