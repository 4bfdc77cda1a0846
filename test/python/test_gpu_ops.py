"""The effattn ops other than attention, and plain linalg, compiled for an
NVIDIA GPU (each linalg op of their decomposition a kernel) against the
numpy oracles, on a GPU and emulated on the CPU; see gpu.py for how the
tests compile, run and skip."""

import os
import sys

import numpy as np
import pytest

import effattn
from effattn import reference
from gpu import ON_GPU_AND_EMULATED, TARGET, run_on_gpu
from test_gpu_attention import from_bf16_bits, to_bf16_bits
from test_imunpack import heavy_hitters
from test_kth_largest import KTH_LARGEST_CASES, kth_largest_function, kth_largest_rows
from test_lookup_ffn import lookup_case
from test_mra import _inputs as mra_inputs
from test_mra import (BLOCK_SPARSE_CASES, block_sparse_function, block_sparse_inputs,
                      to_float16)
from test_yoso import fast_hash_module, yoso_case
from vectors import random_self_attention, relative_error

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("batch,n,d,e,landmarks,init,masked,conv,dtype", [
    ((2, 3), 64, 32, 16, 8, "original", True, True, np.float32),
    ((4,), 37, 8, 8, 5, "exact", False, False, np.float32),
    ((2,), 48, 16, 16, 12, "exact", True, False, np.float16),
])
def test_gpu_nystrom_matches_oracle(batch, n, d, e, landmarks, init, masked,
                                    conv, dtype, emulated):
    rng = np.random.default_rng(300 + n + landmarks)
    q, k, v, mask = random_self_attention(rng, batch, n, d, e, dtype, masked)
    weight = rng.standard_normal((batch[-1], 5)).astype(dtype) if conv else None
    kwargs = dict(mask=mask, num_landmarks=landmarks, pinv_init=init,
                  conv_weight=weight)
    got = run_on_gpu(effattn.ops.nystrom_attention, q, k, v, emulated=emulated,
                     **kwargs)
    want = reference.nystrom_attention(q, k, v, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    assert relative_error(got, want) <= (1e-5 if dtype == np.float32 else 5e-3)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("batch,n,d,e,mode,tau,hashes,masked,shared,version,dtype", [
    ((2, 3), 37, 16, 8, "expectation", 8, None, True, None, 1, np.float32),
    ((2,), 50, 32, 16, "expectation", 4, None, False, None, 2, np.float32),
    ((2,), 24, 16, 16, "expectation", 8, None, True, None, 1, np.float16),
    ((2, 2), 29, 16, 16, "lsh", 8, 16, True, False, 1, np.float32),
    ((3,), 45, 8, 8, "lsh", 5, 7, False, True, 1, np.float32),
    ((2,), 40, 16, 8, "lsh", 6, 4, True, True, 1, np.float16),
])
def test_gpu_yoso_matches_oracle(batch, n, d, e, mode, tau, hashes, masked,
                                 shared, version, dtype, emulated):
    """LSH adds each key's value into its buckets atomically on the GPU: the
    sums match the oracle up to the order of the additions."""
    rng = np.random.default_rng(400 + n + tau)
    q, k, v, kwargs = yoso_case(rng, batch, n, d, e, mode, tau, hashes, masked,
                                shared, version, dtype)
    got = run_on_gpu(effattn.ops.yoso_attention, q, k, v, emulated=emulated,
                     **kwargs)
    want = reference.yoso_attention(q, k, v, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    assert relative_error(got, want) <= (1e-5 if dtype == np.float32 else 5e-3)


def reuse_case(op, rng):
    """The function, operands, keyword arguments and oracle of one call of
    test_gpu_calls_reuse_device_memory."""
    if op == "mra":
        q, k, v, mask = mra_inputs(rng, (2,), 128, 16, 8, np.float32, True)
        return (effattn.ops.mra_attention, reference.mra_attention, (q, k, v),
                dict(mask=mask, block_size=16, blocks_per_row=2))
    q, k, v, mask = random_self_attention(rng, (2,), 64, 16, 8, np.float32, True)
    if op == "nystrom":
        return (effattn.ops.nystrom_attention, reference.nystrom_attention, (q, k, v),
                dict(mask=mask, num_landmarks=8))
    projection = rng.standard_normal((16, 4 * 6)).astype(np.float32)
    return (effattn.ops.yoso_attention, reference.yoso_attention, (q, k, v),
            dict(mask=mask, mode="lsh", hash_bits=6, num_hashes=4, projection=projection))


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("op", ["nystrom", "yoso-lsh", "mra"])
def test_gpu_calls_reuse_device_memory(op, emulated):
    """A GPU library keeps its temporaries' device memory from one call to
    the next (a pool), so a call's temporaries start with the previous
    call's values (YOSO-LSH adds its bucket sums into a buffer that it must
    zero itself): three calls on new inputs each match the oracle, the last
    one after effattn.release_device_memory() gave the memory back."""
    rng = np.random.default_rng(900)
    for call in range(3):
        if call == 2:
            effattn.release_device_memory()
        fn, oracle, args, kwargs = reuse_case(op, rng)
        got = run_on_gpu(fn, *args, emulated=emulated, **kwargs)
        assert relative_error(got, oracle(*args, **kwargs)) <= 1e-5, f"call {call}"


@ON_GPU_AND_EMULATED
def test_gpu_yoso_fast_hash_matches_oracle(emulated):
    """The fast hash's Walsh-Hadamard transforms (D = 64: butterfly stages
    of half-width 16 and 32 as gather kernels) feed the atomic scatter."""
    rng = np.random.default_rng(17)
    batch, n, d, e, tau, hashes = (2,), 29, 64, 16, 8, 16
    diag_shape = (3, -(-hashes // (d // tau)), d)
    diagonals = rng.choice([-1.0, 1.0], size=diag_shape).astype(np.float32)
    q, k = (rng.standard_normal(batch + (n, d)).astype(np.float32) for _ in range(2))
    v = rng.standard_normal(batch + (n, e)).astype(np.float32)
    module = effattn.compile(
        fast_hash_module(batch, n, d, e, tau, hashes, diag_shape, False),
        target=TARGET, module_name="fast_hash", emulate_gpu=emulated)
    got = run_on_gpu(module.fast_hash, q, k, v, diagonals, emulated=emulated)
    projection = reference.yoso_fast_hash_projection(diagonals, tau, hashes)
    want = reference.yoso_attention(q, k, v, mode="lsh", hash_bits=tau,
                                    num_hashes=hashes, projection=projection)
    assert relative_error(got, want) <= 1e-5


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("projection", ["dense", "bh4"])
@pytest.mark.parametrize("shape,tables,bits,d_out", [
    ((7, 64), 8, 8, 32),
    ((2, 3, 33, 40), 5, 4, 24),
])
def test_gpu_lookup_ffn_matches_oracle(projection, shape, tables, bits, d_out,
                                      emulated):
    x, p = lookup_case(projection, shape, tables, bits, d_out)
    got = run_on_gpu(effattn.ops.lookup_ffn, x, code_bits=bits,
                     projection=projection, emulated=emulated, **p)
    want = reference.lookup_ffn(x, code_bits=bits, projection=projection, **p)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


#: A model's own linalg: a GEMM, a 0-d full reduction, a broadcast and a
#: transposed (strided) copy between them.
MODEL = """
#id = affine_map<(i, j) -> (i, j)>
#all = affine_map<(i, j) -> ()>
func.func @model(%a: tensor<70x33xf32>, %b: tensor<33x50xf32>) -> tensor<50x70xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<70x50xf32>
  %c0 = linalg.fill ins(%zero : f32) outs(%e : tensor<70x50xf32>) -> tensor<70x50xf32>
  %c = linalg.matmul ins(%a, %b : tensor<70x33xf32>, tensor<33x50xf32>) outs(%c0 : tensor<70x50xf32>) -> tensor<70x50xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]} ins(%c : tensor<70x50xf32>) outs(%s1 : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.addf %x, %acc : f32
    linalg.yield %y : f32
  } -> tensor<f32>
  %d = linalg.generic {indexing_maps = [#id, #all, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %s : tensor<70x50xf32>, tensor<f32>) outs(%e : tensor<70x50xf32>) {
  ^bb0(%x: f32, %t: f32, %o: f32):
    %y = arith.subf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<70x50xf32>
  %t0 = tensor.empty() : tensor<50x70xf32>
  %t = linalg.transpose ins(%d : tensor<70x50xf32>) outs(%t0 : tensor<50x70xf32>) permutation = [1, 0]
  return %t : tensor<50x70xf32>
}
"""


@ON_GPU_AND_EMULATED
def test_gpu_linalg_model_matches_numpy(emulated):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((70, 33)).astype(np.float32)
    b = rng.standard_normal((33, 50)).astype(np.float32)
    module = effattn.compile(MODEL, target=TARGET, module_name="gpu_model",
                             emulate_gpu=emulated)
    got = run_on_gpu(module.model, a, b, emulated=emulated)
    c = a.astype(np.float64) @ b
    np.testing.assert_allclose(got, (c - c.sum()).T, rtol=1e-4, atol=1e-3)


#: Contractions that take the blocked GEMM kernel: partial tiles, a
#: transposed A with K not a multiple of 16, f16 operands into f32, i8 into
#: i32, and a batch whose B is shared (broadcast). (Run-time sizes: the
#: IM-Unpack tests, whose unpacked operands are sized on the device.)
#: Shapes as (M, N, K) and element kinds of the GEMMs of
#: test_gpu_contractions_match_numpy, with the layouts of A ("mk" or "km")
#: and B ("kn" or "nk").
GEMM_CASES = {
    "edges": ((90, 70, 40), "f32", "mk", "kn"),
    "transposed": ((130, 20, 37), "f32", "km", "kn"),
    "half": ((65, 66, 48), "f16", "mk", "kn"),
    "brain": ((65, 66, 48), "bf16", "mk", "kn"),
    "int8": ((50, 30, 100), "i8", "mk", "kn"),
    "int8_transposed": ((50, 30, 70), "i8", "km", "nk"),
    "int8_aligned": ((70, 40, 64), "i8", "mk", "nk"),
    # A small C behind a long K: split over blocks whose sums add atomically.
    "long_k": ((64, 48, 4100), "f32", "mk", "kn"),
    "long_k_half": ((20, 70, 2100), "f16", "km", "kn"),
}

#: kind -> (MLIR element type of A and B, of C, its zero).
GEMM_TYPES = {"f32": ("f32", "f32", "0.0"), "f16": ("f16", "f32", "0.0"),
              "bf16": ("bf16", "f32", "0.0"), "i8": ("i8", "i32", "0")}


def gemm_function(name, sizes, kind, a_layout, b_layout):
    """`func.func @<name>(A, B) -> C` computing C = A·B with linalg.matmul."""
    element, acc, zero = GEMM_TYPES[kind]
    dims = dict(zip("mnk", sizes))

    def tensor(layout, element_type):
        return f"tensor<{dims[layout[0]]}x{dims[layout[1]]}x{element_type}>"
    a, b, c = tensor(a_layout, element), tensor(b_layout, element), tensor("mn", acc)
    maps = ", ".join(f"affine_map<(m, n, k) -> ({layout[0]}, {layout[1]})>"
                     for layout in (a_layout, b_layout, "mn"))
    return f"""func.func @{name}(%a: {a}, %b: {b}) -> {c} {{
  %zero = arith.constant {zero} : {acc}
  %e = tensor.empty() : {c}
  %c = linalg.fill ins(%zero : {acc}) outs(%e : {c}) -> {c}
  %r = linalg.matmul indexing_maps = [{maps}] ins(%a, %b : {a}, {b}) outs(%c : {c}) -> {c}
  return %r : {c}
}}
"""


GEMMS = "".join(gemm_function(name, *case) for name, case in GEMM_CASES.items()) + """
func.func @shared_rhs(%a: tensor<3x20x24xf32>, %b: tensor<24x17xf32>) -> tensor<3x20x17xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x20x17xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<3x20x17xf32>) -> tensor<3x20x17xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, i, j, k) -> (n, i, k)>, affine_map<(n, i, j, k) -> (k, j)>, affine_map<(n, i, j, k) -> (n, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : tensor<3x20x24xf32>, tensor<24x17xf32>) outs(%c : tensor<3x20x17xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x20x17xf32>
  return %r : tensor<3x20x17xf32>
}
"""


def gemm_operand(rng, shape, kind):
    """A random operand as the C ABI takes it (bf16 as raw bits), and its
    values in f64 (i64 for i8)."""
    if kind == "i8":
        x = rng.integers(-128, 128, shape).astype(np.int8)
        return x, x.astype(np.int64)
    if kind == "bf16":
        bits = to_bf16_bits(rng.standard_normal(shape))
        return bits, from_bf16_bits(bits).astype(np.float64)
    x = rng.standard_normal(shape).astype(np.float16 if kind == "f16" else np.float32)
    return x, x.astype(np.float64)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("f32_contractions", ["3xtf32", "fma"])
def test_gpu_contractions_match_numpy(f32_contractions, emulated):
    """The blocked GEMM kernels on edges of every kind: partial tiles, K not
    a multiple of the slices' depth, operands read transposed or broadcast,
    slices staged as 16-byte vectors (interior, aligned rows) or element by
    element, K split over blocks (a ragged last split); f16 and bf16 into
    f32, i8 into i32 (exact) and f32 as 3xTF32 on tensor cores, or f32 on
    the SIMT kernel with f32_contractions="fma" (both within f32's rounding
    of the long sums)."""
    rng = np.random.default_rng(8)
    module = effattn.compile(GEMMS, target=TARGET,
                             module_name=f"gpu_gemms_{f32_contractions}",
                             emulate_gpu=emulated,
                             f32_contractions=f32_contractions)
    for name, ((m, n, k), kind, a_layout, b_layout) in GEMM_CASES.items():
        dims = {"m": m, "n": n, "k": k}
        a, a_values = gemm_operand(rng, tuple(dims[d] for d in a_layout), kind)
        b, b_values = gemm_operand(rng, tuple(dims[d] for d in b_layout), kind)
        got = run_on_gpu(getattr(module, name), a, b, emulated=emulated)
        want = ((a_values if a_layout == "mk" else a_values.T)
                @ (b_values if b_layout == "kn" else b_values.T))
        if kind == "i8":
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4, err_msg=name)
    a, a_values = gemm_operand(rng, (3, 20, 24), "f32")
    b, b_values = gemm_operand(rng, (24, 17), "f32")
    got = run_on_gpu(module.shared_rhs, a, b, emulated=emulated)
    np.testing.assert_allclose(got, a_values @ b_values, rtol=1e-5, atol=1e-4)


@ON_GPU_AND_EMULATED
def test_gpu_int8_matmul_wraps_like_linalg(emulated):
    """i8 mma.sync saturates its i32 sums where linalg wraps them: the
    tensor-core kernel sums K in chunks that cannot saturate and adds them
    with wrapping adds (here two K splits of two chunks each, added
    atomically), so sums past 2^31 (K > 2^17 products of -128 · -128) are
    exact modulo 2^32."""
    k = 140032
    source = f"""
func.func @wide(%a: tensor<16x{k}xi8>, %b: tensor<16x{k}xi8>) -> tensor<16x16xi32> {{
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<16x16xi32>
  %c = linalg.fill ins(%zero : i32) outs(%e : tensor<16x16xi32>) -> tensor<16x16xi32>
  %r = linalg.matmul indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (j, k)>, affine_map<(i, j, k) -> (i, j)>] ins(%a, %b : tensor<16x{k}xi8>, tensor<16x{k}xi8>) outs(%c : tensor<16x16xi32>) -> tensor<16x16xi32>
  return %r : tensor<16x16xi32>
}}"""
    module = effattn.compile(source, target=TARGET, module_name="gpu_wide_i8",
                             emulate_gpu=emulated)
    rng = np.random.default_rng(9)
    a = np.full((16, k), -128, np.int8)
    b = np.full((16, k), -128, np.int8)
    a[1] = rng.integers(-128, 128, k)
    b[2, ::3] = 127
    got = run_on_gpu(module.wide, a, b, emulated=emulated)
    exact = a.astype(np.int64) @ b.T.astype(np.int64)
    assert exact.max() >= 2**31
    np.testing.assert_array_equal(got, exact.astype(np.int32))


def reduction_function(name, shape, element, out_shape, acc, maps, iterators, init,
                       body):
    """`func.func @<name>(x) -> out`: a linalg.generic reducing x
    (`shape` of `element`) into an output (`out_shape` of `acc`) filled with
    `init`; `body` computes %r from %x_ and %acc."""
    in_type = f"tensor<{'x'.join(map(str, shape))}x{element}>"
    out_type = f"tensor<{''.join(f'{size}x' for size in out_shape)}{acc}>"
    return f"""func.func @{name}(%x: {in_type}) -> {out_type} {{
  %init = arith.constant {init} : {acc}
  %e = tensor.empty() : {out_type}
  %o = linalg.fill ins(%init : {acc}) outs(%e : {out_type}) -> {out_type}
  %r = linalg.generic {{indexing_maps = [{maps}], iterator_types = [{iterators}]}} ins(%x : {in_type}) outs(%o : {out_type}) {{
  ^bb0(%x_: {element}, %acc: {acc}):
    {body}
    linalg.yield %r : {acc}
  }} -> {out_type}
  return %r : {out_type}
}}
"""


ROWS = 'affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>'
REDUCTIONS = "".join([
    reduction_function("row_sums", (3, 5000), "f32", (3,), "f32", ROWS,
                       '"parallel", "reduction"', "0.0",
                       "%r = arith.addf %acc, %x_ : f32"),
    reduction_function("column_max", (4000, 5), "f32", (5,), "f32",
                       'affine_map<(j, i) -> (i, j)>, affine_map<(j, i) -> (j)>',
                       '"parallel", "reduction"', "0xFF800000",
                       "%r = arith.maximumf %acc, %x_ : f32"),
    reduction_function("count_positive", (2, 70000), "i32", (2,), "i64", ROWS,
                       '"parallel", "reduction"', "0",
                       "%c0 = arith.constant 0 : i32\n"
                       "    %p = arith.cmpi sgt, %x_, %c0 : i32\n"
                       "    %w = arith.extui %p : i1 to i64\n"
                       "    %r = arith.addi %acc, %w : i64"),
    reduction_function("row_xor", (3, 2000), "i32", (3,), "i32", ROWS,
                       '"parallel", "reduction"', "0",
                       "%r = arith.xori %acc, %x_ : i32"),
    reduction_function("block_min", (3, 40, 60), "f32", (3,), "f32",
                       'affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i)>',
                       '"parallel", "reduction", "reduction"', "0x7F800000",
                       "%r = arith.minimumf %acc, %x_ : f32"),
    reduction_function("total", (300, 50), "i32", (), "i64",
                       'affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>',
                       '"reduction", "reduction"', "0",
                       "%w = arith.extsi %x_ : i32 to i64\n"
                       "    %r = arith.addi %acc, %w : i64"),
])


@ON_GPU_AND_EMULATED
def test_gpu_long_reductions_match_numpy(emulated):
    """Few outputs with long reductions run a block of threads per output
    (strided partial values, then a tree in shared memory): sums, maxima,
    minima over two loops, counts, xor, a full reduction into a 0-d output,
    along contiguous and strided dimensions; exact but for the float sum's
    order of additions."""
    rng = np.random.default_rng(12)
    module = effattn.compile(REDUCTIONS, target=TARGET, module_name="gpu_reductions",
                             emulate_gpu=emulated)

    def run(name, x):
        return run_on_gpu(getattr(module, name), x, emulated=emulated)
    x = rng.standard_normal((3, 5000)).astype(np.float32)
    np.testing.assert_allclose(run("row_sums", x), x.astype(np.float64).sum(1),
                               rtol=1e-5, atol=1e-4)
    x = rng.standard_normal((4000, 5)).astype(np.float32)
    np.testing.assert_array_equal(run("column_max", x), x.max(0))
    x = rng.integers(-100, 100, (2, 70000)).astype(np.int32)
    np.testing.assert_array_equal(run("count_positive", x), (x > 0).sum(1))
    x = rng.integers(-2**31, 2**31, (3, 2000), dtype=np.int64).astype(np.int32)
    np.testing.assert_array_equal(run("row_xor", x), np.bitwise_xor.reduce(x, axis=1))
    x = rng.standard_normal((3, 40, 60)).astype(np.float32)
    np.testing.assert_array_equal(run("block_min", x), x.min((1, 2)))
    x = rng.integers(-2**31, 2**31, (300, 50), dtype=np.int64).astype(np.int32)
    assert int(run("total", x)) == int(x.astype(np.int64).sum())


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize(
    "batch,n,d,e,block,num_blocks,per_row,mode,masked,first,diagonal,dtype", [
        ((2, 2), 128, 16, 8, 16, None, 2, "full", False, 0, 0, np.float32),
        ((2,), 256, 32, 16, 32, 13, None, "sparse", True, 0, 0, np.float32),
        ((3,), 192, 8, 8, 16, None, 3, "full", True, 1, 3, np.float32),
        ((1, 2), 256, 64, 64, 32, None, 2, "full", True, 1, 0, np.float32),
        ((2,), 64, 16, 8, 8, None, 2, "full", True, 0, 0, np.float32),
        ((2,), 256, 32, 16, 32, None, 3, "full", True, 0, 1, np.float16),
    ])
def test_gpu_mra_matches_oracle(batch, n, d, e, block, num_blocks, per_row,
                                mode, masked, first, diagonal, dtype, emulated):
    """MRA's block selection runs as one GPU thread per (batch, block row);
    its sparse blocks as the flash kernel over listed key blocks, a block of
    threads per block row (blocks of 16 and 32), or one thread per query row
    where the kernel does not apply (blocks of 8). With f16 inputs (the last
    case) the blocks run on tensor cores."""
    rng = np.random.default_rng(300 + n + d)
    q, k, v, mask = mra_inputs(rng, batch, n, d, e, dtype, masked)
    kwargs = dict(mask=mask, block_size=block, num_blocks=num_blocks,
                  blocks_per_row=per_row, mode=mode, prior_first_blocks=first,
                  prior_diagonal_blocks=diagonal)
    got = run_on_gpu(effattn.ops.mra_attention, q, k, v, emulated=emulated,
                     **kwargs)
    want = reference.mra_attention(q, k, v, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    # f16: the result and the tensor cores' softmax weights are rounded.
    assert relative_error(got, want) <= (1e-5 if dtype == np.float32 else 2e-3)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("bh,n,d,e,rows,listed,masked,low", BLOCK_SPARSE_CASES)
def test_gpu_block_sparse_attention_matches_oracle(bh, n, d, e, rows, listed,
                                                   masked, low, emulated):
    """effattn.block_sparse_attention on its own: the flash kernel over the
    listed key blocks (blocks of 32 and 16 keys), or the decomposition for
    blocks of 8; rows with no block, masked key blocks and rows."""
    rng = np.random.default_rng(bh * 1000 + n + d)
    module = effattn.compile(
        block_sparse_function(bh, n, d, e, rows, listed, n // rows, masked, low),
        target=TARGET, module_name="gpu_block_sparse", emulate_gpu=emulated)
    args, want = block_sparse_inputs(rng, bh, n, d, e, rows, listed, masked, low)
    got = run_on_gpu(module.block_sparse, *args, emulated=emulated)
    assert relative_error(got, want) <= 1e-5


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("rows,length,k", KTH_LARGEST_CASES)
def test_gpu_kth_largest_matches_oracle(rows, length, k, emulated):
    """effattn.kth_largest as a radix selection, 8 bits per pass (histogram
    kernels with several blocks per row and shared-memory atomics, a digit
    kernel per pass), exactly as the oracle: rows over the whole i32 range,
    ties, float keys, the range's ends, constant rows; k = 1 and k = L; one
    row of 70000 over many blocks."""
    rng = np.random.default_rng(rows * 100000 + length + k + 1)
    x = kth_largest_rows(rng, rows, length)
    module = effattn.compile(kth_largest_function(rows, length, k), target=TARGET,
                             module_name="gpu_kth_largest", emulate_gpu=emulated)
    got = run_on_gpu(module.kth_largest, x, emulated=emulated)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, reference.kth_largest(x, k))


def to_bfloat16(x):
    """For block_sparse_inputs: bf16 operands (bits) and their values."""
    bits = to_bf16_bits(x)
    return bits, from_bf16_bits(bits)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("bh,n,d,e,rows,listed,masked,low,element", [
    (2, 256, 64, 32, 8, 8, False, True, "f16"),
    (2, 256, 32, 32, 8, 5, True, False, "f16"),
    (2, 256, 32, 16, 16, 6, True, True, "bf16"),
    (3, 128, 16, 8, 4, 3, True, True, "f16"),
])
def test_gpu_block_sparse_attention_half_precision(bh, n, d, e, rows, listed,
                                                   masked, low, element, emulated):
    """f16 and bf16 operands: blocks of 32 and 16 with head sizes that are
    multiples of 16 run on tensor cores (a warp per 16 query rows, listed
    key blocks prefetched with cp.async, the weights rounded to the operand
    type for P·V); E = 8 runs the SIMT kernel on the widened operands."""
    rng = np.random.default_rng(bh * 1000 + n + d + e)
    module = effattn.compile(
        block_sparse_function(bh, n, d, e, rows, listed, n // rows, masked, low,
                              element=element),
        target=TARGET, module_name=f"gpu_block_sparse_{element}",
        emulate_gpu=emulated)
    rounded = to_float16 if element == "f16" else to_bfloat16
    args, want = block_sparse_inputs(rng, bh, n, d, e, rows, listed, masked, low,
                                     rounded=rounded)
    got = run_on_gpu(module.block_sparse, *args, emulated=emulated)
    assert got.dtype == np.float32
    # Tensor cores round the softmax weights to the operand type (2^-11 for
    # f16, 2^-8 for bf16) before P·V.
    assert relative_error(got, want) <= (2e-3 if element == "f16" else 1e-2)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("strategy,bits", [("row", 4), ("column", 8), ("both", 2),
                                           ("both", 8)])
def test_gpu_unpacked_matmul_is_exact(strategy, bits, emulated):
    """IM-Unpack's plan (scans, the greedy search) runs in kernels of one
    thread and the host reads back the unpacked sizes to allocate; the
    product and the sizes are exact."""
    rng = np.random.default_rng(500 + bits + len(strategy))
    a = heavy_hitters(rng, (37, 48), 0.05)
    b = heavy_hitters(rng, (29, 48), 0.05)
    a[3] = -(2**40)
    got = run_on_gpu(effattn.ops.unpacked_matmul, a, b, bits=bits,
                     strategy=strategy, emulated=emulated)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, a @ b.T)
    sizes = run_on_gpu(effattn.ops.unpacked_sizes, a, b, bits=bits,
                       strategy=strategy, emulated=emulated)
    a_u, b_u, *_ = reference.unpack_operands(a, b, bits, strategy)
    np.testing.assert_array_equal(sizes, [a_u.shape[0], b_u.shape[0], a_u.shape[1]])


@ON_GPU_AND_EMULATED
def test_gpu_unpacked_matmul_reports_i64_overflow(emulated):
    """The overflow guard reads its maxima back from the GPU: beyond
    K·max|a|·max|b| = 2^63 - 1 the call fails with status 4."""
    a = np.zeros((3, 4), np.int64)
    b = np.zeros((2, 4), np.int64)
    a[1, 2] = 2**31
    b[1, 0] = ((2**63 - 1) // 4) // 2**31 + 1
    with pytest.raises(effattn.EffattnError, match="exceeds 2\\^63 - 1") as error:
        run_on_gpu(effattn.ops.unpacked_matmul, a, b, bits=8, emulated=emulated)
    assert error.value.status == 4


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("shape,beta,levels,dtype", [
    ((64, 96), 1.0, 15, np.float32),
    ((64, 96), 0.95, 15, np.float32),
    ((1000,), 0.9, 7, np.float32),
    ((16, 24), 1.0, 255, np.float16),
])
def test_gpu_quantize_matches_oracle_exactly(shape, beta, levels, dtype, emulated):
    """The scale (a max, or the radix selection of effattn.kth_largest for
    the k-th largest magnitude) stays in device memory; codes and scale are
    exact."""
    rng = np.random.default_rng(len(shape) * 100 + levels)
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.05] *= 1000
    x = x.astype(dtype)
    q, scale = run_on_gpu(effattn.ops.quantize, x, beta=beta, levels=levels,
                          emulated=emulated)
    want_q, want_scale = reference.quantize(x, beta=beta, levels=levels)
    assert q.dtype == np.int64 and scale == want_scale
    np.testing.assert_array_equal(q, want_q)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("shape,redundancy,seed_out", [((48, 64), 1.0, None),
                                                       ((32, 96), 1.1, 9)])
def test_gpu_frame_quant_matches_oracle(bits, shape, redundancy, seed_out,
                                        emulated):
    """frame_quantize folds to constant codes at compile time; frame_linear
    runs its transforms over the whole batch (butterflies as gather
    kernels) and the product as one thread per output extracting its
    codes' fields."""
    rng = np.random.default_rng(bits)
    w = rng.standard_normal(shape).astype(np.float32)
    w[:, 5] *= 6
    kwargs = dict(bits=bits, redundancy=redundancy, seed_in=17, seed_out=seed_out)
    compiled = run_on_gpu(effattn.ops.frame_quantize, w, emulated=emulated, **kwargs)
    oracle = reference.frame_quantize(w, **kwargs)
    np.testing.assert_array_equal(compiled.codes, oracle.codes)
    np.testing.assert_array_equal(compiled.compiled_words, oracle.packed)
    for x_shape in [(1, shape[1]), (7, shape[1]), (2, 3, shape[1])]:
        x = rng.standard_normal(x_shape).astype(np.float32)
        got = run_on_gpu(effattn.ops.frame_linear, x, compiled, emulated=emulated)
        assert got.shape == x_shape[:-1] + (shape[0],)
        assert relative_error(got, reference.frame_linear(x, oracle)) < 1e-5, x_shape


@ON_GPU_AND_EMULATED
def test_gpu_encoder_layer_matches_numpy(emulated):
    """The examples' encoder layer (attention, projections, LayerNorm, GELU,
    its weights as device globals) compiled for the GPU matches numpy (the
    C++ demo's tolerance), on a GPU and emulated (the attention kernel's
    blocks in lockstep)."""
    sys.path.insert(0, EXAMPLES)
    try:
        import encoder_layer
    finally:
        sys.path.remove(EXAMPLES)
    weights = encoder_layer.make_weights()
    x, mask = encoder_layer.make_inputs()
    module = effattn.compile(encoder_layer.emit_mlir(weights), target=TARGET,
                             module_name="gpu_encoder_layer", emulate_gpu=emulated)
    got = run_on_gpu(module.encoder_layer, x, mask, emulated=emulated)
    want = encoder_layer.forward(x, mask, weights)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
