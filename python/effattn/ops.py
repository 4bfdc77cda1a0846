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
        args.append(_key_padding_mask(mask, k))
    module = _attention_module(q.shape, k.shape, v.shape, _ELEMENT_TYPES[q.dtype],
                               mask is not None,
                               None if scale is None else float(scale), bool(causal))
    return module.attention(*args)


@functools.lru_cache(maxsize=128)
def _nystrom_module(q_shape, v_shape, element_type, masked, conv_shape, num_landmarks,
                    pinv_iterations, pinv_init):
    out_shape = q_shape[:-1] + v_shape[-1:]
    tq, tv, to = (_tensor_type(s, element_type) for s in (q_shape, v_shape, out_shape))
    tm = _tensor_type(q_shape[:-1], "i1")
    tw = _tensor_type(conv_shape, element_type) if conv_shape else None
    args = f"%q: {tq}, %k: {tq}, %v: {tv}"
    clauses = ""
    if masked:
        args += f", %mask: {tm}"
        clauses += f" mask(%mask : {tm})"
    if conv_shape:
        args += f", %w: {tw}"
        clauses += f" conv_weight(%w : {tw})"
    attrs = (f"{{num_landmarks = {num_landmarks}, pinv_iterations = {pinv_iterations}, "
             f'pinv_init = "{pinv_init}"}}')
    text = (
        f"func.func @nystrom_attention({args}) -> {to} {{\n"
        f"  %init = tensor.empty() : {to}\n"
        f"  %r = effattn.nystrom_attention {attrs} ins(%q, %k, %v : {tq}, {tq}, {tv})"
        f"{clauses} outs(%init : {to}) -> {to}\n"
        f"  return %r : {to}\n}}\n")
    return compiler.compile(text, module_name="nystrom_attention")


def _key_padding_mask(mask, q):
    """A boolean [batch..., n] mask, broadcast over the heads like the oracle."""
    mask = np.asarray(mask) != 0
    while mask.ndim < q.ndim - 1:
        mask = mask[..., None, :]
    return np.ascontiguousarray(np.broadcast_to(mask, q.shape[:-1]))


def nystrom_attention(q, k, v, mask=None, num_landmarks=64, pinv_iterations=6,
                      pinv_init="original", conv_weight=None):
    """Nyströmformer attention; see `effattn.reference.nystrom_attention`."""
    q, k, v = _float_operands(q, k, v)
    args = [q, k, v]
    if mask is not None:
        args.append(_key_padding_mask(mask, q))
    conv_shape = None
    if conv_weight is not None:
        weight = np.asarray(conv_weight)
        weight = np.ascontiguousarray(weight.reshape(weight.shape[0], -1), dtype=q.dtype)
        conv_shape = weight.shape
        args.append(weight)
    module = _nystrom_module(q.shape, v.shape, _ELEMENT_TYPES[q.dtype], mask is not None,
                             conv_shape, int(num_landmarks), int(pinv_iterations),
                             str(pinv_init))
    return module.nystrom_attention(*args)


@functools.lru_cache(maxsize=128)
def _yoso_module(q_shape, k_shape, v_shape, element_type, masked, projection_shape, mode,
                 hash_bits, num_hashes, version):
    out_shape = q_shape[:-1] + v_shape[-1:]
    tq, tk, tv, to = (_tensor_type(s, element_type)
                      for s in (q_shape, k_shape, v_shape, out_shape))
    tm = _tensor_type(q_shape[:-1], "i1")
    args = f"%q: {tq}, %k: {tk}, %v: {tv}"
    clauses = ""
    if masked:
        args += f", %mask: {tm}"
        clauses += f" mask(%mask : {tm})"
    attrs = [f'mode = "{mode}"', f"hash_bits = {hash_bits}", f"version = {version}"]
    if projection_shape is not None:
        tp = _tensor_type(projection_shape, element_type)
        args += f", %projection: {tp}"
        clauses += f" projection(%projection : {tp})"
        attrs.append(f"num_hashes = {num_hashes}")
    text = (
        f"func.func @yoso_attention({args}) -> {to} {{\n"
        f"  %init = tensor.empty() : {to}\n"
        f"  %r = effattn.yoso_attention {{{', '.join(attrs)}}} ins(%q, %k, %v : {tq}, {tk}, {tv})"
        f"{clauses} outs(%init : {to}) -> {to}\n"
        f"  return %r : {to}\n}}\n")
    return compiler.compile(text, module_name="yoso_attention")


def yoso_attention(q, k, v, mask=None, mode="expectation", hash_bits=8, num_hashes=None,
                   projection=None, version=1):
    """YOSO attention; see `effattn.reference.yoso_attention`."""
    q, k, v = _float_operands(q, k, v)
    args = [q, k, v]
    if mask is not None:
        args.append(_key_padding_mask(mask, q))
    projection_shape = None
    if projection is not None:
        projection = np.ascontiguousarray(projection, dtype=q.dtype)
        projection_shape = projection.shape
        args.append(projection)
    module = _yoso_module(q.shape, k.shape, v.shape, _ELEMENT_TYPES[q.dtype], mask is not None,
                          projection_shape, str(mode), int(hash_bits),
                          None if num_hashes is None else int(num_hashes), int(version))
    return module.yoso_attention(*args)
