"""effattn.compile and effattn.load: the module API and its error paths."""

import numpy as np
import pytest

import effattn

MODULE = """
func.func @attention(%q: tensor<2x8x16xf32>, %k: tensor<2x12x16xf32>,
                     %v: tensor<2x12x4xf32>, %mask: tensor<2x12xi1>)
    -> tensor<2x8x4xf32> {
  %init = tensor.empty() : tensor<2x8x4xf32>
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<2x8x16xf32>,
      tensor<2x12x16xf32>, tensor<2x12x4xf32>) mask(%mask : tensor<2x12xi1>)
      outs(%init : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %r : tensor<2x8x4xf32>
}
"""


@pytest.fixture(scope="module")
def module():
    return effattn.compile(MODULE, module_name="causal_attention")


@pytest.fixture
def inputs():
    rng = np.random.default_rng(11)
    q = rng.standard_normal((2, 8, 16)).astype(np.float32)
    k = rng.standard_normal((2, 12, 16)).astype(np.float32)
    v = rng.standard_normal((2, 12, 4)).astype(np.float32)
    mask = rng.random((2, 12)) < 0.75
    mask[:, 0] = True
    return q, k, v, mask


def test_manifest_describes_the_entry_point(module):
    (fn,) = module.manifest["functions"]
    assert fn["name"] == "attention"
    assert [t["shape"] for t in fn["inputs"]] == [[2, 8, 16], [2, 12, 16],
                                                  [2, 12, 4], [2, 12]]
    assert [t["dtype"] for t in fn["inputs"]] == ["f32", "f32", "f32", "i1"]
    assert fn["outputs"] == [{"name": "result0", "dtype": "f32",
                              "shape": [2, 8, 4]}]


def test_compiled_module_matches_oracle(module, inputs):
    got = module.attention(*inputs)
    want = effattn.reference.attention(*inputs[:3], mask=inputs[3], causal=True)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)


def test_load_reopens_the_library(module, inputs):
    again = effattn.load(module.path, module_name="causal_attention")
    np.testing.assert_array_equal(again.attention(*inputs),
                                  module.attention(*inputs))


def test_wrong_size_is_reported_by_compiled_code(module, inputs):
    q, k, v, mask = inputs
    with pytest.raises(effattn.EffattnError,
                       match=r"attention: arg1 has shape \[2, 11, 16\], "
                             r"expected \[2, 12, 16\]") as info:
        module.attention(q, k[:, :11], v, mask)
    assert info.value.status == 2
    assert module.last_error().startswith("attention: arg1 has shape")


def test_misaligned_array_is_reported_by_compiled_code(module, inputs):
    """A float32 array at an odd address reaches the C ABI as it is (numpy
    keeps it contiguous) and is rejected there with status 5."""
    q, k, v, mask = inputs
    raw = np.zeros(k.nbytes + 1, np.uint8)
    misaligned = np.frombuffer(raw.data, dtype=np.float32, count=k.size, offset=1)
    misaligned = misaligned.reshape(k.shape)
    misaligned[...] = k
    assert not misaligned.flags.aligned
    with pytest.raises(effattn.EffattnError,
                       match="attention: arg1 is not aligned to its 4-byte elements") as error:
        module.attention(q, misaligned, v, mask)
    assert error.value.status == 5
    np.testing.assert_array_equal(module.attention(q, np.array(misaligned), v, mask),
                                  module.attention(q, k, v, mask))


def test_wrong_rank_is_rejected_before_the_call(module, inputs):
    q, k, v, mask = inputs
    with pytest.raises(ValueError, match="argument 0 .* has rank 2"):
        module.attention(q[0], k, v, mask)


def test_wrong_argument_count_and_dtype(module, inputs):
    q, k, v, mask = inputs
    with pytest.raises(TypeError, match="takes 4 arguments, got 3"):
        module.attention(q, k, v)
    with pytest.raises(TypeError, match="has dtype int32, expected f32"):
        module.attention(q.astype(np.int32), k, v, mask)


def test_compile_error_carries_the_diagnostic():
    bad = MODULE.replace("tensor<2x12x16xf32>", "tensor<2x12x15xf32>")
    with pytest.raises(effattn.CompileError,
                       match="head dimension D of key \\(15\\)"):
        effattn.compile(bad)


def test_dynamic_public_signature_is_rejected():
    dynamic = """
func.func @f(%q: tensor<?x16xf32>, %k: tensor<12x16xf32>, %v: tensor<12x4xf32>,
             %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<?x16xf32>, tensor<12x16xf32>,
      tensor<12x4xf32>) outs(%o : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
"""
    with pytest.raises(effattn.CompileError,
                       match="the C ABI requires static shapes"):
        effattn.compile(dynamic)


def test_unknown_target_is_rejected():
    with pytest.raises(effattn.CompileError, match="unknown CPU 'not-a-cpu'"):
        effattn.compile(MODULE, target="not-a-cpu")


def test_named_target_compiles(inputs):
    module = effattn.compile(MODULE, target="x86-64-v3", module_name="v3")
    want = effattn.reference.attention(*inputs[:3], mask=inputs[3], causal=True)
    np.testing.assert_allclose(module.attention(*inputs), want, atol=2e-6)
