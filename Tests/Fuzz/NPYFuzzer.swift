// libFuzzer target for the NPY parser. Not part of the package build: Tests/Fuzz/fuzz.sh compiles
// it together with NumPyIO's sources:
//
//   bash Tests/Fuzz/fuzz.sh npy 600  # fuzz for 600 seconds
//   bash Tests/Fuzz/fuzz.sh replay   # run every file of the seed corpus once (CI does this)
//
// Properties checked on every input: parsing never crashes or reads out of bounds (the address
// sanitizer is on), and whatever parses survives a write/read round trip unchanged.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let array = try? NPYArray(npyBytes: bytes, maximumCount: 1 << 20) else { return 0 }
  let again: NPYArray
  do {
    again = try NPYArray(npyBytes: array.npyBytes())
  } catch {
    fatalError("a parsed array did not survive a round trip: \(error)")
  }
  precondition(again.shape == array.shape, "round trip changed the shape")
  precondition(
    zip(again.scalars, array.scalars).allSatisfy { $0.bitPattern == $1.bitPattern },
    "round trip changed the values")
  return 0
}
