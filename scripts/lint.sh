#!/usr/bin/env bash
##===- scripts/lint.sh - source checks -----------------------------------===##
##
## Fails when a C++ source is not clang-format-22 clean, a source file lacks
## the LLVM banner, or a file has trailing whitespace or tabs.
##
##===----------------------------------------------------------------------===##
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
status=0

mapfile -t cxx < <(git ls-files '*.cpp' '*.h' '*.c')
for f in "${cxx[@]}"; do
  if ! clang-format-22 --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "lint: $f is not clang-format-22 clean (run: clang-format-22 -i $f)"
    status=1
  fi
done

mapfile -t banner < <(git ls-files '*.cpp' '*.h' '*.td' '*.c')
for f in "${banner[@]}"; do
  first=$(head -1 "$f")
  if [ "${#first}" -ne 80 ] ||
     ! grep -qE '^(//===- .* -+\*- (C\+\+|tablegen|C) -\*-===//|/\*===- .* -+\*- C -\*-===\*\\)$' <<<"$first"; then
    echo "lint: $f does not open with the LLVM file banner"
    status=1
  fi
done

if git grep -nI -E '[[:blank:]]+$' -- ':!*.npz' >/dev/null; then
  git grep -nI -E '[[:blank:]]+$' -- ':!*.npz' | head
  echo "lint: trailing whitespace"
  status=1
fi
if git grep -nI -P '\t' -- '*.cpp' '*.h' '*.td' '*.py' '*.mlir' >/dev/null; then
  echo "lint: tab characters in sources"
  status=1
fi
[ $status -eq 0 ] && echo "lint: ok"
exit $status
