#!/usr/bin/env bash
##===- scripts/example.sh - set up, build and run the main example -------===##
##
## Runs scripts/setup.sh (which also builds the example: encoder_layer.py
## writes a BERT-style encoder layer with effattn.attention, effattn-compile
## compiles it for this CPU into libencoder_layer.so), then runs the C++
## program that links it: result check against the numpy reference and
## latency. Exits non-zero if the check fails.
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR

bash "$ROOT/scripts/setup.sh"
"$BUILD_DIR/examples/encoder_demo"
