//===- EffAttnOps.h - EffAttn dialect ops -----------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_EFFATTNOPS_H
#define EFFATTN_DIALECT_EFFATTN_IR_EFFATTNOPS_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"
#include "effattn/FrameQuant/Quantizer.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#define GET_OP_CLASSES
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h.inc"

#endif // EFFATTN_DIALECT_EFFATTN_IR_EFFATTNOPS_H
