//===- EffAttnOps.td - EffAttn dialect ops -----------------*- tablegen -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_EFFATTNOPS_TD
#define EFFATTN_DIALECT_EFFATTN_IR_EFFATTNOPS_TD

include "effattn/Dialect/EffAttn/IR/EffAttnAttrs.td"
include "effattn/Dialect/EffAttn/IR/EffAttnBase.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

def EffAttn_AttentionOp : EffAttn_Op<"attention", [
    Pure,
    AttrSizedOperandSegments,
    DestinationStyleOpInterface,
    AllElementTypesMatch<["query", "key", "value", "init"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<TilingInterface, [
      "getIterationDomain",
      "getLoopIteratorTypes",
      "getResultTilePosition",
      "getTiledImplementation",
      "generateResultTileValue"]>]> {
  let summary = "Exact scaled dot-product softmax attention";
  let description = [{
    Computes exact softmax attention over the two innermost dimensions, with
    any number of leading batch dimensions `B...` shared by every operand:

    ```
    visible(b, i, j) = mask[b, j] and (not causal or j <= i + query_offset)
    S[b, i, j]   = visible(b, i, j) ? scale · Σ_d query[b, i, d] · key[b, j, d]
                                    : -1e9
    P[b, i, :]   = softmax(S[b, i, :])
    result[b, i, e] = Σ_j P[b, i, j] · value[b, j, e]
    ```

    Shapes: `query` is `[B..., N, D]`, `key` is `[B..., M, D]`, `value` is
    `[B..., M, E]`, the optional key-padding `mask` is `[B..., M]` (i1,
    1 = attend) and `init`/`result` are `[B..., N, E]`. `query`, `key`,
    `value` and `init` share one element type (f32, f16 or bf16); products,
    the softmax and the weighted sum are computed in f32 and the result is
    rounded to the element type once.

    `scale` defaults to `1/sqrt(D)` and must be finite and positive.

    Hidden keys get the score `-1e9` (the authors' PyTorch constant, used as
    a replacement rather than an additive bias): a query that sees no key
    therefore averages all values uniformly instead of producing NaN.

    `causal` hides key `j` from query `i` when `j > i + query_offset`
    (top-left alignment, like PyTorch's `is_causal`). `query_offset` (default
    0) is the absolute position of the first query row; it is set by tiling
    along `N` so that a tile of queries keeps its causal window, and is only
    allowed together with `causal`.

    The op is in destination-passing style, tiles along every batch
    dimension, `N` and `E` (all parallel; `M` and `D` stay whole inside a
    tile) and decomposes into `linalg` ops. With a `lowering_config`
    (`#effattn.flash_config`, set by `effattn-configure-lowering` or by the
    user) it is tiled by the config's query tile and decomposes into the
    flash form instead: vector code over blocks of keys with a running
    maximum and sum per query, register tiles of the config's sizes.

    Example:

    ```mlir
    %r = effattn.attention {causal, scale = 0.125 : f32}
        ins(%q, %k, %v : tensor<2x8x128x64xf32>, tensor<2x8x256x64xf32>,
                         tensor<2x8x256x64xf32>)
        mask(%m : tensor<2x8x256xi1>)
        outs(%o : tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32>
    ```
  }];

  let arguments = (ins EffAttn_FloatTensor:$query,
                       EffAttn_FloatTensor:$key,
                       EffAttn_FloatTensor:$value,
                       Optional<EffAttn_MaskTensor>:$mask,
                       Optional<Index>:$query_offset,
                       EffAttn_FloatTensor:$init,
                       OptionalAttr<F32Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<EffAttn_FlashConfigAttr>:$lowering_config);
  let results = (outs EffAttn_FloatTensor:$result);

  let assemblyFormat = [{
    attr-dict
    `ins` `(` $query `,` $key `,` $value `:`
        type($query) `,` type($key) `,` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`query_offset` `(` $query_offset^ `)`)?
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let builders = [
    OpBuilder<(ins "Value":$query, "Value":$key, "Value":$value,
                   "Value":$mask, "Value":$init,
                   CArg<"FloatAttr", "{}">:$scale,
                   CArg<"bool", "false">:$causal)>
  ];

  let extraClassDeclaration = [{
    /// Returns the number of leading batch dimensions.
    int64_t getNumBatchDims() { return getQueryType().getRank() - 2; }
    RankedTensorType getQueryType() { return getQuery().getType(); }
    RankedTensorType getKeyType() { return getKey().getType(); }
    RankedTensorType getValueType() { return getValue().getType(); }
    RankedTensorType getInitType() { return getInit().getType(); }
    /// Returns the scale to apply when it is a compile-time constant: the
    /// `scale` attribute, or 1/sqrt(D) when D is static. Returns std::nullopt
    /// when the default scale depends on a dynamic D.
    std::optional<double> getStaticScale();
    /// Returns the scale as an f32 value built at the insertion point of
    /// `b`: a constant, or 1/sqrt(D) computed from `headDim`, the size D.
    Value buildScaleValue(OpBuilder &b, OpFoldResult headDim);
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// NystromAttentionOp
//===----------------------------------------------------------------------===//

def EffAttn_NystromAttentionOp : EffAttn_Op<"nystrom_attention", [
    Pure,
    AttrSizedOperandSegments,
    DestinationStyleOpInterface,
    AllElementTypesMatch<["query", "key", "value", "init"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "Nyströmformer attention (segment-mean landmarks)";
  let description = [{
    Approximates softmax self-attention with `m = num_landmarks` landmarks,
    exactly as the authors' LRA/BERT code does (Xiong et al., AAAI 2021):

    ```
    Qs = mask ⊙ Q · d^-1/4,   Ks = mask ⊙ K · d^-1/4      (padded rows = 0)
    Q̃, K̃ = segment means of Qs, Ks  (m segments; when N % m != 0 the first
           (N/m + 1)·m - N landmarks average N/m tokens, the others N/m + 1)
    F  = softmax(Qs · K̃ᵀ)                 [N, m]   (no mask)
    A  = softmax(Q̃ · K̃ᵀ)                  [m, m]   (no mask)
    Bm = softmax(Q̃ · Ksᵀ - 1e9·(1 - mask)) [m, N]   (key mask only)
    Z  = pinv(A): Z₀ = Aᵀ / c, then pinv_iterations times
         Z ← ¼ Z (13I − AZ(15I − AZ(7I − AZ)))
    result = (F · Z) · (Bm · V)  (+ conv(mask ⊙ V) with conv_weight)
    ```

    `pinv_init = "original"` (default) takes `c` as the largest column sum of
    A over the whole batch (all batch dimensions together, as the authors'
    code does); `"exact"` takes it per matrix. `num_landmarks == N` computes
    exact attention `softmax(Qs·Ksᵀ - 1e9·(1 - mask))·V`. The optional
    `conv_weight` `[H, ks]` (ks odd, H the innermost batch dimension) adds the
    authors' depthwise convolution skip along the sequence, zero padded by
    ks/2, applied to the masked V.

    Shapes: `query`, `key` `[B..., N, D]`, `value` `[B..., N, E]`, `mask`
    `[B..., N]` (i1, 1 = real token), `init`/`result` `[B..., N, E]`; N must
    be static. Element types f32, f16, bf16; computed in f32.

    Example:

    ```mlir
    %r = effattn.nystrom_attention {num_landmarks = 64}
        ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>,
                         tensor<1x2x256x64xf32>)
        mask(%m : tensor<1x2x256xi1>)
        outs(%o : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
    ```
  }];

  let arguments = (ins EffAttn_FloatTensor:$query,
                       EffAttn_FloatTensor:$key,
                       EffAttn_FloatTensor:$value,
                       Optional<EffAttn_MaskTensor>:$mask,
                       Optional<EffAttn_FloatTensor>:$conv_weight,
                       EffAttn_FloatTensor:$init,
                       I64Attr:$num_landmarks,
                       DefaultValuedAttr<I64Attr, "6">:$pinv_iterations,
                       DefaultValuedAttr<StrAttr, "\"original\"">:$pinv_init);
  let results = (outs EffAttn_FloatTensor:$result);

  let assemblyFormat = [{
    attr-dict
    `ins` `(` $query `,` $key `,` $value `:`
        type($query) `,` type($key) `,` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`conv_weight` `(` $conv_weight^ `:` type($conv_weight) `)`)?
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let extraClassDeclaration = [{
    /// Returns the number of leading batch dimensions.
    int64_t getNumBatchDims() { return getQueryType().getRank() - 2; }
    RankedTensorType getQueryType() { return getQuery().getType(); }
    RankedTensorType getInitType() { return getInit().getType(); }
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// YosoAttentionOp
//===----------------------------------------------------------------------===//

def EffAttn_YosoAttentionOp : EffAttn_Op<"yoso_attention", [
    Pure,
    AttrSizedOperandSegments,
    DestinationStyleOpInterface,
    AllElementTypesMatch<["query", "key", "value", "init"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<TilingInterface, [
      "getIterationDomain",
      "getLoopIteratorTypes",
      "getResultTilePosition",
      "getTiledImplementation",
      "generateResultTileValue"]>]> {
  let summary = "YOSO attention: LSH collision probabilities as weights";
  let description = [{
    YOSO (Zeng et al., ICML 2021) as the authors' code computes it, with
    τ = `hash_bits`:

    `mode = "expectation"` (YOSO-E):
    ```
    B[b, i, j] = (1 - arccos(clamp(s·q̂_i·k̂_j, -1, 1))/π)^τ · mask_i · mask_j
    result     = normalize_rows(B · V)
    ```
    with q̂, k̂ the L2-normalised rows and s = 1 (`version = 1`) or 0.98
    (`version = 2`).

    `mode = "lsh"`: `num_hashes` (1 to 65536) τ-bit SimHashes given by the columns of
    `projection` (`[D, num_hashes·τ]`, or `[B..., D, num_hashes·τ]` with one
    projection per batch element): bit t of hash h of a row x is
    `x · projection[:, h·τ + t] > 0`, weighted 2^t. Each hash has a table of
    2^τ buckets; unmasked keys add their value rows to their bucket; a query
    averages the buckets it falls into over the hashes (0 if masked):
    ```
    result = normalize_rows((1/num_hashes) Σ_h T_h[code_h(q_i)])
    ```
    The estimate is unbiased for B·V before the row normalisation.

    Instead of `projection`, the authors' Hadamard "fast hash" can be given by
    its ±1 diagonals `hadamard_diagonals` `[3, P, D]` (or `[B..., 3, P, D]`),
    D a power of two, P = ceil(num_hashes / (D / τ)): part p computes
    `y = H·(D₂ ⊙ H·(D₁ ⊙ H·(D₀ ⊙ x)))` with the unnormalised Walsh–Hadamard
    matrix H, and hash `p·(D/τ) + c` takes bits `y[c·τ + t]`. The transform
    is linear, so the decomposition builds the equivalent projection.

    `normalize_rows` divides each row by max(‖row‖₂, 1e-12). Shapes:
    `query` `[B..., N, D]`, `key` `[B..., M, D]`, `value` `[B..., M, E]`,
    `mask` `[B..., N]` (i1; applies to queries and keys, so N == M),
    `init`/`result` `[B..., N, E]`. Element types f32, f16, bf16; computed
    in f32. Every token is processed: no tail is dropped.

    `query_offset` (only with a mask, default 0) says that query row i is token
    `query_offset + i` of the mask; tiling along N sets it. The iteration
    domain is [B..., N, E] with E a reduction (the row normalisation couples
    the E columns); tiles take every key.

    Example:

    ```mlir
    %r = effattn.yoso_attention {mode = "lsh", hash_bits = 8, num_hashes = 16}
        ins(%q, %k, %v : tensor<2x256x64xf32>, tensor<2x256x64xf32>,
                         tensor<2x256x64xf32>)
        projection(%r : tensor<2x64x128xf32>)
        outs(%o : tensor<2x256x64xf32>) -> tensor<2x256x64xf32>
    ```
  }];

  let arguments = (ins EffAttn_FloatTensor:$query,
                       EffAttn_FloatTensor:$key,
                       EffAttn_FloatTensor:$value,
                       Optional<EffAttn_MaskTensor>:$mask,
                       Optional<EffAttn_FloatTensor>:$projection,
                       Optional<EffAttn_FloatTensor>:$hadamard_diagonals,
                       Optional<Index>:$query_offset,
                       EffAttn_FloatTensor:$init,
                       DefaultValuedAttr<StrAttr, "\"expectation\"">:$mode,
                       DefaultValuedAttr<I64Attr, "8">:$hash_bits,
                       OptionalAttr<I64Attr>:$num_hashes,
                       DefaultValuedAttr<I64Attr, "1">:$version);
  let results = (outs EffAttn_FloatTensor:$result);

  let assemblyFormat = [{
    attr-dict
    `ins` `(` $query `,` $key `,` $value `:`
        type($query) `,` type($key) `,` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`projection` `(` $projection^ `:` type($projection) `)`)?
    (`hadamard_diagonals` `(` $hadamard_diagonals^ `:`
        type($hadamard_diagonals) `)`)?
    (`query_offset` `(` $query_offset^ `)`)?
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let extraClassDeclaration = [{
    /// Returns the number of leading batch dimensions.
    int64_t getNumBatchDims() { return getQueryType().getRank() - 2; }
    RankedTensorType getQueryType() { return getQuery().getType(); }
    RankedTensorType getInitType() { return getInit().getType(); }
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// MraAttentionOp
//===----------------------------------------------------------------------===//

def EffAttn_MraAttentionOp : EffAttn_Op<"mra_attention", [
    Pure,
    DestinationStyleOpInterface,
    AllElementTypesMatch<["query", "key", "value", "init"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "MRA-2 attention: block-sparse exact scores plus block means";
  let description = [{
    Multi-resolution attention (Zeng et al., ICML 2022) as the authors'
    MRA-2 code computes it, with blocks of `bs = block_size` tokens and
    `nb = N / bs` block rows. With the padding `mask` (1 = real token; it
    applies to queries and keys, so N == M), Q, K and V are first zeroed at
    padded tokens:

    ```
    cnt[J]     = number of real tokens of block J (bs without a mask)
    q̂_I, k̂_J, v̂_J = block sums / (cnt + 1e-6)             (block means)
    Lo[I, J]   = scale · q̂_I · k̂_J,   rowmax[I] = max_J Lo[I, J]
    Lo[I, J]  -= 1e4  if cnt[I] · cnt[J] == 0                (empty blocks)
    S[I, J]    = Lo[I, J] - rowmax[I] + 5e3 · [|I - J| <= prior_diagonal_blocks / 2]
                 + 5e3 · [I < prior_first_blocks] + 5e3 · [J < prior_first_blocks]
    ```
    (the diagonal prior only when `prior_diagonal_blocks > 0`; S is computed
    in f32 in this order, as the authors do).

    The `num_blocks` blocks with the largest S over the whole nb × nb grid of
    each batch element are selected (`blocks_per_row` instead gives
    `min(nb · blocks_per_row, nb²)`, the authors' rule). Ties are broken
    towards the smaller row-major block index, so exactly `num_blocks`
    blocks are always selected; the authors' `S >= k-th value` test could
    flag a tied block that top-k left out, which then contributed nothing.

    A query token i of block I gets exact scores `s_ij = scale · q_i · k_j`
    for the keys of its selected blocks (padded keys weigh 0); with
    `m_i` their maximum:
    ```
    hi_num_i = Σ exp(s_ij - m_i) · v_j,   hi_den_i = Σ exp(s_ij - m_i)
    ```
    `mode = "sparse"` (MRA-2-s) returns `hi_num / (hi_den + 1e-6)`.
    `mode = "full"` (MRA-2, the default) adds every unselected block J at
    low resolution, `w_IJ = cnt[J] · exp(Lo[I, J] - rowmax[I])`:
    ```
    lo_num_I = Σ_J w_IJ · v̂_J,   lo_den_I = Σ_J w_IJ,   R = max(m_i, rowmax[I])
    result_i = (e^(m_i-R) hi_num_i + e^(rowmax[I]-R) lo_num_I)
             / (e^(m_i-R) hi_den_i + e^(rowmax[I]-R) lo_den_I + 1e-6)
    ```
    Padded query rows are 0. With every block selected both modes are exact
    (masked) softmax attention up to the 1e-6 terms.

    Only the selected blocks are computed: the selection is a threshold
    search over the grid followed by a per-block-row list of selected key
    blocks, and each block row of queries runs an online softmax over the
    key and value blocks gathered from that list.

    Shapes: `query`, `key` `[B..., N, D]`, `value` `[B..., N, E]`, `mask`
    `[B..., N]` (i1), `init`/`result` `[B..., N, E]`. N must be static and a
    multiple of `block_size` (pad the sequence and mask the padding).
    `scale` defaults to `1/sqrt(D)`. Element types f32, f16, bf16; computed
    in f32.

    Example:

    ```mlir
    %r = effattn.mra_attention {blocks_per_row = 4, mode = "full"}
        ins(%q, %k, %v : tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>,
                         tensor<1x2x512x64xf32>)
        outs(%o : tensor<1x2x512x64xf32>) -> tensor<1x2x512x64xf32>
    ```
  }];

  let arguments = (ins EffAttn_FloatTensor:$query,
                       EffAttn_FloatTensor:$key,
                       EffAttn_FloatTensor:$value,
                       Optional<EffAttn_MaskTensor>:$mask,
                       EffAttn_FloatTensor:$init,
                       DefaultValuedAttr<I64Attr, "32">:$block_size,
                       OptionalAttr<I64Attr>:$num_blocks,
                       OptionalAttr<I64Attr>:$blocks_per_row,
                       DefaultValuedAttr<StrAttr, "\"full\"">:$mode,
                       DefaultValuedAttr<I64Attr, "0">:$prior_first_blocks,
                       DefaultValuedAttr<I64Attr, "0">:$prior_diagonal_blocks,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs EffAttn_FloatTensor:$result);

  let assemblyFormat = [{
    attr-dict
    `ins` `(` $query `,` $key `,` $value `:`
        type($query) `,` type($key) `,` type($value) `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let extraClassDeclaration = [{
    /// Returns the number of leading batch dimensions.
    int64_t getNumBatchDims() { return getQueryType().getRank() - 2; }
    RankedTensorType getQueryType() { return getQuery().getType(); }
    RankedTensorType getInitType() { return getInit().getType(); }
    /// Returns the number of block rows N / block_size (N is static).
    int64_t getNumBlockRows();
    /// Returns how many blocks are selected per batch element: `num_blocks`,
    /// or min(nb · blocks_per_row, nb²).
    int64_t getNumSelectedBlocks();
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// BlockSparseAttentionOp
//===----------------------------------------------------------------------===//

def EffAttn_BlockSparseAttentionOp : EffAttn_Op<"block_sparse_attention", [
    Pure, AttrSizedOperandSegments,
    AllElementTypesMatch<["query", "key", "value"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "Softmax attention over listed key blocks (MRA's high "
                "resolution)";
  let description = [{
    The high-resolution step of `effattn.mra_attention`, which emits it. The
    sequence of N tokens is cut into `R = N / bs` blocks of `bs =
    block_size`. Query token i of block I = i floordiv bs attends to the key
    blocks `J = columns[b, I, t]` for t < `counts[b, I]`, with scores
    `s_ij = scale · q_i · k_j`; with `m_i` their maximum (hidden keys
    included) and the keys the `mask` hides weighing 0:
    ```
    num_i = Σ exp(s_ij - m_i) · v_j,   den_i = Σ exp(s_ij - m_i)
    ```
    Without `low_resolution`, `result_i = num_i / (den_i + 1e-6)`. With it,
    the other blocks of row I contribute through `lo_num[b, I, :]`,
    `lo_den[b, I]` and their reference maximum `lo_max[b, I]`:
    ```
    R_i      = max(m_i, lo_max[I])
    result_i = (e^(m_i-R_i) num_i + e^(lo_max[I]-R_i) lo_num[I])
             / (e^(m_i-R_i) den_i + e^(lo_max[I]-R_i) lo_den[I] + 1e-6)
    ```
    A row with no listed block has m_i = -inf and num_i = den_i = 0. Rows
    the mask hides are 0. The listed blocks must lie in [0, R) and the
    counts in [0, C], and a row's blocks must be distinct; the op computes
    only those blocks.

    Shapes (one batch dimension): `query`, `key` `[BH, N, D]`, `value`
    and `result` `[BH, N, E]` (`query`, `key` and `value` f16, bf16 or f32,
    all three the same, read exactly as f32; the result f32), `columns` `[BH, R, C]` and `counts` `[BH, R]`
    (i32), `mask` `[BH, N]` (i1), `lo_num` `[BH, R, E]`, `lo_den` and
    `lo_max` `[BH, R]`. N must be static and a multiple of `block_size`.

    `effattn-decompose` lowers it to an `scf.forall` over block rows, each
    an online softmax over its gathered key and value blocks;
    `effattn-convert-to-gpu` to a flash kernel of one block of threads per
    block row that streams the listed key and value blocks through shared
    memory.

    Example:

    ```mlir
    %r = effattn.block_sparse_attention %q, %k, %v
        blocks(%columns, %counts) scale(%scale)
        {block_size = 32}
        : tensor<4x512x64xf32>, tensor<4x512x64xf32>, tensor<4x512x64xf32>,
          tensor<4x16x16xi32>, tensor<4x16xi32> -> tensor<4x512x64xf32>
    ```
  }];

  let arguments = (ins EffAttn_FloatTensor:$query,
                       EffAttn_FloatTensor:$key,
                       EffAttn_FloatTensor:$value,
                       RankedTensorOf<[I32]>:$columns,
                       RankedTensorOf<[I32]>:$counts,
                       F32:$scale,
                       Optional<EffAttn_MaskTensor>:$mask,
                       Optional<RankedTensorOf<[F32]>>:$lo_num,
                       Optional<RankedTensorOf<[F32]>>:$lo_den,
                       Optional<RankedTensorOf<[F32]>>:$lo_max,
                       I64Attr:$block_size);
  let results = (outs RankedTensorOf<[F32]>:$result);

  let assemblyFormat = [{
    $query `,` $key `,` $value `blocks` `(` $columns `,` $counts `)`
    `scale` `(` $scale `)`
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`low_resolution` `(` $lo_num^ `,` $lo_den `,` $lo_max `:`
        type($lo_num) `,` type($lo_den) `,` type($lo_max) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `,`
        type($columns) `,` type($counts) `->` type($result)
  }];

  let extraClassDeclaration = [{
    /// Added to every denominator (the MRA authors' 1e-6).
    static constexpr float kDenominatorEpsilon = 1.0e-6f;
    /// Returns the number of block rows N / block_size.
    int64_t getNumBlockRows() {
      return getQuery().getType().getDimSize(1) / getBlockSize();
    }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// KthLargestOp
//===----------------------------------------------------------------------===//

def EffAttn_KthLargestOp : EffAttn_Op<"kth_largest", [
    Pure,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "The k-th largest element of each row (the threshold of a "
                "top-k selection)";
  let description = [{
    For each row r of the i32 `input` `[R, L]`, the k-th largest of its L
    elements counted with multiplicity, `torch.topk(input, k).values[:, -1]`:
    the value t such that at least k elements of the row are >= t and fewer
    than k are > t (k = 1 gives the maximum, k = L the minimum). The result
    is `[R]`. L must be static and `1 <= k <= L`.

    `effattn.mra_attention` (its top-k blocks of each batch element) and
    `effattn.quantize` (its clipping percentile) emit it on integer keys
    whose signed order is the order of their f32 scores.

    `effattn-decompose` lowers it to a 32-step bisection over the i32 range,
    each step a counting reduction over the rows (`scf.for` over `[R]`
    tensors of bounds); `effattn-convert-to-gpu` to a radix selection, 8 bits
    per pass: per pass, one kernel counts the elements of each row that share
    the digits chosen so far in a histogram of their next digit, with many
    blocks per row, and one picks each row's next digit from it.

    Example:

    ```mlir
    %t = effattn.kth_largest %keys {k = 8} : tensor<4x256xi32> -> tensor<4xi32>
    ```
  }];

  let arguments = (ins RankedTensorOf<[I32]>:$input, I64Attr:$k);
  let results = (outs RankedTensorOf<[I32]>:$result);

  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// LookupFfnOp
//===----------------------------------------------------------------------===//

def EffAttn_LookupFfnOp : EffAttn_Op<"lookup_ffn", [
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<TilingInterface, [
      "getIterationDomain",
      "getLoopIteratorTypes",
      "getResultTilePosition",
      "getTiledImplementation",
      "generateResultTileValue"]>]> {
  let summary = "LookupFFN: an FFN replaced by hashed table lookups";
  let description = [{
    LookupFFN (Zeng et al., ICML 2024) as the authors' code computes it after
    its LayerNorm (which stays outside the op). For each token x `[D]`, with
    T tables of 2^τ rows (τ = `code_bits`):

    ```
    z        = projection(x)                       [T·τ], grouped [T, τ]
    code_t   = Σ_k (z[t, k] > 0) · 2^(τ-1-k)        first coordinate = MSB
    score_t  = Σ_k |z[t, k]| / Π_k (1 + e^(-2|z[t, k]|))
    result   = Σ_t score_t · tables[t, code_t, :] + bias
    ```

    `projection = "dense"`: `z = x · proj_weightᵀ + proj_bias` with
    `proj_weight [T·τ, D]` (a Linear's out × in) and `proj_bias [T·τ]`.

    `projection = "bh4"` (the authors' BH4): x is zero-padded to
    P = 2^⌈log₂ D⌉; for each of R = ⌈T·τ / P⌉ repeats r, four times
    `y ← H(blockdiag(W[r, j]) · y)` with the unnormalised Walsh–Hadamard
    transform H of length P and `proj_weight [R, 4, P/bs, bs, bs]`
    (`y[blk·bs + o] = Σ_i W[r, j, blk, o, i] · y[blk·bs + i]`); then
    `z = decay · concat_r(y_r) + (1 - decay) · tile(x, R)`, truncated to T·τ,
    plus `proj_bias`.

    Shapes: `input [tokens..., D]` (rank ≥ 2), `tables [T, 2^τ, D_out]`,
    `bias [D_out]`, `init`/`result` `[tokens..., D_out]`. Element types f32,
    f16, bf16 (each operand its own); computed in f32. An exact 0 gives bit 0.

    The iteration domain is `[tokens..., D_out]`, all parallel; a tile
    recomputes the codes of its tokens (tiling D_out repeats that work).

    Example:

    ```mlir
    %y = effattn.lookup_ffn {code_bits = 8}
        ins(%x, %w, %b, %tables, %bias : tensor<16x512x512xf32>,
            tensor<512x512xf32>, tensor<512xf32>, tensor<64x256x512xf32>,
            tensor<512xf32>)
        outs(%o : tensor<16x512x512xf32>) -> tensor<16x512x512xf32>
    ```
  }];

  let arguments = (ins EffAttn_FloatTensor:$input,
                       EffAttn_FloatTensor:$proj_weight,
                       EffAttn_FloatTensor:$proj_bias,
                       EffAttn_FloatTensor:$tables,
                       EffAttn_FloatTensor:$bias,
                       EffAttn_FloatTensor:$init,
                       DefaultValuedAttr<StrAttr, "\"dense\"">:$projection,
                       DefaultValuedAttr<I64Attr, "8">:$code_bits,
                       DefaultValuedAttr<F32Attr, "0.7f">:$decay);
  let results = (outs EffAttn_FloatTensor:$result);

  let assemblyFormat = [{
    attr-dict
    `ins` `(` $input `,` $proj_weight `,` $proj_bias `,` $tables `,` $bias `:`
        type($input) `,` type($proj_weight) `,` type($proj_bias) `,`
        type($tables) `,` type($bias) `)`
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let extraClassDeclaration = [{
    RankedTensorType getInputType() { return getInput().getType(); }
    RankedTensorType getTablesType() { return getTables().getType(); }
    RankedTensorType getInitType() { return getInit().getType(); }
    /// Returns T, the number of tables.
    int64_t getNumTables() { return getTablesType().getDimSize(0); }
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

def EffAttn_QuantizeOp : EffAttn_Op<"quantize", [
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "IM-Unpack's per-tensor round-to-nearest quantization";
  let description = [{
    Quantizes a float tensor to integers with one symmetric scale, as the
    IM-Unpack authors' RTN does (Zeng et al., ICML 2024):

    ```
    alpha  = max|x|                        (beta = 1)
           = k-th largest |x|, k = int(numel · (1 - beta))   (beta < 1)
    alpha  = max(alpha, 1e-20)
    scale  = fp32(fp32(1 / alpha) · levels / 2)
    result = round_half_to_even(fp32(x · scale))
    ```

    There is no clipping: entries above the percentile `alpha` (the heavy
    hitters) keep their large integers, which `effattn.unpacked_matmul`
    multiplies exactly. The scale is computed in torch's order (reciprocal,
    then product), which decides the .5 ties at |x| = alpha: with `beta = 1`
    and 15 levels the extremes land on ±8, one beyond the signed 4-bit range.
    Results outside the integer type saturate; NaN gives the type's minimum.

    The input needs a static shape (the percentile rank k is a compile-time
    constant). Element types f32, f16, bf16 in; i32 or i64 out; `scale` is a
    0-d f32 tensor.

    Example:

    ```mlir
    %q, %s = effattn.quantize {beta = 0.95, levels = 15}
        ins(%x : tensor<64x96xf32>)
        outs(%qi, %si : tensor<64x96xi32>, tensor<f32>)
        -> tensor<64x96xi32>, tensor<f32>
    ```
  }];

  let arguments = (ins EffAttn_FloatTensor:$input,
                       EffAttn_IntegerTensor:$init,
                       EffAttn_ScalarF32Tensor:$scale_init,
                       DefaultValuedAttr<F64Attr, "1.0">:$beta,
                       DefaultValuedAttr<I64Attr, "15">:$levels);
  let results = (outs EffAttn_IntegerTensor:$result,
                      EffAttn_ScalarF32Tensor:$scale);

  let assemblyFormat = [{
    attr-dict `ins` `(` $input `:` type($input) `)`
    `outs` `(` $init `,` $scale_init `:` type($init) `,` type($scale_init) `)`
    `->` type($result) `,` type($scale)
  }];

  let extraClassDeclaration = [{
    RankedTensorType getInputType() { return getInput().getType(); }
    /// Returns k, the rank of alpha among the magnitudes (1 for beta = 1).
    int64_t getPercentileRank();
    MutableOperandRange getDpsInitsMutable() {
      return MutableOperandRange(getOperation(), 1, 2);
    }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// UnpackedMatmulOp
//===----------------------------------------------------------------------===//

def EffAttn_UnpackedMatmulOp : EffAttn_Op<"unpacked_matmul", [
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "Exact integer A·Bᵀ from b-bit products only (IM-Unpack)";
  let description = [{
    Computes `result = lhs · rhsᵀ` exactly for integer `lhs [M, K]` and
    `rhs [N, K]` of any magnitude, multiplying only `bits`-bit signed
    integers (IM-Unpack, Zeng et al., ICML 2024). With `s = 2^(bits-1)`:

    `strategy = "row"` splits every row x of an operand whose entries do
    not all satisfy |x| < s into d base-s digit rows (floor division:
    `x = Σ_j digit_j · s^j`, digits `0 <= digit_j < s` except the last,
    which keeps the sign and |digit| < s). The unpacked operands
    `lhs' [M', K]`, `rhs' [N', K]` (M', N' known only at run time) are
    stored as i8 and multiplied with i32 accumulation; the packing step
    adds each product row and column back into its original row and column
    shifted by its digits' weight, in i64:
    ```
    result[i, j] = Σ_u Σ_v (lhs'[off_i + u] · rhs'[off_j + v]) << ((u + v)·(bits - 1))
    ```
    A row that needs no split stays one row: the overhead is
    `(M'/M)·(N'/N)`.

    `strategy = "column"` splits the inner dimension instead: column j of
    `lhs` needs dA_j digits and of `rhs` dB_j; the unpacked inner dimension
    K'' = Σ_j dA_j·dB_j holds every digit pair (u, v), grouped by its weight
    `e = u + v`; each group is one low-bit GEMM (in chunks of at most K
    columns) added into the result shifted by `e·(bits - 1)`. The overhead
    is `K''/K`.

    `strategy = "both"` is the authors' greedy mix: while some entry is too
    large, split the row or inner column with the most large entries (rows
    on equal counts, the first in the authors' order on ties); first lhs
    against rhs, then rhs against the unpacked lhs. The unpacked sizes equal
    the authors' (`effattn.unpacked_sizes` returns them) and the product is
    computed like the other two: digit rows, inner columns grouped by
    weight, one low-bit GEMM per weight, packing in i64.

    Limits: K static with `K · (s - 1)² < 2^31` (checked by the verifier),
    so that the i32 accumulation of b-bit products cannot overflow; and
    `K · max|lhs| · max|rhs| <= 2^63 - 1`, checked at run time: beyond it the
    compiled function returns `EFFATTN_ERROR_OUT_OF_RANGE` instead of a
    result (every sum is exact modulo 2^64, so within it the result is
    exact).

    With a `lowering_config` (`#effattn.pair_gemm_config`, set by
    `effattn-configure-lowering` or by the user) the low-bit GEMMs run as
    register-tiled i16-pair multiply-adds on packed operands instead of
    target-independent linalg on a CPU; a GPU target does not use it.

    Example:

    ```mlir
    %c = effattn.unpacked_matmul {bits = 4, strategy = "row"}
        ins(%a, %b : tensor<64x96xi64>, tensor<80x96xi64>)
        outs(%init : tensor<64x80xi64>) -> tensor<64x80xi64>
    ```
  }];

  let arguments = (ins EffAttn_IntegerTensor:$lhs,
                       EffAttn_IntegerTensor:$rhs,
                       RankedTensorOf<[I64]>:$init,
                       DefaultValuedAttr<I64Attr, "8">:$bits,
                       DefaultValuedAttr<StrAttr, "\"row\"">:$strategy,
                       OptionalAttr<EffAttn_PairGemmConfigAttr>:$lowering_config);
  let results = (outs RankedTensorOf<[I64]>:$result);

  let assemblyFormat = [{
    attr-dict `ins` `(` $lhs `,` $rhs `:` type($lhs) `,` type($rhs) `)`
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let extraClassDeclaration = [{
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// UnpackedSizesOp
//===----------------------------------------------------------------------===//

def EffAttn_UnpackedSizesOp : EffAttn_Op<"unpacked_sizes", [
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "The data-dependent sizes of an IM-Unpack product";
  let description = [{
    The unpack step of `effattn.unpacked_matmul` on its own, so that the
    unpacked shapes can be inspected: returns `[M', N', K'']`, the rows of
    the unpacked `lhs`, of the unpacked `rhs` and their shared inner
    dimension, for the same `bits` and `strategy`. The GEMM overhead of the
    unpacked product is `(M'/M)·(N'/N)·(K''/K)`; for the authors' data these
    are the shapes of their unpacked matrices.

    Example:

    ```mlir
    %s = effattn.unpacked_sizes {bits = 4, strategy = "both"}
        ins(%a, %b : tensor<64x96xi64>, tensor<80x96xi64>)
        outs(%init : tensor<3xi64>) -> tensor<3xi64>
    ```
  }];

  let arguments = (ins EffAttn_IntegerTensor:$lhs,
                       EffAttn_IntegerTensor:$rhs,
                       RankedTensorOf<[I64]>:$init,
                       DefaultValuedAttr<I64Attr, "8">:$bits,
                       DefaultValuedAttr<StrAttr, "\"row\"">:$strategy);
  let results = (outs RankedTensorOf<[I64]>:$result);

  let assemblyFormat = [{
    attr-dict `ins` `(` $lhs `,` $rhs `:` type($lhs) `,` type($rhs) `)`
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let extraClassDeclaration = [{
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// FrameQuantizeOp
//===----------------------------------------------------------------------===//

def EffAttn_FrameQuantizeOp : EffAttn_Op<"frame_quantize", [Pure]> {
  let summary = "FrameQuant: weights to low-bit codes in a fusion-frame basis";
  let description = [{
    Quantizes the weights `W [out, in]` of a linear layer to `bits`-bit codes
    in a tight-frame basis (FrameQuant, Adepu et al., ICML 2024), with
    round-to-nearest per row (the authors run GPTQ at this point; the
    quantizer is one function, `quantizeFrameWeights`, so that GPTQ can take
    its place):

    ```
    T_x    = P_x · H · diag(s_x)     s: ±1 from MT19937(seed), H: orthonormal
                                     Walsh-Hadamard on chunks of the largest
                                     power-of-two divisor, P: 16-wide
                                     modulated tight-frame blocks, k = round(8
                                     · redundancy) (2k rows per 16 columns)
    W_t    = T_out · W · T_inᵀ       (W · T_inᵀ when seed_out is absent)
    per row of W_t, maxq = 2^bits - 1, std unbiased:
      scale = x_sigma · std / (maxq / 2)
      zero  = round((1 - mean / (2 · std)) · maxq / 2)
      codes = clamp(round(clamp(w, mean ± 2·std) / scale) + zero, 0, maxq)
    ```

    `W_t` has R = 2k·out/16 rows (`out` without `seed_out`) and C = 2k·in/16
    columns, in the authors' coefficient-major order. The results are the
    codes packed into i32 words `[ceil(R/16), words, 16]` (n = 32/bits
    codes per word: word `(g, w, l)` holds row `16·g + l`, column `w·n + i`
    in bits `[i·bits, (i+1)·bits)`; `words` = ceil(C / n); unused fields
    are 0), and `scale`, `zero` `[R]`.

    The op runs at compile time: `effattn-quantize-weights` replaces it by
    constants when `W` is a constant, so that a compiled model holds only
    the packed codes; weights that are not constant are an error there. The
    frame blocks use exact angles (Parseval to rounding); the authors round
    them to f32, which changes no code on their vectors but leaves `PᵀP`
    off the identity by 1.7e-4 at d = 4096.

    Example (4096 × 4096, 2 bits, redundancy 1.1: R = C = 4608):

    ```mlir
    %codes, %scale, %zero = effattn.frame_quantize
        {bits = 2, redundancy = 1.1, seed_in = 0, seed_out = 1}
        %w : tensor<4096x4096xf32>
        -> tensor<288x288x16xi32>, tensor<4608xf32>, tensor<4608xf32>
    ```
  }];

  let arguments = (ins RankedTensorOf<[F32]>:$weights,
                       DefaultValuedAttr<I64Attr, "2">:$bits,
                       DefaultValuedAttr<F64Attr, "1.0">:$redundancy,
                       DefaultValuedAttr<I64Attr, "0">:$seed_in,
                       OptionalAttr<I64Attr>:$seed_out,
                       DefaultValuedAttr<F64Attr, "2.0">:$x_sigma);
  let results = (outs RankedTensorOf<[I32]>:$codes,
                      RankedTensorOf<[F32]>:$scale,
                      RankedTensorOf<[F32]>:$zero);

  let assemblyFormat = [{
    attr-dict $weights `:` type($weights) `->` type($codes) `,` type($scale)
    `,` type($zero)
  }];

  let extraClassDeclaration = [{
    /// Returns the parameters shared with effattn.frame_linear.
    FrameQuantConfig getConfig();
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// FrameLinearOp
//===----------------------------------------------------------------------===//

def EffAttn_FrameLinearOp : EffAttn_Op<"frame_linear", [
    Pure,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "FrameQuant linear layer computed from packed low-bit codes";
  let description = [{
    Computes `result = input · Ŵᵀ` for the weights `effattn.frame_quantize`
    packed (same `bits`, `redundancy` and seeds), with
    `Ŵ = T_outᵀ · (scale · (codes − zero)) · T_in`, without building `Ŵ`:

    ```
    x_t    = T_in · x                                  [..., C]
    y_t[r] = scale[r] · (Σ_c codes[r, c] · x_t[c] − zero[r] · Σ_c x_t[c])
    result = T_outᵀ · y_t                              (y_t without seed_out)
    ```

    The product reads the packed words directly: a vector of words yields,
    per shift and mask, the codes of consecutive columns, converted to f32
    and multiplied into the transformed activations; the zero point is one
    correction per row. Both transforms are O(d · (log d + 16k)) per row:
    sign flips, Walsh-Hadamard butterflies and the 16-wide frame blocks
    (constants of at most 9 distinct blocks, rebuilt from the attributes).

    `input [..., in]` (batch dimensions may be dynamic, `in` static and a
    multiple of 16), `codes [ceil(R/16), words, 16]`, `scale` and `zero`
    `[R]`, `init` `[..., out]`, all as described at
    `effattn.frame_quantize`.

    Example:

    ```mlir
    %y = effattn.frame_linear {bits = 2, redundancy = 1.1, seed_in = 0,
                               seed_out = 1}
        ins(%x, %codes, %scale, %zero : tensor<?x4096xf32>,
            tensor<288x288x16xi32>, tensor<4608xf32>, tensor<4608xf32>)
        outs(%init : tensor<?x4096xf32>) -> tensor<?x4096xf32>
    ```
  }];

  let arguments = (ins RankedTensorOf<[F32]>:$input,
                       RankedTensorOf<[I32]>:$codes,
                       RankedTensorOf<[F32]>:$scale,
                       RankedTensorOf<[F32]>:$zero,
                       RankedTensorOf<[F32]>:$init,
                       DefaultValuedAttr<I64Attr, "2">:$bits,
                       DefaultValuedAttr<F64Attr, "1.0">:$redundancy,
                       DefaultValuedAttr<I64Attr, "0">:$seed_in,
                       OptionalAttr<I64Attr>:$seed_out);
  let results = (outs RankedTensorOf<[F32]>:$result);

  let assemblyFormat = [{
    attr-dict `ins` `(` $input `,` $codes `,` $scale `,` $zero `:`
    type($input) `,` type($codes) `,` type($scale) `,` type($zero) `)`
    `outs` `(` $init `:` type($init) `)` `->` type($result)
  }];

  let extraClassDeclaration = [{
    /// Returns the parameters shared with effattn.frame_quantize.
    FrameQuantConfig getConfig();
    MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// TableLookupOp
//===----------------------------------------------------------------------===//

def EffAttn_TableLookupOp : EffAttn_Op<"table_lookup", [
    Pure, AllTypesMatch<["table", "result"]>]> {
  let summary = "Per-lane lookup in a 16-entry vector table";
  let description = [{
    `result[i] = table[indices[i] mod 16]`: each lane selects one of the 16
    table entries by the low 4 bits of its index (the semantics of x86's
    `vpermps` on 512-bit vectors, which ignores the upper bits). The packed
    product of `effattn.frame_linear` emits it for 2-bit codes on AVX-512
    targets; `effattn-lower-vector-ops` lowers it to that instruction when
    the module's `#effattn.cpu` target has `avx512f`, else to per-lane
    extracts.

    Example:

    ```mlir
    %r = effattn.table_lookup %table[%indices] : vector<16xf32>, vector<16xi32>
    ```
  }];

  let arguments = (ins VectorOfLengthAndType<[16], [F32]>:$table,
                       VectorOfLengthAndType<[16], [I32]>:$indices);
  let results = (outs VectorOfLengthAndType<[16], [F32]>:$result);

  let assemblyFormat = [{
    $table `[` $indices `]` attr-dict `:` type($table) `,` type($indices)
  }];
}

//===----------------------------------------------------------------------===//
// MultiplyAddPairsOp
//===----------------------------------------------------------------------===//

def EffAttn_MultiplyAddPairsOp : EffAttn_Op<"multiply_add_pairs", [
    Pure, AllTypesMatch<["lhs", "rhs"]>, AllTypesMatch<["acc", "result"]>]> {
  let summary = "acc + sums of adjacent i16 products, lane by lane";
  let description = [{
    `result[i] = acc[i] + lhs[2i]·rhs[2i] + lhs[2i+1]·rhs[2i+1]`, the i16
    operands sign-extended to i32 and the sums wrapping modulo 2^32 (x86's
    `vpmaddwd` followed by an add, or AVX-512 VNNI's `vpdpwssd`). The pair
    kernel of `effattn.unpacked_matmul` emits it;
    `effattn-lower-vector-ops` lowers it to that instruction when the
    module's `#effattn.cpu` target has it for the vector length (4 lanes:
    SSE2, 8: AVX2, 16: AVX-512BW), else to shuffles, sign extensions,
    products and sums.

    Example:

    ```mlir
    %r = effattn.multiply_add_pairs %x, %y, %acc : vector<32xi16>, vector<16xi32>
    ```
  }];

  let arguments = (ins VectorOfRankAndType<[1], [I16]>:$lhs,
                       VectorOfRankAndType<[1], [I16]>:$rhs,
                       VectorOfRankAndType<[1], [I32]>:$acc);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);

  let assemblyFormat = [{
    $lhs `,` $rhs `,` $acc attr-dict `:` type($lhs) `,` type($acc)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// FailIfOp
//===----------------------------------------------------------------------===//

def EffAttn_FailIfOp : EffAttn_Op<"fail_if", [
    MemoryEffects<[MemWrite]>]> {
  let summary = "Report a data-dependent error from compiled code";
  let description = [{
    When `condition` holds at run time, the compiled function returns
    `status` (an `effattn_status` code other than `EFFATTN_OK`) and
    `<module>_last_error()` returns `message`; the results of that call are
    unspecified. Decompositions emit it for errors that depend on the data,
    not on shapes (e.g. an integer product that would overflow). Execution
    continues, so the code after it must stay memory-safe for any data.
    `effattn-lower-runtime-errors` lowers it to a call of the runtime's
    `effattn_fail`; it must run on the calling thread (outside parallel
    regions).

    Example:

    ```mlir
    effattn.fail_if %overflow, "effattn.unpacked_matmul: overflow" {status = 4 : i32}
    ```
  }];

  let arguments = (ins I1:$condition, StrAttr:$message, I32Attr:$status);

  let assemblyFormat = "$condition `,` $message attr-dict";

  let hasVerifier = 1;
}

#endif // EFFATTN_DIALECT_EFFATTN_IR_EFFATTNOPS_TD
