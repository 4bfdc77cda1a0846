//===- ConstantInits.cpp - outputs that start from a fill -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decompositions initialize the output of each reduction and contraction
// with a fill, and bufferization turns a fill that several ops start from
// (one tensor after CSE) into a buffer copied before each of them. On a GPU
// each fill is a kernel launch and each copy a device-to-device copy, for
// values that the next kernel could produce itself: its threads can start
// from the fill's constant instead of reading the output. This finds, for a
// linalg op on buffers, the constant its output holds and the fill or copy
// that wrote it, which the op's kernel then makes redundant.
//
//===----------------------------------------------------------------------===//

#include "LinalgKernels.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::effattn;

/// Returns true if `buffer` is a memref.alloc whose users are linalg ops,
/// copies, deallocations and kernels (ops in a gpu.launch) only, so that
/// every access to it is one of theirs (no views, nothing that escapes).
/// With `after`, the buffer may also leave its block through the block's
/// terminator (a loop's next iteration or the caller receives it) when it
/// is allocated in the block of `after`: until then nothing else aliases
/// it.
static bool isPlainBuffer(Value buffer, Operation *after = nullptr) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return false;
  return llvm::all_of(buffer.getUsers(), [&](Operation *user) {
    if (after && user->hasTrait<OpTrait::IsTerminator>() &&
        user->getBlock() == after->getBlock() &&
        alloc->getBlock() == after->getBlock())
      return true;
    return isa<linalg::LinalgOp, memref::CopyOp, memref::DeallocOp>(user) ||
           user->getParentOfType<gpu::LaunchOp>();
  });
}

/// Returns true if `op` or an op nested in it uses or defines `buffer`.
static bool touches(Operation *op, Value buffer) {
  return op
      ->walk([&](Operation *nested) {
        return llvm::is_contained(nested->getOperands(), buffer) ||
                       llvm::is_contained(nested->getResults(), buffer)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Returns the last op before `op` in its block that touches `buffer`.
static Operation *getLastToucher(Operation *op, Value buffer) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode())
    if (touches(prev, buffer))
      return prev;
  return nullptr;
}

Value mlir::effattn::getFillValue(Operation *op) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getInputs()[0];
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic)
    return Value();
  std::optional<Value> value = linalg::isaFillOpInterface(generic);
  return value ? *value : Value();
}

/// Returns the only output of the fill `op`.
static Value getFilledBuffer(Operation *op) {
  return cast<linalg::LinalgOp>(op).getDpsInitOperand(0)->get();
}

/// Returns the ops that may write `buffer` (a plain buffer): copies into it,
/// linalg ops with it as an output and kernels that use it.
static SmallVector<Operation *> getWriters(Value buffer) {
  SmallVector<Operation *> writers;
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    if (auto launch = user->getParentOfType<gpu::LaunchOp>()) {
      writers.push_back(launch);
      continue;
    }
    auto copy = dyn_cast<memref::CopyOp>(user);
    auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
    if ((copy && copy.getTarget() == buffer) ||
        (linalgOp && linalgOp.isDpsInit(&use)))
      writers.push_back(user);
  }
  return writers;
}

/// Returns the value of the fill that wrote `buffer` last before `reader`,
/// if `buffer` is a plain buffer with one fill that comes before `reader`
/// and every other writer after it (after the op of the fill's block that
/// holds it, so that no iteration of a loop around `reader` runs one), or
/// null.
static Value getFilledValueAt(Value buffer, Operation *reader,
                              Operation *&fill) {
  if (!isPlainBuffer(buffer))
    return Value();
  SmallVector<Operation *> writers = getWriters(buffer);
  SmallVector<Operation *> fills = llvm::filter_to_vector(
      writers, [](Operation *writer) { return bool(getFillValue(writer)); });
  if (fills.size() != 1)
    return Value();
  fill = fills.front();
  Block *block = fill->getBlock();
  Operation *readerInBlock = block->findAncestorOpInBlock(*reader);
  if (!readerInBlock || !fill->isBeforeInBlock(readerInBlock))
    return Value();
  for (Operation *writer : writers) {
    if (writer == fill)
      continue;
    Operation *writerInBlock = block->findAncestorOpInBlock(*writer);
    if (!writerInBlock || writerInBlock == readerInBlock ||
        !readerInBlock->isBeforeInBlock(writerInBlock))
      return Value();
  }
  return getFillValue(fill);
}

std::optional<ConstantInitWriter>
mlir::effattn::findConstantInit(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || !op.hasPureBufferSemantics())
    return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  Value output = init->get();
  // `op` writes every element and reads the output only as its init (not
  // as an input, nor with loads in its body).
  AffineMap map = op.getMatchingIndexingMap(init);
  if (!isPlainBuffer(output, op) || !map.isProjectedPermutation() ||
      map.getNumResults() != cast<MemRefType>(output.getType()).getRank() ||
      llvm::any_of(
          output.getUsers(),
          [&](Operation *user) { return op->isProperAncestor(user); }) ||
      llvm::is_contained(op.getDpsInputs(), output))
    return std::nullopt;

  Operation *writer = getLastToucher(op, output);
  if (!writer)
    return std::nullopt;
  if (Value value = getFillValue(writer))
    return getFilledBuffer(writer) == output
               ? std::optional(ConstantInitWriter{value, writer})
               : std::nullopt;
  auto copy = dyn_cast<memref::CopyOp>(writer);
  if (!copy || copy.getTarget() != output)
    return std::nullopt;
  Operation *fill;
  if (Value value = getFilledValueAt(copy.getSource(), copy, fill))
    return ConstantInitWriter{value, writer};
  return std::nullopt;
}

void mlir::effattn::eraseConstantInitWriter(RewriterBase &rewriter,
                                            Operation *writer) {
  auto copy = dyn_cast<memref::CopyOp>(writer);
  Value source = copy ? copy.getSource() : Value();
  rewriter.eraseOp(writer);
  if (!source)
    return;
  // The filled source, if nothing else uses it any more.
  SmallVector<Operation *> writers = getWriters(source);
  if (writers.size() != 1 || !getFillValue(writers.front()) ||
      llvm::any_of(source.getUsers(), [&](Operation *user) {
        return user != writers.front() && !isa<memref::DeallocOp>(user);
      }))
    return;
  for (Operation *user : llvm::make_early_inc_range(source.getUsers()))
    rewriter.eraseOp(user);
  rewriter.eraseOp(source.getDefiningOp());
}
