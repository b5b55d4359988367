extension NPYArray {
  /// The bytes of a `.npy` file holding this array as little-endian float64 (`<f8`) or float32
  /// (`<f4`), as its elements are, in C order, exactly as `np.save` writes it: format 1.0 (2.0 if the header needs more than 65535 bytes),
  /// the header padded with spaces and a newline so that the data starts at a multiple of 64.
  ///
  /// - Complexity: O(count).
  public func npyBytes() -> [UInt8] {
    let descr = itemSize == 4 ? "<f4" : "<f8"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(pythonTuple(shape)), }"
    var version: UInt8 = 1
    var preamble = 10
    var total = preamble + header.utf8.count + 1
    if total + (64 - total % 64) % 64 - preamble > 65535 {
      version = 2
      preamble = 12
      total = preamble + header.utf8.count + 1
    }
    header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
    let headerLength = header.utf8.count
    var bytes = Self.magic + [version, 0]
    for i in 0..<(version == 1 ? 2 : 4) { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
    bytes += Array(header.utf8)
    bytes.reserveCapacity(bytes.count + elements.count * itemSize)
    switch elements {
    case .float64(let values):
      for value in values {
        let bits = value.bitPattern
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
      }
    case .float32(let values):
      for value in values {
        let bits = value.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
      }
    }
    return bytes
  }
}
