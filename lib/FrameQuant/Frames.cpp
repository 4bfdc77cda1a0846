//===- Frames.cpp - FrameQuant's seeded fusion-frame transforms -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/FrameQuant/Frames.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::effattn;
using llvm::ArrayRef;
using llvm::MutableArrayRef;
using llvm::SmallVector;

int64_t mlir::effattn::getHadamardChunk(int64_t d) { return d & -d; }

SmallVector<int8_t> mlir::effattn::buildSignDiagonal(uint32_t seed, int64_t p) {
  std::mt19937 generator(seed);
  SmallVector<int8_t> signs(p);
  for (int8_t &sign : signs)
    sign = (generator() & 1) ? 1 : -1;
  return signs;
}

FrameBlocks mlir::effattn::buildFrameBlocks(int64_t dim, double redundancy,
                                            bool float32Angles) {
  assert(dim % 16 == 0 && redundancy > 0 && "invalid frame parameters");
  FrameBlocks blocks;
  blocks.dim = dim;
  blocks.k = std::llround(8 * redundancy);
  int64_t k = blocks.k;
  blocks.values.assign(blocks.getNumGroups() * 2 * k * 16, 0.0);
  double norm = 1.0 / std::sqrt(static_cast<double>(k));
  for (int64_t u = 0; u < blocks.getNumGroups(); ++u) {
    for (int64_t j0 = 0; j0 < 8; ++j0) {
      // Tetris row u holds the complex columns 8u..8u+7; subspace k'
      // modulates global column j by exp(2πi·k'·j/k)/sqrt(k).
      int64_t j = 8 * u + j0;
      for (int64_t kk = 0; kk < k; ++kk) {
        // The authors round 2π·k'·j/k to float32, an error that grows with
        // j; exactly, the angle only depends on k'·j mod k.
        double angle =
            float32Angles
                ? static_cast<float>(2 * M_PI * static_cast<double>(kk * j) / k)
                : 2 * M_PI * static_cast<double>((kk * j) % k) / k;
        double a = std::cos(angle) * norm, b = std::sin(angle) * norm;
        double *block = &blocks.values[u * 2 * k * 16];
        block[kk * 16 + 2 * j0] = a;
        block[kk * 16 + 2 * j0 + 1] = -b;
        block[(k + kk) * 16 + 2 * j0] = b;
        block[(k + kk) * 16 + 2 * j0 + 1] = a;
      }
    }
  }
  return blocks;
}

/// In-place orthonormal Walsh-Hadamard transform of `x` (length a power of
/// two).
static void transformHadamard(MutableArrayRef<double> x) {
  int64_t n = x.size();
  for (int64_t h = 1; h < n; h *= 2)
    for (int64_t i = 0; i < n; i += 2 * h)
      for (int64_t j = i; j < i + h; ++j) {
        double a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
  double scale = 1.0 / std::sqrt(static_cast<double>(n));
  for (double &v : x)
    v *= scale;
}

namespace {
/// H·diag(s) on rows of length `dim`: the seeded signs and the orthonormal
/// Walsh-Hadamard transform on each chunk of p entries. H is symmetric and
/// orthonormal and diag(s) its own inverse, so the inverse is diag(s)·H.
class SignedHadamard {
public:
  SignedHadamard(int64_t dim, uint32_t seed)
      : p(getHadamardChunk(dim)), signs(buildSignDiagonal(seed, p)) {}

  /// row <- H·diag(s)·row.
  void apply(MutableArrayRef<double> row) const {
    for (size_t i = 0; i < row.size(); ++i)
      row[i] *= signs[i % p];
    transformChunks(row);
  }
  /// row <- diag(s)·H·row.
  void applyInverse(MutableArrayRef<double> row) const {
    transformChunks(row);
    for (size_t i = 0; i < row.size(); ++i)
      row[i] *= signs[i % p];
  }

private:
  void transformChunks(MutableArrayRef<double> row) const {
    for (size_t chunk = 0; chunk < row.size(); chunk += p)
      transformHadamard(row.slice(chunk, p));
  }

  int64_t p;
  SmallVector<int8_t> signs;
};
} // namespace

SmallVector<double> mlir::effattn::applyFrame(ArrayRef<double> rows,
                                              int64_t numRows, int64_t dim,
                                              uint32_t seed,
                                              const FrameBlocks *blocks) {
  SignedHadamard hadamard(dim, seed);
  int64_t outDim = blocks ? blocks->getFrameDim() : dim;
  SmallVector<double> out(numRows * outDim, 0.0);
  SmallVector<double> row(dim);
  for (int64_t r = 0; r < numRows; ++r) {
    std::copy_n(&rows[r * dim], dim, row.begin());
    hadamard.apply(row);
    double *dest = &out[r * outDim];
    if (!blocks) {
      std::copy(row.begin(), row.end(), dest);
      continue;
    }
    int64_t groups = blocks->getNumGroups();
    for (int64_t u = 0; u < groups; ++u)
      for (int64_t c = 0; c < 2 * blocks->k; ++c) {
        double sum = 0;
        for (int64_t j = 0; j < 16; ++j)
          sum += blocks->at(u, c, j) * row[16 * u + j];
        dest[c * groups + u] = sum;
      }
  }
  return out;
}

SmallVector<double>
mlir::effattn::applyFrameTranspose(ArrayRef<double> rows, int64_t numRows,
                                   int64_t dim, uint32_t seed,
                                   const FrameBlocks *blocks) {
  SignedHadamard hadamard(dim, seed);
  int64_t inDim = blocks ? blocks->getFrameDim() : dim;
  SmallVector<double> out(numRows * dim, 0.0);
  SmallVector<double> row(dim);
  for (int64_t r = 0; r < numRows; ++r) {
    const double *source = &rows[r * inDim];
    if (blocks) {
      int64_t groups = blocks->getNumGroups();
      for (int64_t u = 0; u < groups; ++u)
        for (int64_t j = 0; j < 16; ++j) {
          double sum = 0;
          for (int64_t c = 0; c < 2 * blocks->k; ++c)
            sum += blocks->at(u, c, j) * source[c * groups + u];
          row[16 * u + j] = sum;
        }
    } else {
      std::copy(source, source + dim, row.begin());
    }
    hadamard.applyInverse(row);
    std::copy(row.begin(), row.end(), &out[r * dim]);
  }
  return out;
}
