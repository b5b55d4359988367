import Foundation
import Testing
import _TestSupport

@testable import NumPyIO

/// Reads split into parts on several threads: the same bytes and CRC-32 as one read, and a
/// failing part's error.
@Suite("Reads in parts")
struct ParallelReadTests {
  /// Every part count, including more parts than pages and parts that get no bytes.
  @Test(arguments: [1, 2, 3, 4, 7], [0, 1, 4_096, 4_097, 3 * 4_096 + 5, 100_003])
  func sameBytesAndCRC(parts: Int, count: Int) throws {
    let source = MemoryBytes(bytes: CRC32Tests.bytes(count + 17, seed: UInt64(count)))
    var buffer = [UInt8](repeating: 0, count: count)
    let crc = try buffer.withUnsafeMutableBytes { raw in
      try ParallelRead.read(source, at: 17, into: raw, checksum: true, parts: parts)
    }
    let expected = Array(source.bytes[17...])
    #expect(buffer == expected)
    #expect(crc == CRC32Tests.bitwise(expected))
    buffer = [UInt8](repeating: 0, count: count)
    let none = try buffer.withUnsafeMutableBytes { raw in
      try ParallelRead.read(source, at: 17, into: raw, checksum: false, parts: parts)
    }
    #expect(none == nil)
    #expect(buffer == expected)
  }

  /// A source that fails past a byte: the read throws that error whichever part meets it.
  struct FailingBytes: RandomAccessBytes {
    let count: Int
    let failFrom: Int
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(NPYError) {
      if offset + buffer.count > failFrom { throw .io(path: "source", reason: "failed at \(offset)") }
      for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: offset + index) }
    }
  }

  @Test(arguments: [0, 5_000, 40_000, 99_999])
  func aFailingPartThrows(failFrom: Int) {
    var buffer = [UInt8](repeating: 0, count: 100_000)
    #expect(throws: NPYError.self) {
      try buffer.withUnsafeMutableBytes { raw in
        _ = try ParallelRead.read(
          FailingBytes(count: 100_000, failFrom: failFrom), at: 0, into: raw, checksum: true, parts: 4)
      }
    }
  }

  /// Small reads stay on the calling thread; large ones use at most the cores and the cap.
  @Test func threadCounts() {
    #expect(ParallelRead.threads(for: 0) == 1)
    #expect(ParallelRead.threads(for: ParallelRead.minimumPart * 2 - 1) == 1)
    #expect(ParallelRead.threads(for: 1 << 40) <= ParallelRead.maximumThreads)
    #expect(ParallelRead.threads(for: 1 << 40) >= 1)
  }
}

/// Archives and `.npy` files large enough to be read in parts: the same values, and a corrupted
/// byte in any part caught by the member's CRC-32.
@Suite("Large members read in parts")
struct LargeMemberTests {
  /// 24 MiB of float32: three 8 MiB parts' worth where there are three cores.
  static let count = 6 << 20

  static func values() -> [Float] {
    (0..<count).map { Float($0 % 65_521) * 0.25 - 1 }
  }

  @Test func npzAndNPYRoundTripExactly() throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let array = NPYArray(shape: [Self.count], elements: .float32(Self.values()))
    #expect(ParallelRead.threads(for: Self.count * 4) == min(3, ParallelRead.threads(for: .max)))
    try NPZArchive(arrays: ["w": array]).write(to: dir.file("big.npz"))
    #expect(try NPZArchive(contentsOf: dir.file("big.npz")).arrays["w"]?.elements == array.elements)
    try array.write(to: dir.file("big.npy"))
    #expect(try NPYArray(contentsOf: dir.file("big.npy")).elements == array.elements)
  }

  /// A flipped bit near the start, in the middle and near the end of the data.
  @Test(arguments: [0.01, 0.5, 0.99])
  func aFlippedBitInAnyPartIsABadCRC(at fraction: Double) throws {
    let dir = try TemporaryDirectory()
    defer { dir.cleanUp() }
    let array = NPYArray(shape: [Self.count], elements: .float32(Self.values()))
    try NPZArchive(arrays: ["w": array]).write(to: dir.file("big.npz"))
    var bytes = try [UInt8](Data(contentsOf: dir.file("big.npz")))
    // The member's data starts after its local header and the .npy header (under 256 bytes).
    let position = 256 + Int(Double(Self.count * 4 - 512) * fraction)
    bytes[position] ^= 0x10
    try Data(bytes).write(to: dir.file("flipped.npz"))
    #expect {
      _ = try NPZArchive(contentsOf: dir.file("flipped.npz"))
    } throws: { error in
      "\(error)".contains("member 'w.npy'") && "\(error)".contains("bad CRC-32")
    }
  }
}
