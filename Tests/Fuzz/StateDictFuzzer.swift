// libFuzzer target for state dict files: .safetensors (header JSON, offsets, dtypes) and the
// torch.save zip container (records, storages, views), recognised by content as StateDict
// recognises them. Not part of the package build: Tests/Fuzz/fuzz.sh compiles it with NumPyIO's
// and PyTorchIO's sources:
//
//   bash Tests/Fuzz/fuzz.sh statedict 600   # fuzz for 600 seconds
//
// Properties checked on every input: reading never crashes, reads out of bounds, hangs or takes
// more memory than the limits allow, and whatever reads survives a safetensors write/read round
// trip unchanged (float16 and bfloat16 come back as the float32 they were widened to).

import Foundation

private let limits = StateDict.Limits(maximumArrayBytes: 1 << 20, maximumTotalBytes: 1 << 22)
private let scratch = URL(fileURLWithPath: NSTemporaryDirectory())
  .appendingPathComponent("statedict-fuzz-\(getpid()).safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStateDict(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? StateDict(bytes: bytes, limits: limits) else { return 0 }
  let total = file.tensors.values.reduce(0) { $0 + $1.elements.count * $1.itemSize }
  precondition(total <= limits.maximumTotalBytes, "the limits were exceeded: \(total) bytes")
  let writable = StateDict(tensors: file.tensors.filter { !$0.key.isEmpty && $0.key != "__metadata__" })
  do {
    try writable.writeSafeTensors(to: scratch)
    let again = try StateDict(contentsOf: scratch, limits: limits)
    try FileManager.default.removeItem(at: scratch)
    precondition(again.tensors.keys.sorted() == writable.tensors.keys.sorted(), "round trip changed the names")
    for (name, a) in writable.tensors {
      let b = again.tensors[name]!
      precondition(a.shape == b.shape && a.dtypeName == b.dtypeName, "round trip changed \(name)'s shape or dtype")
      precondition(
        zip(a.scalars, b.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }, "round trip changed \(name)")
    }
  } catch {
    fatalError("tensors that were read did not survive a safetensors round trip: \(error)")
  }
  return 0
}
