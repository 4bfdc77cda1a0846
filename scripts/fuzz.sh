#!/usr/bin/env bash
##===- scripts/fuzz.sh - run the effattn libFuzzer target ----------------===##
##
## Usage: scripts/fuzz.sh [runs]   (default 2000 inputs; EFFATTN_FUZZ_TIME=s
##                                  runs for a time instead;
##                                  FUZZ_TARGET=effattn-fuzz-ops fuzzes with
##                                  the structure-aware mutator; FUZZ_SEED=n
##                                  picks another mutation sequence)
## Needs a build with EFFATTN_ENABLE_FUZZER=ON (and, best, sanitizers):
##   BUILD_DIR=build-asan EFFATTN_ENABLE_SANITIZERS=address,undefined \
##     EFFATTN_ENABLE_FUZZER=ON bash scripts/setup.sh
## The seed corpus is every .mlir test, split at "// -----"; the dictionary
## (tools/effattn-fuzz/effattn.dict) makes mutations swap effattn's op names,
## types, shapes and attributes. A crash leaves
## its input as crash-* in the working directory: make it a regression test.
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-asan}"
FUZZER="$BUILD_DIR/bin/${FUZZ_TARGET:-effattn-fuzz}"
RUNS="${1:-2000}"

CORPUS="$(mktemp -d)"
trap 'rm -rf "$CORPUS"' EXIT
/usr/bin/python3 - "$ROOT/test" "$CORPUS" <<'PY'
import pathlib, sys
test, corpus = map(pathlib.Path, sys.argv[1:])
count = 0
for path in sorted(test.rglob("*.mlir")):
    if "Integration" in path.parts:
        continue  # large constant inputs: slow to mutate, little coverage
    for piece in path.read_text().split("// -----"):
        (corpus / f"seed{count:04d}.mlir").write_text(piece)
        count += 1
print(f"fuzz: {count} seed inputs")
PY

LIMIT=(-runs="$RUNS")
[ -n "${EFFATTN_FUZZ_TIME:-}" ] && LIMIT=(-max_total_time="$EFFATTN_FUZZ_TIME")
# -seed fixes the mutation sequence so that a CI run is reproducible.
"$FUZZER" "$CORPUS" -seed="${FUZZ_SEED:-1}" -max_len=4096 -timeout=30 -rss_limit_mb=4096 \
  -dict="$ROOT/tools/effattn-fuzz/effattn.dict" \
  -print_final_stats=1 "${LIMIT[@]}"
