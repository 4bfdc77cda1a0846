"""Numpy oracles of the effattn ops.

Each function has the signature of the Python contract in the design
(`effattn.reference.<op>` and `effattn.ops.<op>` take the same keywords).
Oracles compute in float64 and return float32 (float64 for float64 inputs);
they are the reference that compiled code is tested against.
"""

import numpy as np

#: Score given to masked-out keys (the authors' -1e9, as a replacement value
#: so that a query with no visible key averages the values exactly uniformly).
MASKED_SCORE = -1.0e9


def _result_dtype(x):
    return np.float64 if np.asarray(x).dtype == np.float64 else np.float32


def _broadcast_key_mask(mask, batch_ndim):
    """Aligns a key-padding mask [batch..., M] with scores [batch..., N, M].

    A mask with fewer batch dimensions than the inputs (e.g. [B, M] for
    inputs [B, H, N, D]) is broadcast over the trailing batch dimensions
    (the heads).
    """
    mask = np.asarray(mask).astype(bool)
    while mask.ndim < batch_ndim + 1:
        mask = mask[..., None, :]
    return mask[..., None, :]


def attention(q, k, v, mask=None, scale=None, causal=False):
    """Exact softmax attention, `softmax(scale * q @ k^T + bias) @ v`.

    q: [batch..., N, D], k: [batch..., M, D], v: [batch..., M, E].
    mask: optional key-padding mask [batch..., M] ({0,1} or bool, 1 = attend);
      masked keys get the score -1e9, so a query that sees no key averages
      all values uniformly.
    scale: defaults to 1/sqrt(D).
    causal: key j is hidden from query i when j > i (top-left alignment).
    Returns [batch..., N, E].
    """
    q64, k64, v64 = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    n, d = q64.shape[-2:]
    m = k64.shape[-2]
    if scale is None:
        scale = 1.0 / np.sqrt(d)
    scores = scale * (q64 @ np.swapaxes(k64, -1, -2))
    keep = np.ones(scores.shape, dtype=bool)
    if mask is not None:
        keep = keep & _broadcast_key_mask(mask, q64.ndim - 2)
    if causal:
        keep = keep & (np.arange(m)[None, :] <= np.arange(n)[:, None])
    scores = np.where(keep, scores, MASKED_SCORE)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return (weights @ v64).astype(_result_dtype(q))
