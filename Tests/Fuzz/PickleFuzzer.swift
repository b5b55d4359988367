// libFuzzer target for the restricted unpickler of torch.save files (data.pkl's bytes) and the
// walk that flattens what it builds. Not part of the package build: Tests/Fuzz/fuzz.sh compiles
// it with NumPyIO's and PyTorchIO's sources:
//
//   bash Tests/Fuzz/fuzz.sh pickle 600   # fuzz for 600 seconds
//
// Properties checked on every input: reading never crashes, reads out of bounds, hangs or grows
// beyond what its bytes allow (the walk's budget is 4 nodes per byte), and every tensor it
// accepts lies within its storage.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  var unpickler = RestrictedUnpickler(bytes: bytes)
  let flattened = try? unpickler.load { (value) throws(StateDictError) in
    var flattener = Flattener(budget: 4 * bytes.count + 1024)
    try flattener.flatten(value, name: nil, depth: 0)
    return flattener
  }
  guard let flattener = flattened else { return 0 }
  for (name, tensor) in flattener.tensors {
    guard let count = try? TorchSaveReader.checkExtent(tensor, name: name) else { continue }
    precondition(count == tensor.shape.reduce(1, *), "\(name): the element count is wrong")
  }
  return 0
}
