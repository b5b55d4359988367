// libFuzzer target for the .npz reader (zip container, inflate, CRC-32, limits, NPY members).
// Not part of the package build: Tests/Fuzz/fuzz.sh compiles it with NumPyIO's sources:
//
//   bash Tests/Fuzz/fuzz.sh npz 600   # fuzz for 600 seconds
//   bash Tests/Fuzz/fuzz.sh replay    # run every seed of both corpora once (CI does this)
//
// Properties checked on every input: reading never crashes, reads out of bounds, hangs or takes
// more memory than the limits below allow (the address sanitizer is on; libFuzzer's -rss_limit_mb
// and -timeout catch the rest), and whatever reads survives a write/read round trip unchanged.

import Foundation

/// Small limits, so that a few bytes that expand into a large array are refused, as they must be.
private let limits = NPZArchive.Limits(maximumArrayBytes: 1 << 20, maximumTotalBytes: 1 << 22)
private let scratch = URL(fileURLWithPath: NSTemporaryDirectory())
  .appendingPathComponent("npz-fuzz-\(getpid()).npz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPZ(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let archive = try? NPZArchive(npzBytes: bytes, limits: limits) else { return 0 }
  let total = archive.arrays.values.reduce(0) { $0 + $1.scalars.count * 8 }
  precondition(total <= limits.maximumTotalBytes, "the limits were exceeded: \(total) bytes")
  // The rule for names: reading keeps every member's name as it is (`../up`, `/abs`, the empty
  // name of a member called `.npy`), as numpy does; writing refuses path-like names. So an
  // archive with such a name must be refused by write(to:) with that reason, leaving nothing,
  // and the archive of its other arrays must survive the round trip.
  var writable = archive
  for name in archive.names {
    do throws(NPYError) {
      try NPZArchive.validate(memberName: name)
    } catch {
      precondition(error.description.contains("as an array name"), "unexpected refusal: \(error)")
      do {
        try archive.write(to: scratch, compressed: false)
        fatalError("write(to:) accepted the array name '\(name)', which validate refuses")
      } catch {
        precondition(error.description.contains("as an array name"), "write(to:) refused for another reason: \(error)")
        precondition(!FileManager.default.fileExists(atPath: scratch.path), "a refused write left a file")
      }
      writable = NPZArchive(arrays: writable.arrays.filter { $0.key != name })
    }
  }
  for compressed in [false, true] {
    let again: NPZArchive
    do {
      try writable.write(to: scratch, compressed: compressed)
      again = try NPZArchive(contentsOf: scratch, limits: limits)
      try FileManager.default.removeItem(at: scratch)
    } catch {
      fatalError("an archive that was read did not survive a round trip: \(error)")
    }
    precondition(again.names == writable.names, "round trip changed the names")
    for name in writable.names {
      let (a, b) = (writable.arrays[name]!, again.arrays[name]!)
      precondition(a.shape == b.shape, "round trip changed the shape of \(name)")
      precondition(
        zip(a.scalars, b.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }, "round trip changed \(name)")
    }
  }
  return 0
}
