//===- effattn-opt.cpp - effattn optimizer driver ---------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An mlir-opt-style driver that knows the effattn dialect, its passes and
// pipelines, and the upstream dialects and passes they are built from.
//
//===----------------------------------------------------------------------===//

#include "effattn/InitAllDialects.h"
#include "effattn/InitAllPasses.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::effattn::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::effattn::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "effattn optimizer driver\n", registry));
}
