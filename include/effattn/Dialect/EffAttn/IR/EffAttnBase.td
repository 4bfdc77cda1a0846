//===- EffAttnBase.td - EffAttn dialect definition ---------*- tablegen -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_EFFATTNBASE_TD
#define EFFATTN_DIALECT_EFFATTN_IR_EFFATTNBASE_TD

include "mlir/IR/OpBase.td"

def EffAttn_Dialect : Dialect {
  let name = "effattn";
  let cppNamespace = "::mlir::effattn";
  let summary = "Efficient transformer building blocks as high-level ops";
  let description = [{
    The `effattn` dialect models efficient transformer building blocks as
    first-class operations on tensors: exact and approximate attention
    (Nyströmformer, YOSO, MRA), the lookup FFN, unpacked exact low-bit
    integer matmul and frame quantization.

    Every op is in destination-passing style (`ins(...) outs(...)`), accepts
    leading batch dimensions, implements `TilingInterface` so that upstream
    tile-and-fuse drivers apply to it, and decomposes into `linalg` through
    `AggregatedOpInterface`. Floating-point ops accept f32, f16 and bf16 and
    accumulate in f32.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let hasCanonicalizer = 0;
  let useDefaultAttributePrinterParser = 1;
}

/// Base class of every effattn op.
class EffAttn_Op<string mnemonic, list<Trait> traits = []>
    : Op<EffAttn_Dialect, mnemonic, traits>;

/// A ranked tensor of a floating-point type that effattn computes with.
def EffAttn_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;

/// A ranked tensor of booleans (1 = keep, 0 = mask out).
def EffAttn_MaskTensor : RankedTensorOf<[I1]>;

/// A ranked tensor of quantized integers.
def EffAttn_IntegerTensor : RankedTensorOf<[I32, I64]>;

/// A 0-d f32 tensor (a per-tensor scale).
def EffAttn_ScalarF32Tensor : 0DTensorOf<[F32]>;

#endif // EFFATTN_DIALECT_EFFATTN_IR_EFFATTNBASE_TD
