#!/usr/bin/env bash
##===- scripts/example.sh - set up, build and run the main example -------===##
##
## Runs scripts/setup.sh, then compiles examples/attention.mlir for the host
## CPU and runs it: prints the result check against the numpy oracle and the
## time. Exits non-zero if the result check fails.
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR

bash "$ROOT/scripts/setup.sh"
EFFATTN_TOOLS_DIR="$BUILD_DIR/bin" /usr/bin/python3 "$ROOT/examples/run_attention.py"
