//===- EffAttnDialect.cpp - EffAttn dialect ---------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

using namespace mlir;
using namespace mlir::effattn;

#include "effattn/Dialect/EffAttn/IR/EffAttnOpsDialect.cpp.inc"

void EffAttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.cpp.inc"
      >();
}
