"""effattn.mra_attention: compiled code vs the numpy oracle vs the authors."""

import numpy as np
import pytest

import effattn
from effattn import reference
from vectors import load_vectors, relative_error


@pytest.mark.parametrize("name", ["mra2_full_bpr4_nomask",
                                  "mra2_sparse_allblocks_nomask"])
def test_matches_authors_vectors(name):
    data = load_vectors(name)
    kwargs = dict(block_size=int(data["hp_block_size"]),
                  num_blocks=int(data["hp_num_block"]),
                  mode=str(data["hp_approx_mode"]),
                  prior_first_blocks=int(data["hp_initial_prior_first_n_blocks"]),
                  prior_diagonal_blocks=int(
                      data["hp_initial_prior_diagonal_n_blocks"]))
    selected = reference.mra_selected_blocks(
        data["Q"], data["K"], data["mask"], block_size=kwargs["block_size"],
        num_blocks=kwargs["num_blocks"])
    np.testing.assert_array_equal(selected, data["int_selected_blocks"] != 0)
    for impl in (reference.mra_attention, effattn.ops.mra_attention):
        for mask in (None, data["mask"]):
            got = impl(data["Q"], data["K"], data["V"], mask=mask, **kwargs)
            assert relative_error(got, data["X"]) <= 1e-5


def _inputs(rng, batch, n, d, e, dtype, masked):
    """Normal draws rounded to multiples of 1/16 (exact block means, so that
    the oracle and compiled code rank the blocks alike), and a padding mask
    [batch[0], n] whose last block is padding."""
    def draw(*shape):
        return (np.round(rng.standard_normal(shape) * 16) / 16).astype(dtype)
    q, k, v = draw(*batch, n, d), draw(*batch, n, d), draw(*batch, n, e)
    mask = None
    if masked:
        mask = rng.random(batch[:1] + (n,)) < 0.85
        mask[..., -n // 8:] = False
        mask[..., 0] = True
    return q, k, v, mask


CASES = [
    # batch, n, d, e, block, num_blocks, blocks_per_row, mode, masked, first, diagonal
    ((2, 2), 128, 16, 8, 16, None, 2, "full", False, 0, 0),
    ((2, 2), 128, 16, 8, 16, None, 2, "sparse", False, 0, 0),
    ((2,), 256, 32, 16, 32, 13, None, "full", True, 0, 0),
    ((2,), 256, 32, 16, 32, 13, None, "sparse", True, 0, 0),
    ((3,), 192, 8, 8, 16, None, 3, "full", True, 1, 3),
    ((), 64, 16, 4, 8, 5, None, "sparse", False, 2, 1),
    ((1, 2, 2), 96, 16, 16, 32, 9, None, "full", True, 0, 2),
]


@pytest.mark.parametrize(
    "batch,n,d,e,block,num_blocks,per_row,mode,masked,first,diagonal", CASES)
def test_compiled_matches_oracle(batch, n, d, e, block, num_blocks, per_row,
                                 mode, masked, first, diagonal):
    rng = np.random.default_rng(300 + n + d)
    q, k, v, mask = _inputs(rng, batch, n, d, e, np.float32, masked)
    kwargs = dict(mask=mask, block_size=block, num_blocks=num_blocks,
                  blocks_per_row=per_row, mode=mode, prior_first_blocks=first,
                  prior_diagonal_blocks=diagonal)
    got = effattn.ops.mra_attention(q, k, v, **kwargs)
    want = reference.mra_attention(q, k, v, **kwargs)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert relative_error(got, want) <= 1e-5
    if mask is not None:
        padded = ~np.broadcast_to(mask[..., None, :] if len(batch) > 1 else mask,
                                  q.shape[:-1])
        assert np.all(got[padded] == 0)


def test_float16_and_explicit_scale():
    rng = np.random.default_rng(31)
    q, k, v, mask = _inputs(rng, (2,), 128, 16, 16, np.float16, True)
    kwargs = dict(mask=mask, block_size=16, blocks_per_row=2, scale=0.2)
    got = effattn.ops.mra_attention(q, k, v, **kwargs)
    want = reference.mra_attention(q, k, v, **kwargs)
    assert got.dtype == np.float16
    assert relative_error(got, want) <= 5e-3


@pytest.mark.parametrize("mode", ["full", "sparse"])
@pytest.mark.parametrize("masked", [False, True])
def test_every_block_selected_is_exact_attention(mode, masked):
    rng = np.random.default_rng(7)
    batch, n, block = (2, 2), 128, 16
    q, k, v, mask = _inputs(rng, batch, n, 16, 8, np.float32, masked)
    rows = n // block
    got = effattn.ops.mra_attention(q, k, v, mask=mask, block_size=block,
                                    num_blocks=rows * rows, mode=mode)
    want = reference.attention(q, k, v, mask=mask)
    real = np.ones(batch + (n,), bool)
    if mask is not None:
        real = np.broadcast_to(mask[:, None, :], real.shape)
    assert relative_error(got[real], want[real]) <= 1e-5


def test_ties_go_to_the_smallest_block_index():
    """All scores tie: exactly num_blocks blocks are taken in row-major order,
    so the first block rows see every key block and the last see none."""
    rng = np.random.default_rng(5)
    n, block, rows = 64, 8, 8
    q = np.zeros((n, 4), np.float32)
    k = rng.standard_normal((n, 4)).astype(np.float32)
    v = rng.standard_normal((n, 4)).astype(np.float32)
    kwargs = dict(block_size=block, num_blocks=2 * rows + 3, mode="sparse")
    selected = reference.mra_selected_blocks(q, k, block_size=block,
                                             num_blocks=kwargs["num_blocks"])
    assert selected.sum() == kwargs["num_blocks"]
    assert selected[:2].all() and selected[2, :3].all() and not selected[3:].any()
    got = effattn.ops.mra_attention(q, k, v, **kwargs)
    want = reference.mra_attention(q, k, v, **kwargs)
    assert relative_error(got, want) <= 1e-6
    np.testing.assert_allclose(got[:2 * block], np.broadcast_to(
        v.mean(0), (2 * block, 4)), rtol=1e-5, atol=1e-6)
    assert np.all(got[3 * block:] == 0)


def test_priors_select_global_and_local_blocks():
    rng = np.random.default_rng(11)
    q, k, _, _ = _inputs(rng, (2,), 256, 16, 16, np.float32, False)
    selected = reference.mra_selected_blocks(
        q, k, block_size=16, blocks_per_row=5, prior_first_blocks=1,
        prior_diagonal_blocks=3)
    rows = np.arange(16)
    band = np.abs(rows[:, None] - rows[None, :]) <= 1
    assert selected[:, 0, :].all() and selected[:, :, 0].all()
    assert selected[:, band].all()


def test_sequence_not_a_multiple_of_the_block_is_rejected():
    q = np.zeros((1, 100, 8), np.float32)
    with pytest.raises(effattn.CompileError, match="multiple of 'block_size'"):
        effattn.ops.mra_attention(q, q, q, blocks_per_row=2)


def block_sparse_function(bh, n, d, e, rows, listed, block, masked, low_resolution,
                          element="f32"):
    """MLIR of @block_sparse: effattn.block_sparse_attention (scale 0.25) on
    [bh, n, d] queries and keys, [bh, n, e] values (of `element`, an MLIR
    type), `listed` columns per block row, with a mask and low-resolution
    terms if asked for; the result is f32."""
    def tensor(*shape, element="f32"):
        return f"tensor<{'x'.join(map(str, shape))}x{element}>"
    q_type, v_type = tensor(bh, n, d, element=element), tensor(bh, n, e, element=element)
    f32 = tensor
    args = [f"%q: {q_type}", f"%k: {q_type}", f"%v: {v_type}",
            f"%c: tensor<{bh}x{rows}x{listed}xi32>", f"%n: tensor<{bh}x{rows}xi32>"]
    extra = ""
    if masked:
        args.append(f"%m: tensor<{bh}x{n}xi1>")
        extra += f" mask(%m : tensor<{bh}x{n}xi1>)"
    if low_resolution:
        args += [f"%ln: {f32(bh, rows, e)}", f"%ld: {f32(bh, rows)}",
                 f"%lm: {f32(bh, rows)}"]
        extra += (f" low_resolution(%ln, %ld, %lm : {f32(bh, rows, e)}, "
                  f"{f32(bh, rows)}, {f32(bh, rows)})")
    return f"""func.func @block_sparse({", ".join(args)}) -> {f32(bh, n, e)} {{
  %s = arith.constant 0.25 : f32
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s){extra} {{block_size = {block}}} : {q_type}, {q_type}, {v_type}, tensor<{bh}x{rows}x{listed}xi32>, tensor<{bh}x{rows}xi32> -> {f32(bh, n, e)}
  return %r : {f32(bh, n, e)}
}}
"""


def block_sparse_inputs(rng, bh, n, d, e, rows, listed, masked, low_resolution,
                        rounded=None):
    """Random operands of @block_sparse and the selection grid they list:
    per block row 0 to `listed` distinct key blocks (some rows none); a mask
    that hides whole key blocks and single tokens; low-resolution terms whose
    maxima are sometimes above and sometimes below the exact scores.
    `rounded` maps f32 queries, keys and values to (what the function takes,
    their values in f32): f16 or bf16."""
    q, k, v = (rng.standard_normal(shape).astype(np.float32)
               for shape in ((bh, n, d), (bh, n, d), (bh, n, e)))
    passed = [q, k, v]
    if rounded:
        passed, (q, k, v) = zip(*(rounded(x) for x in (q, k, v)))
    columns = np.zeros((bh, rows, listed), np.int32)
    counts = rng.integers(0, listed + 1, (bh, rows)).astype(np.int32)
    counts[:, 0] = 0
    selected = np.zeros((bh, rows, rows), bool)
    for b in range(bh):
        for i in range(rows):
            blocks = rng.permutation(rows)[:counts[b, i]]
            columns[b, i, :len(blocks)] = blocks
            selected[b, i, blocks] = True
    args, mask, low = [*passed, columns, counts], None, None
    if masked:
        mask = rng.random((bh, n)) < 0.8
        mask[:, : n // rows] = False
        args.append(mask)
    if low_resolution:
        low = (rng.standard_normal((bh, rows, e)).astype(np.float32),
               rng.uniform(0.5, 4, (bh, rows)).astype(np.float32),
               rng.uniform(-3, 3, (bh, rows)).astype(np.float32))
        args += list(low)
    want = reference.block_sparse_attention(q, k, v, selected, 0.25, mask, low)
    return args, want


def to_float16(x):
    """For block_sparse_inputs: f16 operands and their values."""
    return x.astype(np.float16), x.astype(np.float16).astype(np.float32)


BLOCK_SPARSE_CASES = [
    # bh, n, d, e, rows, listed, masked, low_resolution
    (3, 128, 16, 8, 4, 3, True, True),
    (2, 256, 64, 32, 8, 8, False, True),
    (2, 256, 32, 32, 8, 5, True, False),
    (1, 96, 8, 16, 12, 4, True, True),
]


@pytest.mark.parametrize("bh,n,d,e,rows,listed,masked,low", BLOCK_SPARSE_CASES)
def test_block_sparse_attention_matches_oracle(bh, n, d, e, rows, listed, masked, low):
    """The op MRA's decomposition emits, on its own: random block lists
    (rows with none), masked key blocks and rows, low-resolution maxima above
    and below the exact ones."""
    rng = np.random.default_rng(bh * 1000 + n + d)
    module = effattn.compile(
        block_sparse_function(bh, n, d, e, rows, listed, n // rows, masked, low),
        module_name="block_sparse")
    args, want = block_sparse_inputs(rng, bh, n, d, e, rows, listed, masked, low)
    assert relative_error(module.block_sparse(*args), want) <= 1e-5


@pytest.mark.parametrize("bh,n,d,e,rows,listed,masked,low", BLOCK_SPARSE_CASES[:2])
def test_block_sparse_attention_reads_float16_exactly(bh, n, d, e, rows, listed,
                                                      masked, low):
    """f16 queries, keys and values (as MRA passes f16 inputs) are read
    exactly as f32: the result matches the oracle on their values as closely
    as for f32 operands."""
    rng = np.random.default_rng(bh * 1000 + n + d + 16)
    module = effattn.compile(
        block_sparse_function(bh, n, d, e, rows, listed, n // rows, masked, low,
                              element="f16"),
        module_name="block_sparse_f16")
    args, want = block_sparse_inputs(rng, bh, n, d, e, rows, listed, masked, low,
                                     rounded=to_float16)
    got = module.block_sparse(*args)
    assert got.dtype == np.float32
    assert relative_error(got, want) <= 1e-5
