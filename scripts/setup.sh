#!/usr/bin/env bash
##===- scripts/setup.sh - install dependencies, configure, build ---------===##
##
## Installs every Debian package effattn needs (idempotent: packages already
## present are skipped), configures with Ninja against Debian's LLVM/MLIR 22
## and builds. Environment:
##   BUILD_DIR               build directory (default: build)
##   EFFATTN_ENABLE_WERROR   ON to turn warnings into errors (default: OFF,
##                           ON when CI=true)
##   EFFATTN_ENABLE_SANITIZERS  e.g. address,undefined for a sanitizer build
##   EFFATTN_ENABLE_FUZZER   ON to build the libFuzzer target effattn-fuzz
##   EFFATTN_EXTRA_PACKAGES  more Debian packages to install (space-separated)
##
##===----------------------------------------------------------------------===##
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
LLVM_PREFIX=/usr/lib/llvm-22
WERROR="${EFFATTN_ENABLE_WERROR:-$([ "${CI:-}" = true ] && echo ON || echo OFF)}"

PACKAGES=(
  # Toolchain: LLVM/MLIR 22 and the compilers that build and link with it.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  libomp-22-dev libclang-rt-22-dev clang-format-22
  # Build tools and libraries the LLVM CMake package expects.
  cmake ninja-build zlib1g-dev libzstd-dev libedit-dev libxml2-dev
  libcurl4-openssl-dev libffi-dev
  # Tests: GoogleTest and Debian's Python with numpy and pytest.
  libgtest-dev libgmock-dev python3 python3-numpy python3-pytest
)
# More for some callers (scripts/bench.sh: the baselines and the plot).
# shellcheck disable=SC2206
PACKAGES+=(${EFFATTN_EXTRA_PACKAGES:-})

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$LLVM_PREFIX/bin/clang" \
  -DCMAKE_CXX_COMPILER="$LLVM_PREFIX/bin/clang++" \
  -DLLVM_USE_LINKER=lld \
  -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
  -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
  -DEFFATTN_ENABLE_WERROR="$WERROR" \
  -DEFFATTN_ENABLE_SANITIZERS="${EFFATTN_ENABLE_SANITIZERS:-}" \
  -DEFFATTN_ENABLE_FUZZER="${EFFATTN_ENABLE_FUZZER:-OFF}"
cmake --build "$BUILD_DIR"
