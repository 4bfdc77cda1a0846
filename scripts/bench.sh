#!/usr/bin/env bash
##===- scripts/bench.sh - set up, build and run the benchmark harness ----===##
##
## Runs scripts/setup.sh with the baselines' packages (OpenBLAS, which then
## backs numpy's and PyTorch's libblas.so.3, oneDNN, PyTorch and matplotlib
## from Debian), then benchmarks/harness.py: every op against its
## baseline in one process, a table on stdout, the rows in
## benchmarks/results/harness.json and a plot in
## benchmarks/results/harness.png. Arguments go to the harness (--quick for
## small sizes, --only GROUP..., --repeats N).
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR

EFFATTN_EXTRA_PACKAGES="libopenblas0-pthread libdnnl-dev python3-torch python3-matplotlib" bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
# Debian's Python: the one the packages above are for.
PYTHONPATH="$ROOT/python" EFFATTN_TOOLS_DIR="$BUILD_DIR/bin" /usr/bin/python3 benchmarks/harness.py \
  --json benchmarks/results/harness.json --plot benchmarks/results/harness.png "$@"
