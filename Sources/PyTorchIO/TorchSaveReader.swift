#if !PYTORCHIO_STANDALONE
import NumPyIO
#endif

/// Reads the zip container `torch.save` writes (PyTorch 1.6 and later): `NAME/data.pkl`, the
/// pickled object, and `NAME/data/KEY`, the bytes of each storage its tensors name.
struct TorchSaveReader {
  /// The largest `data.pkl` read: a state dict's pickle is a few bytes per tensor.
  static let maximumPickleBytes = 256 << 20

  let source: any RandomAccessBytes
  let directory: ZipDirectory
  let limits: StateDict.Limits

  /// The tensors and other values of the file, flattened (see ``StateDict``).
  func read() throws(StateDictError) -> StateDict.Contents {
    let pickles = directory.entries.filter { entry in
      let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
      return parts.count == 2 && parts[1] == "data.pkl"
    }
    guard pickles.count == 1, let pickleEntry = pickles.first else {
      throw .torchArchive(
        pickles.isEmpty
          ? "no NAME/data.pkl record: this zip archive is not a torch.save file"
          : "\(pickles.count) data.pkl records (one expected): \(pickles.map { printable($0.name) }.joined(separator: ", "))"
      )
    }
    let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
    let bigEndian = try byteOrderIsBig(prefix: prefix)
    guard pickleEntry.uncompressedSize <= Self.maximumPickleBytes else {
      throw .exceedsLimit(
        "torch.save file: data.pkl is \(pickleEntry.uncompressedSize) bytes, more than the \(Self.maximumPickleBytes) read"
      )
    }
    let pickle = try member(pickleEntry)
    var unpickler = RestrictedUnpickler(bytes: pickle)
    let flattener = try unpickler.load { (value) throws(StateDictError) in
      var flattener = Flattener(budget: 4 * pickle.count + 1024)
      try flattener.flatten(value, name: nil, depth: 0)
      return flattener
    }
    return try tensors(flattener, prefix: prefix, bigEndian: bigEndian)
  }

  /// `byteorder` (written by PyTorch 2.1 and later): "little" or "big"; little when absent.
  private func byteOrderIsBig(prefix: String) throws(StateDictError) -> Bool {
    guard let entry = directory.entries.first(where: { $0.name == prefix + "byteorder" }) else { return false }
    guard entry.uncompressedSize <= 16 else {
      throw .torchArchive("the byteorder record is \(entry.uncompressedSize) bytes")
    }
    switch String(decoding: try member(entry), as: UTF8.self) {
    case "little": return false
    case "big": return true
    case let other: throw .torchArchive("the byteorder record says '\(printable(other))' (little or big expected)")
    }
  }

  /// A float32 or float64 record read into the tensor's own array (`nil` for other types).
  private func directTensor(_ entry: ZipEntry, dtype: TorchDType, shape: [Int]) throws(StateDictError) -> NPYArray? {
    do {
      return try StateDict.readDirectly(dtype: dtype, shape: shape, byteCount: entry.uncompressedSize) {
        (buffer) throws(NPYError) in
        var stream = try ZipMemberStream(entry: entry, in: source, dataEnd: directory.centralDirectoryStart)
        try stream.readAll(into: buffer)
        try stream.finish()
      }
    } catch {
      throw .npy(.member(name: entry.name, error: error))
    }
  }

  private func member(_ entry: ZipEntry) throws(StateDictError) -> [UInt8] {
    do {
      return try StateDict.uninitializedArray(count: entry.uncompressedSize) { (buffer) throws(NPYError) in
        var stream = try ZipMemberStream(entry: entry, in: source, dataEnd: directory.centralDirectoryStart)
        try stream.readAll(into: buffer)
        try stream.finish()
      }
    } catch {
      throw .npy(.member(name: entry.name, error: error))
    }
  }

  /// Decodes each tensor of a readable dtype from its storage, each storage read once.
  private func tensors(
    _ flattener: Flattener, prefix: String, bigEndian: Bool
  ) throws(StateDictError)
    -> StateDict.Contents
  {
    var contents = StateDict.Contents(format: .torchSave)
    contents.ignored = flattener.ignored
    var byStorage: [String: [(name: String, tensor: TorchTensorReference)]] = [:]
    var storageTypes: [String: TorchStorageReference] = [:]
    var total = 0
    for (name, tensor) in flattener.tensors {
      let storage = tensor.storage
      if let seen = storageTypes[storage.key], seen.dtype != storage.dtype || seen.count != storage.count {
        throw .torchArchive(
          "storage '\(printable(storage.key))' is named as \(seen.count) \(seen.dtype.name) and as \(storage.count) \(storage.dtype.name)"
        )
      }
      storageTypes[storage.key] = storage
      guard StateDict.decodedItemSize(storage.dtype) != nil else {
        contents.unreadable[name] = storage.dtype.name
        continue
      }
      try StateDict.reserve(
        try Self.checkExtent(tensor, name: name), of: storage.dtype, name: name, shape: tensor.shape, total: &total,
        limits: limits)
      byStorage[storage.key, default: []].append((name, tensor))
      if storage.dtype.isHalfPrecision { contents.widened[name] = storage.dtype.name }
    }
    let entries = Dictionary(directory.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    for key in byStorage.keys.sorted() {
      let storage = storageTypes[key]!
      let recordName = prefix + "data/" + key
      guard let entry = entries[recordName] else {
        throw .torchArchive("the record \(printable(recordName)) of a storage is missing")
      }
      let expected = storage.count.multipliedReportingOverflow(by: storage.dtype.itemSize)
      guard !expected.overflow, entry.uncompressedSize == expected.partialValue else {
        throw .torchArchive(
          "the record \(printable(recordName)) is \(entry.uncompressedSize) bytes but its storage declares "
            + "\(storage.count) \(storage.dtype.name) elements")
      }
      guard entry.uncompressedSize <= limits.maximumTotalBytes else {
        throw .exceedsLimit(
          "the record \(printable(recordName)) is \(entry.uncompressedSize) bytes, more than the limit of \(limits.maximumTotalBytes)"
        )
      }
      // The common case, a tensor that is its whole storage in the machine's byte order: its
      // elements are read straight into the tensor's array, one pass over the bytes.
      let users = byStorage[key]!
      if users.count == 1, !bigEndian, users[0].tensor.offset == 0,
        users[0].tensor.shape.reduce(1, *) == storage.count,
        StateDict.isContiguous(shape: users[0].tensor.shape, strides: users[0].tensor.strides),
        let array = try directTensor(entry, dtype: storage.dtype, shape: users[0].tensor.shape)
      {
        contents.tensors[users[0].name] = array
        continue
      }
      let bytes = try member(entry)
      for (name, tensor) in users {
        contents.tensors[name] = StateDict.decode(
          bytes, dtype: storage.dtype, bigEndian: bigEndian, offset: tensor.offset, shape: tensor.shape,
          strides: tensor.strides)
      }
    }
    return contents
  }

  /// The tensor's element count, once its last element is known to lie within its storage.
  static func checkExtent(_ tensor: TorchTensorReference, name: String) throws(StateDictError) -> Int {
    var count = 1
    var last = tensor.offset
    var overflow = false
    for (size, stride) in zip(tensor.shape, tensor.strides) {
      let product = count.multipliedReportingOverflow(by: size)
      count = product.partialValue
      overflow = overflow || product.overflow
      if size > 0 {
        let step = (size - 1).multipliedReportingOverflow(by: stride)
        let sum = last.addingReportingOverflow(step.partialValue)
        last = sum.partialValue
        overflow = overflow || step.overflow || sum.overflow
      }
    }
    guard !overflow else {
      throw .torchArchive("\(printable(name)): a tensor of shape \(pythonTuple(tensor.shape)) is too large")
    }
    guard count == 0 || last < tensor.storage.count else {
      throw .torchArchive(
        "\(printable(name)): a tensor of shape \(pythonTuple(tensor.shape)), stride \(pythonTuple(tensor.strides)) "
          + "and offset \(tensor.offset) reaches element \(last) of a storage of \(tensor.storage.count)")
    }
    return count
  }
}

/// Walks a pickled value into flat names: dict keys joined with `.`, list and tuple items by
/// index (`model_state_dict.encoder.rnn.weight_ih_l0`, `optimizer_state_dict.param_groups.0.lr`).
struct Flattener {
  var tensors: [(String, TorchTensorReference)] = []
  var ignored: [String: String] = [:]
  private var names: Set<String> = []
  /// Nodes left to visit: a pickle can share a container many times (a DAG whose tree is
  /// exponentially large), so the walk is bounded by the pickle's size.
  private var budget: Int
  static let maximumDepth = 64

  init(budget: Int) {
    self.budget = budget
  }

  mutating func flatten(_ value: PickleValue, name: String?, depth: Int) throws(StateDictError) {
    budget -= 1
    guard budget >= 0 else {
      throw .pickle("its containers refer to each other more often than a state dict's do (the walk was stopped)")
    }
    guard depth <= Self.maximumDepth else {
      throw .pickle("containers are nested more than \(Self.maximumDepth) deep")
    }
    func child(_ key: String) -> String { name.map { $0 + "." + key } ?? key }
    switch value {
    case .dict(let dict):
      for (key, item) in dict.items {
        let text: String
        switch key {
        case .string(let s): text = s
        case .int(let n): text = String(n)
        case .bool(let b): text = b ? "True" : "False"
        default:
          try record(child("<\(key.kind) key>"), kind: "a value under a \(key.kind) key")
          continue
        }
        try flatten(item, name: child(text), depth: depth + 1)
      }
    case .list(let list):
      for (i, item) in list.items.enumerated() { try flatten(item, name: child(String(i)), depth: depth + 1) }
    case .tuple(let items):
      for (i, item) in items.enumerated() { try flatten(item, name: child(String(i)), depth: depth + 1) }
    case .tensor(let tensor):
      guard let name else { throw .pickle("the file holds a single tensor, not a dict of tensors") }
      try claim(name)
      tensors.append((name, tensor))
    default:
      guard let name else { throw .pickle("the file holds a \(value.kind), not a dict of tensors") }
      try record(name, kind: value.kind)
    }
  }

  private mutating func record(_ name: String, kind: String) throws(StateDictError) {
    try claim(name)
    ignored[name] = kind
  }

  private mutating func claim(_ name: String) throws(StateDictError) {
    guard names.insert(name).inserted else {
      throw .name("the name '\(printable(name))' occurs twice once nested names are joined with '.'")
    }
  }
}
