//===- CAbiTest.cpp - C ABI of compiled libraries ---------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Calls abi_test_model.mlir, compiled at build time by effattn-compile,
// through its generated header: results against a scalar reference, and
// every error path (wrong sizes, NULL pointers, invalid i1 bytes, a
// data-dependent error reported by the compiled code).
//
//===----------------------------------------------------------------------===//

#include "abi_test_model.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {
/// Exact attention in double precision, for [batch, n, d] inputs; hidden keys
/// score -1e9 as in the op's semantics.
std::vector<double> referenceAttention(const std::vector<float> &q,
                                       const std::vector<float> &k,
                                       const std::vector<float> &v,
                                       const std::vector<uint8_t> &mask,
                                       int64_t batch, int64_t n, int64_t m,
                                       int64_t d, int64_t e, bool causal) {
  std::vector<double> out(batch * n * e, 0.0);
  std::vector<double> scores(m);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < n; ++i) {
      double maxScore = -INFINITY;
      for (int64_t j = 0; j < m; ++j) {
        double dot = 0;
        for (int64_t x = 0; x < d; ++x)
          dot += double(q[(b * n + i) * d + x]) * k[(b * m + j) * d + x];
        bool visible = (mask.empty() || mask[b * m + j]) && (!causal || j <= i);
        scores[j] = visible ? dot / std::sqrt(double(d)) : -1e9;
        maxScore = std::max(maxScore, scores[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < m; ++j)
        sum += scores[j] = std::exp(scores[j] - maxScore);
      for (int64_t j = 0; j < m; ++j)
        for (int64_t x = 0; x < e; ++x)
          out[(b * n + i) * e + x] += scores[j] / sum * v[(b * m + j) * e + x];
    }
  }
  return out;
}

/// Random inputs of the f32 `attention` entry point.
struct AttentionInputs {
  AttentionInputs() {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal;
    for (auto *tensor : {&q, &k, &v})
      for (float &x : *tensor)
        x = normal(rng);
    for (size_t i = 0; i < mask.size(); ++i)
      mask[i] = (i % 9 == 0) || (rng() % 4 != 0);
  }
  std::vector<float> q = std::vector<float>(2 * 6 * 8);
  std::vector<float> k = std::vector<float>(2 * 9 * 8);
  std::vector<float> v = std::vector<float>(2 * 9 * 4);
  std::vector<uint8_t> mask = std::vector<uint8_t>(2 * 9);
  std::vector<float> out = std::vector<float>(2 * 6 * 4, NAN);

  int32_t call(const int64_t *kShape = attention_arg1_shape) {
    return attention(q.data(), attention_arg0_shape, k.data(), kShape, v.data(),
                     attention_arg2_shape, mask.data(), attention_arg3_shape,
                     out.data(), attention_result0_shape);
  }
};

TEST(CAbiTest, AttentionMatchesScalarReference) {
  AttentionInputs in;
  ASSERT_EQ(in.call(), EFFATTN_OK) << abi_test_model_last_error();
  EXPECT_STREQ(abi_test_model_last_error(), "");
  std::vector<double> want =
      referenceAttention(in.q, in.k, in.v, in.mask, 2, 6, 9, 8, 4, true);
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(in.out[i], want[i], 2e-6) << "at flat index " << i;
}

TEST(CAbiTest, F16EntryPointRoundsOnce) {
  // f16 travels as raw bits; inputs are multiples of 1/8 (exact in f16).
  auto toHalf = [](float x) {
    _Float16 h = static_cast<_Float16>(x);
    uint16_t bits;
    std::memcpy(&bits, &h, sizeof(bits));
    return bits;
  };
  std::vector<float> q(5 * 8), k(7 * 8), v(7 * 8);
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = float(int(i * 7 % 13) - 6) / 8;
  for (size_t i = 0; i < k.size(); ++i)
    k[i] = float(int(i * 5 % 11) - 5) / 8;
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = float(int(i * 3 % 17) - 8) / 8;
  std::vector<uint16_t> qh, kh, vh, out(5 * 8);
  for (float x : q)
    qh.push_back(toHalf(x));
  for (float x : k)
    kh.push_back(toHalf(x));
  for (float x : v)
    vh.push_back(toHalf(x));
  ASSERT_EQ(attention_f16(qh.data(), attention_f16_arg0_shape, kh.data(),
                          attention_f16_arg1_shape, vh.data(),
                          attention_f16_arg2_shape, out.data(),
                          attention_f16_result0_shape),
            EFFATTN_OK)
      << abi_test_model_last_error();
  std::vector<double> want =
      referenceAttention(q, k, v, {}, 1, 5, 7, 8, 8, false);
  for (size_t i = 0; i < want.size(); ++i) {
    _Float16 h;
    std::memcpy(&h, &out[i], sizeof(h));
    EXPECT_NEAR(float(h), want[i], 2e-3) << "at flat index " << i;
  }
}

TEST(CAbiTest, WrongSizeReturnsShapeMismatch) {
  AttentionInputs in;
  const int64_t wrong[3] = {2, 10, 8};
  EXPECT_EQ(in.call(wrong), EFFATTN_ERROR_SHAPE_MISMATCH);
  EXPECT_EQ(std::string(abi_test_model_last_error()),
            "attention: arg1 has shape [2, 10, 8], expected [2, 9, 8]");
  EXPECT_TRUE(std::isnan(in.out[0])) << "output written despite the error";
  // The next successful call clears the message.
  ASSERT_EQ(in.call(), EFFATTN_OK);
  EXPECT_STREQ(abi_test_model_last_error(), "");
}

TEST(CAbiTest, NullPointersReturnNullArgument) {
  AttentionInputs in;
  EXPECT_EQ(attention(nullptr, attention_arg0_shape, in.k.data(),
                      attention_arg1_shape, in.v.data(), attention_arg2_shape,
                      in.mask.data(), attention_arg3_shape, in.out.data(),
                      attention_result0_shape),
            EFFATTN_ERROR_NULL_ARGUMENT);
  EXPECT_STREQ(abi_test_model_last_error(), "attention: arg0 is NULL");
  EXPECT_EQ(attention(in.q.data(), attention_arg0_shape, in.k.data(),
                      attention_arg1_shape, in.v.data(), attention_arg2_shape,
                      in.mask.data(), attention_arg3_shape, in.out.data(),
                      nullptr),
            EFFATTN_ERROR_NULL_ARGUMENT);
  EXPECT_STREQ(abi_test_model_last_error(), "attention: result0_shape is NULL");
}

TEST(CAbiTest, MisalignedBufferIsRejectedBeforeAnyAccess) {
  AttentionInputs in;
  // A float pointer one byte past an aligned address, into a buffer that
  // holds the whole tensor either way.
  std::vector<char> bytes(in.k.size() * sizeof(float) + 1);
  std::memcpy(bytes.data() + 1, in.k.data(), in.k.size() * sizeof(float));
  int32_t status = attention(
      in.q.data(), attention_arg0_shape,
      reinterpret_cast<const float *>(bytes.data() + 1), attention_arg1_shape,
      in.v.data(), attention_arg2_shape, in.mask.data(), attention_arg3_shape,
      in.out.data(), attention_result0_shape);
  EXPECT_EQ(status, EFFATTN_ERROR_MISALIGNED);
  EXPECT_STREQ(abi_test_model_last_error(),
               "attention: arg1 is not aligned to its 4-byte elements");
  for (float x : in.out)
    EXPECT_TRUE(std::isnan(x)) << "the output was written";
  // i1 (byte) tensors have no alignment requirement.
  std::vector<uint8_t> maskBytes(in.mask.size() + 1);
  std::memcpy(maskBytes.data() + 1, in.mask.data(), in.mask.size());
  EXPECT_EQ(attention(in.q.data(), attention_arg0_shape, in.k.data(),
                      attention_arg1_shape, in.v.data(), attention_arg2_shape,
                      maskBytes.data() + 1, attention_arg3_shape, in.out.data(),
                      attention_result0_shape),
            EFFATTN_OK)
      << abi_test_model_last_error();
}

TEST(CAbiTest, MaskByteOtherThanZeroOrOneIsInvalid) {
  AttentionInputs in;
  in.mask[5] = 2;
  EXPECT_EQ(in.call(), EFFATTN_ERROR_INVALID_VALUE);
  EXPECT_STREQ(abi_test_model_last_error(),
               "attention: arg3 (i1) holds 2 at flat index 5; expected 0 or 1");
}

TEST(CAbiTest, DataDependentErrorReturnsOutOfRangeUntilTheDataFit) {
  std::vector<int64_t> a(3 * 4, 0), b(2 * 4, 0), c(3 * 2, -1);
  auto call = [&] {
    return exact_product(a.data(), exact_product_arg0_shape, b.data(),
                         exact_product_arg1_shape, c.data(),
                         exact_product_result0_shape);
  };
  // K · max|a| · max|b| = 4 · 2^40 · 2^20 fits in i64: exact.
  a[1 * 4 + 2] = int64_t(1) << 40;
  b[0 * 4 + 2] = -(int64_t(1) << 20);
  ASSERT_EQ(call(), EFFATTN_OK) << abi_test_model_last_error();
  EXPECT_STREQ(abi_test_model_last_error(), "");
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      int64_t want = 0;
      for (int64_t x = 0; x < 4; ++x)
        want += a[i * 4 + x] * b[j * 4 + x];
      EXPECT_EQ(c[i * 2 + j], want) << i << ", " << j;
    }
  // 4 · 2^40 · 2^22 > 2^63 - 1: the compiled guard reports it.
  b[1 * 4 + 0] = int64_t(1) << 22;
  EXPECT_EQ(call(), EFFATTN_ERROR_OUT_OF_RANGE);
  EXPECT_EQ(std::string(abi_test_model_last_error()),
            "effattn.unpacked_matmul: K * max|lhs| * max|rhs| exceeds 2^63 - "
            "1; the exact result may not fit in i64");
  b[1 * 4 + 0] = 0;
  EXPECT_EQ(call(), EFFATTN_OK);
  EXPECT_STREQ(abi_test_model_last_error(), "");
}

TEST(CAbiTest, ManifestListsOnlyPublicFunctions) {
  std::string manifest = abi_test_model_manifest();
  EXPECT_NE(manifest.find("\"name\":\"attention\""), std::string::npos);
  EXPECT_NE(manifest.find("\"name\":\"attention_f16\""), std::string::npos);
  EXPECT_NE(manifest.find("\"dtype\":\"i1\""), std::string::npos);
  EXPECT_EQ(manifest.find("unused_helper"), std::string::npos);
}
} // namespace
