#!/usr/bin/env bash
##===- scripts/gpu-session.sh - GPU tests and benchmarks in two halves ---===##
##
## A machine with a GPU need not have the compiler (LLVM/MLIR 22), and one
## without a GPU cannot run the kernels, so the GPU checks come in two halves
## that share the directory .gpu-session/ (ignored by git):
##
##   bash scripts/gpu-session.sh prepare
##       here, after the build: compiles every library the [gpu] tests of
##       test/python/test_gpu_*.py and the two GPU benchmarks load (for
##       EFFATTN_TEST_GPU_CHIP, default sm_90) into .gpu-session/cache, with
##       a copy of effattn-compile (same mtime: it is part of the cache key)
##       in .gpu-session/bin (both emptied first: the carried copy stays
##       under the device machine's 64 MiB). Nothing runs on a GPU.
##   bash scripts/gpu-session.sh run [RESULTS_DIR]
##       on the GPU machine, with .gpu-session carried there: the [gpu]
##       tests (JUnit XML), then the benchmarks (JSON; the attention rows with
##       their heaviest kernels, --profile) and nvidia-smi's card
##       description, into RESULTS_DIR (default .gpu-session/results). Only
##       Python 3, numpy, pytest and PyTorch with CUDA are needed there. The
##       steps stop after 200, 240 and 120 s (GPU_TESTS_TIMEOUT,
##       GPU_ATTENTION_TIMEOUT, GPU_GEMM_TIMEOUT); the benchmarks' JSON holds
##       every row measured by then.
##
## Extra benchmark arguments: GPU_ATTENTION_ARGS, GPU_GEMM_ARGS (the same in
## both halves, so that the run finds what prepare compiled).
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SESSION="$ROOT/.gpu-session"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
export EFFATTN_CACHE_DIR="$SESSION/cache" EFFATTN_TOOLS_DIR="$SESSION/bin"
export EFFATTN_TEST_GPU_CHIP="${EFFATTN_TEST_GPU_CHIP:-sm_90}"
CHIP_ARGS=(--chip "$EFFATTN_TEST_GPU_CHIP")
read -r -a ATTENTION_ARGS <<< "${GPU_ATTENTION_ARGS:-}"
read -r -a GEMM_ARGS <<< "${GPU_GEMM_ARGS:-}"
GPU_TESTS=(test/python/test_gpu_attention.py test/python/test_gpu_ops.py)

cd "$ROOT"
case "${1:-}" in
  prepare)
    PYTHON="${PYTHON:-/usr/bin/python3}"
    # From an empty cache: libraries of an earlier compiler are never used
    # again and would only add to what travels to the GPU machine.
    rm -rf "$SESSION/bin" "$SESSION/cache"
    mkdir -p "$SESSION/bin" "$SESSION/cache"
    cp -p "$BUILD_DIR/bin/effattn-compile" "$SESSION/bin/"
    # Without a GPU the [gpu] tests compile their libraries and skip.
    "$PYTHON" -m pytest -q -p no:cacheprovider -k "gpu and not emulated" "${GPU_TESTS[@]}"
    "$PYTHON" benchmarks/gpu_attention_bench.py --compile-only "${CHIP_ARGS[@]}" \
      "${ATTENTION_ARGS[@]}"
    "$PYTHON" benchmarks/gpu_gemm_bench.py --compile-only "${CHIP_ARGS[@]}" "${GEMM_ARGS[@]}"
    echo "prepared: $(du -sh "$SESSION" | cut -f1) in $SESSION"
    ;;
  run)
    RESULTS="${2:-$SESSION/results}"
    PYTHON="${PYTHON:-python3}"
    mkdir -p "$RESULTS"
    export PYTHONUNBUFFERED=1
    status=0
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm \
      --format=csv | tee "$RESULTS/device.csv" || status=$?
    # Each step has its own time limit (seconds; the device call's limit is
    # 600 s), so that a hung kernel costs one step, not the others' results.
    timeout "${GPU_TESTS_TIMEOUT:-200}" \
      "$PYTHON" -m pytest -q -p no:cacheprovider -k "gpu and not emulated" -rs \
      --junitxml="$RESULTS/gpu-tests.xml" "${GPU_TESTS[@]}" || status=$?
    timeout "${GPU_ATTENTION_TIMEOUT:-240}" \
      "$PYTHON" benchmarks/gpu_attention_bench.py "${CHIP_ARGS[@]}" "${ATTENTION_ARGS[@]}" \
      --profile --json "$RESULTS/gpu_attention.json" || status=$?
    timeout "${GPU_GEMM_TIMEOUT:-120}" \
      "$PYTHON" benchmarks/gpu_gemm_bench.py "${CHIP_ARGS[@]}" "${GEMM_ARGS[@]}" \
      --json "$RESULTS/gpu_gemm.json" || status=$?
    exit "$status"
    ;;
  *)
    sed -n '4,26p' "${BASH_SOURCE[0]}" | sed 's/^## \{0,1\}//'
    exit 2
    ;;
esac
