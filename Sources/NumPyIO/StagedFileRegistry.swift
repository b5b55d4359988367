#if !NUMPYIO_STANDALONE
import _StagedFileCleanup
#endif

/// The temporary files this module stages next to its destinations (`.NAME.RANDOM.partial`),
/// known to a signal handler so that an interrupted program leaves none behind.
///
/// Every staged file is registered from before it is created until it is renamed into place or
/// removed. The handlers are installed only by ``removeStagedFilesOnInterrupt()``, which the
/// package's tools call at start: a library does not take a program's signals on its own.
///
/// What is and is not guaranteed:
/// - SIGINT, SIGTERM, SIGHUP (with the handlers installed): every staged file is removed and the
///   process dies of that signal; a signal that arrives while files are being renamed into place
///   takes effect once the renames are done (or undone). Every destination then holds its old
///   contents or, after a completed commit, all the new ones.
/// - SIGKILL, a power cut, or a crash: nothing can run. Destinations still hold complete files,
///   old or new (each rename is atomic); staged files named `.NAME.RANDOM.partial`, and while
///   several outputs were being committed `.NAME.RANDOM.backup` hard links to replaced files,
///   may remain beside them. Both are safe to delete.
enum StagedFileRegistry {
  /// Registers `path`; the slot to unregister with, or -1 when the table is full.
  static func register(_ path: String) -> CInt {
    #if NUMPYIO_STANDALONE
    return -1
    #else
    return swift_blas_rnn_staged_register(path)
    #endif
  }

  static func unregister(_ slot: CInt) {
    #if !NUMPYIO_STANDALONE
    swift_blas_rnn_staged_unregister(slot)
    #endif
  }

  static func commitBegin() {
    #if !NUMPYIO_STANDALONE
    swift_blas_rnn_staged_commit_begin()
    #endif
  }

  static func commitEnd() {
    #if !NUMPYIO_STANDALONE
    swift_blas_rnn_staged_commit_end()
    #endif
  }
}

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every staged output file, then
/// let the signal end the process as it would have (a signal that is ignored stays ignored).
///
/// The package's tools call this first thing; see ``StagedFileRegistry`` for what is guaranteed,
/// and what is left after SIGKILL.
package func removeStagedFilesOnInterrupt() {
  #if !NUMPYIO_STANDALONE
  swift_blas_rnn_staged_install_handlers()
  #endif
}
