"""Prints the GPU code embedded in a module lowered by effattn-gpu-pipeline.

Reads MLIR on stdin, takes the first `gpu.object` of a `gpu.binary`
(`assembly = "..."` for PTX, `bin = "..."` for a cubin), undoes MLIR's string
escapes and prints the PTX. With `--ptxas PTXAS --arch sm_XX` it assembles
the PTX with `ptxas -v` instead and prints ptxas's resource report
(registers, spills, shared memory). With `--kind` it prints "assembly",
"bin" or "fatbin" and the object's size in bytes. With `--all` it does so
for every `gpu.object` (a module has one per kernel), in order.
"""

import argparse
import re
import subprocess
import sys
import tempfile


def unescape(text):
    """MLIR string escapes: \\\\, \\" and \\XX (two hex digits)."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if text[i + 1] in '\\"':
                out.append(ord(text[i + 1]))
                i += 2
            else:
                out.append(int(text[i + 1:i + 3], 16))
                i += 3
        else:
            out.extend(text[i].encode())
            i += 1
    return bytes(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ptxas")
    parser.add_argument("--arch")
    parser.add_argument("--kind", action="store_true")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    # #gpu.object<#nvvm.target<...>, [properties = {...},] [assembly = |
    # bin = ]"..."> (a fatbin has no keyword).
    pattern = (r'#gpu\.object<#nvvm\.target<[^>]*>,[^"]*?(\b(?:assembly|bin) = )?'
               r'"((?:[^"\\]|\\.)*)"')
    matches = list(re.finditer(pattern, sys.stdin.read()))
    if not matches:
        sys.exit("no gpu.object in the input")
    status = 0
    for match in matches if args.all else matches[:1]:
        status |= show(args, (match.group(1) or "fatbin = ").split()[0],
                       unescape(match.group(2)))
    sys.exit(status)


def show(args, kind, data):
    """Prints one object as main() says; returns ptxas's exit status."""
    if args.kind:
        print(kind, len(data))
        return 0
    if kind != "assembly":
        sys.exit(f"the object is {kind}, not PTX")
    if not args.ptxas:
        sys.stdout.write(data.decode())
        return 0
    with tempfile.NamedTemporaryFile(suffix=".ptx") as ptx:
        ptx.write(data)
        ptx.flush()
        result = subprocess.run([args.ptxas, "-v", f"-arch={args.arch}", ptx.name,
                                 "-o", "/dev/null"], capture_output=True, text=True)
    sys.stdout.write(result.stdout + result.stderr)
    return result.returncode


if __name__ == "__main__":
    main()
