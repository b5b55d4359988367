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
  private var storage: [UnsafeMutablePointer<Double>?] = [nil, nil, nil, nil]
  private var capacity: [Int] = [0, 0, 0, 0]

  func a(_ count: Int) -> UnsafeMutablePointer<Double> { buffer(0, count) }
  func b(_ count: Int) -> UnsafeMutablePointer<Double> { buffer(1, count) }
  func vector(_ count: Int) -> UnsafeMutablePointer<Double> { buffer(2, count) }
  func accumulator(_ count: Int) -> UnsafeMutablePointer<Double> { buffer(3, count) }

  private func buffer(_ index: Int, _ count: Int) -> UnsafeMutablePointer<Double> {
    if capacity[index] < count || storage[index] == nil {
      storage[index]?.deallocate()
      let rounded = max(count, 64)
      storage[index] = UnsafeMutableRawPointer.allocate(byteCount: rounded * 8, alignment: 64)
        .bindMemory(to: Double.self, capacity: rounded)
      capacity[index] = rounded
    }
    return storage[index]!
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
