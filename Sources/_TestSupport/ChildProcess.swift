public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A program run as a child process with `posix_spawn`, waited for with `waitpid`, so that a
/// test can see it stop itself, then signal it (which `Foundation.Process` does not allow).
///
/// Not for memory: Linux counts in a child's peak (`ru_maxrss`) the memory of the process that
/// spawned it, so a child of a large test process looks as large.
public final class ChildProcess {
  public let pid: pid_t
  private let stderrPath: String

  /// How a child ended.
  public struct Termination: Sendable {
    /// The exit status, or `nil` if a signal ended it.
    public var status: Int32?
    /// The signal that ended it, or `nil`.
    public var signal: Int32?
    /// What it wrote on standard error.
    public var stderr: String
  }

  /// Starts `executable` with `arguments` in `directory`, its environment this process's plus
  /// `environment`; standard output goes to /dev/null, standard error to a file read at the end.
  public init(
    _ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String] = [:]
  ) throws {
    stderrPath = directory.appendingPathComponent(".stderr-\(UUID().uuidString)").path
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    // The shell changes directory, then becomes the program (same pid, its own memory).
    let shell = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path, executable.path]
    let argv = (shell + arguments).map { strdup($0) } + [nil]
    let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    // A fresh signal state: the spawning thread may block signals (Dispatch's threads do), and
    // a child inherits its mask.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid = pid_t()
    let error = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
    guard error == 0 else {
      throw NSError(domain: NSPOSIXErrorDomain, code: Int(error), userInfo: [NSLocalizedDescriptionKey: "posix_spawn"])
    }
    self.pid = pid
  }

  /// Waits until the child stops itself (SIGSTOP); `false` if it ended instead (then call
  /// ``wait()`` for how).
  public func waitUntilStopped() -> Bool {
    var status: Int32 = 0
    while waitpid(pid, &status, WUNTRACED) == -1 && errno == EINTR {}
    // WIFSTOPPED: the low byte is 0x7f.
    if status & 0xff == 0x7f { return true }
    ended = status
    return false
  }
  private var ended: Int32?

  /// Sends `signal` to the child.
  public func send(_ signal: Int32) { kill(pid, signal) }

  /// Waits for the child to end.
  public func wait() -> Termination {
    var status: Int32 = 0
    if let ended {
      status = ended
    } else {
      while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
    let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    unlink(stderrPath)
    let signal = status & 0x7f
    return Termination(
      status: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal, stderr: stderr)
  }

  /// Whether this test process runs under AddressSanitizer or ThreadSanitizer (the package's
  /// executables are then built the same way, and their memory is not what users see).
  public static var isSanitized: Bool {
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil
      || dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil
  }
}
