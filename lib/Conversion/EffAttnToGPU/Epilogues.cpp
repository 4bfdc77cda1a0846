//===- Epilogues.cpp - elementwise consumers in kernel stores ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decompositions follow many reductions and contractions with an
// elementwise op on their output: a scale, a bias, an identity matrix
// subtracted (Nyström's pseudo-inverse iterations), a conversion to the
// result type. As kernels of their own, these read back what the kernel
// before them just wrote, and cost a launch each. Here the kernel that
// writes an element applies the consumer to it before the store instead.
// Bufferization copies an output that such an op updates in place when the
// original is still read later; the op then reads the original instead, so
// that the copy goes and the op can follow the original's producer.
//
//===----------------------------------------------------------------------===//

#include "LinalgKernels.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::effattn;

/// Returns the first op after `op` in its block that may touch memory
/// (skipping allocations of new buffers), or null.
static Operation *getNextMemoryOp(Operation *op) {
  Operation *next = op->getNextNode();
  while (next && (isa<memref::AllocOp>(next) || isMemoryEffectFree(next)))
    next = next->getNextNode();
  return next;
}

/// Returns the buffer that `buffer` is a view of (itself if none).
static Value getRootBuffer(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer;
}

/// Returns true if the buffers `a` and `b` may share memory: views of the
/// same buffer. Different buffers do not: the function's own are
/// allocations of their own, and its arguments are inputs, which it only
/// reads, and outputs, which the C ABI does not let overlap anything
/// (docs/ABI.md).
static bool mayAlias(Value a, Value b) {
  return getRootBuffer(a) == getRootBuffer(b);
}

/// Returns true if `buffer` may be read after `consumer` (by an op other
/// than `producer`, `consumer` and deallocations). Uses before `producer`
/// do not count when the buffer is allocated in the producer's block (so
/// that no loop around the producer carries it to a later iteration).
static bool isReadLater(Value buffer, Operation *producer,
                        Operation *consumer) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  bool local = alloc && alloc->getBlock() == producer->getBlock();
  return llvm::any_of(buffer.getUsers(), [&](Operation *user) {
    if (user == producer || user == consumer || isa<memref::DeallocOp>(user))
      return false;
    return !local || user->getBlock() != producer->getBlock() ||
           !user->isBeforeInBlock(producer);
  });
}

/// Returns true if the body of `op` may read or write memory (beyond its
/// operands' elements, which linalg passes it as arguments).
static bool bodyTouchesMemory(linalg::GenericOp op) {
  return op.getRegion()
      .walk([](Operation *nested) {
        return isMemoryEffectFree(nested) ? WalkResult::advance()
                                          : WalkResult::interrupt();
      })
      .wasInterrupted();
}

/// Returns true if `op` on buffers only updates `buffer` elementwise: all
/// its loops parallel, `buffer` its only output (identity map) and none of
/// its inputs, and a body that touches no memory (it reads the element it
/// writes through its output argument at most).
static bool isElementwiseUpdate(linalg::GenericOp op, Value buffer) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0 ||
      op.getDpsInitOperand(0)->get() != buffer ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      llvm::is_contained(op.getDpsInputs(), buffer))
    return false;
  return !bodyTouchesMemory(op);
}

void mlir::effattn::readCopySourcesInPlace(RewriterBase &rewriter,
                                           ModuleOp module) {
  SmallVector<memref::CopyOp> copies;
  module.walk([&](memref::CopyOp copy) {
    if (!copy->getParentOfType<gpu::LaunchOp>())
      copies.push_back(copy);
  });
  for (memref::CopyOp copy : copies) {
    Value source = copy.getSource(), target = copy.getTarget();
    auto update = dyn_cast_if_present<linalg::GenericOp>(getNextMemoryOp(copy));
    if (!update || !isElementwiseUpdate(update, target) ||
        mayAlias(source, target))
      continue;
    // The same op, reading the copied element from the source.
    SmallVector<Value> inputs(update.getDpsInputs());
    inputs.push_back(source);
    SmallVector<AffineMap> maps = update.getIndexingMapsArray();
    maps.insert(maps.end() - 1, maps.back());
    rewriter.setInsertionPoint(update);
    auto replacement = linalg::GenericOp::create(
        rewriter, update.getLoc(), TypeRange(), inputs, ValueRange{target},
        maps, update.getIteratorTypesArray());
    rewriter.inlineRegionBefore(update.getRegion(), replacement.getRegion(),
                                replacement.getRegion().end());
    Block &body = replacement.getRegion().front();
    BlockArgument output = body.getArguments().back();
    BlockArgument copied = body.insertArgument(
        body.getNumArguments() - 1, output.getType(), update.getLoc());
    rewriter.replaceAllUsesWith(output, copied);
    rewriter.eraseOp(update);
    rewriter.eraseOp(copy);
  }
}

std::optional<Epilogue> mlir::effattn::findEpilogue(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || !op.hasPureBufferSemantics())
    return std::nullopt;
  Value produced = op.getDpsInitOperand(0)->get();
  auto producedType = cast<MemRefType>(produced.getType());
  auto consumer = dyn_cast_if_present<linalg::GenericOp>(getNextMemoryOp(op));
  if (!consumer || !consumer.hasPureBufferSemantics() ||
      consumer.getNumDpsInits() != 1 || consumer.getNumReductionLoops() != 0)
    return std::nullopt;
  // Its body reads nothing but its operands' elements (a gather's loads
  // could read elements that other threads have not written yet).
  if (bodyTouchesMemory(consumer))
    return std::nullopt;
  // The consumer's elements are the producer's.
  OpOperand *output = consumer.getDpsInitOperand(0);
  auto outputType = cast<MemRefType>(output->get().getType());
  if (!producedType.hasStaticShape() ||
      outputType.getShape() != producedType.getShape() ||
      !consumer.getMatchingIndexingMap(output).isIdentity())
    return std::nullopt;
  // It reads the produced element in place or as one identity-mapped input,
  // and no other buffer it reads shares memory with the produced one (the
  // kernel reads them while its other threads write); what it writes
  // shares none with what the producer reads.
  bool inPlace = output->get() == produced;
  int reads = 0;
  for (OpOperand *input : consumer.getDpsInputOperands()) {
    if (!isa<MemRefType>(input->get().getType()))
      continue;
    if (input->get() != produced) {
      if (mayAlias(input->get(), produced))
        return std::nullopt;
      continue;
    }
    if (!consumer.getMatchingIndexingMap(input).isIdentity())
      return std::nullopt;
    ++reads;
  }
  if (reads != (inPlace ? 0 : 1))
    return std::nullopt;
  if (!inPlace && llvm::any_of(op->getOperands(), [&](Value operand) {
        return isa<MemRefType>(operand.getType()) &&
               mayAlias(operand, output->get());
      }))
    return std::nullopt;
  // Nor does the producer's body load from it.
  bool bodyReadsOutput = op.getRegion()
                             .walk([&](Operation *nested) {
                               for (Value operand : nested->getOperands())
                                 if (isa<MemRefType>(operand.getType()) &&
                                     mayAlias(operand, output->get()))
                                   return WalkResult::interrupt();
                               return WalkResult::advance();
                             })
                             .wasInterrupted();
  if (bodyReadsOutput)
    return std::nullopt;
  return Epilogue{consumer, produced,
                  !inPlace && isReadLater(produced, op, consumer)};
}

void mlir::effattn::emitEpilogueStore(OpBuilder &b, Location loc,
                                      Epilogue *epilogue, Value value,
                                      Value buffer, ValueRange indices) {
  if (!epilogue) {
    memref::StoreOp::create(b, loc, value, buffer, indices);
    return;
  }
  if (epilogue->storeProduced)
    memref::StoreOp::create(b, loc, value, epilogue->produced, indices);
  Value output = epilogue->consumer.getDpsInitOperand(0)->get();
  Value current = output == epilogue->produced
                      ? value
                      : memref::LoadOp::create(b, loc, output, indices);
  SmallVector<Value> results = emitGenericBody(
      b, loc, epilogue->consumer, indices, current, epilogue->produced, value);
  memref::StoreOp::create(b, loc, results.front(), output, indices);
  epilogue->used = true;
}
