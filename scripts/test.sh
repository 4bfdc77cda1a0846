#!/usr/bin/env bash
##===- scripts/test.sh - set up, build and run every test ----------------===##
##
## Runs scripts/setup.sh (packages, configure, build), the lint checks, then
## every test through ctest: GoogleTest unit tests, the lit suite
## (check-effattn: dialect, passes, pipelines, CPU integration tests that run
## compiled code) and the Python tests (pytest).
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/lint.sh"
cmake --build "$BUILD_DIR" --target effattn-doc
cd "$BUILD_DIR"
ctest --output-on-failure -j2
