//===- GemmTiles.cpp - Analytic tile sizes of f32 GEMMs ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/GemmTiles.h"

#include <algorithm>
#include <tuple>

using namespace mlir;
using namespace mlir::effattn;

/// Returns the largest power of two d with lower <= d <= upper that divides
/// `size` and is a multiple of `multiple`, or 0.
static int64_t largestDividingTile(int64_t size, int64_t upper, int64_t lower,
                                   int64_t multiple) {
  for (int64_t d = int64_t(1) << 20; d >= std::max<int64_t>(lower, 1); d /= 2)
    if (d <= upper && size % d == 0 && d % multiple == 0)
      return d;
  return 0;
}

/// Returns the lanes of a vector of 32-bit elements on `target`.
static int64_t getLanes(CpuTargetAttr target) {
  return (target ? target.getVectorBits() : 256) / 32;
}

std::pair<int64_t, int64_t>
mlir::effattn::chooseRegisterTile(CpuTargetAttr target) {
  int64_t registers = target ? target.getVectorRegisters() : 16;
  return {std::clamp<int64_t>((registers - 3) / 2, 1, 8), 2 * getLanes(target)};
}

/// The most rows of an A block and the deepest K block.
static constexpr int64_t kMaxMc = 128, kMaxKc = 1024;

std::optional<GemmTiles> mlir::effattn::chooseGemmTiles(CpuTargetAttr target,
                                                        int64_t m, int64_t n,
                                                        int64_t k) {
  if (m < 1 || n < 1 || k < 1)
    return std::nullopt;
  int64_t l2 = target ? target.getL2Bytes() : 1024 * 1024;
  int64_t cores = target && target.getCores() > 0 ? target.getCores() : 2;
  GemmTiles tiles;
  std::tie(tiles.mr, tiles.nr) = chooseRegisterTile(target);
  tiles.threads = m % cores == 0 ? cores : 1;
  tiles.kc = largestDividingTile(
      k, std::min<int64_t>(kMaxKc, l2 / 2 / (kMaxMc * 4)), 16, 1);
  if (!tiles.kc)
    return std::nullopt;
  tiles.mc = largestDividingTile(
      m / tiles.threads, std::min<int64_t>(kMaxMc, l2 / 2 / (tiles.kc * 4)),
      tiles.mr, 1);
  tiles.nc = largestDividingTile(n, 1024, tiles.nr, tiles.nr);
  if (!tiles.mc || !tiles.nc)
    return std::nullopt;
  return tiles;
}

PairGemmConfigAttr mlir::effattn::choosePairGemmConfig(MLIRContext *context,
                                                       CpuTargetAttr target) {
  auto [mr, nr] = chooseRegisterTile(target);
  return PairGemmConfigAttr::get(context, getLanes(target), mr, nr);
}

GemmConfigAttr mlir::effattn::getGemmConfig(MLIRContext *context,
                                            const GemmTiles &tiles) {
  return GemmConfigAttr::get(context, tiles.threads, tiles.mc, tiles.nc,
                             tiles.kc, tiles.mr, tiles.nr);
}

std::optional<GemmTiles> mlir::effattn::getGemmTiles(GemmConfigAttr config,
                                                     int64_t m, int64_t n,
                                                     int64_t k) {
  GemmTiles tiles{config.getThreads(), config.getMc(), config.getNc(),
                  config.getKc(),      config.getMr(), config.getNr()};
  if (m % tiles.threads != 0 || (m / tiles.threads) % tiles.mc != 0 ||
      n % tiles.nc != 0 || k % tiles.kc != 0)
    return std::nullopt;
  return tiles;
}
