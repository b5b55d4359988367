#include "StagedFileCleanup.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

enum { slotCount = 64 };
enum { slotFree = 0, slotWriting = 1, slotReady = 2 };

// Static storage: nothing is allocated, so the handler only reads memory that always exists.
static char paths[slotCount][PATH_MAX];
static atomic_int states[slotCount];
static atomic_int installed;
static const int interruptions[] = {SIGINT, SIGTERM, SIGHUP};

int swift_blas_rnn_staged_register(const char *path) {
  size_t length = strlen(path);
  if (length >= PATH_MAX) return -1;
  for (int slot = 0; slot < slotCount; slot++) {
    int expected = slotFree;
    if (atomic_compare_exchange_strong(&states[slot], &expected, slotWriting)) {
      memcpy(paths[slot], path, length + 1);
      atomic_store(&states[slot], slotReady);
      return slot;
    }
  }
  return -1;
}

void swift_blas_rnn_staged_unregister(int slot) {
  if (slot >= 0 && slot < slotCount) atomic_store(&states[slot], slotFree);
}

// The process's state: idle, committing (renaming staged files into place), or dying (an
// interruption's handler is removing the staged files). A signal may be handled on any thread
// while the main thread runs on, so the two claim the state atomically: a handler that finds a
// commit running holds the signal until it ends, and once a handler has begun to remove the
// staged files no commit can begin (it would make backups the dying process leaves behind).
enum { stateIdle = 0, stateCommitting = 1, stateDying = 2 };
static atomic_int state;
static atomic_int pendingSignal;

static void removeStagedFiles(int signal) {
  int expected = stateIdle;
  if (!atomic_compare_exchange_strong(&state, &expected, stateDying) && expected == stateCommitting) {
    // A commit is renaming files into place: let it finish (all or none), then die.
    atomic_store(&pendingSignal, signal);
    return;
  }
  for (int slot = 0; slot < slotCount; slot++) {
    if (atomic_load(&states[slot]) == slotReady) unlink(paths[slot]);  // async-signal-safe
  }
  // Die of the same signal, as if no handler were installed (the exit status says so).
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, NULL);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, signal);
  pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
  raise(signal);
}

void swift_blas_rnn_staged_install_handlers(void) {
  if (atomic_exchange(&installed, 1)) return;
  for (size_t i = 0; i < sizeof interruptions / sizeof interruptions[0]; i++) {
    struct sigaction previous;
    if (sigaction(interruptions[i], NULL, &previous) != 0 || previous.sa_handler == SIG_IGN) continue;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = removeStagedFiles;
    sigfillset(&action.sa_mask);  // one cleanup at a time
    sigaction(interruptions[i], &action, NULL);
  }
}

void swift_blas_rnn_staged_commit_begin(void) {
  int expected = stateIdle;
  while (!atomic_compare_exchange_strong(&state, &expected, stateCommitting)) {
    // A handler on another thread is removing the staged files and ending the process: never
    // start a commit then; wait for the end.
    if (expected == stateDying) {
      for (;;) pause();
    }
    expected = stateIdle;
  }
}

void swift_blas_rnn_staged_commit_end(void) {
  atomic_store(&state, stateIdle);
  int signal = atomic_exchange(&pendingSignal, 0);
  if (signal != 0) removeStagedFiles(signal);
}
