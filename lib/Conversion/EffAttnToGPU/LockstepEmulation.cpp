//===- LockstepEmulation.cpp - synchronizing kernels on host ----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A kernel whose threads synchronize cannot run one thread after another.
// This runs its block in lockstep instead (loop fission at the
// synchronization points, as in MCUDA): the kernel body is cut at each
// barrier; control flow that contains synchronization (the loop over key
// tiles) stays a loop around the pieces, with its bounds and conditions
// taken from thread 0. Between cuts, the warp-level ops, which read other
// lanes' values, split the ops into phases: a loop over the block's threads
// running the thread ops whose operands are ready, then one running the
// warp-level ops whose operands are (ops that access memory keep their
// order), so that the many independent shuffles or mma.sync of a tile share
// a loop. A value that one loop defines and a later one uses lives in a
// per-thread slot (a buffer of one element per thread). A shuffle reads its
// source lane's slot. Shared memory (memref.get_global of a workgroup global,
// the launch's dynamic shared memory and views of it) is one buffer per
// block.
//
// The tensor-core ops are emulated from the PTX ISA's fragment layouts
// (lane = 4·g + t): nvgpu.ldmatrix (each lane's fragment elements read at
// the row addresses the lanes of the warp give) and nvgpu.mma.sync,
// m16n8k16 with f16 or bf16 operands into f32, m16n8k32 with i8 operands
// into i32 and m16n8k8 with tf32 operands (the 13 low bits of f32 registers
// ignored) into f32 (each lane's four outputs summed from its warp's A and B
// fragments: in f32, or exactly and then clamped as .satfinite; one private
// function per shape and type, EmulatedMma.h).
// Asynchronous
// copies (cp.async) are copied at once, which their waits and the barriers
// after them make equivalent.
//
//===----------------------------------------------------------------------===//

#include "LockstepEmulation.h"
#include "EmulatedMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::effattn;

bool mlir::effattn::containsThreadSync(Operation *op) {
  return op
      ->walk([](Operation *nested) {
        return isa<gpu::BarrierOp, gpu::ShuffleOp, nvgpu::LdMatrixOp,
                   nvgpu::MmaSyncOp>(nested)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Returns true if `type` is a buffer in GPU shared (workgroup) memory.
static bool isSharedMemory(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  auto space =
      memref
          ? dyn_cast_if_present<gpu::AddressSpaceAttr>(memref.getMemorySpace())
          : nullptr;
  return space && space.getValue() == gpu::AddressSpace::Workgroup;
}

/// Returns `type` in host memory.
static MemRefType inHostMemory(MemRefType type) {
  return MemRefType::get(type.getShape(), type.getElementType(),
                         type.getLayout());
}

/// Returns true for the values emulation drops: cp.async tokens (the copies
/// complete at once).
static bool isAsyncToken(Value value) {
  return isa<nvgpu::DeviceAsyncTokenType>(value.getType());
}

/// Returns the values `op` uses from outside itself: its operands and those
/// its regions use from above.
static SetVector<Value> getUsedValues(Operation *op) {
  SetVector<Value> used;
  for (Region &region : op->getRegions())
    getUsedValuesDefinedAbove(region, used);
  used.insert(op->operand_begin(), op->operand_end());
  return used;
}

/// Returns true for the warp-level ops that read other lanes' operands:
/// shuffles, ldmatrix and mma.sync.
static bool isWarpOp(Operation *op) {
  return isa<gpu::ShuffleOp, nvgpu::LdMatrixOp, nvgpu::MmaSyncOp>(op);
}

namespace {
/// A run of a block's ops split into phases: phase p is one loop over
/// threads running `threadOps[p]` (in block order), then one running
/// `warpOps[p]`.
struct WarpOpSchedule {
  SmallVector<SmallVector<Operation *>> threadOps, warpOps;
  unsigned numPhases() const { return threadOps.size(); }
};
} // namespace

/// Schedules `ops` (thread ops and warp ops, no barriers) into the fewest
/// phases that keep their dependences: a warp op reads every lane's operands,
/// so it runs after the phase of thread ops that computes them, and its
/// users run in a later phase. Independent warp ops, such as the mma.sync of
/// a tile's fragments, share a phase: one loop over threads instead of one
/// each. Ops that read or write memory keep their order.
static WarpOpSchedule scheduleWarpOps(ArrayRef<Operation *> ops) {
  DenseMap<Operation *, unsigned> phaseOf;
  // The first phase in which the next memory access may run, as a thread op
  // and as a warp op (thread ops run before warp ops in a phase).
  unsigned memoryThreadPhase = 0, memoryWarpPhase = 0;
  WarpOpSchedule schedule;
  for (Operation *op : ops) {
    bool warpOp = isWarpOp(op);
    unsigned phase = 0;
    for (Value value : getUsedValues(op)) {
      auto it = phaseOf.find(value.getDefiningOp());
      if (it != phaseOf.end())
        phase = std::max(phase, it->second + (isWarpOp(it->first) ? 1 : 0));
    }
    bool accessesMemory = !isMemoryEffectFree(op);
    if (accessesMemory)
      phase = std::max(phase, warpOp ? memoryWarpPhase : memoryThreadPhase);
    phaseOf[op] = phase;
    if (accessesMemory) {
      memoryThreadPhase = std::max(memoryThreadPhase, phase + (warpOp ? 1 : 0));
      memoryWarpPhase = std::max(memoryWarpPhase, phase);
    }
    if (phase >= schedule.numPhases()) {
      schedule.threadOps.resize(phase + 1);
      schedule.warpOps.resize(phase + 1);
    }
    (warpOp ? schedule.warpOps : schedule.threadOps)[phase].push_back(op);
  }
  return schedule;
}

namespace {
/// Emits the lockstep form of one kernel body (see the file comment).
class LockstepEmitter {
public:
  LockstepEmitter(RewriterBase &rewriter, gpu::LaunchOp launch)
      : rewriter(rewriter), launch(launch), loc(launch.getLoc()) {}

  LogicalResult emit();

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(rewriter, loc, value);
  }
  /// Returns true if `value` is computed by a thread of the kernel (not a
  /// launch operand, id or size, nor a value from outside the kernel).
  bool isThreadValue(Value value) {
    return launch.getBody().isAncestor(value.getParentRegion()) &&
           !uniform.contains(value) && !isAsyncToken(value);
  }
  /// Returns true if `value` is a thread value other than a constant: one
  /// that may differ between threads and lives in a slot.
  bool isPerThread(Value value);
  /// A new buffer of one `type` element per thread, allocated at the start
  /// of the block.
  Value allocateSlot(Type type);
  /// The per-thread slot of `value`, created at the start of the block.
  Value slotOf(Value value);
  /// A per-thread slot that holds `value` for every thread: its slot if it
  /// is a thread value, else (a constant or a value from outside the kernel,
  /// the same for all threads) one filled at the start of the block.
  Value laneSlotOf(Value value);
  /// Maps `value` in `mapping` (in the loop over threads at `thread`) if it
  /// is a thread value: a constant is cloned, any other value is loaded from
  /// its slot.
  void mapThreadValue(Value value, Value thread, IRMapping &mapping);
  /// Maps every thread value that `op` uses from outside itself.
  void mapOperands(Operation *op, Value thread, IRMapping &mapping);
  /// Returns the value of `value` in the code between loops over threads:
  /// uniform, or thread 0's.
  Value uniformValue(Value value);
  /// Returns `value` as thread `thread` holds it, from inside the loop over
  /// threads whose values `mapping` holds.
  Value valueOfThread(Value value, Value thread, IRMapping &mapping);
  /// Maps the shared memory of the block (globals, dynamic shared memory and
  /// the kernel's views of them) to buffers of the block.
  LogicalResult mapSharedMemory(Block &body);
  /// Emits a loop over the block's threads, running `body(thread,
  /// mapping)` with the thread ids mapped.
  void emitThreadLoop(function_ref<void(Value, IRMapping &)> body);
  /// Emits the ops of `block` (a kernel body or a synchronizing region).
  LogicalResult emitBlock(Block &block);
  /// Emits `ops`, a run of a block without barriers, shuffles or
  /// synchronizing regions but with warp-level ops, in as few loops over
  /// threads as their dependences allow (see `scheduleWarpOps`).
  void emitWarpOpRun(ArrayRef<Operation *> ops);
  /// Emits `ops` (no synchronization inside) as one loop over threads,
  /// storing the results used after them in slots.
  void emitPiece(ArrayRef<Operation *> ops);
  /// Emit, in the loop over threads at `thread`, a shuffle (the thread
  /// reads its source lane's slot), ldmatrix and mma.sync from the lanes'
  /// slots (file comment).
  void emitShuffle(gpu::ShuffleOp shuffle, Value thread, IRMapping &mapping);
  void emitLdMatrix(nvgpu::LdMatrixOp load, Value thread, IRMapping &mapping);
  void emitMmaSync(nvgpu::MmaSyncOp mma, Value thread, IRMapping &mapping);
  /// Emits a cp.async as the copy it makes, in a loop over threads.
  void emitAsyncCopy(nvgpu::DeviceAsyncCopyOp copy, IRMapping &mapping);
  /// Emits a synchronizing scf.for or scf.if around the emission of its
  /// body.
  LogicalResult emitFor(scf::ForOp loop);
  LogicalResult emitIf(scf::IfOp ifOp);
  /// Stores, per thread, `values` (thread values or uniform) into `slots`.
  void copyToSlots(ValueRange values, ArrayRef<Value> slots);

  RewriterBase &rewriter;
  gpu::LaunchOp launch;
  Location loc;
  /// Launch sizes and ids, the shared buffers and the induction variables of
  /// the loops kept around pieces: the same for every thread.
  IRMapping uniform;
  /// The slot of each thread value used across pieces.
  DenseMap<Value, Value> slots;
  /// The filled slots of values that are the same for all threads.
  DenseMap<Value, Value> uniformSlots;
  /// Slots are allocated before this op, ahead of all emitted code.
  Operation *slotAnchor = nullptr;
  /// The threads of a block and the block's sizes.
  Value numThreads;
  SmallVector<Value> blockSize;
};
} // namespace

Value LockstepEmitter::allocateSlot(Type type) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(slotAnchor);
  return memref::AllocOp::create(rewriter, loc,
                                 MemRefType::get({ShapedType::kDynamic}, type),
                                 ValueRange{numThreads});
}

Value LockstepEmitter::slotOf(Value value) {
  Value &slot = slots[value];
  if (!slot)
    slot = allocateSlot(value.getType());
  return slot;
}

bool LockstepEmitter::isPerThread(Value value) {
  Operation *def = value.getDefiningOp();
  return isThreadValue(value) && !(def && matchPattern(def, m_Constant()));
}

Value LockstepEmitter::laneSlotOf(Value value) {
  if (isPerThread(value))
    return slotOf(value);
  Value &slot = uniformSlots[value];
  if (!slot) {
    slot = allocateSlot(value.getType());
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(slotAnchor);
    Value uniformCopy = uniformValue(value);
    emitThreadLoop([&](Value thread, IRMapping &) {
      memref::StoreOp::create(rewriter, loc, uniformCopy, slot,
                              ValueRange{thread});
    });
  }
  return slot;
}

void LockstepEmitter::mapThreadValue(Value value, Value thread,
                                     IRMapping &mapping) {
  if (mapping.contains(value) || !isThreadValue(value))
    return;
  Operation *def = value.getDefiningOp();
  if (def && matchPattern(def, m_Constant())) {
    rewriter.clone(*def, mapping);
    return;
  }
  mapping.map(value, memref::LoadOp::create(rewriter, loc, slotOf(value),
                                            ValueRange{thread}));
}

void LockstepEmitter::mapOperands(Operation *op, Value thread,
                                  IRMapping &mapping) {
  for (Value value : getUsedValues(op))
    mapThreadValue(value, thread, mapping);
}

Value LockstepEmitter::uniformValue(Value value) {
  if (!isThreadValue(value))
    return uniform.lookupOrDefault(value);
  Operation *def = value.getDefiningOp();
  if (def && matchPattern(def, m_Constant())) {
    IRMapping mapping;
    return rewriter.clone(*def, mapping)->getResult(0);
  }
  return memref::LoadOp::create(rewriter, loc, slotOf(value),
                                ValueRange{index(0)});
}

Value LockstepEmitter::valueOfThread(Value value, Value thread,
                                     IRMapping &mapping) {
  if (!isPerThread(value)) {
    mapThreadValue(value, thread, mapping);
    return mapping.lookupOrDefault(value);
  }
  return memref::LoadOp::create(rewriter, loc, slotOf(value),
                                ValueRange{thread});
}

LogicalResult LockstepEmitter::mapSharedMemory(Block &body) {
  for (Operation &op : body) {
    if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
      if (isSharedMemory(global.getType()))
        uniform.map(global.getResult(),
                    memref::AllocOp::create(rewriter, loc,
                                            inHostMemory(global.getType())));
      continue;
    }
    if (auto dynamic = dyn_cast<gpu::DynamicSharedMemoryOp>(op)) {
      Value bytes = launch.getDynamicSharedMemorySize();
      auto buffer = memref::AllocOp::create(
          rewriter, loc, inHostMemory(dynamic.getType()),
          bytes ? ValueRange{arith::IndexCastUIOp::create(
                      rewriter, loc, rewriter.getIndexType(), bytes)}
                : ValueRange{index(0)},
          ValueRange(), rewriter.getI64IntegerAttr(16));
      uniform.map(dynamic.getResult(), buffer);
      continue;
    }
    // A view of shared memory: the same view of the block's buffer.
    if (llvm::none_of(op.getResultTypes(), isSharedMemory))
      continue;
    IRMapping mapping = uniform;
    for (Value operand : op.getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (def && matchPattern(def, m_Constant()))
        rewriter.clone(*def, mapping);
      else if (isThreadValue(operand))
        return op.emitOpError("views shared memory at a per-thread offset; "
                              "only uniform views run on the host");
    }
    Operation *view = rewriter.clone(op, mapping);
    for (auto [result, copy] : llvm::zip(op.getResults(), view->getResults())) {
      copy.setType(inHostMemory(cast<MemRefType>(result.getType())));
      uniform.map(result, copy);
    }
  }
  return success();
}

void LockstepEmitter::emitThreadLoop(
    function_ref<void(Value, IRMapping &)> body) {
  auto loop = scf::ForOp::create(rewriter, loc, index(0), numThreads, index(1));
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(loop.getBody());
  Value thread = loop.getInductionVar();
  // Linear thread t = x + X·(y + Y·z).
  Value x = arith::RemUIOp::create(rewriter, loc, thread, blockSize[0]);
  Value rest = arith::DivUIOp::create(rewriter, loc, thread, blockSize[0]);
  Value y = arith::RemUIOp::create(rewriter, loc, rest, blockSize[1]);
  Value z = arith::DivUIOp::create(rewriter, loc, rest, blockSize[1]);
  IRMapping mapping = uniform;
  gpu::KernelDim3 ids = launch.getThreadIds();
  mapping.map(ids.x, x);
  mapping.map(ids.y, y);
  mapping.map(ids.z, z);
  body(thread, mapping);
}

void LockstepEmitter::emitPiece(ArrayRef<Operation *> ops) {
  if (ops.empty())
    return;
  llvm::SmallPtrSet<Operation *, 16> members(ops.begin(), ops.end());
  Block *block = ops.front()->getBlock();
  emitThreadLoop([&](Value thread, IRMapping &mapping) {
    for (Operation *op : ops) {
      // Shared buffers are the block's, created once; copies complete at
      // once.
      if ((op->getNumResults() &&
           llvm::all_of(op->getResults(),
                        [&](Value r) { return uniform.contains(r); })) ||
          isa<nvgpu::DeviceAsyncCreateGroupOp, nvgpu::DeviceAsyncWaitOp>(op))
        continue;
      mapOperands(op, thread, mapping);
      if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op)) {
        emitAsyncCopy(copy, mapping);
        continue;
      }
      Operation *clone = rewriter.clone(*op, mapping);
      if (matchPattern(op, m_Constant()))
        continue;
      for (auto [result, copy] :
           llvm::zip(op->getResults(), clone->getResults())) {
        bool usedLater = llvm::any_of(result.getUsers(), [&](Operation *user) {
          Operation *ancestor = block->findAncestorOpInBlock(*user);
          return !ancestor || !members.contains(ancestor);
        });
        if (usedLater)
          memref::StoreOp::create(rewriter, loc, copy, slotOf(result),
                                  ValueRange{thread});
      }
    }
  });
}

void LockstepEmitter::copyToSlots(ValueRange values, ArrayRef<Value> to) {
  emitThreadLoop([&](Value thread, IRMapping &mapping) {
    // All reads first: a yielded value may be another iteration argument.
    SmallVector<Value> read;
    for (Value value : values) {
      mapThreadValue(value, thread, mapping);
      read.push_back(mapping.lookupOrDefault(value));
    }
    for (auto [value, slot] : llvm::zip(read, to))
      if (slot)
        memref::StoreOp::create(rewriter, loc, value, slot, ValueRange{thread});
  });
}

void LockstepEmitter::emitShuffle(gpu::ShuffleOp shuffle, Value thread,
                                  IRMapping &mapping) {
  Value source = shuffle.getValue();
  mapOperands(shuffle, thread, mapping);
  auto toIndex = [&](Value i32) {
    return arith::IndexCastUIOp::create(rewriter, loc, rewriter.getIndexType(),
                                        mapping.lookupOrDefault(i32));
  };
  Value offset = toIndex(shuffle.getOffset());
  Value width = toIndex(shuffle.getWidth());
  // The lane within its segment of `width` lanes, and the source lane.
  Value lane = arith::RemUIOp::create(rewriter, loc, thread, index(kWarpSize));
  Value inSegment = arith::RemUIOp::create(rewriter, loc, lane, width);
  Value sourceLane;
  switch (shuffle.getMode()) {
  case gpu::ShuffleMode::XOR:
    sourceLane = arith::XOrIOp::create(rewriter, loc, inSegment, offset);
    break;
  case gpu::ShuffleMode::DOWN:
    sourceLane = arith::AddIOp::create(rewriter, loc, inSegment, offset);
    break;
  case gpu::ShuffleMode::UP:
    // Below 0 wraps to a huge index, out of range as it should be.
    sourceLane = arith::SubIOp::create(rewriter, loc, inSegment, offset);
    break;
  case gpu::ShuffleMode::IDX:
    sourceLane = offset;
    break;
  }
  Value valid = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                      sourceLane, width);
  Value own = mapping.lookupOrDefault(source);
  Value sourceThread = arith::AddIOp::create(
      rewriter, loc, arith::SubIOp::create(rewriter, loc, thread, inSegment),
      sourceLane);
  auto read = scf::IfOp::create(rewriter, loc, own.getType(), valid,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(read.thenBlock());
    // A constant or a value from outside the kernel is every lane's.
    Value other = isPerThread(source)
                      ? memref::LoadOp::create(rewriter, loc, slotOf(source),
                                               ValueRange{sourceThread})
                            .getResult()
                      : own;
    scf::YieldOp::create(rewriter, loc, other);
    rewriter.setInsertionPointToStart(read.elseBlock());
    scf::YieldOp::create(rewriter, loc, own);
  }
  memref::StoreOp::create(rewriter, loc, read.getResult(0),
                          slotOf(shuffle.getShuffleResult()),
                          ValueRange{thread});
  memref::StoreOp::create(rewriter, loc, valid, slotOf(shuffle.getValid()),
                          ValueRange{thread});
}

void LockstepEmitter::emitLdMatrix(nvgpu::LdMatrixOp load, Value thread,
                                   IRMapping &mapping) {
  // Each lane's register of an 8×8 b16 tile is 4 bytes of one row: two f16
  // or bf16 elements, or four i8.
  auto type = cast<VectorType>(load.getRes().getType());
  int64_t perRegister = type.getDimSize(1);
  Value lane = arith::RemUIOp::create(rewriter, loc, thread, index(kWarpSize));
  Value warp = arith::SubIOp::create(rewriter, loc, thread, lane);
  Value group = arith::DivUIOp::create(rewriter, loc, lane, index(4));
  Value firstColumn = arith::MulIOp::create(
      rewriter, loc, arith::RemUIOp::create(rewriter, loc, lane, index(4)),
      index(perRegister));
  SmallVector<Value> elements;
  for (int64_t tile = 0; tile < load.getNumTiles(); ++tile) {
    for (int64_t j = 0; j < perRegister; ++j) {
      // Element (group, firstColumn + j) of 8×8 tile `tile`, or its
      // transpose (firstColumn + j, group; the verifier allows it for
      // 16-bit elements only): a row address from lane 8·tile + row, the
      // column added to the innermost index.
      Value row =
          load.getTranspose()
              ? arith::AddIOp::create(rewriter, loc, firstColumn, index(j))
                    .getResult()
              : group;
      Value column =
          load.getTranspose()
              ? group
              : arith::AddIOp::create(rewriter, loc, firstColumn, index(j))
                    .getResult();
      Value source = arith::AddIOp::create(
          rewriter, loc, warp,
          arith::AddIOp::create(rewriter, loc, index(8 * tile), row));
      SmallVector<Value> indices =
          llvm::map_to_vector(load.getIndices(), [&](Value i) {
            return valueOfThread(i, source, mapping);
          });
      indices.back() =
          arith::AddIOp::create(rewriter, loc, indices.back(), column);
      elements.push_back(memref::LoadOp::create(
          rewriter, loc, mapping.lookupOrDefault(load.getSrcMemref()),
          indices));
    }
  }
  Value result = vector::FromElementsOp::create(rewriter, loc, type, elements);
  memref::StoreOp::create(rewriter, loc, result, slotOf(load.getRes()),
                          ValueRange{thread});
}

void LockstepEmitter::emitMmaSync(nvgpu::MmaSyncOp mma, Value thread,
                                  IRMapping &mapping) {
  func::FuncOp function =
      getEmulatedMmaFunction(launch->getParentOfType<ModuleOp>(), mma);
  auto call = func::CallOp::create(
      rewriter, loc, function,
      ValueRange{laneSlotOf(mma.getMatrixA()), laneSlotOf(mma.getMatrixB()),
                 valueOfThread(mma.getMatrixC(), thread, mapping), thread});
  memref::StoreOp::create(rewriter, loc, call.getResult(0),
                          slotOf(mma.getRes()), ValueRange{thread});
}

void LockstepEmitter::emitAsyncCopy(nvgpu::DeviceAsyncCopyOp copy,
                                    IRMapping &mapping) {
  // dst[i] = i < srcElements ? src[i] : 0, along the innermost index.
  auto lookup = [&](ValueRange values) {
    return llvm::map_to_vector(
        values, [&](Value value) { return mapping.lookupOrDefault(value); });
  };
  SmallVector<Value> dstIndices = lookup(copy.getDstIndices());
  SmallVector<Value> srcIndices = lookup(copy.getSrcIndices());
  Value srcElements = copy.getSrcElements()
                          ? mapping.lookupOrDefault(copy.getSrcElements())
                          : index(copy.getDstElements().getZExtValue());
  Value src = mapping.lookupOrDefault(copy.getSrc());
  Value dst = mapping.lookupOrDefault(copy.getDst());
  Type elementType = cast<MemRefType>(src.getType()).getElementType();
  auto loop =
      scf::ForOp::create(rewriter, loc, index(0),
                         index(copy.getDstElements().getZExtValue()), index(1));
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(loop.getBody());
  Value i = loop.getInductionVar();
  auto at = [&](SmallVector<Value> indices) {
    indices.back() = arith::AddIOp::create(rewriter, loc, indices.back(), i);
    return indices;
  };
  Value inRange = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::ult, i, srcElements);
  auto read = scf::IfOp::create(rewriter, loc, elementType, inRange,
                                /*withElseRegion=*/true);
  rewriter.setInsertionPointToStart(read.thenBlock());
  scf::YieldOp::create(
      rewriter, loc,
      memref::LoadOp::create(rewriter, loc, src, at(srcIndices)).getResult());
  rewriter.setInsertionPointToStart(read.elseBlock());
  scf::YieldOp::create(rewriter, loc,
                       arith::ConstantOp::create(
                           rewriter, loc, rewriter.getZeroAttr(elementType))
                           .getResult());
  rewriter.setInsertionPointAfter(read);
  memref::StoreOp::create(rewriter, loc, read.getResult(0), dst,
                          at(dstIndices));
}

LogicalResult LockstepEmitter::emitFor(scf::ForOp loop) {
  SmallVector<Value> iterSlots =
      llvm::map_to_vector(loop.getRegionIterArgs(), [&](Value arg) {
        return isAsyncToken(arg) ? Value() : slotOf(arg);
      });
  copyToSlots(loop.getInitArgs(), iterSlots);
  auto emitted = scf::ForOp::create(
      rewriter, loc, uniformValue(loop.getLowerBound()),
      uniformValue(loop.getUpperBound()), uniformValue(loop.getStep()));
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(emitted.getBody());
    uniform.map(loop.getInductionVar(), emitted.getInductionVar());
    if (failed(emitBlock(*loop.getBody())))
      return failure();
    copyToSlots(loop.getBody()->getTerminator()->getOperands(), iterSlots);
  }
  for (auto [result, slot] : llvm::zip(loop.getResults(), iterSlots))
    slots[result] = slot;
  return success();
}

LogicalResult LockstepEmitter::emitIf(scf::IfOp ifOp) {
  SmallVector<Value> resultSlots =
      llvm::map_to_vector(ifOp.getResults(), [&](Value result) {
        return isAsyncToken(result) ? Value() : slotOf(result);
      });
  auto emitted = scf::IfOp::create(
      rewriter, loc, TypeRange(), uniformValue(ifOp.getCondition()),
      /*withElseRegion=*/ifOp.elseBlock() != nullptr);
  for (auto [from, to] : {std::pair(ifOp.thenBlock(), emitted.thenBlock()),
                          std::pair(ifOp.elseBlock(), emitted.elseBlock())}) {
    if (!from)
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(to->getTerminator());
    if (failed(emitBlock(*from)))
      return failure();
    copyToSlots(from->getTerminator()->getOperands(), resultSlots);
  }
  return success();
}

void LockstepEmitter::emitWarpOpRun(ArrayRef<Operation *> ops) {
  WarpOpSchedule schedule = scheduleWarpOps(ops);
  for (unsigned phase = 0, e = schedule.numPhases(); phase < e; ++phase) {
    emitPiece(schedule.threadOps[phase]);
    ArrayRef<Operation *> warpOps = schedule.warpOps[phase];
    if (warpOps.empty())
      continue;
    emitThreadLoop([&](Value thread, IRMapping &mapping) {
      for (Operation *op : warpOps)
        TypeSwitch<Operation *>(op)
            .Case([&](gpu::ShuffleOp shuffle) {
              emitShuffle(shuffle, thread, mapping);
            })
            .Case([&](nvgpu::LdMatrixOp load) {
              emitLdMatrix(load, thread, mapping);
            })
            .Case([&](nvgpu::MmaSyncOp mma) {
              emitMmaSync(mma, thread, mapping);
            });
    });
  }
}

LogicalResult LockstepEmitter::emitBlock(Block &block) {
  SmallVector<Operation *> run;
  for (Operation &op : block.without_terminator()) {
    if (isWarpOp(&op) || !containsThreadSync(&op)) {
      run.push_back(&op);
      continue;
    }
    emitWarpOpRun(run);
    run.clear();
    if (isa<gpu::BarrierOp>(op))
      continue;
    LogicalResult emitted =
        TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](scf::ForOp loop) { return emitFor(loop); })
            .Case([&](scf::IfOp ifOp) { return emitIf(ifOp); })
            .Default([&](Operation *other) {
              return other->emitOpError(
                  "synchronizes threads inside; only scf.for and scf.if "
                  "around barriers and shuffles run on the host");
            });
    if (failed(emitted))
      return failure();
  }
  emitWarpOpRun(run);
  return success();
}

LogicalResult LockstepEmitter::emit() {
  Block &body = launch.getBody().front();
  WalkResult unsupported = body.walk([](Operation *op) {
    auto mma = dyn_cast<nvgpu::MmaSyncOp>(op);
    bool emulated =
        isa<nvgpu::LdMatrixOp, nvgpu::DeviceAsyncCopyOp,
            nvgpu::DeviceAsyncCreateGroupOp, nvgpu::DeviceAsyncWaitOp>(op) ||
        (mma && isEmulatedMmaShape(mma));
    if (!emulated &&
        isa<NVVM::NVVMDialect, nvgpu::NVGPUDialect>(op->getDialect())) {
      op->emitOpError("has no host emulation (of the NVVM and nvgpu ops, "
                      "only ldmatrix, cp.async and mma.sync m16n8k16 (f16 or "
                      "bf16 into f32), m16n8k32 (i8 into i32) and m16n8k8 "
                      "(tf32 into f32) run on the host)");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (unsupported.wasInterrupted())
    return failure();

  rewriter.setInsertionPoint(launch);
  gpu::KernelDim3 gridOperands = launch.getGridSizeOperandValues();
  gpu::KernelDim3 blockOperands = launch.getBlockSizeOperandValues();
  SmallVector<Value> grid{gridOperands.x, gridOperands.y, gridOperands.z};
  blockSize = {blockOperands.x, blockOperands.y, blockOperands.z};
  numThreads = arith::MulIOp::create(
      rewriter, loc,
      arith::MulIOp::create(rewriter, loc, blockSize[0], blockSize[1]),
      blockSize[2]);
  // Blocks one after another: shared memory and slots are per block (heap
  // buffers that the deallocation pipeline frees after each block).
  SmallVector<Value> blockIds = buildLoopNest(rewriter, loc, grid);

  auto map = [&](gpu::KernelDim3 from, ValueRange to) {
    uniform.map(from.x, to[0]);
    uniform.map(from.y, to[1]);
    uniform.map(from.z, to[2]);
  };
  map(launch.getBlockIds(), blockIds);
  map(launch.getGridSize(), grid);
  map(launch.getBlockSize(), blockSize);
  if (failed(mapSharedMemory(body)))
    return failure();
  slotAnchor = index(0).getDefiningOp();

  if (failed(emitBlock(body)))
    return failure();
  rewriter.eraseOp(launch);
  return success();
}

SmallVector<Value> mlir::effattn::buildLoopNest(RewriterBase &rewriter,
                                                Location loc,
                                                ValueRange sizes) {
  SmallVector<Value> zeros(sizes.size(),
                           arith::ConstantIndexOp::create(rewriter, loc, 0));
  SmallVector<Value> ones(sizes.size(),
                          arith::ConstantIndexOp::create(rewriter, loc, 1));
  scf::LoopNest nest = scf::buildLoopNest(rewriter, loc, zeros, sizes, ones);
  rewriter.setInsertionPoint(nest.loops.back().getBody()->getTerminator());
  return llvm::map_to_vector(nest.loops, [](scf::ForOp loop) -> Value {
    return loop.getInductionVar();
  });
}

LogicalResult mlir::effattn::emulateInLockstep(RewriterBase &rewriter,
                                               gpu::LaunchOp launch) {
  return LockstepEmitter(rewriter, launch).emit();
}
