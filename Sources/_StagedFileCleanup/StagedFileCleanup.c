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

static atomic_int committing;
static atomic_int pendingSignal;

static void removeStagedFiles(int signal) {
  if (atomic_load(&committing)) {
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

void swift_blas_rnn_staged_commit_begin(void) { atomic_store(&committing, 1); }

void swift_blas_rnn_staged_commit_end(void) {
  atomic_store(&committing, 0);
  int signal = atomic_exchange(&pendingSignal, 0);
  if (signal != 0) removeStagedFiles(signal);
}
