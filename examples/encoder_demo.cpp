//===- encoder_demo.cpp - Run the compiled encoder layer --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Links libencoder_layer.so (examples/encoder_layer.py -> effattn-compile)
// through its generated header, runs it on the generated input, checks the
// output against the numpy reference and prints the latency.
//
// Usage: encoder_demo [data-dir]   (default: the build's examples directory)
//
//===----------------------------------------------------------------------===//

#include "libencoder_layer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {
/// Max |output - expected| accepted (the reference runs in float64).
constexpr double kTolerance = 1e-4;

/// Reads exactly `size` bytes of `path` at `offset` into `data`.
bool readBytes(const std::string &path, size_t offset, void *data,
               size_t size) {
  std::ifstream file(path, std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(static_cast<char *>(data), static_cast<std::streamsize>(size));
  return file.good() && static_cast<size_t>(file.gcount()) == size;
}

size_t elementCount(const int64_t *shape, int rank) {
  size_t count = 1;
  for (int i = 0; i < rank; ++i)
    count *= static_cast<size_t>(shape[i]);
  return count;
}
} // namespace

int main(int argc, char **argv) {
  std::string dir = argc > 1 ? argv[1] : EFFATTN_EXAMPLE_DATA_DIR;
  std::vector<float> x(
      elementCount(encoder_layer_arg0_shape, ENCODER_LAYER_ARG0_RANK));
  std::vector<uint8_t> mask(
      elementCount(encoder_layer_arg1_shape, ENCODER_LAYER_ARG1_RANK));
  std::vector<float> expected(
      elementCount(encoder_layer_result0_shape, ENCODER_LAYER_RESULT0_RANK));
  std::vector<float> y(expected.size());
  std::string input = dir + "/encoder_layer_input.bin";
  if (!readBytes(input, 0, x.data(), x.size() * sizeof(float)) ||
      !readBytes(input, x.size() * sizeof(float), mask.data(), mask.size()) ||
      !readBytes(dir + "/encoder_layer_expected.bin", 0, expected.data(),
                 expected.size() * sizeof(float))) {
    std::fprintf(stderr, "encoder_demo: cannot read the data in %s\n",
                 dir.c_str());
    return 2;
  }

  auto run = [&] {
    return encoder_layer(x.data(), encoder_layer_arg0_shape, mask.data(),
                         encoder_layer_arg1_shape, y.data(),
                         encoder_layer_result0_shape);
  };
  if (int32_t status = run()) {
    std::fprintf(stderr, "encoder_demo: encoder_layer failed (%d): %s\n",
                 status, encoder_layer_last_error());
    return 1;
  }
  double maxError = 0;
  for (size_t i = 0; i < y.size(); ++i)
    maxError = std::max(maxError, std::abs(double(y[i]) - expected[i]));

  double best = INFINITY;
  for (int repeat = 0; repeat < 10; ++repeat) {
    auto start = std::chrono::steady_clock::now();
    run();
    std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }

  bool ok = maxError <= kTolerance;
  std::printf("effattn encoder layer (effattn.attention, %lld tokens x %lld "
              "features), compiled by effattn-compile for this CPU\n",
              (long long)encoder_layer_arg0_shape[0],
              (long long)encoder_layer_arg0_shape[1]);
  std::printf("  result check vs numpy reference: max |error| = %.2e "
              "(tolerance %.0e) -> %s\n",
              maxError, kTolerance, ok ? "PASS" : "FAIL");
  std::printf("  latency: %.3f ms (best of 10)\n", best);

  // The C ABI reports bad arguments instead of crashing.
  const int64_t wrongShape[2] = {encoder_layer_arg0_shape[0] + 1,
                                 encoder_layer_arg0_shape[1]};
  int32_t status =
      encoder_layer(x.data(), wrongShape, mask.data(), encoder_layer_arg1_shape,
                    y.data(), encoder_layer_result0_shape);
  std::printf("  wrong input shape -> status %d: %s\n", status,
              encoder_layer_last_error());
  return ok && status == EFFATTN_ERROR_SHAPE_MISMATCH ? 0 : 1;
}
