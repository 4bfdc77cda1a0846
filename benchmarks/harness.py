#!/usr/bin/env python3
"""effattn's benchmark harness: every op against its baseline, in one run.

One command (documented in the README and docs/performance.md): `bash
scripts/bench.sh` (sets up and builds first), or from a build tree

    PYTHONPATH=python python3 benchmarks/harness.py [--quick] \
        [--json benchmarks/results/harness.json] [--plot benchmarks/results/harness.png]

What it runs, each on the same inputs as its baselines, in this one process,
all cores everywhere (effattn's OpenMP, OpenBLAS and torch threads):

* peak: a microbenchmark compiled by effattn-compile — independent vector FMA
  chains on every core — so that "% of peak" is measured, not assumed;
* GEMM: a `linalg.matmul` f32 M = N = K through effattn's CPU pipeline (its
  contraction lowering) vs OpenBLAS sgemm (numpy);
* exact attention: `effattn.attention` f32, batch·heads = 8, d = 64 vs PyTorch
  CPU (softmax(QKᵀ/√d)V per head; memory O(n²) per head);
* approximate attention at the same shape: Nyström (m = 64), YOSO-LSH (τ = 8,
  16 hashes), MRA-2 (8 blocks per row) vs effattn's exact attention;
* LookupFFN (T = 64, BH4 projection) vs the dense FFN's two GEMMs in OpenBLAS;
* IM-Unpack: the exact int64 product of 8-bit-unpacked operands vs an exact
  int64 matmul in numpy;
* FrameQuant: frame_linear (2 bits, 4096²) at batch 1 and 64 vs OpenBLAS
  sgemv / sgemm.

Columns: time (best of --repeats calls after a warm-up that compiles), the
baseline's time and the ratio baseline / effattn (> 1: effattn faster),
GFLOP/s under the stated FLOP rule, % of the measured FMA peak, peak memory
(growth of the process's peak RSS during the calls) and the error (relative
Frobenius norm) against the exact result or the op's numpy oracle.

--quick uses n = 1024 for attention, 512³ for GEMM and a 1024² FrameQuant layer
(about a minute); the default (n = 4096, 1024³ and 2048³, 4096²) takes a few
minutes. PyTorch (python3-torch) and matplotlib (python3-matplotlib) come from
Debian; without them their column or the plot is skipped with a message.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)
import effattn  # noqa: E402
from effattn import ops, reference  # noqa: E402
import timing  # noqa: E402

#: Independent accumulators of the peak microbenchmark (FMA latency × pipes
#: with room to spare, within 16 registers).
PEAK_CHAINS = 10


def measure(fn, repeats, min_seconds=0.3):
    """timing.measure with at least 0.3 s of calls (millisecond-scale ops)."""
    return timing.measure(fn, repeats, min_seconds)


def relative_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def vector_lanes():
    """f32 lanes of the widest vector the CPU has (16 with AVX-512)."""
    try:
        with open("/proc/cpuinfo") as f:
            return 16 if " avx512f" in f.read() else 8
    except OSError:
        return 8


def peak_module(cores, lanes, iterations):
    """MLIR: on each core, PEAK_CHAINS independent chains of `iterations`
    vector FMAs (2·lanes FLOPs each)."""
    vec = f"vector<{lanes}xf32>"
    chains = ", ".join(f"%a{i} = %v" for i in range(PEAK_CHAINS))
    types = ", ".join([vec] * PEAK_CHAINS)
    body = "\n".join(f"        %n{i} = vector.fma %a{i}, %v, %w : {vec}"
                     for i in range(PEAK_CHAINS))
    yields = ", ".join(f"%n{i}" for i in range(PEAK_CHAINS))
    total = "%s0"
    sums = []
    for i in range(1, PEAK_CHAINS):
        sums.append(f"      %s{i} = arith.addf {total}, %r#{i} : {vec}")
        total = f"%s{i}"
    return f"""
func.func @peak(%seed: tensor<{lanes}xf32>) -> tensor<{cores}x{lanes}xf32> {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {iterations} : index
  %pad = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<{cores}x{lanes}xf32>
  %out = scf.forall (%t) in ({cores}) shared_outs(%o = %init) -> tensor<{cores}x{lanes}xf32> {{
    %v = vector.transfer_read %seed[%c0], %pad {{in_bounds = [true]}} : tensor<{lanes}xf32>, {vec}
    %w = arith.mulf %v, %v : {vec}
    %r:{PEAK_CHAINS} = scf.for %i = %c0 to %n step %c1 iter_args({chains}) -> ({types}) {{
{body}
        scf.yield {yields} : {types}
    }}
      %s0 = arith.addf %r#0, %r#0 : {vec}
{chr(10).join(sums)}
    %row = tensor.empty() : tensor<1x{lanes}xf32>
    %written = vector.transfer_write {total}, %row[%c0, %c0] {{in_bounds = [true]}} : {vec}, tensor<1x{lanes}xf32>
    scf.forall.in_parallel {{
      tensor.parallel_insert_slice %written into %o[%t, 0] [1, {lanes}] [1, 1] : tensor<1x{lanes}xf32> into tensor<{cores}x{lanes}xf32>
    }}
  }}
  return %out : tensor<{cores}x{lanes}xf32>
}}
"""


def measure_peak(repeats):
    """Measured FMA peak of all cores, in GFLOP/s."""
    cores, lanes, iterations = os.cpu_count(), vector_lanes(), 2_000_000
    module = effattn.compile(peak_module(cores, lanes, iterations), module_name="peak")
    seed = np.full(lanes, 1.0 - 2.0**-20, np.float32)
    seconds, _, _ = measure(lambda: module.peak(seed), repeats)
    flops = 2.0 * cores * PEAK_CHAINS * lanes * iterations
    return flops / seconds / 1e9, dict(cores=cores, lanes=lanes, chains=PEAK_CHAINS)


def gemm_module(n):
    t = f"tensor<{n}x{n}xf32>"
    return f"""
func.func @gemm(%a: {t}, %b: {t}) -> {t} {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : {t}
  %c = linalg.fill ins(%zero : f32) outs(%e : {t}) -> {t}
  %r = linalg.matmul ins(%a, %b : {t}, {t}) outs(%c : {t}) -> {t}
  return %r : {t}
}}
"""


def blas_library():
    """Returns the BLAS that numpy (and PyTorch) call: the shared library
    behind libblas.so.3 mapped into this process after a product."""
    a = np.ones((64, 64), dtype=np.float32)
    a @ a
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower()}
    return os.path.realpath(sorted(paths)[0]) if paths else "unknown"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


class Harness:
    def __init__(self, args):
        self.args, self.rows = args, []
        self.peak = None
        try:
            import torch
            torch.set_num_threads(os.cpu_count())
            self.torch = torch
        except ImportError:
            print("PyTorch not installed (apt-get install python3-torch): its rows are skipped")
            self.torch = None

    def add(self, group, name, seconds, flops=None, baseline=None, baseline_s=None,
            memory=None, error=None, rule=None):
        row = dict(group=group, name=name, seconds=seconds, baseline=baseline,
                   baseline_seconds=baseline_s,
                   speedup=baseline_s / seconds if baseline_s else None,
                   gflops=flops / seconds / 1e9 if flops else None,
                   percent_of_peak=(100 * flops / seconds / 1e9 / self.peak
                                    if flops and self.peak else None),
                   peak_mib=memory, error=error, flop_rule=rule)
        self.rows.append(row)
        fmt = lambda v, f: "" if v is None else format(v, f)  # noqa: E731
        print(f"{group:<11} {name:<34} {seconds * 1e3:>10.3f} {fmt(baseline, ''):<24} "
              f"{fmt(baseline_s and baseline_s * 1e3, '>10.3f'):>10} "
              f"{fmt(row['speedup'], '>6.2f'):>6} {fmt(row['gflops'], '>7.1f'):>7} "
              f"{fmt(row['percent_of_peak'], '>5.1f'):>5} {fmt(memory, '>7.1f'):>7} "
              f"{fmt(error, '>8.1e'):>8}", flush=True)

    def run_peak(self):
        self.peak, info = measure_peak(self.args.repeats)
        print(f"measured FMA peak: {self.peak:.1f} GFLOP/s ({info['cores']} cores, "
              f"{info['lanes']}-lane vectors, {info['chains']} chains per core)\n")
        self.peak_info = info

    def run_gemm(self):
        sizes = [512] if self.args.quick else [1024, 2048]
        rng = np.random.default_rng(0)
        for n in sizes:
            a = rng.standard_normal((n, n)).astype(np.float32)
            b = rng.standard_normal((n, n)).astype(np.float32)
            module = effattn.compile(gemm_module(n), module_name="gemm")
            seconds, memory, c = measure(lambda: module.gemm(a, b), self.args.repeats)
            blas_s, _, want = measure(lambda: a @ b, self.args.repeats)
            self.add("gemm", f"linalg.matmul {n}³ f32", seconds, 2.0 * n**3,
                     "OpenBLAS sgemm", blas_s, memory, relative_error(c, want),
                     "2·M·N·K")

    def attention_inputs(self, n):
        rng = np.random.default_rng(1)
        return [rng.standard_normal((8, n, 64)).astype(np.float32) for _ in range(3)]

    def torch_attention(self, q, k, v):
        torch, outs = self.torch, []
        with torch.no_grad():
            for h in range(q.shape[0]):
                qh, kh, vh = (torch.from_numpy(x[h]) for x in (q, k, v))
                outs.append((torch.softmax(qh @ kh.T / math.sqrt(q.shape[-1]), dim=-1)
                             @ vh).numpy())
        return np.stack(outs)

    def run_attention(self):
        n = 1024 if self.args.quick else 4096
        q, k, v = self.attention_inputs(n)
        flops = 4.0 * 8 * n * n * 64
        exact_s, memory, exact = measure(lambda: ops.attention(q, k, v), self.args.repeats)
        if self.torch is not None:
            torch_s, _, want = measure(lambda: self.torch_attention(q, k, v), self.args.repeats)
            error = relative_error(exact, want)
        else:
            torch_s, error = None, None
        self.add("attention", f"exact f32 BH=8 n={n} d=64", exact_s, flops,
                 "PyTorch CPU", torch_s, memory, error, "4·BH·n²·d")
        approximate = {
            "Nyström m=64": lambda: ops.nystrom_attention(q, k, v, num_landmarks=64),
            "YOSO-LSH τ=8 16 hashes": lambda: ops.yoso_attention(
                q, k, v, mode="lsh", hash_bits=8, num_hashes=16,
                projection=self.projection(64, 16 * 8)),
            "MRA-2 8 blocks/row": lambda: ops.mra_attention(q, k, v, blocks_per_row=8),
        }
        # YOSO's rows are L2-normalised by definition: its error is against
        # the normalised rows of exact attention.
        normalised = exact / np.maximum(np.linalg.norm(exact, axis=-1, keepdims=True), 1e-12)
        for name, fn in approximate.items():
            seconds, memory, out = measure(fn, self.args.repeats)
            want = normalised if name.startswith("YOSO") else exact
            self.add("attention", name, seconds, None, f"effattn exact n={n}", exact_s,
                     memory, relative_error(out, want))

    def projection(self, d, columns):
        return np.random.default_rng(2).standard_normal((d, columns)).astype(np.float32)

    def run_lookup_ffn(self):
        tokens = 1024 if self.args.quick else 8192
        d, tables, bits, block = 512, 64, 8, 64
        rng = np.random.default_rng(3)
        x = rng.standard_normal((tokens, d)).astype(np.float32)
        width = tables * bits
        repeats = -(-width // d)
        weight = (rng.standard_normal((repeats, 4, d // block, block, block))
                  / math.sqrt(block * d)).astype(np.float32)
        params = dict(proj_weight=weight,
                      proj_bias=(0.001 * rng.standard_normal(width)).astype(np.float32),
                      tables=(0.02 * rng.standard_normal((tables, 2**bits, d))).astype(
                          np.float32),
                      bias=(0.001 * rng.standard_normal(d)).astype(np.float32))
        seconds, memory, out = measure(
            lambda: ops.lookup_ffn(x, projection="bh4", **params), self.args.repeats)
        want = reference.lookup_ffn(x[:128], projection="bh4", **params)
        w1 = rng.standard_normal((d, 4 * d)).astype(np.float32)
        w2 = rng.standard_normal((4 * d, d)).astype(np.float32)
        dense_s, _, _ = measure(lambda: (x @ w1) @ w2, self.args.repeats)
        self.add("lookup_ffn", f"T=64 BH4 N={tokens} D=512", seconds, None,
                 "dense FFN GEMMs (OpenBLAS)", dense_s, memory,
                 relative_error(out[:128], want))

    def run_imunpack(self):
        n = 512 if self.args.quick else 1024
        rng = np.random.default_rng(4)
        a = rng.integers(-7, 8, (n, n)).astype(np.int64)
        b = rng.integers(-7, 8, (n, n)).astype(np.int64)
        a[rng.random((n, n)) < 0.01] *= 1000  # heavy hitters
        seconds, memory, out = measure(lambda: ops.unpacked_matmul(a, b, bits=8),
                                       self.args.repeats)
        exact_s, _, want = measure(lambda: a @ b.T, self.args.repeats)
        self.add("imunpack", f"unpacked_matmul {n}³ 8-bit row", seconds, 2.0 * n**3,
                 "numpy int64 matmul", exact_s, memory,
                 float(np.abs(out - want).max()), "2·M·N·K (exact int64)")

    def run_framequant(self):
        dim = 1024 if self.args.quick else 4096
        rng = np.random.default_rng(5)
        w = (rng.standard_normal((dim, dim)) / math.sqrt(dim)).astype(np.float32)
        packed = ops.frame_quantize(w, bits=2, seed_in=1, seed_out=2)
        w_hat = packed.W_hat
        for batch in (1, 64):
            x = rng.standard_normal((batch, dim)).astype(np.float32)
            seconds, memory, y = measure(lambda: ops.frame_linear(x, packed),
                                         self.args.repeats)
            blas_s, _, _ = measure(lambda: x @ w.T, self.args.repeats)
            self.add("framequant", f"frame_linear 2-bit {dim}² batch {batch}", seconds,
                     2.0 * batch * dim * dim,
                     "OpenBLAS " + ("sgemv" if batch == 1 else "sgemm") + " fp32", blas_s,
                     memory, relative_error(y, x @ w_hat.T), "2·batch·in·out (dense-equiv.)")

    def plot(self, path):
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not installed (apt-get install python3-matplotlib): no plot")
            return
        rows = [r for r in self.rows if r["speedup"]]
        fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(rows) + 1.5))
        labels = [f"{r['group']}: {r['name']}" for r in rows]
        axes[0].barh(labels, [r["speedup"] for r in rows], color="tab:blue")
        axes[0].axvline(1.0, color="black", linewidth=0.8)
        axes[0].set_xscale("log")
        axes[0].set_xlabel("speed-up over the baseline (× , log scale)")
        axes[0].invert_yaxis()
        peak_rows = [r for r in self.rows if r["percent_of_peak"]]
        axes[1].barh([f"{r['group']}: {r['name']}"
                      + (" (dense-equivalent)" if "dense-equiv" in r["flop_rule"] else "")
                      for r in peak_rows],
                     [r["percent_of_peak"] for r in peak_rows], color="tab:orange")
        axes[1].set_xlabel(f"% of the measured FMA peak ({self.peak:.0f} GFLOP/s)")
        axes[1].invert_yaxis()
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        print(f"plot: {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+",
                        choices=["gemm", "attention", "lookup_ffn", "imunpack", "framequant"],
                        help="run only these groups (the peak always runs)")
    parser.add_argument("--json")
    parser.add_argument("--plot")
    args = parser.parse_args()
    harness = Harness(args)
    blas = blas_library()
    print(f"CPU: {cpu_model()}; numpy's BLAS: {blas}")
    if "openblas" not in blas:
        print("warning: numpy does not use OpenBLAS (apt-get install libopenblas0-pthread): "
              "the 'OpenBLAS' baselines are this BLAS instead")
    harness.run_peak()
    print(f"{'group':<11} {'what':<34} {'ms':>10} {'baseline':<24} {'ms':>10} "
          f"{'×':>6} {'GFLOP/s':>7} {'%peak':>5} {'MiB':>7} {'error':>8}")
    for group in ["gemm", "attention", "lookup_ffn", "imunpack", "framequant"]:
        if args.only is None or group in args.only:
            getattr(harness, f"run_{group}")()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(peak_gflops=harness.peak, peak=harness.peak_info,
                           cpu=cpu_model(), cpu_count=os.cpu_count(), blas=blas,
                           rows=harness.rows), f, indent=1)
    if args.plot:
        harness.plot(args.plot)


if __name__ == "__main__":
    main()
