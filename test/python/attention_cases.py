"""Attention cases shared by the CPU and GPU attention tests.

Masked key blocks: masks that hide whole key blocks where rows have and
have not yet seen a visible key. A query offset: effattn.ops.attention has
none (tiling sets it on the CPU), so a module passes a constant one, and
every kernel's causal bounds see a window that does not start at row 0.
"""

import numpy as np

from effattn import reference

def masked_key_block_inputs(dtype):
    """Q [4, 60, 16], K, V [4, 1000, ...] and a mask that shows a sequence's
    first 300 keys (a padded tail), keys 0..49 and 700..719 (a masked
    middle), keys from 500 on (a masked head), and no key at all."""
    rng = np.random.default_rng(31)
    q = rng.standard_normal((4, 60, 16)).astype(dtype)
    k = rng.standard_normal((4, 1000, 16)).astype(dtype)
    v = rng.standard_normal((4, 1000, 8)).astype(dtype)
    mask = np.zeros((4, 1000), dtype=bool)
    mask[0, :300] = True
    mask[1, :50] = mask[1, 700:720] = True
    mask[2, 500:] = True
    return q, k, v, mask


#: Query rows (the tokens from OFFSET on), keys, head sizes.
N, M, D, E = 50, 300, 32, 16
OFFSET = 70

_TYPES = {np.float32: "f32", np.float16: "f16"}


def offset_module_text(dtype, masked):
    """A module `att(q, k, v[, mask])` of causal attention whose query row i
    is token OFFSET + i."""
    t = _TYPES[dtype]
    q, k, v = (f"tensor<2x{rows}x{cols}x{t}>" for rows, cols in ((N, D), (M, D), (M, E)))
    out = f"tensor<2x{N}x{E}x{t}>"
    mask_type = f"tensor<2x{M}xi1>"
    mask_argument = f", %m: {mask_type}" if masked else ""
    mask_clause = f"mask(%m : {mask_type}) " if masked else ""
    return f"""
func.func @att(%q: {q}, %k: {k}, %v: {v}{mask_argument}) -> {out} {{
  %offset = arith.constant {OFFSET} : index
  %o = tensor.empty() : {out}
  %r = effattn.attention {{causal}} ins(%q, %k, %v : {q}, {k}, {v})
      {mask_clause}query_offset(%offset) outs(%o : {out}) -> {out}
  return %r : {out}
}}"""


def offset_inputs(dtype):
    """Q, K, V and a mask that hides keys 0..79 of batch 0 (its first rows
    see no key and average every value) and shows key 0 of batch 1."""
    rng = np.random.default_rng(OFFSET)
    q = rng.standard_normal((2, N, D)).astype(dtype)
    k = rng.standard_normal((2, M, D)).astype(dtype)
    v = rng.standard_normal((2, M, E)).astype(dtype)
    mask = rng.random((2, M)) < 0.8
    mask[0, :80] = False
    mask[1, 0] = True
    return q, k, v, mask


def offset_oracle(q, k, v, mask=None):
    """The rows OFFSET.. of causal attention over OFFSET + N queries."""
    padded = np.concatenate([np.zeros((2, OFFSET, D), q.dtype), q], axis=1)
    return reference.attention(padded, k, v, mask=mask, causal=True)[:, OFFSET:]
