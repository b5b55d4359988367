import ArgumentParser
import Foundation
import Glibc
import NumPyIO
import PyTorchIO

/// Reading a state dict file against reading its bytes: what decoding costs beyond the I/O.
struct LoadBenchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "load",
    abstract: "StateDict(contentsOf:) on state dict files (.pt, .safetensors, .npz) against reading their bytes.",
    discussion: """
      For each file, in interleaved rounds, three timings: `cat` (the file read through one \
      reused 128 KiB buffer, as GNU cat does, the bytes dropped), the file's bytes read into a \
      new buffer (cat plus the allocation of a whole-file buffer, which a reader needs), and the \
      file read as a StateDict (format recognised, every check, every tensor decoded into its \
      own array; a torch.save or .npz member's CRC-32 checked; tensors of 8 MiB or more read in \
      parts on up to 4 threads, as many as there are cores). Medians of the rounds, and the \
      medians of the per-round ratios load / cat (with the lowest and highest round) and load / \
      new buffer, beside the goal: a load costs no more than reading the bytes twice (load / \
      cat ≤ 2). Each file is read once before the rounds, so that every timing reads from the \
      page cache.
      """)

  @Argument(help: "State dict files.")
  var files: [String]

  @Option(help: "Rounds (default 7).")
  var rounds = 7

  func validate() throws {
    guard (3...1000).contains(rounds) else { throw ValidationError("--rounds must be between 3 and 1000") }
  }

  func run() throws {
    let system = SystemInfo.current(kernel: "")
    let crc = CRC32.widestKernel == 512 ? "VPCLMULQDQ (AVX-512)" : CRC32.widestKernel == 128 ? "PCLMULQDQ" : "zlib"
    print("CPU: \(system.cpu), \(system.cores) cores; Swift \(system.swift), \(system.build) build")
    print(
      "Reader: tensors of \(2 * ParallelRead.minimumPart >> 20) MiB or more read in parts on up to "
        + "\(ParallelRead.threads(for: .max)) threads; CRC-32 by \(crc); cat on one thread")
    print(
      "file                                      MB     cat ms  new buffer ms  load ms   load / cat [rounds]   load / new buffer  goal"
    )
    for path in files {
      var catTimes: [Double] = []
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
          catTimes.append(try time { try cat(path) })
          bytesTimes.append(try time { size = try readRegularFile(atPath: path, maximumBytes: .max).count })
          loadTimes.append(try time { _ = try StateDict(path: path) })
        }
      } catch {
        throw RuntimeError("\(path): \(error)")
      }
      let overCat = zip(loadTimes, catTimes).map { $0 / $1 }.sorted()
      let overBytes = zip(loadTimes, bytesTimes).map { $0 / $1 }.sorted()
      func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
      let name = URL(fileURLWithPath: path).lastPathComponent
      print(
        name.padding(toLength: 40, withPad: " ", startingAt: 0)
          + String(
            format: "%8.1f  %8.1f  %13.1f  %7.1f   %5.2fx [%.2f, %.2f]   %5.2fx             ≤ 2.00",
            Double(size) / 1e6, median(catTimes), median(bytesTimes), median(loadTimes), overCat[overCat.count / 2],
            overCat.first!, overCat.last!, overBytes[overBytes.count / 2]))
    }
  }

  /// Reads the file as GNU cat does: one reused 128 KiB buffer, the bytes dropped.
  private func cat(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw RuntimeError("\(path): cannot open it (errno \(errno))") }
    defer { close(descriptor) }
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 128 << 10, alignment: 4096)
    defer { buffer.deallocate() }
    while true {
      let n = read(descriptor, buffer, 128 << 10)
      if n == 0 { return }
      if n < 0 && errno != EINTR { throw RuntimeError("\(path): read failed (errno \(errno))") }
    }
  }
}
