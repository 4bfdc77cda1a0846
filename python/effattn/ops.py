"""effattn ops on numpy arrays, compiled for this CPU.

Each function has exactly the signature of its oracle in
`effattn.reference`. It builds a one-op module for the given shapes, dtypes
and attributes, compiles it with `effattn.compile` (cached in memory and on
disk by signature) and runs it. float32 and float16 inputs keep their dtype;
other inputs are computed in float32.
"""

import functools

import numpy as np

from . import compiler

_ELEMENT_TYPES = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16"}


def _tensor_type(shape, element_type):
    return "tensor<" + "".join(f"{d}x" for d in shape) + element_type + ">"


def _float_operands(*arrays):
    """Converts arrays to one float dtype effattn computes with."""
    dtype = np.result_type(*arrays)
    if dtype not in _ELEMENT_TYPES:
        dtype = np.dtype(np.float32)
    return [np.ascontiguousarray(a, dtype=dtype) for a in arrays]


@functools.lru_cache(maxsize=128)
def _attention_module(q_shape, k_shape, v_shape, element_type, masked, scale, causal):
    out_shape = q_shape[:-1] + v_shape[-1:]
    tq, tk, tv, to = (_tensor_type(s, element_type)
                      for s in (q_shape, k_shape, v_shape, out_shape))
    tm = _tensor_type(k_shape[:-1], "i1")
    attrs = (["causal"] if causal else []) + (
        [f"scale = {scale:.9e} : f32"] if scale is not None else [])
    attr_dict = "{" + ", ".join(attrs) + "} " if attrs else ""
    mask_arg = f", %mask: {tm}" if masked else ""
    mask_clause = f" mask(%mask : {tm})" if masked else ""
    text = (
        f"func.func @attention(%q: {tq}, %k: {tk}, %v: {tv}{mask_arg}) -> {to} {{\n"
        f"  %init = tensor.empty() : {to}\n"
        f"  %r = effattn.attention {attr_dict}ins(%q, %k, %v : {tq}, {tk}, {tv})"
        f"{mask_clause} outs(%init : {to}) -> {to}\n"
        f"  return %r : {to}\n}}\n")
    return compiler.compile(text, module_name="attention")


def attention(q, k, v, mask=None, scale=None, causal=False):
    """Exact softmax attention; see `effattn.reference.attention`."""
    q, k, v = _float_operands(q, k, v)
    args = [q, k, v]
    if mask is not None:
        # [batch..., M] with fewer batch dims broadcasts over the trailing
        # ones (the heads), as in the oracle.
        mask = np.asarray(mask) != 0
        while mask.ndim < q.ndim - 1:
            mask = mask[..., None, :]
        args.append(np.ascontiguousarray(np.broadcast_to(mask, k.shape[:-1])))
    module = _attention_module(q.shape, k.shape, v.shape, _ELEMENT_TYPES[q.dtype],
                               mask is not None,
                               None if scale is None else float(scale), bool(causal))
    return module.attention(*args)
