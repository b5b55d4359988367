#!/usr/bin/env bash
# Builds the NumPyIO fuzzers (libFuzzer + AddressSanitizer) and runs them.
#   bash Tests/Fuzz/fuzz.sh npy [SECONDS]   fuzz the .npy parser (default 60 s)
#   bash Tests/Fuzz/fuzz.sh npz [SECONDS]   fuzz the .npz reader: zip, inflate, CRC, limits
#   bash Tests/Fuzz/fuzz.sh pickle [SECONDS] fuzz PyTorchIO's restricted unpickler (torch.save's data.pkl)
#   bash Tests/Fuzz/fuzz.sh statedict [SECONDS]  fuzz state dict files: safetensors, torch.save zips
#   bash Tests/Fuzz/fuzz.sh replay          run each committed seed of every corpus once and exit (CI)
# New inputs go to .build/fuzz-corpus-NAME; crashes to .build/fuzz-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .build/fuzz-corpus-npy .build/fuzz-corpus-npz .build/fuzz-corpus-pickle .build/fuzz-corpus-statedict

# NumPyIO's sources without the files that need DenseMatrix, plus the trap helper it shares.
sources=(Sources/NumPyIO/NPYArray.swift Sources/NumPyIO/NPYArray+Reading.swift
  Sources/NumPyIO/NPYArray+Writing.swift Sources/NumPyIO/NPYArray+File.swift Sources/NumPyIO/NPYArray+Destination.swift
  Sources/NumPyIO/NPYHeader.swift
  Sources/NumPyIO/PythonLiteral.swift Sources/NumPyIO/NPYError.swift Sources/NumPyIO/ByteStream.swift
  Sources/NumPyIO/ReadableFile.swift Sources/NumPyIO/AtomicFileWriter.swift Sources/NumPyIO/StagedFile.swift
  Sources/NumPyIO/StagedFileRegistry.swift Sources/NumPyIO/ZipDirectory.swift Sources/NumPyIO/ZipMemberStream.swift
  Sources/NumPyIO/ZipWriter.swift Sources/NumPyIO/NPZArchive.swift Sources/NumPyIO/CRC32.swift
  Sources/NumPyIO/ParallelRead.swift
  Sources/NumPyIO/HugePages.swift Sources/DenseMatrix/Matrix/Precondition.swift)
# PyTorchIO's sources, compiled into the same module, without the Matrix conveniences.
torch_sources=()
for file in Sources/PyTorchIO/*.swift; do
  [[ $file == *+Matrix.swift ]] || torch_sources+=("$file")
done
# The CRC-32 kernel (a C target): compiled with the same sanitizer, its header given a module map.
mkdir -p .build/fuzz-crc32
printf 'module _CRC32 {\n  header "%s/Sources/_CRC32/include/CRC32Fold.h"\n  export *\n}\n' "$PWD" \
  >.build/fuzz-crc32/module.modulemap
clang -O2 -fsanitize=address -ISources/_CRC32/include -c Sources/_CRC32/CRC32Fold.c -o .build/fuzz-crc32/CRC32Fold.o
build() {
  swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "$1Fuzz" -package-name fuzz \
    -D NUMPYIO_STANDALONE -D PYTORCHIO_STANDALONE -Xcc -fmodule-map-file=Sources/CZlib/module.modulemap \
    -Xcc -fmodule-map-file=.build/fuzz-crc32/module.modulemap .build/fuzz-crc32/CRC32Fold.o \
    "${sources[@]}" "${torch_sources[@]}" "Tests/Fuzz/$2" -o ".build/fuzz-$1"
}
build npy NPYFuzzer.swift
build npz NPZFuzzer.swift
build pickle PickleFuzzer.swift
build statedict StateDictFuzzer.swift

# Swift's backtracer off: under AddressSanitizer it crashed in its own handler and left
# swift-backtrace hanging; libFuzzer and ASan report crashes themselves.
export SWIFT_BACKTRACE=enable=no

# Per input: at most 10 s and 2 GiB (the npz fuzzer's limits allow 4 MiB of arrays).
options=(-timeout=10 -rss_limit_mb=2048)
case "${1:-}" in
  replay)
    .build/fuzz-npy "${options[@]}" -runs=0 Tests/Fuzz/corpus-npy
    .build/fuzz-npz "${options[@]}" -runs=0 Tests/Fuzz/corpus-npz
    .build/fuzz-pickle "${options[@]}" -runs=0 Tests/Fuzz/corpus-pickle
    .build/fuzz-statedict "${options[@]}" -runs=0 Tests/Fuzz/corpus-statedict
    ;;
  npy | npz | pickle | statedict)
    ".build/fuzz-$1" "${options[@]}" -max_total_time="${2:-60}" -max_len=8192 -print_final_stats=1 \
      -artifact_prefix=".build/fuzz-$1-" ".build/fuzz-corpus-$1" "Tests/Fuzz/corpus-$1"
    ;;
  *)
    echo "usage: $0 npy|npz|pickle|statedict [SECONDS] | replay" >&2
    exit 2
    ;;
esac
