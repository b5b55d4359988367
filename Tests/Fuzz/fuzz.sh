#!/usr/bin/env bash
# Builds the NPY parser fuzzer (libFuzzer + AddressSanitizer) and runs it.
#   bash Tests/Fuzz/fuzz.sh [SECONDS]   fuzz (default 60 s); new inputs go to .build/fuzz-corpus
#   bash Tests/Fuzz/fuzz.sh replay      run each committed seed once and exit (CI)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .build/fuzz-corpus
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name NPYFuzz \
  Sources/NumPyIO/NPYArray.swift Sources/NumPyIO/NPYArray+Reading.swift Sources/NumPyIO/NPYArray+Writing.swift \
  Sources/NumPyIO/NPYHeader.swift Sources/NumPyIO/NPYError.swift Tests/Fuzz/NPYFuzzer.swift \
  -o .build/fuzz-npy
if [ "${1:-}" = "replay" ]; then
  .build/fuzz-npy -runs=0 Tests/Fuzz/corpus
else
  .build/fuzz-npy -max_total_time="${1:-60}" -max_len=2048 -print_final_stats=1 .build/fuzz-corpus Tests/Fuzz/corpus
fi
