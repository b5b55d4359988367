#if !PYTORCHIO_STANDALONE
public import Foundation
public import NumPyIO
#else
import Foundation
#endif

/// The tensors of a saved model, read from any of the files PyTorch users have: `.npz`
/// (`np.savez`), `torch.save`'s zip files (`.pt`, `.pth`, `.bin`) and `.safetensors`. The
/// format is recognised by the file's bytes, never by its extension, and nothing in a file is
/// executed: a `torch.save` pickle is read by an interpreter that knows only containers,
/// numbers, strings and tensors.
///
/// ```swift
/// let file = try StateDict(contentsOf: URL(fileURLWithPath: "model.pt"))
/// file.tensors["encoder.rnn.weight_ih_l0"]   // an NPYArray, float32 as saved
/// file.ignored["epoch"]                      // "int": read and set aside
/// ```
///
/// Names are flattened as PyTorch's `state_dict()` names them: nested dicts (a checkpoint's
/// `{"epoch": 3, "model_state_dict": {...}}`) join their keys with `.`, list and tuple items
/// use their index. Tensors keep their element type when it is float32 or float64; float16 and
/// bfloat16 are widened to float32 exactly (listed in ``widened``); tensors of other types
/// (int64 step counters, bool masks) are not decoded and are listed in ``unreadable``.
public struct StateDict: Sendable {
  /// The formats read.
  public enum Format: String, Sendable, Hashable {
    /// numpy's `.npz` archive (`np.savez`, `np.savez_compressed`).
    case npz
    /// The zip file `torch.save` writes (PyTorch 1.6 and later).
    case torchSave = "torch.save"
    /// Hugging Face's `.safetensors`.
    case safeTensors = "safetensors"
  }

  /// How much memory the decoded tensors may take, checked before each is allocated.
  public typealias Limits = NPZArchive.Limits

  /// The file's format (``Format/safeTensors`` for a state dict made in memory).
  public var format: Format
  /// The decoded tensors by flattened name.
  public var tensors: [String: NPYArray]
  /// Tensors saved as float16 or bfloat16 and widened to float32: name → the saved dtype.
  public var widened: [String: String]
  /// Tensors of a type not decoded (integers, bool, complex): name → the dtype.
  public var unreadable: [String: String]
  /// Values that are not tensors (a checkpoint's epoch, an optimizer's settings): name → their
  /// Python type. They are read and set aside.
  public var ignored: [String: String]

  /// Every name in the file: tensors, unreadable tensors and other values, sorted.
  public var names: [String] { (Array(tensors.keys) + unreadable.keys + ignored.keys).sorted() }

  /// A state dict of the given tensors, to be written with ``writeSafeTensors(to:)``.
  public init(tensors: [String: NPYArray]) {
    self.init(Contents(format: .safeTensors, tensors: tensors))
  }

  init(_ contents: Contents) {
    format = contents.format
    tensors = contents.tensors
    widened = contents.widened
    unreadable = contents.unreadable
    ignored = contents.ignored
  }

  /// What a reader produces.
  struct Contents {
    var format: Format
    var tensors: [String: NPYArray] = [:]
    var widened: [String: String] = [:]
    var unreadable: [String: String] = [:]
    var ignored: [String: String] = [:]
  }

  /// Reads the state dict in `url`, whichever of the three formats it is.
  ///
  /// Refused, with a message naming the file and what to do: a file of another format; a
  /// legacy `torch.save` file (PyTorch before 1.6, or `_use_new_zipfile_serialization=False`); a
  /// pickle that names any global but `collections.OrderedDict`, `torch._utils`'s tensor and
  /// parameter rebuilders and the `torch.*Storage` types (a pickled `nn.Module` gets "save
  /// `model.state_dict()`"), uses an opcode outside those, or is malformed; a tensor whose offset,
  /// size and stride reach past its storage; a storage record of the wrong size; a safetensors
  /// header that is not the JSON its format prescribes, or whose offsets overlap, leave gaps or
  /// run past the file; anything `.npz` reading refuses (see `NPZArchive`); tensors beyond
  /// `limits`.
  ///
  /// - Parameters:
  ///   - url: The file.
  ///   - limits: The most memory the decoded tensors may take (default 8 GiB per tensor and in
  ///     total), checked against the declared shapes before anything is allocated.
  /// - Throws: ``StateDictError``, naming the file.
  /// - Complexity: O(file size): every byte is read once, each storage or tensor is decoded
  ///   once; memory is the decoded tensors plus the largest `torch.save` storage read.
  public init(contentsOf url: URL, limits: Limits = .default) throws(StateDictError) {
    try self.init(path: url.path, limits: limits)
  }

  /// ``init(contentsOf:limits:)`` for the file at `path`, named in messages as given.
  package init(path: String, limits: Limits = .default) throws(StateDictError) {
    do throws(StateDictError) {
      let file: ReadableFile
      do { file = try ReadableFile(path: path) } catch { throw StateDictError.npy(error) }
      try self.init(reading: file, limits: limits)
    } catch {
      throw error.inFile(path)
    }
  }

  /// Reads a state dict held in memory; see ``init(contentsOf:limits:)``.
  ///
  /// - Throws: ``StateDictError``.
  public init(bytes: [UInt8], limits: Limits = .default) throws(StateDictError) {
    try self.init(reading: MemoryBytes(bytes: bytes), limits: limits)
  }

  init(reading source: any RandomAccessBytes, limits: Limits) throws(StateDictError) {
    var head = [UInt8](repeating: 0, count: min(source.count, 512))
    do {
      try withMutableBytes(of: &head) { (raw) throws(NPYError) in try source.read(at: 0, into: raw) }
    } catch {
      throw .npy(error)
    }
    if head.starts(with: [0x50, 0x4B]) {  // "PK": a zip archive, .npz or torch.save
      let directory: ZipDirectory
      do { directory = try ZipDirectory(reading: source) } catch { throw .npy(error) }
      let files = directory.entries.filter { !$0.isDirectory }
      if !files.isEmpty, files.allSatisfy({ $0.name.hasSuffix(".npy") }) {
        do {
          let archive = try NPZArchive(reading: source, limits: limits)
          self.init(Contents(format: .npz, tensors: archive.arrays))
        } catch {
          throw .npy(error)
        }
        return
      }
      self.init(try TorchSaveReader(source: source, directory: directory, limits: limits).read())
      return
    }
    if head.starts(with: [0x80]) || (head.count >= 262 && head[257..<262].elementsEqual("ustar".utf8)) {
      throw .unrecognizedFormat(
        "a legacy torch.save file (written by PyTorch before 1.6, or with _use_new_zipfile_serialization=False), "
          + "which is not read: load it in Python and save it again with a current torch.save")
    }
    if head.count >= 9, head[8] == UInt8(ascii: "{") {
      self.init(try SafeTensorsReader(source: source, limits: limits).read())
      return
    }
    if head.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
      throw .unrecognizedFormat("a single .npy array, not a state dict: save the tensors with np.savez")
    }
    throw .unrecognizedFormat(
      "not a state dict file: neither a zip archive (.npz, torch.save) nor .safetensors (first bytes: \(hexBytes(head)))"
    )
  }
}

extension StateDict {
  /// The bytes one element takes once decoded, or `nil` for a type that is not decoded.
  static func decodedItemSize(_ dtype: TorchDType) -> Int? {
    switch dtype {
    case .float64: 8
    case .float32, .float16, .bfloat16: 4
    default: nil
    }
  }

  /// Counts a tensor of `count` elements of `dtype`, decoded, against `limits` (`total` is what
  /// the tensors before it take), before anything is allocated.
  ///
  /// - Throws: ``StateDictError/exceedsLimit(_:)`` naming the tensor and what is left.
  static func reserve(
    _ count: Int, of dtype: TorchDType, name: String, shape: [Int], total: inout Int, limits: Limits
  ) throws(StateDictError) {
    let bytes = count.multipliedReportingOverflow(by: decodedItemSize(dtype) ?? dtype.itemSize)
    guard !bytes.overflow, bytes.partialValue <= limits.maximumArrayBytes,
      bytes.partialValue <= limits.maximumTotalBytes - total
    else {
      throw .exceedsLimit(
        "\(printable(name)): a tensor of shape \(pythonTuple(shape)) needs more than the "
          + "\(limits.maximumTotalBytes - total) bytes left of the limits (\(limits.maximumArrayBytes) per tensor, "
          + "\(limits.maximumTotalBytes) in total)")
    }
    total += bytes.partialValue
  }

  /// `count` elements of a trivial type whose bytes `fill` writes straight into the new
  /// array's memory: no zero-filling pass before the read.
  static func uninitializedArray<T>(
    count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws(NPYError) -> Void
  ) throws(NPYError) -> [T] {
    var failure: NPYError?
    let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
      do throws(NPYError) {
        try fill(UnsafeMutableRawBufferPointer(buffer))
        initialized = count
      } catch {
        failure = error
        initialized = 0
      }
    }
    if let failure { throw failure }
    return values
  }

  /// A float32 or float64 tensor whose bytes (little-endian, C order) `fill` writes straight
  /// into the array's memory, one pass and no copy; `nil` for other types. `byteCount` must be
  /// the shape's elements times the item size (the readers check it first).
  static func readDirectly(
    dtype: TorchDType, shape: [Int], byteCount: Int, _ fill: (UnsafeMutableRawBufferPointer) throws(NPYError) -> Void
  ) throws(NPYError) -> NPYArray? {
    switch dtype {
    case .float32:
      return NPYArray(shape: shape, elements: .float32(try uninitializedArray(count: byteCount / 4, fill)))
    case .float64:
      return NPYArray(shape: shape, elements: .float64(try uninitializedArray(count: byteCount / 8, fill)))
    default: return nil
    }
  }

  /// Whether `strides` are C order's for `shape` (dimensions of 1 ignored); `nil` strides are.
  static func isContiguous(shape: [Int], strides: [Int]?) -> Bool {
    guard let strides else { return true }
    var expected = 1
    for (size, stride) in zip(shape, strides).reversed() {
      if size > 1 && stride != expected { return false }
      expected *= size
    }
    return true
  }

  /// The elements `shape` and `strides` (`nil`: C order) select from `bytes` (elements of
  /// `dtype`) starting at element `offset`, in C order, as float32 (float32, float16, bfloat16)
  /// or float64.
  ///
  /// - Precondition: `dtype` is decoded and every selected element lies within `bytes` (the
  ///   readers check both first).
  /// - Complexity: O(elements); no memory beyond the result's.
  static func decode(
    _ bytes: [UInt8], dtype: TorchDType, bigEndian: Bool, offset: Int, shape: [Int], strides: [Int]?
  ) -> NPYArray {
    let count = shape.reduce(1, *)
    let item = dtype.itemSize
    let contiguous = isContiguous(shape: shape, strides: strides)
    return bytes.withUnsafeBytes { raw in
      /// `store(i, word)` for every element i in C order, with the word at its position.
      func each<T: FixedWidthInteger>(_: T.Type, _ store: (Int, T) -> Void) {
        func word(_ position: Int) -> T {
          let value = raw.loadUnaligned(fromByteOffset: position * item, as: T.self)
          return bigEndian ? T(bigEndian: value) : T(littleEndian: value)
        }
        guard !contiguous, let strides else {
          for i in 0..<count { store(i, word(offset + i)) }
          return
        }
        // An odometer over the indices, the position following it.
        var index = [Int](repeating: 0, count: shape.count)
        var position = offset
        for i in 0..<count {
          store(i, word(position))
          var axis = shape.count - 1
          while axis >= 0 {
            index[axis] += 1
            position += strides[axis]
            if index[axis] < shape[axis] { break }
            position -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
          }
        }
      }
      switch dtype {
      case .float64:
        let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
          each(UInt64.self) { buffer[$0] = Double(bitPattern: $1) }
          initialized = count
        }
        return NPYArray(shape: shape, elements: .float64(values))
      default:
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
          switch dtype {
          case .float32: each(UInt32.self) { buffer[$0] = Float(bitPattern: $1) }
          case .bfloat16: each(UInt16.self) { buffer[$0] = Float(bitPattern: UInt32($1) << 16) }
          default: each(UInt16.self) { buffer[$0] = widenHalf($1) }
          }
          initialized = count
        }
        return NPYArray(shape: shape, elements: .float32(values))
      }
    }
  }

  /// An IEEE binary16 value as a Float, exactly (subnormals, infinities and NaN included).
  static func widenHalf(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1F
    let fraction = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
      // Zero or subnormal: fraction · 2^-24, exact in a Float.
      let magnitude = Float(fraction) * 0x1p-24
      return sign != 0 ? -magnitude : magnitude
    case 0x1F:
      return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
    default:
      return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | fraction << 13)
    }
  }
}
