//===- EmulatedMma.h - mma.sync computed on the host ------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The part of the lockstep emulation (private to EffAttnToGPU) that
// computes nvgpu.mma.sync on the host.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_EMULATEDMMA_H
#define LIB_CONVERSION_EFFATTNTOGPU_EMULATEDMMA_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace effattn {
/// Returns true if `mma` is one the emulation computes: m16n8k16 with f16
/// or bf16 operands into f32, m16n8k32 with i8 operands into i32, or
/// m16n8k8 with tf32 operands (f32 registers) into f32.
bool isEmulatedMmaShape(nvgpu::MmaSyncOp mma);

/// Returns the function that computes one lane's result of an mma.sync of
/// `mma`'s shape and types, created in `module` on first use: (the A
/// fragments of the block's threads, their B fragments, the lane's C
/// fragment, the lane's thread) -> the lane's D fragment. Calls keep the
/// emulated kernels small: a 3xTF32 attention kernel has hundreds of
/// mma.sync per key tile.
func::FuncOp getEmulatedMmaFunction(ModuleOp module, nvgpu::MmaSyncOp mma);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_EMULATEDMMA_H
