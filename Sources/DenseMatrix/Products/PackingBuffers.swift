#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread scratch memory for the pure-Swift kernels (packed panels of A and B, a strided
/// vector's contiguous copy, GEMV accumulators).
///
/// Each thread gets its own buffers, so concurrent products never share scratch memory, and a
/// buffer only grows: after the first product of a given size on a thread, later products
/// allocate nothing. The buffers are freed when the thread exits.
final class PackingBuffers {
  private var storage: [UnsafeMutableRawPointer?] = [nil, nil, nil, nil]
  private var capacity: [Int] = [0, 0, 0, 0]

  func a<Scalar: BLASScalar>(_ count: Int) -> UnsafeMutablePointer<Scalar> { buffer(0, count) }
  func b<Scalar: BLASScalar>(_ count: Int) -> UnsafeMutablePointer<Scalar> { buffer(1, count) }
  func vector<Scalar: BLASScalar>(_ count: Int) -> UnsafeMutablePointer<Scalar> { buffer(2, count) }
  func accumulator<Scalar: BLASScalar>(_ count: Int) -> UnsafeMutablePointer<Scalar> { buffer(3, count) }

  /// Buffer `index` with room for `count` elements of `Scalar` (capacity kept in bytes, the memory
  /// bound to the type asked for: a thread may use it for `Float` and `Double` in turn).
  private func buffer<Scalar: BLASScalar>(_ index: Int, _ count: Int) -> UnsafeMutablePointer<Scalar> {
    let bytes = count * MemoryLayout<Scalar>.stride
    if capacity[index] < bytes || storage[index] == nil {
      storage[index]?.deallocate()
      let rounded = max(bytes, 512)
      storage[index] = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: 64)
      capacity[index] = rounded
    }
    return storage[index]!.bindMemory(to: Scalar.self, capacity: count)
  }

  deinit {
    for pointer in storage { pointer?.deallocate() }
  }

  /// The calling thread's buffers, created on first use.
  static func forCurrentThread() -> PackingBuffers {
    if let existing = pthread_getspecific(threadKey) {
      return Unmanaged<PackingBuffers>.fromOpaque(existing).takeUnretainedValue()
    }
    let buffers = PackingBuffers()
    pthread_setspecific(threadKey, Unmanaged.passRetained(buffers).toOpaque())
    return buffers
  }
}

/// The thread-specific key whose destructor releases a thread's buffers when it exits.
private let threadKey: pthread_key_t = {
  var key = pthread_key_t()
  let status = pthread_key_create(&key) { pointer in
    guard let pointer else { return }
    Unmanaged<PackingBuffers>.fromOpaque(pointer).release()
  }
  checkPrecondition(status == 0, "PackingBuffers: pthread_key_create failed (\(status))")
  return key
}()
