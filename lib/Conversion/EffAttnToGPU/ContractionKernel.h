//===- ContractionKernel.h - GEMMs through shared memory --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The blocked GEMM kernels of effattn-gpu-map-linalg (private to
// EffAttnToGPU): what the SIMT kernel and the tensor-core kernel share (the
// grid, the staging of operand slices in shared memory, the loop over K, the
// reads and writes of C) and how each multiplies a pair of slices.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_CONTRACTIONKERNEL_H
#define LIB_CONVERSION_EFFATTNTOGPU_CONTRACTIONKERNEL_H

#include "LinalgKernels.h"

#include "effattn/Target/GpuTarget.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

#include <memory>

namespace mlir {
namespace effattn {
/// Replaces `op` (on buffers) by a gpu.launch computing it as a blocked GEMM
/// through shared memory, when it is a contraction (linalg's contraction
/// interface: a multiply-add body) with one K loop, any batch loops, and M
/// and N loops (each set linearized) of at least 16 or unknown, and `target`
/// (if any) allows the kernel's block and shared slices. Uses tensor cores
/// (mma.sync) for f16/bf16 into f32, i8 into i32 and (with `f32OnTensorCores`)
/// f32 into f32 as 3xTF32 where `target` has them. Fails, leaving `op` as it
/// is, otherwise. With `init`, C starts from init->value (setting
/// init->used), and with `epilogue` C is stored through it, unless blocks
/// split K or add their sums to C in chunks.
LogicalResult buildContractionKernel(RewriterBase &rewriter,
                                     linalg::GenericOp op, GpuTargetAttr target,
                                     bool f32OnTensorCores,
                                     ConstantInit *init = nullptr,
                                     Epilogue *epilogue = nullptr);

/// The loops of a contraction with one K loop. Several M (or N) loops, such
/// as the batch and sequence loops of activations against a shared weight,
/// are one linear M (last loop fastest).
struct ContractionLoops {
  SmallVector<unsigned> batch, m, n;
  unsigned k;
};

/// How a kernel splits the work of a block.
struct ContractionTiling {
  /// Threads per block along x and y.
  int64_t blockX, blockY;
  /// The side of the block's tile of C (M and N).
  int64_t tile;
  /// K per pair of shared slices.
  int64_t depth;
  /// Slice layout: [depth][tile] (K-major) or [tile][depth + padding] (each
  /// row of A or column of B contiguous along K).
  bool kMajorSlices;
  int64_t padding;
  /// Whether the thread's sums start from zero and are added to C after the
  /// loop over K (no index of C then lives across the loop), or start from
  /// C and replace it.
  bool sumsFromZero;
  /// With sums from zero: K per chunk after which the sums are added to C
  /// and start again from zero (a multiple of `depth`; 0: no chunks).
  int64_t chunkDepth;
  /// Split-K: blocks per tile of C, each summing `splitDepth` of K (a
  /// multiple of `depth`; the last block the rest) from zero and adding its
  /// sums to C atomically. 1: one block sums all of K.
  int64_t kSplits = 1;
  int64_t splitDepth = 0;

  int64_t threads() const { return blockX * blockY; }
  int64_t outputsPerThread() const { return tile * tile / threads(); }
};

/// Builds the kernel of one contraction: one block per (K split, batch
/// element, M tile, N tile), N tiles fastest, all in gridDim.x (up to
/// 2^31 - 1 blocks).
/// Per `depth` along K the block stages the tile × depth slice of A and the
/// depth × tile slice of B in shared memory (zeros past M, N or K), each
/// thread copying elements that neighbour its neighbours' along the operand's
/// contiguous dimension, in two stages: the next slices are loaded into
/// registers before the current ones are multiplied and stored after, one
/// barrier per step. Subclasses multiply the slices into the thread's
/// accumulators, which hold its outputs of C.
class ContractionKernelBuilder {
public:
  ContractionKernelBuilder(ImplicitLocOpBuilder &b, linalg::GenericOp op,
                           const ContractionLoops &loops,
                           const ContractionTiling &tiling)
      : b(b), op(op), loops(loops), tiling(tiling) {}
  virtual ~ContractionKernelBuilder() = default;

  /// Builds the launch before `op` (which stays).
  void build(ModuleOp module);
  const ContractionTiling &getTiling() const { return tiling; }
  /// Splits K over `splits` blocks per tile of C, `splitDepth` each (see
  /// ContractionTiling::kSplits); the sums then start from zero.
  void splitK(int64_t splits, int64_t splitDepth) {
    tiling.kSplits = splits;
    tiling.splitDepth = splitDepth;
    tiling.sumsFromZero = true;
  }
  /// Starts every element of C from `value` instead of reading C (which
  /// then need not be initialized): one block per tile of C, whose sums are
  /// added to C once (no split of K, no chunks).
  void startFrom(Value value) {
    assert(tiling.kSplits == 1 && tiling.chunkDepth == 0 &&
           "C is read again after the first sums are added to it");
    initialValue = value;
  }
  /// Stores C through `consumer` (emitEpilogueStore); as for startFrom, C
  /// must be written once.
  void storeThrough(Epilogue *consumer) {
    assert(tiling.kSplits == 1 && tiling.chunkDepth == 0 &&
           "C is read again after the first sums are added to it");
    epilogue = consumer;
  }

protected:
  Value index(int64_t v);
  /// Returns the (M, N) offsets in the block's tile of the outputs of the
  /// thread (x, y), in the order of its accumulators.
  virtual SmallVector<std::pair<Value, Value>> getOutputOffsets(Value x,
                                                                Value y) = 0;
  /// Returns the accumulators as loop-carried values (by default, as they
  /// are); unpackAccumulators is the inverse.
  virtual SmallVector<Value> packAccumulators(ArrayRef<Value> accumulators) {
    return SmallVector<Value>(accumulators);
  }
  virtual SmallVector<Value> unpackAccumulators(ValueRange packed) {
    return SmallVector<Value>(packed);
  }
  /// Returns `packed` plus the products of stage `stage` (0 or 1: the
  /// leading index of the slice buffers) of the staged slices `lhsSlice`
  /// and `rhsSlice`, for thread (x, y).
  virtual SmallVector<Value> multiplySlices(Value lhsSlice, Value rhsSlice,
                                            Value stage, Value x, Value y,
                                            ValueRange packed) = 0;
  /// Returns `total` + `partial` (addf or wrapping addi; scalars or packed
  /// accumulators).
  Value addSums(Value total, Value partial);

  ImplicitLocOpBuilder &b;
  linalg::GenericOp op;
  const ContractionLoops &loops;
  ContractionTiling tiling;
  /// What C holds before the kernel, if known (startFrom).
  Value initialValue;
  /// The elementwise op its stores apply (storeThrough), if any.
  Epilogue *epilogue = nullptr;

private:
  /// The indices of operand `operand` at loop indices `ivs` (a full
  /// iteration vector; the loops it does not depend on may hold anything).
  SmallVector<Value> indicesOf(OpOperand &operand, ArrayRef<Value> ivs);
  /// Sets the loop indices `dims` of `ivs` to the linear index `linear`
  /// over them.
  void setLinear(SmallVector<Value> &ivs, ArrayRef<unsigned> dims,
                 Value linear);
  /// The product of the sizes of loops `dims`.
  Value sizeOf(ArrayRef<unsigned> dims);
  /// Returns the thread's part of the tile × depth slice of input `input`
  /// (A: `outer` = the M loops, B: the N loops) at (firstOuter, firstK),
  /// zeros outside the operand: 16-byte vectors where vectorWidth allows
  /// them (loaded as such where the slice is inside the operand and its
  /// rows are aligned, checked at run time), else runs of elementRun
  /// elements; storeSlice writes them into stage `stage` of `slice`.
  SmallVector<Value> loadSlice(OpOperand &input, ArrayRef<unsigned> outer,
                               Value firstOuter, Value firstK);
  void storeSlice(OpOperand &input, ArrayRef<Value> values, Value slice,
                  Value stage);
  /// Elements per 16-byte vector copy of `input`'s slices, or 0 where the
  /// slices or the operand's layout do not allow them.
  int64_t vectorWidth(OpOperand &input);
  /// The (row, column) in the slice of the thread's vector copy `copy`.
  std::pair<Value, Value> vectorPosition(int64_t copy, int64_t width);
  /// Elements per copy without vectors: those of one 32-bit word.
  int64_t elementRun(OpOperand &input);
  /// The (K offset, outer offset) of element `i` of the thread's copy
  /// `copy`: neighbouring threads take neighbouring elements of the
  /// operand's innermost dimension.
  std::pair<Value, Value> runPosition(OpOperand &input, int64_t copy,
                                      int64_t i);
  /// Whether a run lies along the slice's rows (one vector store).
  bool isContiguousRun(OpOperand &input);
  /// The element of `input` at (outerIv, kIv), or zero outside it.
  Value loadElement(OpOperand &input, ArrayRef<unsigned> outer, Value outerIv,
                    Value kIv);
  /// The indices of `input` at the block's batch indices, linear outer
  /// index `outerIv` (over the loops `outer`) and K index `kIv`.
  SmallVector<Value> operandIndices(OpOperand &input, ArrayRef<unsigned> outer,
                                    Value outerIv, Value kIv);
  /// Returns `packed` after the steps of `depth` over K in [begin, end).
  SmallVector<Value> multiplyRange(Value begin, Value end, ValueRange packed);
  /// An output of C: its indices and whether it exists.
  struct Output {
    SmallVector<Value> indices;
    Value valid;
  };
  /// The thread's outputs' (M, N) positions in C, in accumulator order.
  SmallVector<std::pair<Value, Value>> getOutputPositions();
  /// The output at (m, n) of C.
  Output getOutput(Value m, Value n);

  /// Every loop's size and the sizes of M and N; the block's first M and N
  /// and its batch indices; the shared slices; the thread.
  SmallVector<Value> sizes;
  Value mSize, nSize;
  Value firstM, firstN;
  SmallVector<Value> batchIvs;
  Value lhsSlice, rhsSlice;
  Value x, y, thread;
};

/// Returns the tensor-core kernel builder for `op` if its body multiplies
/// f16 or bf16 (i8) operands extended to an f32 (i32) accumulator, or (with
/// `f32OnTensorCores`) f32 operands into f32, and `target` has the matching
/// mma.sync shape; null otherwise.
std::unique_ptr<ContractionKernelBuilder>
createMmaContractionKernelBuilder(ImplicitLocOpBuilder &b, linalg::GenericOp op,
                                  const ContractionLoops &loops,
                                  GpuTargetAttr target, bool f32OnTensorCores);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_CONTRACTIONKERNEL_H
