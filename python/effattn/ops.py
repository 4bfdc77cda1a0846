"""effattn ops on numpy arrays, compiled for this CPU.

Each function has exactly the signature of its oracle in
`effattn.reference`. It builds a one-op module for the given shapes, dtypes
and attributes, compiles it with `effattn.compile` (cached in memory and on
disk by signature) and runs it. float32 and float16 inputs keep their dtype;
other inputs are computed in float32.

Ops compile for this CPU unless a `with effattn.ops.target("cuda:sm_90"):`
block names another target (a GPU library takes device pointers; the
callables copy the arrays there and back). `target("cuda:sm_90",
emulate_gpu=True)` runs the GPU lowering's kernels on this CPU instead.
"""

import contextlib
import functools

import numpy as np

from . import compiler, reference

_ELEMENT_TYPES = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
                  np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
                  np.dtype(np.bool_): "i1"}


def _tensor_type(shape, element_type):
    return "tensor<" + "".join(f"{d}x" for d in shape) + element_type + ">"


def _float_operands(*arrays):
    """Converts arrays to one float dtype effattn computes with."""
    dtype = np.result_type(*arrays)
    if dtype not in (np.float32, np.float16):
        dtype = np.dtype(np.float32)
    return [np.ascontiguousarray(a, dtype=dtype) for a in arrays]


def _key_padding_mask(mask, x):
    """A boolean [batch..., n] mask for x [batch..., n, d]; a mask with fewer
    batch dimensions broadcasts over the trailing ones (the heads), as in the
    oracles."""
    mask = np.asarray(mask) != 0
    while mask.ndim < x.ndim - 1:
        mask = mask[..., None, :]
    return np.ascontiguousarray(np.broadcast_to(mask, x.shape[:-1]))


#: (target name, emulate_gpu, further effattn.compile options as sorted
#: (keyword, value) pairs).
_target = ("host", False, ())


@contextlib.contextmanager
def target(name, emulate_gpu=False, **options):
    """Compiles and runs the ops called in the block for `name` ("host", an
    LLVM CPU name, or "cuda:sm_80" / "cuda:sm_90"); see `effattn.compile`
    for `emulate_gpu` and the other options (`attention_warp_rows`,
    `f32_contractions`)."""
    global _target
    previous, _target = _target, (name, emulate_gpu, tuple(sorted(options.items())))
    try:
        yield
    finally:
        _target = previous


@functools.lru_cache(maxsize=256)
def _one_op_module(op, attrs, inputs, clauses, out_type, target="host",
                   emulate_gpu=False, options=()):
    """Compiles `func.func @<op>` applying `effattn.<op>` once.

    attrs: attribute strings; inputs: types of the `ins` operands; clauses:
    (keyword, type) of the optional operands, in the op's order.
    """
    params = [f"%in{i}: {t}" for i, t in enumerate(inputs)]
    params += [f"%{keyword}: {t}" for keyword, t in clauses]
    attr_dict = "{" + ", ".join(attrs) + "} " if attrs else ""
    names = ", ".join(f"%in{i}" for i in range(len(inputs)))
    clause_text = "".join(f" {keyword}(%{keyword} : {t})" for keyword, t in clauses)
    text = (
        f"func.func @{op}({', '.join(params)}) -> {out_type} {{\n"
        f"  %init = tensor.empty() : {out_type}\n"
        f"  %r = effattn.{op} {attr_dict}ins({names} : {', '.join(inputs)}){clause_text}"
        f" outs(%init : {out_type}) -> {out_type}\n"
        f"  return %r : {out_type}\n}}\n")
    return compiler.compile(text, target=target, module_name=op,
                            emulate_gpu=emulate_gpu, **dict(options))


def _run_one_op(op, attrs, inputs, clauses, out_shape):
    """Runs effattn.<op> on arrays; clauses are (keyword, array or None)."""
    clauses = [(keyword, array) for keyword, array in clauses if array is not None]

    def type_of(array):
        return _tensor_type(array.shape, _ELEMENT_TYPES[array.dtype])

    module = _one_op_module(
        op, tuple(attrs), tuple(type_of(a) for a in inputs),
        tuple((keyword, type_of(a)) for keyword, a in clauses),
        _tensor_type(out_shape, _ELEMENT_TYPES[inputs[0].dtype]), *_target)
    return getattr(module, op)(*inputs, *(a for _, a in clauses))


def attention(q, k, v, mask=None, scale=None, causal=False):
    """Exact softmax attention; see `effattn.reference.attention`."""
    q, k, v = _float_operands(q, k, v)
    attrs = (["causal"] if causal else []) + (
        [f"scale = {float(scale):.9e} : f32"] if scale is not None else [])
    mask = None if mask is None else _key_padding_mask(mask, k)
    return _run_one_op("attention", attrs, [q, k, v], [("mask", mask)],
                       q.shape[:-1] + v.shape[-1:])


def nystrom_attention(q, k, v, mask=None, num_landmarks=64, pinv_iterations=6,
                      pinv_init="original", conv_weight=None):
    """Nyströmformer attention; see `effattn.reference.nystrom_attention`."""
    q, k, v = _float_operands(q, k, v)
    attrs = [f"num_landmarks = {int(num_landmarks)}",
             f"pinv_iterations = {int(pinv_iterations)}", f'pinv_init = "{pinv_init}"']
    mask = None if mask is None else _key_padding_mask(mask, q)
    if conv_weight is not None:
        conv_weight = np.asarray(conv_weight)
        conv_weight = np.ascontiguousarray(
            conv_weight.reshape(conv_weight.shape[0], -1), dtype=q.dtype)
    return _run_one_op("nystrom_attention", attrs, [q, k, v],
                       [("mask", mask), ("conv_weight", conv_weight)],
                       q.shape[:-1] + v.shape[-1:])


def yoso_attention(q, k, v, mask=None, mode="expectation", hash_bits=8, num_hashes=None,
                   projection=None, version=1):
    """YOSO attention; see `effattn.reference.yoso_attention`."""
    q, k, v = _float_operands(q, k, v)
    attrs = [f'mode = "{mode}"', f"hash_bits = {int(hash_bits)}", f"version = {int(version)}"]
    if num_hashes is not None:
        attrs.append(f"num_hashes = {int(num_hashes)}")
    mask = None if mask is None else _key_padding_mask(mask, q)
    if projection is not None:
        projection = np.ascontiguousarray(projection, dtype=q.dtype)
    return _run_one_op("yoso_attention", attrs, [q, k, v],
                       [("mask", mask), ("projection", projection)],
                       q.shape[:-1] + v.shape[-1:])


def mra_attention(q, k, v, mask=None, block_size=32, num_blocks=None,
                  blocks_per_row=None, mode="full", prior_first_blocks=0,
                  prior_diagonal_blocks=0, scale=None):
    """MRA-2 attention; see `effattn.reference.mra_attention`."""
    q, k, v = _float_operands(q, k, v)
    attrs = [f"block_size = {int(block_size)}", f'mode = "{mode}"',
             f"prior_first_blocks = {int(prior_first_blocks)}",
             f"prior_diagonal_blocks = {int(prior_diagonal_blocks)}"]
    if num_blocks is not None:
        attrs.append(f"num_blocks = {int(num_blocks)}")
    if blocks_per_row is not None:
        attrs.append(f"blocks_per_row = {int(blocks_per_row)}")
    if scale is not None:
        attrs.append(f"scale = {float(scale):.9e} : f32")
    mask = None if mask is None else _key_padding_mask(mask, q)
    return _run_one_op("mra_attention", attrs, [q, k, v], [("mask", mask)],
                       q.shape[:-1] + v.shape[-1:])


def lookup_ffn(x, proj_weight, proj_bias, tables, bias, code_bits=8, projection="dense",
               decay=0.7):
    """LookupFFN after its LayerNorm; see `effattn.reference.lookup_ffn`.
    Every operand keeps its own float dtype (x's when not floating)."""
    (x,) = _float_operands(x)

    def same_kind(a):
        a = np.asarray(a)
        return np.ascontiguousarray(a if a.dtype in _ELEMENT_TYPES and a.dtype.kind == "f"
                                    else a.astype(x.dtype))
    operands = [x] + [same_kind(a) for a in (proj_weight, proj_bias, tables, bias)]
    attrs = [f'projection = "{projection}"', f"code_bits = {int(code_bits)}",
             f"decay = {float(decay):.9e} : f32"]
    return _run_one_op("lookup_ffn", attrs, operands, [],
                       x.shape[:-1] + operands[3].shape[-1:])


@functools.lru_cache(maxsize=64)
def _quantize_module(input_type, result_type, beta, levels, target="host",
                     emulate_gpu=False, options=()):
    text = (
        f"func.func @quantize(%x: {input_type}) -> ({result_type}, tensor<f32>) {{\n"
        f"  %q0 = tensor.empty() : {result_type}\n"
        f"  %s0 = tensor.empty() : tensor<f32>\n"
        f"  %q, %s = effattn.quantize {{beta = {beta!r} : f64, levels = {levels}}}"
        f" ins(%x : {input_type}) outs(%q0, %s0 : {result_type}, tensor<f32>)"
        f" -> {result_type}, tensor<f32>\n"
        f"  return %q, %s : {result_type}, tensor<f32>\n}}\n")
    return compiler.compile(text, target=target, module_name="quantize",
                            emulate_gpu=emulate_gpu, **dict(options))


def quantize(x, beta=1.0, levels=15):
    """IM-Unpack RTN quantisation; see `effattn.reference.quantize`.
    Returns (int64 array, float32 scale)."""
    (x,) = _float_operands(x)
    module = _quantize_module(_tensor_type(x.shape, _ELEMENT_TYPES[x.dtype]),
                              _tensor_type(x.shape, "i64"), float(beta), int(levels),
                              *_target)
    q, scale = module.quantize(x)
    return q, np.float32(scale)


def unpacked_matmul(a, b, bits=8, strategy="row"):
    """Exact a @ b.T (int64) from bits-bit products; see
    `effattn.reference.unpacked_matmul`."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    attrs = [f"bits = {int(bits)}", f'strategy = "{strategy}"']
    return _run_one_op("unpacked_matmul", attrs, [a, b], [],
                       (a.shape[0], b.shape[0]))


def unpacked_sizes(a, b, bits=8, strategy="row"):
    """The unpacked sizes [M', N', K''] (int64) of IM-Unpack's product of
    a [M, K] and b [N, K]; the GEMM overhead is (M'/M)·(N'/N)·(K''/K)."""
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    attrs = [f"bits = {int(bits)}", f'strategy = "{strategy}"']
    return _run_one_op("unpacked_sizes", attrs, [a, b], [], (3,))


def _frame_attrs(bits, redundancy, seed_in, seed_out):
    attrs = [f"bits = {int(bits)}", f"redundancy = {float(redundancy)!r} : f64",
             f"seed_in = {int(seed_in)}"]
    if seed_out is not None:
        attrs.append(f"seed_out = {int(seed_out)}")
    return attrs


def frame_quantize(w, bits=2, redundancy=1.0, seed_in=0, seed_out=1, x_sigma=2.0):
    """FrameQuant at compile time; see `effattn.reference.frame_quantize`.
    Compiles a module holding `w` as a constant (the compiler quantizes it
    into packed codes) and returns a `reference.FramePacked` whose `packed`
    words are the compiled module's."""
    w = np.ascontiguousarray(w, dtype=np.float32)
    out, inn = w.shape
    k = int(round(8 * redundancy))
    rows = 2 * k * out // 16 if seed_out is not None else out
    cols = 2 * k * inn // 16
    codes_type = _tensor_type(reference.packed_shape(rows, cols, bits), "i32")
    vector_type = _tensor_type((rows,), "f32")
    attrs = _frame_attrs(bits, redundancy, seed_in, seed_out)
    attrs.append(f"x_sigma = {float(x_sigma)!r} : f64")
    results = f"{codes_type}, {vector_type}, {vector_type}"
    text = (
        f"func.func @frame_quantize() -> ({results}) {{\n"
        f"  %w = arith.constant dense<\"0x{w.tobytes().hex().upper()}\"> : "
        f"{_tensor_type(w.shape, 'f32')}\n"
        f"  %c, %s, %z = effattn.frame_quantize {{{', '.join(attrs)}}} %w : "
        f"{_tensor_type(w.shape, 'f32')} -> {results}\n"
        f"  return %c, %s, %z : {results}\n}}\n")
    module = compiler.compile(text, target=_target[0], module_name="frame_quantize",
                              emulate_gpu=_target[1], **dict(_target[2]))
    words, scale, zero = module.frame_quantize()
    blocks_in = reference.frame_blocks(inn, redundancy, float32_angles=False)
    blocks_out = (reference.frame_blocks(out, redundancy, float32_angles=False)
                  if seed_out is not None else None)
    packed = reference.FramePacked(
        reference.unpack_frame_codes(words, rows, cols, bits), scale.reshape(-1, 1),
        zero.reshape(-1, 1), bits, seed_in, seed_out, blocks_in, blocks_out, w.shape)
    packed.compiled_words = words
    return packed


def frame_linear(x, packed):
    """x [..., in] @ W_hatᵀ from the packed codes; see
    `effattn.reference.frame_linear`."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    redundancy = packed.blocks_in.shape[1] / 16
    attrs = _frame_attrs(packed.bits, redundancy, packed.seed_in, packed.seed_out)
    words = np.ascontiguousarray(getattr(packed, "compiled_words", None)
                                 if hasattr(packed, "compiled_words") else packed.packed)
    scale = np.ascontiguousarray(packed.scale.reshape(-1), dtype=np.float32)
    zero = np.ascontiguousarray(packed.zero.reshape(-1), dtype=np.float32)
    return _run_one_op("frame_linear", attrs, [x, words, scale, zero], [],
                       x.shape[:-1] + (packed.shape[0],))
