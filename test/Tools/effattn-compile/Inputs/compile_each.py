"""Compiles every piece of a -verify-diagnostics test file (split at
"// -----") with effattn-compile and checks that each one is rejected the way
a user sees it: exit code 1 (not 0, not a signal), within the time limit, with
the piece's expected diagnostic on stderr.

Usage: compile_each.py EFFATTN_COMPILE INPUT.mlir WORK_DIR
"""

import os
import re
import subprocess
import sys


def main():
    compiler, source, work = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    pieces = open(source).read().split("// -----")
    failures = []
    for index, piece in enumerate(pieces):
        expected = re.findall(r"expected-error @\S+ \{\{(.*?)\}\}", piece)
        path = os.path.join(work, f"piece{index}.mlir")
        with open(path, "w") as f:
            f.write(piece)
        try:
            run = subprocess.run([compiler, path, "-o", os.path.join(work, "out.so")],
                                 capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            failures.append(f"piece {index}: hangs")
            continue
        if run.returncode != 1:
            failures.append(f"piece {index}: exit code {run.returncode}\n{run.stderr}")
        elif "error:" not in run.stderr:
            failures.append(f"piece {index}: no diagnostic")
        elif expected and not any(text in run.stderr for text in expected):
            failures.append(f"piece {index}: expected {expected!r}, got\n{run.stderr}")
    for failure in failures:
        print(failure)
    print(f"{len(pieces)} inputs: {len(pieces) - len(failures)} rejected with exit code 1 "
          f"and the expected diagnostic")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
