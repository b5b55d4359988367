#if !PYTORCHIO_STANDALONE
import NumPyIO
#endif

/// A value of a `torch.save` pickle, as far as a state dict needs one: Python's plain values,
/// containers, and the tensors and storages `torch._utils` rebuilds. Nothing here runs code.
indirect enum PickleValue {
  case none
  case bool(Bool)
  case int(Int)
  case float(Double)
  case string(String)
  case bytes(Int)  // only the length is kept: a state dict has no use for raw bytes
  case tuple([PickleValue])
  case list(PickleList)
  case dict(PickleDict)
  /// An allowed global, pushed by GLOBAL and called by REDUCE.
  case global(AllowedGlobal)
  /// A storage class (`torch.FloatStorage`, ...) with its element type.
  case storageType(TorchDType)
  /// A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`.
  case storage(TorchStorageReference)
  /// A tensor rebuilt by `_rebuild_tensor_v2` (or wrapped by `_rebuild_parameter`).
  case tensor(TorchTensorReference)

  /// What the value is, for messages.
  var kind: String {
    switch self {
    case .none: "None"
    case .bool: "bool"
    case .int: "int"
    case .float: "float"
    case .string: "str"
    case .bytes: "bytes"
    case .tuple: "tuple"
    case .list: "list"
    case .dict: "dict"
    case .global(let global): global.qualifiedName
    case .storageType(let dtype): "torch.\(dtype.storageClass)"
    case .storage: "storage"
    case .tensor: "tensor"
    }
  }
}

/// A list (or set) the pickle builds with APPEND and APPENDS; a reference, as in Python, so that
/// a memoized list sees later appends.
final class PickleList {
  var items: [PickleValue] = []
}

/// A dict (or `collections.OrderedDict`) built with SETITEM and SETITEMS, keys kept in order.
final class PickleDict {
  var items: [(key: PickleValue, value: PickleValue)] = []
}

/// The globals a state dict needs, and nothing else: what `torch.load(weights_only=True)`
/// allows for tensors.
enum AllowedGlobal: Equatable {
  case orderedDict
  case rebuildTensorV2
  case rebuildParameter
  case rebuildParameterWithState

  var qualifiedName: String {
    switch self {
    case .orderedDict: "collections.OrderedDict"
    case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
    case .rebuildParameter: "torch._utils._rebuild_parameter"
    case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
    }
  }
}

/// The element types of PyTorch's storages.
enum TorchDType: Equatable {
  case float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, bool, complex64, complex128

  /// The storage class `torch.save` names for it (`FloatStorage`).
  var storageClass: String {
    switch self {
    case .float64: "DoubleStorage"
    case .float32: "FloatStorage"
    case .float16: "HalfStorage"
    case .bfloat16: "BFloat16Storage"
    case .int64: "LongStorage"
    case .int32: "IntStorage"
    case .int16: "ShortStorage"
    case .int8: "CharStorage"
    case .uint8: "ByteStorage"
    case .bool: "BoolStorage"
    case .complex64: "ComplexFloatStorage"
    case .complex128: "ComplexDoubleStorage"
    }
  }

  /// PyTorch's name of the dtype (`float32`).
  var name: String {
    switch self {
    case .float64: "float64"
    case .float32: "float32"
    case .float16: "float16"
    case .bfloat16: "bfloat16"
    case .int64: "int64"
    case .int32: "int32"
    case .int16: "int16"
    case .int8: "int8"
    case .uint8: "uint8"
    case .bool: "bool"
    case .complex64: "complex64"
    case .complex128: "complex128"
    }
  }

  /// float16 and bfloat16, which are widened to float32.
  var isHalfPrecision: Bool { self == .float16 || self == .bfloat16 }

  var itemSize: Int {
    switch self {
    case .float64, .int64, .complex64: 8
    case .float32, .int32: 4
    case .float16, .bfloat16, .int16: 2
    case .int8, .uint8, .bool: 1
    case .complex128: 16
    }
  }

  static let all: [TorchDType] = [
    .float64, .float32, .float16, .bfloat16, .int64, .int32, .int16, .int8, .uint8, .bool, .complex64, .complex128,
  ]
}

/// A storage as a persistent id names it; its bytes are the record `data/<key>`.
struct TorchStorageReference {
  var dtype: TorchDType
  var key: String
  /// Elements, as the persistent id declares them.
  var count: Int
}

/// A tensor as `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` describes it.
struct TorchTensorReference {
  var storage: TorchStorageReference
  var offset: Int
  var shape: [Int]
  var strides: [Int]
}

/// A pickle reader that executes nothing: it knows the opcodes `torch.save` writes (protocol 2,
/// and the framing and short forms of protocols 3 to 5), builds plain values, and calls no
/// function but the four ``AllowedGlobal``s, which it interprets itself. Any other global is
/// refused by name as soon as it is read.
///
/// Bounds: the stack, memo and containers grow at most one entry per opcode byte, so their size
/// is O(pickle size); lengths are checked against the bytes left before anything is copied.
struct RestrictedUnpickler {
  private let bytes: [UInt8]
  private var position = 0
  private var stack: [PickleValue] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleValue] = [:]
  /// Every container made, so that cycles a hostile pickle builds can be broken afterwards.
  private var lists: [PickleList] = []
  private var dicts: [PickleDict] = []

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  /// Reads the pickle to its STOP and calls `body` with the value it leaves; then, whatever
  /// happened, empties every container the pickle made, breaking the reference cycles a hostile
  /// one can build.
  mutating func load<Result>(
    _ body: (PickleValue) throws(StateDictError) -> Result
  ) throws(StateDictError) -> Result {
    defer {
      for list in lists { list.items = [] }
      for dict in dicts { dict.items = [] }
      (lists, dicts, stack, memo) = ([], [], [], [:])
    }
    return try body(try run())
  }

  private func fail(_ reason: String, at offset: Int) -> StateDictError {
    .pickle("\(reason) (at byte \(offset))")
  }

  // MARK: - Reading bytes

  private mutating func take(_ count: Int, for what: String) throws(StateDictError) -> ArraySlice<UInt8> {
    guard count >= 0, count <= bytes.count - position else {
      throw fail("\(what) needs \(count) bytes but \(bytes.count - position) are left", at: position)
    }
    defer { position += count }
    return bytes[position..<(position + count)]
  }

  private mutating func littleEndian(_ count: Int, for what: String) throws(StateDictError) -> UInt64 {
    var value: UInt64 = 0
    for (i, byte) in try take(count, for: what).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
    return value
  }

  private mutating func length(_ count: Int, for what: String) throws(StateDictError) -> Int {
    let value = try littleEndian(count, for: what)
    guard value <= UInt64(bytes.count - position) else {
      throw fail("\(what) declares \(value) bytes but \(bytes.count - position) are left", at: position)
    }
    return Int(value)
  }

  private mutating func line() throws(StateDictError) -> String {
    guard let end = bytes[position...].firstIndex(of: 0x0A) else {
      throw fail("a GLOBAL's name has no end of line", at: position)
    }
    defer { position = end + 1 }
    return String(decoding: bytes[position..<end], as: UTF8.self)
  }

  private mutating func utf8(_ count: Int) throws(StateDictError) -> String {
    let start = position
    let slice = try take(count, for: "a string")
    guard let text = String(validating: slice, as: UTF8.self) else {
      throw fail("a string is not valid UTF-8", at: start)
    }
    return text
  }

  // MARK: - The stack

  private mutating func pop(_ what: String) throws(StateDictError) -> PickleValue {
    guard let last = stack.last, stack.count > (marks.last ?? 0) else {
      throw fail("\(what) needs a value but the stack is empty", at: position - 1)
    }
    stack.removeLast()
    return last
  }

  private mutating func popMark(_ what: String) throws(StateDictError) -> [PickleValue] {
    guard let mark = marks.popLast() else { throw fail("\(what) without a MARK", at: position - 1) }
    defer { stack.removeSubrange(mark...) }
    return Array(stack[mark...])
  }

  private mutating func push(_ value: PickleValue) {
    stack.append(value)
  }

  // MARK: - Opcodes

  private mutating func run() throws(StateDictError) -> PickleValue {
    while true {
      let start = position
      let opcode = try take(1, for: "an opcode").first!
      switch opcode {
      case 0x80:  // PROTO
        let version = try take(1, for: "PROTO").first!
        guard version <= 5 else { throw fail("pickle protocol \(version) (0 to 5 are read)", at: start) }
      case 0x95:  // FRAME: the frame's length; its opcodes follow inline
        _ = try length(8, for: "FRAME")
      case 0x2E:  // STOP
        guard marks.isEmpty, stack.count == 1 else {
          throw fail("STOP with \(stack.count) values on the stack (one expected)", at: start)
        }
        return stack[0]
      case 0x28: marks.append(stack.count)  // MARK
      case 0x4E: push(.none)  // NONE
      case 0x88: push(.bool(true))  // NEWTRUE
      case 0x89: push(.bool(false))  // NEWFALSE
      case 0x4B: push(.int(Int(try littleEndian(1, for: "BININT1"))))
      case 0x4D: push(.int(Int(try littleEndian(2, for: "BININT2"))))
      case 0x4A: push(.int(Int(Int32(truncatingIfNeeded: try littleEndian(4, for: "BININT")))))
      case 0x8A:  // LONG1: a little-endian two's-complement integer of n bytes
        let count = try length(1, for: "LONG1")
        let digits = try take(count, for: "LONG1")
        guard count <= 8 else { throw fail("an integer of \(count) bytes does not fit 64 bits", at: start) }
        var value: UInt64 = 0
        for (i, byte) in digits.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        if count > 0, count < 8, digits.last! & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
        push(.int(Int(Int64(bitPattern: value))))
      case 0x47:  // BINFLOAT: big-endian IEEE double
        var bits: UInt64 = 0
        for byte in try take(8, for: "BINFLOAT") { bits = bits << 8 | UInt64(byte) }
        push(.float(Double(bitPattern: bits)))
      case 0x58: push(.string(try utf8(try length(4, for: "BINUNICODE"))))
      case 0x8C: push(.string(try utf8(try length(1, for: "SHORT_BINUNICODE"))))
      case 0x8D: push(.string(try utf8(try length(8, for: "BINUNICODE8"))))
      case 0x55:  // SHORT_BINSTRING: bytes Python 3 reads as ASCII text
        push(.string(String(decoding: try take(try length(1, for: "SHORT_BINSTRING"), for: "a string"), as: UTF8.self)))
      case 0x42: push(.bytes(try take(try length(4, for: "BINBYTES"), for: "bytes").count))
      case 0x43: push(.bytes(try take(try length(1, for: "SHORT_BINBYTES"), for: "bytes").count))
      case 0x29: push(.tuple([]))  // EMPTY_TUPLE
      case 0x85: push(.tuple([try pop("TUPLE1")]))
      case 0x86:
        let b = try pop("TUPLE2")
        push(.tuple([try pop("TUPLE2"), b]))
      case 0x87:
        let c = try pop("TUPLE3")
        let b = try pop("TUPLE3")
        push(.tuple([try pop("TUPLE3"), b, c]))
      case 0x74: push(.tuple(try popMark("TUPLE")))
      case 0x5D, 0x8F:  // EMPTY_LIST, EMPTY_SET (a set is kept as a list)
        let list = PickleList()
        lists.append(list)
        push(.list(list))
      case 0x7D: push(.dict(newDict()))  // EMPTY_DICT
      case 0x61:  // APPEND
        let item = try pop("APPEND")
        try list(under: "APPEND").items.append(item)
      case 0x65:  // APPENDS
        let items = try popMark("APPENDS")
        try list(under: "APPENDS").items += items
      case 0x73:  // SETITEM
        let value = try pop("SETITEM")
        let key = try pop("SETITEM")
        try dict(under: "SETITEM").items.append((key, value))
      case 0x75:  // SETITEMS
        let items = try popMark("SETITEMS")
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values", at: start) }
        let target = try dict(under: "SETITEMS")
        for i in stride(from: 0, to: items.count, by: 2) { target.items.append((items[i], items[i + 1])) }
      case 0x71: try put(Int(try littleEndian(1, for: "BINPUT")), at: start)
      case 0x72: try put(Int(try littleEndian(4, for: "LONG_BINPUT")), at: start)
      case 0x94: try put(memo.count, at: start)  // MEMOIZE
      case 0x68: try get(Int(try littleEndian(1, for: "BINGET")), at: start)
      case 0x6A: try get(Int(try littleEndian(4, for: "LONG_BINGET")), at: start)
      case 0x63:  // GLOBAL: "module\nname\n"
        let module = try line()
        let name = try line()
        push(try global(module: module, name: name, at: start))
      case 0x93:  // STACK_GLOBAL
        let name = try pop("STACK_GLOBAL")
        let module = try pop("STACK_GLOBAL")
        guard case .string(let moduleName) = module, case .string(let globalName) = name else {
          throw fail("STACK_GLOBAL needs two strings", at: start)
        }
        push(try global(module: moduleName, name: globalName, at: start))
      case 0x51:  // BINPERSID
        push(.storage(try storage(persistentID: try pop("BINPERSID"), at: start)))
      case 0x52:  // REDUCE
        let arguments = try pop("REDUCE")
        let callable = try pop("REDUCE")
        push(try reduce(callable, arguments, at: start))
      case 0x62:  // BUILD: state for an OrderedDict (its _metadata) or a Parameter; ignored
        let state = try pop("BUILD")
        let target = try pop("BUILD")
        switch (target, state) {
        case (.dict, .dict), (.dict, .none), (.dict, .tuple), (.tensor, _):
          push(target)
        default:
          throw fail("BUILD on a \(target.kind) (only an OrderedDict's or a tensor's state is read)", at: start)
        }
      case 0x81:  // NEWOBJ
        let arguments = try pop("NEWOBJ")
        let type = try pop("NEWOBJ")
        guard case .global(.orderedDict) = type, case .tuple(let items) = arguments, items.isEmpty else {
          throw fail("NEWOBJ of a \(type.kind): only collections.OrderedDict() is built", at: start)
        }
        push(.dict(newDict()))
      default:
        throw fail(
          "opcode 0x\(String(opcode, radix: 16)) is not read (a state dict saved by torch.save needs only "
            + "protocol 2's opcodes for containers, numbers, strings, tensors and storages)", at: start)
      }
    }
  }

  /// A new dict, kept to be emptied after the load.
  private mutating func newDict() -> PickleDict {
    let dict = PickleDict()
    dicts.append(dict)
    return dict
  }

  private func list(under operation: String) throws(StateDictError) -> PickleList {
    guard case .list(let list) = stack.last, stack.count > (marks.last ?? 0) else {
      throw fail(
        "\(operation) on a \(stack.last?.kind ?? "missing value") (only lists are appended to)", at: position - 1)
    }
    return list
  }

  private func dict(under operation: String) throws(StateDictError) -> PickleDict {
    guard case .dict(let dict) = stack.last, stack.count > (marks.last ?? 0) else {
      throw fail("\(operation) on a \(stack.last?.kind ?? "missing value") (only dicts get items)", at: position - 1)
    }
    return dict
  }

  private mutating func put(_ index: Int, at offset: Int) throws(StateDictError) {
    guard let top = stack.last, stack.count > (marks.last ?? 0) else {
      throw fail("a memo PUT with an empty stack", at: offset)
    }
    memo[index] = top
  }

  private mutating func get(_ index: Int, at offset: Int) throws(StateDictError) {
    guard let value = memo[index] else { throw fail("a memo GET of \(index), which was never PUT", at: offset) }
    push(value)
  }

  // MARK: - Globals, storages and tensors

  private func global(module: String, name: String, at offset: Int) throws(StateDictError) -> PickleValue {
    switch (module, name) {
    case ("collections", "OrderedDict"): return .global(.orderedDict)
    case ("torch._utils", "_rebuild_tensor_v2"): return .global(.rebuildTensorV2)
    case ("torch._utils", "_rebuild_parameter"): return .global(.rebuildParameter)
    case ("torch._utils", "_rebuild_parameter_with_state"): return .global(.rebuildParameterWithState)
    case ("torch", _):
      if let dtype = TorchDType.all.first(where: { $0.storageClass == name }) { return .storageType(dtype) }
    default: break
    }
    let qualified = printable(module + "." + name)
    var advice =
      "only tensors, containers, numbers and strings are read (what torch.load(weights_only=True) allows for a state dict), and nothing is called"
    if module.hasPrefix("torch.nn") || module == "__main__"
      || !["posix", "nt", "os", "builtins", "__builtin__", "subprocess", "sys"].contains(module)
        && !module.hasPrefix("torch")
    {
      advice =
        "the file holds a pickled Python object, which only Python can rebuild (and rebuilding it runs code); "
        + "save the weights instead: torch.save(model.state_dict(), path)"
    }
    throw fail("the global \(qualified) is refused: \(advice)", at: offset)
  }

  private func storage(persistentID: PickleValue, at offset: Int) throws(StateDictError) -> TorchStorageReference {
    guard case .tuple(let fields) = persistentID, fields.count == 5, case .string("storage") = fields[0],
      case .storageType(let dtype) = fields[1], case .string(let key) = fields[2], case .string = fields[3],
      case .int(let count) = fields[4], count >= 0
    else {
      throw fail(
        "a persistent id that is not ('storage', torch.<Type>Storage, key, location, numel): a \(persistentID.kind)",
        at: offset)
    }
    return TorchStorageReference(dtype: dtype, key: key, count: count)
  }

  private mutating func reduce(
    _ callable: PickleValue, _ arguments: PickleValue, at offset: Int
  ) throws(StateDictError)
    -> PickleValue
  {
    guard case .global(let global) = callable, case .tuple(let args) = arguments else {
      throw fail("REDUCE of a \(callable.kind) with a \(arguments.kind) (only allowed globals are called)", at: offset)
    }
    switch global {
    case .orderedDict:
      guard args.isEmpty else { throw fail("collections.OrderedDict with arguments", at: offset) }
      return .dict(newDict())
    case .rebuildParameter, .rebuildParameterWithState:
      guard args.count == (global == .rebuildParameter ? 3 : 4), case .tensor = args[0] else {
        throw fail(
          "\(global.qualifiedName) needs (tensor, requires_grad, hooks\(global == .rebuildParameter ? "" : ", state"))",
          at: offset)
      }
      return args[0]
    case .rebuildTensorV2:
      guard args.count == 6 || args.count == 7, case .storage(let storage) = args[0],
        case .int(let storageOffset) = args[1],
        case .tuple(let size) = args[2], case .tuple(let stride) = args[3]
      else {
        throw fail(
          "_rebuild_tensor_v2 needs (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])",
          at: offset)
      }
      var shape: [Int] = []
      var strides: [Int] = []
      for value in size {
        guard case .int(let n) = value, n >= 0 else {
          throw fail("a tensor's size is not non-negative integers", at: offset)
        }
        shape.append(n)
      }
      for value in stride {
        guard case .int(let n) = value, n >= 0 else {
          throw fail("a tensor's stride is not non-negative integers", at: offset)
        }
        strides.append(n)
      }
      guard shape.count == strides.count, shape.count <= 64, storageOffset >= 0 else {
        throw fail(
          "a tensor with size \(pythonTuple(shape)), stride \(pythonTuple(strides)) and offset \(storageOffset)",
          at: offset)
      }
      return .tensor(TorchTensorReference(storage: storage, offset: storageOffset, shape: shape, strides: strides))
    }
  }
}
