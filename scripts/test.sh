#!/usr/bin/env bash
##===- scripts/test.sh - set up, build and run every test ----------------===##
##
## Runs scripts/setup.sh (packages, configure, build), the lint checks, the
## generated docs, then every test through ctest: GoogleTest unit tests, the
## lit suite (check-effattn: dialect, passes, pipelines, tools, CPU
## integration tests that run compiled code), the Python tests (pytest) and
## the encoder example.
##
## EFFATTN_SANITIZER_TESTS=1 (the default when CI=true) then builds a second
## tree with AddressSanitizer + UndefinedBehaviorSanitizer and the libFuzzer
## targets (build-asan/), runs the same ctest suite in it, and fuzzes the
## parser, verifiers and CPU pipeline: 20000 byte-level mutations and 5000
## structure-aware ones of valid effattn ops (scripts/fuzz.sh; fixed seed).
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/lint.sh"
cmake --build "$BUILD_DIR" --target effattn-doc
(cd "$BUILD_DIR" && ctest --output-on-failure -j2)

if [ "${EFFATTN_SANITIZER_TESTS:-$([ "${CI:-}" = true ] && echo 1 || echo 0)}" = 1 ]; then
  echo "== sanitizers: ASan + UBSan build in $ROOT/build-asan"
  # libMLIR.so and libLLVM.so are not instrumented but share LLVM's bump
  # allocators with our instrumented code, whose inline copies poison the
  # unused rest of each new slab: the libraries' own allocations there would
  # be reported. User poisoning off; every other check stays.
  export ASAN_OPTIONS="allow_user_poisoning=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  BUILD_DIR="$ROOT/build-asan" EFFATTN_ENABLE_SANITIZERS=address,undefined \
    EFFATTN_ENABLE_FUZZER=ON bash "$ROOT/scripts/setup.sh"
  # Byte-level mutations (20000 inputs), then the structure-aware mutator of
  # valid effattn ops (5000), both with a fixed seed.
  for fuzz in "effattn-fuzz 20000" "effattn-fuzz-ops 5000"; do
    set -- $fuzz
    echo "== fuzzing ($1): $2 inputs through the parser, verifiers and effattn-cpu-pipeline"
    FUZZ_LOG="$(mktemp)"
    if ! BUILD_DIR="$ROOT/build-asan" FUZZ_TARGET="$1" bash "$ROOT/scripts/fuzz.sh" "$2" \
        > "$FUZZ_LOG" 2>&1; then
      # Show the finding (sanitizer report or signal, and the input) in full.
      grep -n -A60 -E "ERROR|deadly signal|runtime error|Test unit written" "$FUZZ_LOG" |
        head -n 200
      exit 1
    fi
    tail -n 8 "$FUZZ_LOG"
    rm -f "$FUZZ_LOG"
  done
  (cd "$ROOT/build-asan" && ctest --output-on-failure -j2)
fi
