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


def _softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def _key_mask(mask, batch_shape, n):
    """A {0,1} key mask [batch..., n] (float64), broadcast over heads."""
    if mask is None:
        return np.ones(batch_shape + (n,))
    mask = np.asarray(mask).astype(bool)
    while mask.ndim < len(batch_shape) + 1:
        mask = mask[..., None, :]
    return np.broadcast_to(mask, batch_shape + (n,)).astype(np.float64)


def landmark_segments(n, num_landmarks):
    """(start, length) of each landmark's segment of the n tokens.

    n % m == 0: m segments of n/m tokens. Otherwise (T2T-ViT rule): the first
    (n//m + 1)·m - n landmarks average n//m tokens, the others n//m + 1.
    """
    segs = n // num_landmarks
    num_short = num_landmarks if n % num_landmarks == 0 else (segs + 1) * num_landmarks - n
    segments, start = [], 0
    for landmark in range(num_landmarks):
        length = segs if landmark < num_short else segs + 1
        segments.append((start, length))
        start += length
    return segments


def nystrom_pinv(a, iterations=6, init="original"):
    """Iterative Moore-Penrose pseudo-inverse of softmax matrices a [..., m, m].

    init="original": Z0 = aᵀ / (max column sum over the whole batch), as the
    authors' default does; "exact": Z0 = aᵀ / (max column sum per matrix).
    """
    a = np.asarray(a, dtype=np.float64)
    eye = np.eye(a.shape[-1])
    col_sums = a.sum(axis=-2)
    if init == "original":
        scale = col_sums.max()
    elif init == "exact":
        scale = col_sums.max(axis=-1)[..., None, None]
    else:
        raise ValueError(f"pinv_init must be 'original' or 'exact', got {init!r}")
    z = np.swapaxes(a, -1, -2) / scale
    for _ in range(iterations):
        az = a @ z
        z = 0.25 * z @ (13 * eye - az @ (15 * eye - az @ (7 * eye - az)))
    return z


def depthwise_sequence_conv(v, weight):
    """Per-head convolution along the sequence, zero padded (the authors'
    Conv2d(H, H, (ks, 1), padding=(ks//2, 0), groups=H, bias=False)).

    v: [..., H, n, e]; weight: [H, ks] (or the Conv2d's [H, 1, ks, 1]).
    """
    weight = np.asarray(weight, dtype=np.float64)
    weight = weight.reshape(weight.shape[0], -1)
    heads, ks = weight.shape
    n = v.shape[-2]
    pad = ks // 2
    padded = np.zeros(v.shape[:-2] + (n + 2 * pad, v.shape[-1]))
    padded[..., pad:pad + n, :] = v
    out = np.zeros(v.shape)
    for t in range(ks):
        out += weight[:, t][:, None, None] * padded[..., t:t + n, :]
    return out


def nystrom_attention(q, k, v, mask=None, num_landmarks=64, pinv_iterations=6,
                      pinv_init="original", conv_weight=None):
    """Nyströmformer attention, as the authors' LRA/BERT code computes it.

    q, k: [batch..., n, d], v: [batch..., n, e]; mask [batch..., n] (1 = real
    token; fewer batch dims broadcast over heads). Q and K are each scaled by
    d^-1/4 and zeroed at padded tokens; landmarks are segment means (uneven
    segments when n % m != 0); F = softmax(Q K̃ᵀ), A = softmax(Q̃ K̃ᵀ),
    B = softmax(Q̃ Kᵀ - 1e9·(1 - mask)); X = F·pinv(A)·(B·V). m == n is exact
    attention. conv_weight [H, ks] adds the depthwise-conv skip on masked V.
    """
    q64, k64, v64 = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    n, d = q64.shape[-2:]
    if not 1 <= num_landmarks <= n:
        raise ValueError(f"num_landmarks must be in [1, {n}], got {num_landmarks}")
    keep = _key_mask(mask, q64.shape[:-2], n)
    scale = d ** -0.25
    qs = q64 * keep[..., None] * scale
    ks = k64 * keep[..., None] * scale
    key_bias = -1e9 * (1 - keep)[..., None, :]
    if num_landmarks == n:
        x = _softmax(qs @ np.swapaxes(ks, -1, -2) + key_bias) @ v64
    else:
        segments = landmark_segments(n, num_landmarks)
        q_land = np.stack([qs[..., s:s + l, :].mean(axis=-2) for s, l in segments], axis=-2)
        k_land = np.stack([ks[..., s:s + l, :].mean(axis=-2) for s, l in segments], axis=-2)
        kernel1 = _softmax(qs @ np.swapaxes(k_land, -1, -2))
        kernel2 = _softmax(q_land @ np.swapaxes(k_land, -1, -2))
        kernel3 = _softmax(q_land @ np.swapaxes(ks, -1, -2) + key_bias)
        x = (kernel1 @ nystrom_pinv(kernel2, pinv_iterations, pinv_init)) @ (kernel3 @ v64)
    if conv_weight is not None:
        x = x + depthwise_sequence_conv(v64 * keep[..., None], conv_weight)
    return x.astype(_result_dtype(q))


def _l2_normalize(x):
    """Rows divided by max(‖row‖₂, 1e-12), as torch.nn.functional.normalize."""
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def yoso_hash_codes(x, projection, hash_bits, num_hashes):
    """τ-bit SimHash codes [..., n, num_hashes] of the rows of x [..., n, d].

    projection: [d, num_hashes·τ] or [batch..., d, num_hashes·τ]; bit t of
    hash h is [x · projection[:, h·τ + t] > 0], weighted 2^t (LSB first).
    """
    bits = (np.asarray(x, np.float64) @ np.asarray(projection, np.float64)) > 0
    bits = bits.reshape(bits.shape[:-1] + (num_hashes, hash_bits))
    return (bits * (1 << np.arange(hash_bits))).sum(axis=-1)


def hadamard(n):
    """The unnormalised n×n Walsh-Hadamard (Sylvester) matrix, n a power of 2:
    H[i, j] = (-1)^popcount(i & j)."""
    i = np.arange(n)
    bits = np.bitwise_and(i[:, None], i[None, :])
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return np.where(parity == 1, -1.0, 1.0)


def yoso_fast_hash_projection(diagonals, hash_bits, num_hashes):
    """The projection equivalent to YOSO's Hadamard "fast hash".

    diagonals: ±1 [..., 3, P, d] (the authors' D, d a power of 2,
    P = ceil(num_hashes / (d // τ))). Part p computes
    y = H·(D₂ ⊙ H·(D₁ ⊙ H·(D₀ ⊙ x))) with H unnormalised; hash p·(d//τ) + c
    takes bits y[c·τ : c·τ + τ] (LSB first); hashes past num_hashes are
    dropped. Since y = M_p·x is linear, the codes equal those of the returned
    projection [..., d, num_hashes·τ] whose column h·τ + t is row c·τ + t of
    M_p (h = p·(d//τ) + c).
    """
    diagonals = np.asarray(diagonals, dtype=np.float64)
    d = diagonals.shape[-1]
    per_part = d // hash_bits
    h = hadamard(d)
    # M_p = H diag(D2) H diag(D1) H diag(D0), for every part (and batch).
    m = h * diagonals[..., 0, :, None, :]
    m = h @ (diagonals[..., 1, :, :, None] * m)
    m = h @ (diagonals[..., 2, :, :, None] * m)
    columns = []
    for hash_index in range(num_hashes):
        part, c = divmod(hash_index, per_part)
        columns.append(m[..., part, c * hash_bits:(c + 1) * hash_bits, :])
    projection = np.concatenate(columns, axis=-2)  # [..., m·τ, d]
    return np.swapaxes(projection, -1, -2)


def yoso_lsh_estimate(q, k, v, keep_q, keep_k, projection, hash_bits, num_hashes):
    """The LSH estimate of B·V before row normalisation (float64).

    keep_q [batch..., n], keep_k [batch..., m]: {0,1} query and key masks.
    """
    codes_q = yoso_hash_codes(q, projection, hash_bits, num_hashes)
    codes_k = yoso_hash_codes(k, projection, hash_bits, num_hashes)
    batch_shape, n, e = q.shape[:-2], q.shape[-2], v.shape[-1]
    flat = int(np.prod(batch_shape, dtype=np.int64))
    cq = codes_q.reshape(flat, n, num_hashes)
    ck = codes_k.reshape(flat, -1, num_hashes)
    vv = (v * keep_k[..., None]).reshape(flat, -1, e)
    x = np.zeros((flat, n, e))
    for b in range(flat):
        for h in range(num_hashes):
            table = np.zeros((1 << hash_bits, e))
            np.add.at(table, ck[b, :, h], vv[b])
            x[b] += table[cq[b, :, h]]
    return x.reshape(batch_shape + (n, e)) / num_hashes * keep_q[..., None]


def yoso_attention(q, k, v, mask=None, mode="expectation", hash_bits=8, num_hashes=None,
                   projection=None, version=1):
    """YOSO attention (Zeng et al., ICML 2021), as the authors' code computes it.

    mode="expectation" (YOSO-E): X = B·V with
      B_ij = (1 - arccos(q̂_i·k̂_j)/π)^τ · mask_i · mask_j, q̂, k̂ unit rows
      (version 2 scales the cosine by 0.98; cosines are clamped to [-1, 1]).
    mode="lsh": each of num_hashes τ-bit SimHashes (columns of `projection`,
      [d, num_hashes·τ] or one per batch element) sends the unmasked keys'
      values into 2^τ buckets; a query averages its buckets over the hashes.
    Either way the output rows are L2-normalised; masked query rows are 0.
    q, k: [batch..., n, d]; v: [batch..., n, e]; mask [batch..., n].
    """
    q64, k64, v64 = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    n = q64.shape[-2]
    if k64.shape[-2] != n and mask is not None:
        raise ValueError("a mask needs as many keys as queries")
    keep_q = _key_mask(mask, q64.shape[:-2], n)
    keep_k = _key_mask(mask, k64.shape[:-2], k64.shape[-2])
    if mode == "expectation":
        cosine = _l2_normalize(q64) @ np.swapaxes(_l2_normalize(k64), -1, -2)
        if version == 2:
            cosine = 0.98 * cosine
        cosine = np.clip(cosine, -1.0, 1.0)
        weights = (1 - np.arccos(cosine) / np.pi) ** hash_bits
        weights = weights * keep_q[..., :, None] * keep_k[..., None, :]
        x = weights @ v64
    elif mode == "lsh":
        if projection is None or num_hashes is None:
            raise ValueError("mode='lsh' needs num_hashes and a projection")
        x = yoso_lsh_estimate(q64, k64, v64, keep_q, keep_k, projection, hash_bits,
                              num_hashes)
    else:
        raise ValueError(f"mode must be 'expectation' or 'lsh', got {mode!r}")
    return _l2_normalize(x).astype(_result_dtype(q))
