#ifndef SWIFT_BLAS_RNN_STAGED_FILE_CLEANUP_H
#define SWIFT_BLAS_RNN_STAGED_FILE_CLEANUP_H
// The temporary files NumPyIO stages next to its destinations, removed when the process is
// interrupted (SIGINT, SIGTERM, SIGHUP) before it renamed them into place. The registry is a
// fixed table that a signal handler can read without allocating or locking.

/// Registers `path` (copied) for removal on interruption; returns its slot, or -1 if the table
/// is full or the path too long (the file is then only removed by the normal paths).
int swift_blas_rnn_staged_register(const char *path);

/// Forgets a slot returned by `swift_blas_rnn_staged_register` (nothing for -1).
void swift_blas_rnn_staged_unregister(int slot);

/// Installs handlers for SIGINT, SIGTERM and SIGHUP (once; a signal that is ignored stays
/// ignored) that unlink every registered file, then die of the same signal.
void swift_blas_rnn_staged_install_handlers(void);

/// Marks the start of a commit (several renames): an interruption that arrives until
/// `swift_blas_rnn_staged_commit_end` is held, so that the renames are all done or all undone.
/// If an interruption's handler (on any thread) has already begun to remove the staged files,
/// the commit never starts: this call waits for the process to end.
void swift_blas_rnn_staged_commit_begin(void);

/// Ends a commit; an interruption held meanwhile now removes what is registered and kills the
/// process with that signal.
void swift_blas_rnn_staged_commit_end(void);

#endif
