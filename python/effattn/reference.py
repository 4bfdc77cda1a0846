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


#: MRA-2 constants of the authors' code.
MRA_EMPTY_BLOCK_PENALTY = 1.0e4
MRA_PRIOR_BONUS = 5.0e3
MRA_EPSILON = 1.0e-6


def mra_num_blocks(n, block_size=32, num_blocks=None, blocks_per_row=None):
    """The number of blocks MRA selects per batch element: `num_blocks`, or the
    authors' min((n/bs)·blocks_per_row, (n/bs)²)."""
    if (num_blocks is None) == (blocks_per_row is None):
        raise ValueError("give exactly one of num_blocks and blocks_per_row")
    rows = n // block_size
    if num_blocks is None:
        return min(rows * blocks_per_row, rows * rows)
    return num_blocks


def _mra_low_resolution(q, k, mask, block_size, scale, prior_first_blocks,
                        prior_diagonal_blocks):
    """Block counts, the block score grid Lo (after the empty-block penalty),
    its row maxima (before it) and the selection scores S, in float32 in the
    authors' order of operations (block selection compares these values)."""
    q32, k32 = (np.asarray(x, dtype=np.float32) for x in (q, k))
    *batch, n, d = q32.shape
    batch = tuple(batch)
    rows = n // block_size
    keep = _key_mask(mask, batch, n).astype(np.float32)
    q32, k32 = q32 * keep[..., None], k32 * keep[..., None]
    counts = keep.reshape(batch + (rows, block_size)).sum(-1)
    eps = np.float32(MRA_EPSILON)

    def means(x):
        sums = x.reshape(batch + (rows, block_size, x.shape[-1])).sum(-2)
        return sums / (counts[..., None] + eps)

    lo = (means(q32) @ np.swapaxes(means(k32), -1, -2)) * np.float32(scale)
    row_max = lo.max(-1)
    if mask is not None:
        empty = counts[..., :, None] * counts[..., None, :] < 0.5
        lo = np.where(empty, lo - np.float32(MRA_EMPTY_BLOCK_PENALTY), lo)
    s = lo - row_max[..., None]
    bonus = np.float32(MRA_PRIOR_BONUS)
    index = np.arange(rows)
    if prior_diagonal_blocks > 0:
        band = np.abs(index[:, None] - index[None, :]) <= prior_diagonal_blocks // 2
        s = np.where(band, s + bonus, s)
    if prior_first_blocks > 0:
        s = np.where(index[:, None] < prior_first_blocks, s + bonus, s)
        s = np.where(index[None, :] < prior_first_blocks, s + bonus, s)
    return counts, lo, row_max, s


def mra_selected_blocks(q, k, mask=None, block_size=32, num_blocks=None,
                        blocks_per_row=None, prior_first_blocks=0,
                        prior_diagonal_blocks=0, scale=None):
    """The blocks MRA computes at high resolution, bool [batch..., nb, nb].

    The num_blocks largest selection scores of each batch element's grid;
    ties go to the smaller row-major block index, so exactly num_blocks
    blocks are selected.
    """
    n, d = np.shape(q)[-2:]
    if scale is None:
        scale = 1.0 / np.sqrt(d)
    count = mra_num_blocks(n, block_size, num_blocks, blocks_per_row)
    _, _, _, s = _mra_low_resolution(q, k, mask, block_size, scale,
                                     prior_first_blocks, prior_diagonal_blocks)
    flat = s.reshape(-1, s.shape[-1] * s.shape[-1])
    order = np.argsort(-flat, axis=-1, kind="stable")[:, :count]
    selected = np.zeros(flat.shape, dtype=bool)
    np.put_along_axis(selected, order, True, axis=-1)
    return selected.reshape(s.shape)


def mra_attention(q, k, v, mask=None, block_size=32, num_blocks=None,
                  blocks_per_row=None, mode="full", prior_first_blocks=0,
                  prior_diagonal_blocks=0, scale=None):
    """MRA-2 attention (Zeng et al., ICML 2022), as the authors' code computes
    it, with deterministic top-k ties (see `mra_selected_blocks`).

    Low resolution: block means q̂, k̂, v̂ (over real tokens), Lo = scale·q̂·k̂ᵀ.
    The selected blocks get exact softmax terms; mode="full" (MRA-2) adds each
    unselected block J as cnt_J·exp(Lo_IJ - rowmax_I)·v̂_J, mode="sparse"
    (MRA-2-s) drops it. Denominators get +1e-6; padded query rows are 0.
    q, k: [batch..., n, d]; v: [batch..., n, e]; mask [batch..., n] (or
    [batch[0], n], broadcast over heads); n a multiple of block_size.
    """
    if mode not in ("full", "sparse"):
        raise ValueError(f"mode must be 'full' or 'sparse', got {mode!r}")
    q64, k64, v64 = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    *batch, n, d = q64.shape
    batch = tuple(batch)
    if n % block_size or k64.shape[-2] != n:
        raise ValueError("MRA needs n keys and queries, n a multiple of block_size")
    if scale is None:
        scale = 1.0 / np.sqrt(d)
    rows = n // block_size
    selected = mra_selected_blocks(q, k, mask, block_size, num_blocks,
                                   blocks_per_row, prior_first_blocks,
                                   prior_diagonal_blocks, scale)
    counts, lo, row_max, _ = _mra_low_resolution(
        q, k, mask, block_size, scale, prior_first_blocks, prior_diagonal_blocks)
    keep = _key_mask(mask, batch, n)
    q64, k64, v64 = (x * keep[..., None] for x in (q64, k64, v64))

    low_resolution = None
    if mode == "full":
        # Low resolution for the unselected blocks, merged at a common max.
        v_means = v64.reshape(batch + (rows, block_size, -1)).sum(-2) / (
            counts.astype(np.float64)[..., None] + np.float32(MRA_EPSILON))
        lo_weights = np.where(
            selected, 0.0,
            np.exp(lo.astype(np.float64) - row_max[..., None]) * counts[..., None, :])
        low_resolution = (lo_weights @ v_means, lo_weights.sum(-1),
                          row_max.astype(np.float64))
    out = block_sparse_attention(q64, k64, v64, selected, scale, keep > 0,
                                 low_resolution)
    return out.astype(_result_dtype(q))


def block_sparse_attention(q, k, v, selected, scale, mask=None,
                           low_resolution=None):
    """effattn.block_sparse_attention (MRA's high resolution), in float64.

    q, k: [..., n, d]; v: [..., n, e]; selected: bool [..., R, R] with
    selected[I, J] when block row I lists key block J (blocks of n / R
    tokens); mask: bool [..., n] or None. Query i of block I gets the scores
    s_ij = scale·q_i·k_j of the keys of its selected blocks, m_i their
    maximum (masked keys included), num_i = Σ w_ij·v_j and den_i = Σ w_ij
    with w_ij = exp(s_ij - m_i) (0 for masked keys). low_resolution is None
    (result num / (den + 1e-6)) or (lo_num [..., R, e], lo_den [..., R],
    lo_max [..., R]), merged per row at R_i = max(m_i, lo_max[I]). Masked
    query rows are 0; a row without a selected block has m_i = -inf.
    """
    q64, k64, v64 = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    n = q64.shape[-2]
    block_size = n // selected.shape[-1]
    per_token = np.kron(selected, np.ones((block_size, block_size), dtype=bool))
    per_token = per_token.astype(bool)
    keep = np.ones(q64.shape[:-1], dtype=bool) if mask is None else mask
    scores = np.float32(scale) * (q64 @ np.swapaxes(k64, -1, -2))
    hi_max = np.where(per_token, scores, -np.inf).max(-1)
    safe_max = np.where(np.isfinite(hi_max), hi_max, 0.0)
    weights = np.where(per_token & keep[..., None, :],
                       np.exp(np.minimum(scores - safe_max[..., None], 0.0)), 0.0)
    hi_num, hi_den = weights @ v64, weights.sum(-1)
    if low_resolution is None:
        out = hi_num / (hi_den + MRA_EPSILON)[..., None]
    else:
        lo_num, lo_den, lo_max = (np.repeat(np.asarray(x, dtype=np.float64),
                                            block_size, axis=-2 if x.ndim == q64.ndim else -1)
                                  for x in low_resolution)
        common = np.maximum(hi_max, lo_max)
        hi_scale, lo_scale = np.exp(hi_max - common), np.exp(lo_max - common)
        out = (hi_num * hi_scale[..., None] + lo_num * lo_scale[..., None]) / (
            hi_den * hi_scale + lo_den * lo_scale + MRA_EPSILON)[..., None]
    return out * keep[..., None]


def kth_largest(x, k):
    """effattn.kth_largest: the k-th largest element of each row of the
    integer x [R, L], counted with multiplicity (k = 1 the maximum, k = L
    the minimum), as torch.topk(x, k).values[:, -1]; [R], x's dtype."""
    x = np.asarray(x)
    if x.ndim != 2 or not 1 <= k <= x.shape[1]:
        raise ValueError(f"kth_largest: expects x [R, L] and 1 <= k <= L, got "
                         f"shape {x.shape} and k = {k}")
    return np.sort(x, axis=1)[:, x.shape[1] - k]


def walsh_hadamard(x):
    """The unnormalised Walsh–Hadamard transform along the last axis (length a
    power of two): x @ hadamard(n), by butterflies, in x's dtype."""
    x = np.array(x)
    n = x.shape[-1]
    if n & (n - 1):
        raise ValueError(f"walsh_hadamard: length {n} is not a power of two")
    h = 1
    while h < n:
        y = x.reshape(x.shape[:-1] + (n // (2 * h), 2, h))
        a, b = y[..., 0, :], y[..., 1, :]
        x = np.stack([a + b, a - b], axis=-2).reshape(x.shape)
        h *= 2
    return x


def bh4_projection(x, weight, bias, out_dim, decay=0.7):
    """The authors' BH4 projection (algorithms §5.1, GPU convention): x
    [N, D] zero-padded to P = 2^ceil(log2 D); per repeat r, four times
    y <- H(blockdiag(weight[r, j]) y) with the unnormalised transform H;
    z = decay·concat_r(y_r) + (1 - decay)·tile(x, R), first out_dim columns,
    plus bias. weight: [R, 4, P/bs, bs, bs]."""
    x = np.asarray(x, dtype=np.float32)
    n, d = x.shape
    repeats, _, blocks, bs, _ = weight.shape
    p = blocks * bs
    padded = np.zeros((n, p), np.float32)
    padded[:, :d] = x
    outs = []
    for r in range(repeats):
        y = padded
        for j in range(4):
            y = np.einsum("nbi,boi->nbo", y.reshape(n, blocks, bs),
                          np.asarray(weight[r, j], np.float32)).reshape(n, p)
            y = walsh_hadamard(y)
        outs.append(y)
    z = np.float32(decay) * np.concatenate(outs, axis=1) + \
        np.float32(1 - decay) * np.tile(padded, (1, repeats))
    return z[:, :out_dim] + np.asarray(bias, np.float32)


def lookup_codes(x, proj_weight, proj_bias, num_tables, code_bits=8, projection="dense",
                 decay=0.7):
    """LookupFFN's codes (int64 [..., T], first coordinate = MSB, bit = z > 0)
    and scores (f32 [..., T]: Σ|z| / Π(1 + e^(-2|z|))) of x [..., D]."""
    x = np.asarray(x, dtype=np.float32)
    flat = x.reshape(-1, x.shape[-1])
    width = num_tables * code_bits
    if projection == "dense":
        z = flat @ np.asarray(proj_weight, np.float32).T + np.asarray(proj_bias, np.float32)
    elif projection == "bh4":
        z = bh4_projection(flat, proj_weight, proj_bias, width, decay)
    else:
        raise ValueError(f"projection must be 'dense' or 'bh4', got {projection!r}")
    z = z.reshape(-1, num_tables, code_bits).astype(np.float32)
    weights = 1 << np.arange(code_bits - 1, -1, -1, dtype=np.int64)
    codes = ((z > 0).astype(np.int64) * weights).sum(axis=-1)
    magnitude = np.abs(z)
    scores = magnitude.sum(axis=-1) / np.prod(1 + np.exp(-2 * magnitude), axis=-1)
    shape = x.shape[:-1] + (num_tables,)
    return codes.reshape(shape), scores.astype(np.float32).reshape(shape)


def lookup_ffn(x, proj_weight, proj_bias, tables, bias, code_bits=8, projection="dense",
               decay=0.7):
    """LookupFFN after its LayerNorm (algorithms §5.1): project x [..., D] to T
    codes of code_bits bits, and sum the score-weighted table rows:
    Σ_t score_t · tables[t, code_t] + bias. tables: [T, 2^code_bits, D_out]."""
    tables32 = np.asarray(tables, np.float32)
    codes, scores = lookup_codes(x, proj_weight, proj_bias, tables32.shape[0], code_bits,
                                 projection, decay)
    flat_codes = codes.reshape(-1, tables32.shape[0])
    flat_scores = scores.reshape(-1, tables32.shape[0])
    rows = tables32[np.arange(tables32.shape[0]), flat_codes]  # [N, T, D_out]
    out = np.einsum("nt,nto->no", flat_scores, rows) + np.asarray(bias, np.float32)
    return out.reshape(codes.shape[:-1] + (tables32.shape[2],)).astype(_result_dtype(x))


def quantize(x, beta=1.0, levels=15):
    """IM-Unpack's per-tensor round-to-nearest quantisation (RTN).

    alpha = max|x| (beta = 1) or the k-th largest |x| with
    k = int(x.size·(1 - beta)); scale s = fp32(fp32(1/alpha)·levels/2) (torch's
    scalar/tensor order, which decides the .5 ties); xq = round_half_even(
    fp32(x·s)), not clipped: entries above alpha stay large. Returns
    (xq int64, s float32).
    """
    x32 = np.asarray(x, dtype=np.float32)
    magnitude = np.abs(x32).ravel()
    if beta == 1:
        alpha = magnitude.max()
    else:
        k = int(x32.size * (1 - beta))
        if k < 1:
            raise ValueError("beta leaves no entry above the percentile")
        alpha = np.partition(magnitude, magnitude.size - k)[magnitude.size - k]
    alpha = max(np.float32(alpha), np.float32(1e-20))
    scale = np.float32(np.float32(1) / alpha) * np.float32(0.5 * levels)
    return np.rint(x32 * scale).astype(np.int64), np.float32(scale)


def _split(values, base):
    """Floor-division digit split (Python semantics): low in [0, base-1]."""
    return values % base, values // base


def unpack(a, b, col_scale, bits, strategy):
    """One IM-Unpack pass over a [M, K] against b [N, K] (algorithms §6.2).

    Splits rows and/or inner columns of `a` until every entry satisfies
    |x| < 2^(bits-1); new rows/columns are appended in the order they are
    split. Returns (a', b', row_index, row_scale, col_scale'): b' is b with the
    columns matching a's column splits duplicated.
    """
    base = 1 << (bits - 1)
    a = np.array(a, dtype=np.int64)
    b = np.array(b, dtype=np.int64)
    col_scale = np.array(col_scale, dtype=np.int64)
    row_index = list(range(a.shape[0]))
    row_scale = [1] * a.shape[0]
    rows, cols = list(a), list(a.T)  # only one of them is used per strategy

    def split_row(r):
        low, high = _split(rows[r], base)
        rows[r] = low
        rows.append(high)
        row_index.append(row_index[r])
        row_scale.append(row_scale[r] * base)
        return len(rows) - 1

    if strategy == "row":
        frontier = range(len(rows))
        while True:
            big = [r for r in frontier if np.abs(rows[r]).max(initial=0) >= base]
            if not big:
                break
            frontier = [split_row(r) for r in big]
        a = np.array(rows, dtype=np.int64).reshape(len(rows), a.shape[1])
    elif strategy == "column":
        b_cols, scales = list(b.T), list(col_scale)
        frontier = range(len(cols))
        while True:
            big = [j for j in frontier if np.abs(cols[j]).max(initial=0) >= base]
            if not big:
                break
            frontier = []
            for j in big:
                low, high = _split(cols[j], base)
                cols[j] = low
                cols.append(high)
                b_cols.append(b_cols[j])
                scales.append(scales[j] * base)
                frontier.append(len(cols) - 1)
        a = np.array(cols, dtype=np.int64).reshape(len(cols), a.shape[0]).T
        b = np.array(b_cols, dtype=np.int64).reshape(len(b_cols), b.shape[0]).T
        col_scale = np.array(scales, dtype=np.int64)
    elif strategy == "both":
        while True:
            big = np.abs(a) >= base
            row_counts, col_counts = big.sum(axis=1), big.sum(axis=0)
            top_row = row_counts.max(initial=0)
            top_col = col_counts.max(initial=0)
            if top_row == 0 and top_col == 0:
                break
            if top_row >= top_col:
                r = int(np.argmax(row_counts))
                low, high = _split(a[r], base)
                a[r] = low
                a = np.vstack([a, high[None, :]])
                row_index.append(row_index[r])
                row_scale.append(row_scale[r] * base)
            else:
                j = int(np.argmax(col_counts))
                low, high = _split(a[:, j], base)
                a[:, j] = low
                a = np.hstack([a, high[:, None]])
                b = np.hstack([b, b[:, j:j + 1]])
                col_scale = np.append(col_scale, col_scale[j] * base)
    else:
        raise ValueError(f"strategy must be 'row', 'column' or 'both', got {strategy!r}")
    return (a, b, np.array(row_index, dtype=np.int64),
            np.array(row_scale, dtype=np.int64), col_scale)


def unpack_operands(a, b, bits=8, strategy="row"):
    """Both IM-Unpack passes: a, then b against the unpacked a. Returns
    (a_u, b_u, col_scale, a_index, a_scale, b_index, b_scale) with
    a @ b.T == pack(a_index, a_scale, b_index, b_scale, (a_u·col_scale) @ b_uᵀ)
    and every entry of a_u, b_u below 2^(bits-1) in magnitude."""
    a = np.asarray(a, dtype=np.int64)
    a_u, b_e, a_index, a_scale, scales = unpack(
        a, b, np.ones(a.shape[1], dtype=np.int64), bits, strategy)
    b_u, a_ue, b_index, b_scale, scales = unpack(b_e, a_u, scales, bits, strategy)
    return a_ue, b_u, scales, a_index, a_scale, b_index, b_scale


def unpacked_matmul(a, b, bits=8, strategy="row"):
    """Exact a @ b.T (int64) computed from bits-bit products only (IM-Unpack):
    unpack both operands, multiply the unpacked matrices, pack the result."""
    a_u, b_u, scales, a_index, a_scale, b_index, b_scale = unpack_operands(
        a, b, bits, strategy)
    products = (a_u * scales) @ b_u.T
    rows = np.zeros((np.shape(a)[0], products.shape[1]), dtype=np.int64)
    np.add.at(rows, a_index, products * a_scale[:, None])
    out = np.zeros((rows.shape[0], np.shape(b)[0]), dtype=np.int64)
    np.add.at(out.T, b_index, rows.T * b_scale[:, None])
    return out


# --- FrameQuant (algorithms §7) ------------------------------------------------


def frame_sign_diagonal(seed, p):
    """The ±1 diagonal of a seed: torch's CPU generator (MT19937), one 32-bit
    draw mod 2 per entry — numpy's legacy RandomState gives the same bits."""
    return 2 * np.random.RandomState(seed).randint(0, 2, size=p) - 1


def hadamard_chunk(d):
    """d if it is a power of two, else its largest power-of-two divisor."""
    return d & -d


def frame_blocks(d, redundancy=1.0, l_den=8, float32_angles=True):
    """The real tight-frame blocks P [d/16, 2k, 16] of the authors'
    spectral-tetris fusion frame with modulation (algorithms §7.2),
    k = round(8·redundancy) for l_den = 8; P_uᵀP_u = I_16. With
    float32_angles (the authors' code) the angles 2π·k'·j/k are rounded to
    float32 first, which leaves PᵀP off the identity by ~2e-6 at d = 64 and
    growing with d (1.7e-4 at d = 4096); without, the blocks are Parseval to
    rounding."""
    if d % 16 or l_den != 8:
        raise ValueError("frame_blocks: d must be a multiple of 16 (l_den = 8)")
    l_tff = d // l_den
    k = int(round((d // l_tff) * redundancy))
    groups = d // 16
    blocks = np.zeros((groups, 2 * k, 16), np.float64)
    for u in range(groups):
        for j0 in range(8):
            j = 8 * u + j0
            for kk in range(k):
                if float32_angles:
                    angle = np.float64(np.float32(2 * np.pi * kk * j / k))
                else:  # exactly: only k'·j mod k matters
                    angle = 2 * np.pi * ((kk * j) % k) / k
                a, b = np.cos(angle) / np.sqrt(k), np.sin(angle) / np.sqrt(k)
                blocks[u, kk, 2 * j0], blocks[u, kk, 2 * j0 + 1] = a, -b
                blocks[u, k + kk, 2 * j0], blocks[u, k + kk, 2 * j0 + 1] = b, a
    return blocks


def frame_project(w, seed, blocks=None):
    """T·w along the last axis of w [r, d]: the seeded sign flip, the
    orthonormal Walsh–Hadamard transform on chunks of hadamard_chunk(d), then
    (with blocks [d/16, 2k, 16]) the frame, coefficient-major:
    out[r, c·(d/16) + u] = Σ_j P[u, c, j] · w[r, 16u + j]."""
    w = np.asarray(w, np.float64)
    r, d = w.shape
    p = hadamard_chunk(d)
    signs = frame_sign_diagonal(seed, p)
    w = walsh_hadamard(w.reshape(r, d // p, p) * signs) / np.sqrt(p)
    w = w.reshape(r, d)
    if blocks is None:
        return w
    out = np.einsum("ucj,ruj->rcu", blocks, w.reshape(r, d // 16, 16))
    return out.reshape(r, -1)


def frame_inverse(w, seed, d, blocks=None):
    """The inverse of frame_project (exact for a Parseval frame) back to d
    columns."""
    w = np.asarray(w, np.float64)
    r = w.shape[0]
    if blocks is not None:
        coefficients = w.reshape(r, blocks.shape[1], d // 16)
        w = np.einsum("ucj,rcu->ruj", blocks, coefficients).reshape(r, d)
    p = hadamard_chunk(d)
    signs = frame_sign_diagonal(seed, p)
    w = walsh_hadamard(w.reshape(r, d // p, p)) / np.sqrt(p) * signs
    return w.reshape(r, d)


def frame_rtn(w, bits=2, x_sigma=2.0):
    """FrameQuant's per-row round-to-nearest (algorithms §7.1, asymmetric):
    scale = x_sigma·std/(maxq/2), zero = round((1 - mean/(2·std))·maxq/2),
    rows clipped to mean ± 2·std, q = clamp(round(w/scale) + zero, 0, maxq).
    std is unbiased (ddof = 1). Returns (codes int64, scale [r, 1],
    zero [r, 1]) in float32 like the authors. The statistics are computed in
    float64 and rounded once to float32 (as effattn's quantizer does; the
    authors' float32 sums give the same codes on their vectors). A constant
    row (std 0, where the authors' formula divides by zero) is stored
    exactly: code 1, zero 0, scale |w| (code 0, zero 1 when w < 0)."""
    w = np.asarray(w, np.float32)
    maxq = 2**bits - 1
    mean = w.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    std = np.sqrt(w.var(axis=1, ddof=1, keepdims=True, dtype=np.float64)).astype(np.float32)
    constant = std == 0
    std = np.where(constant, np.float32(1), std)
    scale = (np.float32(x_sigma) * std / np.float32(maxq / 2)).astype(np.float32)
    zero = np.round((1 - mean / (2 * std)) * np.float32(maxq / 2)).astype(np.float32)
    clipped = np.clip(w, mean - 2 * std, mean + 2 * std)
    codes = np.clip(np.round(clipped / scale) + zero, 0, maxq).astype(np.int64)
    first = w[:, :1]
    scale = np.where(constant, np.where(first != 0, np.abs(first), np.float32(1)), scale)
    zero = np.where(constant, np.where(first < 0, np.float32(1), np.float32(0)), zero)
    codes = np.where(constant, (first > 0).astype(np.int64), codes)
    return codes, scale.astype(np.float32), zero.astype(np.float32)


def rtn_minmax(w, bits=2):
    """Plain per-row round-to-nearest in the original basis (GPTQ's
    find_params): the range [min(row, 0), max(row, 0)] (both 0 -> [-1, 1]) in
    2^bits levels, no clipping. Returns the dequantized weight, float32."""
    w = np.asarray(w, np.float32)
    maxq = 2**bits - 1
    low = np.minimum(w.min(axis=1, keepdims=True), 0)
    high = np.maximum(w.max(axis=1, keepdims=True), 0)
    both_zero = (low == 0) & (high == 0)
    low, high = np.where(both_zero, -1, low), np.where(both_zero, 1, high)
    scale = ((high - low) / maxq).astype(np.float32)
    zero = np.round(-low / scale)
    codes = np.clip(np.round(w / scale) + zero, 0, maxq)
    return (scale * (codes - zero)).astype(np.float32)


def packed_words(cols, bits):
    """Words per packed row of `cols` codes: ceil(cols / (32 // bits))."""
    return -(-cols // (32 // bits))


def packed_shape(rows, cols, bits):
    """The shape of effattn.frame_quantize's codes: [ceil(rows / 16),
    packed_words(cols, bits), 16]."""
    return (-(-rows // 16), packed_words(cols, bits), 16)


def pack_frame_codes(codes, bits):
    """Packs codes [rows, cols] (ints in [0, 2^bits)) into int32 words
    packed_shape(rows, cols, bits): word (g, w, l) holds the codes of row
    16·g + l, column w·n + i (n = 32 // bits) in bits [i·bits, (i+1)·bits);
    padding rows and columns are 0 (the layout of effattn.frame_quantize)."""
    codes = np.asarray(codes, np.uint32)
    rows, cols = codes.shape
    groups, words, lanes = packed_shape(rows, cols, bits)
    per_word = 32 // bits
    fields = np.zeros((groups * lanes, words * per_word), np.uint32)
    fields[:rows, :cols] = codes
    fields = fields.reshape(groups, lanes, words, per_word)
    shifts = np.arange(per_word, dtype=np.uint32) * bits
    packed = np.bitwise_or.reduce(fields << shifts, axis=3)  # [g, lane, w]
    return np.ascontiguousarray(packed.transpose(0, 2, 1)).view(np.int32)


def unpack_frame_codes(words, rows, cols, bits):
    """The codes [rows, cols] (int64) of pack_frame_codes' words."""
    words = np.asarray(words).view(np.uint32)
    groups, count, lanes = words.shape
    shifts = np.arange(32 // bits, dtype=np.uint32) * bits
    fields = (words.transpose(0, 2, 1)[..., None] >> shifts) & np.uint32(2**bits - 1)
    return fields.reshape(groups * lanes, -1)[:rows, :cols].astype(np.int64)


class FramePacked:
    """What frame_quantize returns: codes [rows, 2k·in/16] (coefficient-major),
    scale and zero [rows, 1], the seeds and frames, and W_hat."""

    def __init__(self, codes, scale, zero, bits, seed_in, seed_out, blocks_in, blocks_out,
                 shape):
        self.codes, self.scale, self.zero, self.bits = codes, scale, zero, bits
        self.seed_in, self.seed_out = seed_in, seed_out
        self.blocks_in, self.blocks_out, self.shape = blocks_in, blocks_out, shape

    @property
    def packed(self):
        """The codes as effattn.frame_quantize stores them (int32 words)."""
        return pack_frame_codes(self.codes, self.bits)

    @property
    def dequantized(self):
        """scale·(codes − zero) in the frame domain."""
        return self.scale.astype(np.float64) * (self.codes - self.zero.astype(np.float64))

    @property
    def W_hat(self):
        """The reconstruction T_outᵀ·(scale·(codes − zero))·T_in, float32."""
        out, inn = self.shape
        w = frame_inverse(self.dequantized, self.seed_in, inn, self.blocks_in)
        if self.seed_out is not None:
            w = frame_inverse(w.T, self.seed_out, out, self.blocks_out).T
        return w.astype(np.float32)


def frame_quantize(w, bits=2, redundancy=1.0, seed_in=0, seed_out=1, x_sigma=2.0):
    """FrameQuant with round-to-nearest in the frame domain (algorithms §7;
    GPTQ is not part of the op): W_t = T_out·W·T_inᵀ (input side only when
    seed_out is None), then frame_rtn per row. The frame blocks use exact
    angles (Parseval to rounding): the authors' float32 angles change no
    code on their vectors but leave PᵀP off the identity by 1.7e-4 at
    d = 4096."""
    w = np.asarray(w, np.float32)
    out, inn = w.shape
    blocks_in = frame_blocks(inn, redundancy, float32_angles=False)
    blocks_out = (frame_blocks(out, redundancy, float32_angles=False)
                  if seed_out is not None else None)
    transformed = frame_project(w, seed_in, blocks_in)
    if seed_out is not None:
        transformed = frame_project(transformed.T, seed_out, blocks_out).T
    codes, scale, zero = frame_rtn(transformed.astype(np.float32), bits, x_sigma)
    return FramePacked(codes, scale, zero, bits, seed_in, seed_out, blocks_in, blocks_out,
                       w.shape)


def frame_linear(x, packed):
    """x [..., in] @ W_hatᵀ, in float32."""
    return (np.asarray(x, np.float32) @ packed.W_hat.T).astype(np.float32)

