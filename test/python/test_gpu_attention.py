"""effattn.attention compiled for an NVIDIA GPU against the numpy oracle,
on a GPU and emulated on the CPU (see gpu.py for how the tests compile, run
and skip). The emulation runs the flash kernels' blocks in lockstep: the SIMT
kernel's barriers and shuffles, and the tensor-core kernel's ldmatrix,
mma.sync and cp.async from the PTX fragment layouts."""

import ctypes

import numpy as np
import pytest

import effattn
from effattn import reference
from effattn.runtime import EffattnError
import attention_cases
from gpu import ON_GPU_AND_EMULATED, TARGET, run_on_gpu, skip_without_device

#: max |compiled - oracle| per dtype (outputs are O(1)). f16 on tensor cores
#: rounds the softmax weights to f16 before P·V (as FlashAttention does); f32
#: on tensor cores (3xTF32) stays within about 1e-6.
ATOL = {np.float32: 5e-6, np.float16: 4e-3}


CASES = [
    # batch, n, m, d, e, dtype, masked, causal, scale
    # f32 with head sizes that are multiples of 16: tensor cores as 3xTF32.
    ((), 37, 50, 32, 16, np.float32, False, False, None),
    ((2, 3), 64, 64, 64, 64, np.float32, True, False, None),
    ((2,), 300, 129, 64, 64, np.float32, False, True, None),
    ((3,), 33, 80, 8, 8, np.float32, True, True, 0.5),
    ((2,), 130, 200, 128, 128, np.float32, False, False, None),
    ((2,), 17, 19, 6, 3, np.float32, True, False, None),
    # f16 with head sizes that are multiples of 16: tensor cores.
    ((2, 2), 40, 40, 32, 32, np.float16, True, True, None),
    ((2,), 300, 129, 64, 64, np.float16, False, True, None),
    ((1,), 130, 200, 128, 128, np.float16, True, False, None),
    ((3,), 17, 90, 16, 48, np.float16, False, False, 0.3),
    ((2,), 64, 64, 72, 40, np.float16, False, False, None),
    ((1,), 1, 1, 4, 4, np.float32, False, False, None),
]


#: (dtype, compile options) that select each flash kernel at D = 32: tensor
#: cores (16 and 32 query rows per warp), 3xTF32 and SIMT.
EVERY_KERNEL = [
    (np.float16, {}),
    (np.float16, {"attention_warp_rows": 32}),
    (np.float32, {}),
    (np.float32, {"f32_contractions": "fma"}),
]


def check_attention(batch, n, m, d, e, dtype, masked, causal, scale, emulated,
                    target=TARGET, **compile_options):
    rng = np.random.default_rng(4321 + n * 7 + m)
    q = rng.standard_normal(batch + (n, d)).astype(dtype)
    k = rng.standard_normal(batch + (m, d)).astype(dtype)
    v = rng.standard_normal(batch + (m, e)).astype(dtype)
    mask = None
    if masked:
        mask = rng.random(batch + (m,)) < 0.8
        mask[..., 0] = True
    got = run_on_gpu(effattn.ops.attention, q, k, v, mask=mask, scale=scale,
                     causal=causal, emulated=emulated, target=target,
                     compile_options=compile_options)
    want = reference.attention(q, k, v, mask=mask, scale=scale, causal=causal)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0,
                               atol=ATOL[dtype])


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("batch,n,m,d,e,dtype,masked,causal,scale", CASES)
def test_gpu_attention_matches_oracle(batch, n, m, d, e, dtype, masked,
                                      causal, scale, emulated):
    check_attention(batch, n, m, d, e, dtype, masked, causal, scale, emulated)


@pytest.mark.parametrize("masked,causal", [(True, False), (False, True)])
def test_gpu_attention_f32_sixteen_key_tiles_on_sm80(masked, causal):
    """f32 at D = E = 128 for sm_80: tiles of 32 keys would leave room for one
    block per SM, so the tensor-core kernel takes tiles of 16 keys. Emulated
    only: an sm_80 library does not run on the sm_90 GPUs the tests see
    (EFFATTN_TEST_GPU_CHIP=sm_80 runs every case on an sm_80 GPU)."""
    check_attention((2,), 70, 45, 128, 128, np.float32, masked, causal, None,
                    emulated=True, target="cuda:sm_80")


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize(
    "batch,n,m,d,e,dtype,masked,causal,scale",
    [case for case in CASES if case[5] == np.float16 or case[3] == 128])
def test_gpu_attention_32_rows_per_warp(batch, n, m, d, e, dtype, masked,
                                        causal, scale, emulated):
    """The tensor-core kernel with 32 query rows per warp: two m16 tiles
    share each K and V fragment; at D = E = 128 the block's queries sit in
    shared memory and are reloaded per k-step with ldmatrix (f32 there with
    tiles of 16 keys, the only ones that fit)."""
    check_attention(batch, n, m, d, e, dtype, masked, causal, scale, emulated,
                    attention_warp_rows=32)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("batch,n,m,d,e,dtype,masked,causal,scale",
                         [case for case in CASES if case[5] == np.float32 and case[3] >= 64])
def test_gpu_attention_f32_fma(batch, n, m, d, e, dtype, masked, causal, scale,
                               emulated):
    """f32_contractions="fma": f32 attention on the SIMT kernel (f32 FMAs)
    whatever the head sizes."""
    check_attention(batch, n, m, d, e, dtype, masked, causal, scale, emulated,
                    f32_contractions="fma")


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_gpu_attention_fully_masked_rows_average_values(dtype, emulated):
    """A query that sees no key averages all values (the -1e9 replacement),
    with the mask alone and with a masked first key under a causal window.
    On tensor cores (f16) such rows were NaN until the hidden score became a
    power of two (found by the emulation)."""
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, 24, 16)).astype(dtype) for _ in range(3))
    mask = np.zeros((2, 24), bool)
    mask[0, 3] = True
    got = run_on_gpu(effattn.ops.attention, q, k, v, mask=mask, emulated=emulated)
    atol = ATOL[dtype]
    np.testing.assert_allclose(got[1], np.broadcast_to(v[1].mean(0), (24, 16)),
                               rtol=0, atol=atol)
    np.testing.assert_allclose(got, reference.attention(q, k, v, mask=mask),
                               rtol=0, atol=atol)
    mask = rng.random((2, 24)) < 0.7
    mask[:, 0] = False
    got = run_on_gpu(effattn.ops.attention, q, k, v, mask=mask, causal=True,
                     emulated=emulated)
    np.testing.assert_allclose(got[:, 0], v.astype(np.float64).mean(1), rtol=0,
                               atol=atol)
    np.testing.assert_allclose(got, reference.attention(q, k, v, mask=mask, causal=True),
                               rtol=0, atol=atol)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("dtype,options", EVERY_KERNEL)
def test_gpu_attention_causal_skips_tiles_past_the_window(dtype, options,
                                                          emulated):
    """Causal blocks visit only the key tiles up to their last row's window
    when every row sees key 0; with key 0 masked (batch 0, whose first 20
    rows see no key) they visit every key, and those rows average every
    value, the keys past their window included."""
    rng = np.random.default_rng(17)
    n, m, d = 90, 400, 32
    q = rng.standard_normal((2, n, d)).astype(dtype)
    k = rng.standard_normal((2, m, d)).astype(dtype)
    v = rng.standard_normal((2, m, 16)).astype(dtype)
    mask = rng.random((2, m)) < 0.8
    mask[0, :20] = False
    mask[1, 0] = True
    atol = ATOL[dtype]
    for key_mask in (None, mask):
        got = run_on_gpu(effattn.ops.attention, q, k, v, mask=key_mask,
                         causal=True, emulated=emulated,
                         compile_options=options)
        want = reference.attention(q, k, v, mask=key_mask, causal=True)
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=0,
                                   atol=atol)
    np.testing.assert_allclose(got[0, :20].astype(np.float64),
                               np.broadcast_to(v[0].astype(np.float64).mean(0),
                                               (20, 16)),
                               rtol=0, atol=atol)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dtype,options", EVERY_KERNEL)
def test_gpu_attention_with_query_offset(dtype, options, masked, emulated):
    """Causal attention whose queries start at token 70: the windows, the
    key tiles each block visits and the tiles that replace scores all
    follow the offset, on every kernel."""
    q, k, v, mask = attention_cases.offset_inputs(dtype)
    module = effattn.compile(attention_cases.offset_module_text(dtype, masked),
                             target=TARGET, module_name="gpu_offset_att",
                             emulate_gpu=emulated, **options)
    args = (q, k, v, mask) if masked else (q, k, v)
    got = run_on_gpu(module.att, *args, emulated=emulated)
    np.testing.assert_allclose(got.astype(np.float64),
                               attention_cases.offset_oracle(*args), rtol=0,
                               atol=ATOL[dtype])


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("dtype,options", EVERY_KERNEL)
def test_gpu_attention_with_masked_key_blocks(dtype, options, causal, emulated):
    """Blocks stop after the last key the mask shows when every row sees a
    key (a padded tail, a masked middle), and visit every key otherwise (a
    masked head under a causal window, no key shown at all)."""
    q, k, v, mask = attention_cases.masked_key_block_inputs(dtype)
    got = run_on_gpu(effattn.ops.attention, q, k, v, mask=mask, causal=causal,
                     emulated=emulated, compile_options=options)
    np.testing.assert_allclose(got.astype(np.float64),
                               reference.attention(q, k, v, mask=mask, causal=causal),
                               rtol=0, atol=ATOL[dtype])
    np.testing.assert_allclose(got[3].astype(np.float64),
                               np.broadcast_to(v[3].astype(np.float64).mean(0), (60, 8)),
                               rtol=0, atol=ATOL[dtype])


def test_gpu_library_checks_shapes_on_the_host():
    """The entry point checks shapes before it touches the GPU: a wrong
    shape is EFFATTN_ERROR_SHAPE_MISMATCH with or without a device."""
    module = effattn.ops._one_op_module(
        "attention", (), ("tensor<1x4x8xf32>",) * 3, (), "tensor<1x4x8xf32>",
        TARGET)
    assert module.device == TARGET
    data = np.ones((1, 4, 8), np.float32)
    shape = np.array([1, 4, 8], np.int64)
    bad = np.array([1, 3, 8], np.int64)
    pointer = ctypes.POINTER(ctypes.c_int64)
    args = []
    for s in (shape, shape, bad, shape):
        args += [data.ctypes.data, s.ctypes.data_as(pointer)]
    assert module.attention._fn(*args) == 2
    assert "arg2 has shape [1, 3, 8], expected [1, 4, 8]" in module.last_error()


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("causal", [False, True])
def test_gpu_attention_growing_scores(causal, emulated):
    """Scores that grow along the keys (a row's max grows by ~30 in log2
    units after the first tile) move the running max on many tiles: each move
    rescales the running sum and the accumulator fragments."""
    rng = np.random.default_rng(11)
    n, m, d = 96, 256, 64
    q = rng.standard_normal((2, n, d)).astype(np.float16)
    ramp = np.linspace(0.1, 12.0, m)[None, :, None]
    k = (rng.standard_normal((2, m, d)) * ramp).astype(np.float16)
    v = rng.standard_normal((2, m, d)).astype(np.float16)
    got = run_on_gpu(effattn.ops.attention, q, k, v, causal=causal,
                     emulated=emulated)
    want = reference.attention(q, k, v, causal=causal)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0,
                               atol=ATOL[np.float16])


def to_bf16_bits(x):
    """float32 → bfloat16 bits (round to nearest even), as uint16."""
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32)
    rounded = bits + 0x7FFF + ((bits >> 16) & 1)
    return (rounded >> 16).astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("d,e,causal,warp_rows", [(64, 64, True, None), (128, 32, False, None),
                                                  (72, 40, False, None), (128, 128, True, 32)])
def test_gpu_attention_bf16(d, e, causal, warp_rows, emulated):
    """bf16 (raw bits through the C ABI): D and E multiples of 16 run
    mma.sync on bf16 fragments (16 or 32 query rows per warp), others the
    SIMT kernel."""
    rng = np.random.default_rng(d + e)
    batch, n, m = 3, 90, 110
    q, k = (to_bf16_bits(rng.standard_normal((batch, s, d))) for s in (n, m))
    v = to_bf16_bits(rng.standard_normal((batch, m, e)))
    types = tuple(f"tensor<{batch}x{s}x{w}xbf16>" for s, w in ((n, d), (m, d), (m, e)))
    attrs = ("causal",) if causal else ()
    module = effattn.ops._one_op_module("attention", attrs, types, (),
                                        f"tensor<{batch}x{n}x{e}xbf16>", TARGET,
                                        emulate_gpu=emulated,
                                        options=(("attention_warp_rows", warp_rows),))
    try:
        got = from_bf16_bits(module.attention(q, k, v))
    except EffattnError as error:
        skip_without_device(error)
        raise
    want = reference.attention(from_bf16_bits(q), from_bf16_bits(k),
                               from_bf16_bits(v), causal=causal)
    # bf16 keeps 8 significant bits: the result and (on tensor cores) the
    # softmax weights are rounded to it.
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-2)
