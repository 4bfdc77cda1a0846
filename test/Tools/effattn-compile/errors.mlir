// RUN: not effattn-compile %s -o %t.so 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// RUN: not effattn-compile %s --emit=mlir-after=vectorize -o - 2>&1 | FileCheck %s --check-prefix=STAGE
// RUN: not effattn-compile %s --emit=exe -o - 2>&1 | FileCheck %s --check-prefix=EMIT
// RUN: not effattn-compile %S/emit.mlir --target=not-a-cpu --emit=obj -o %t.o 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not effattn-compile %t.missing.mlir -o %t.so 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not effattn-compile %S/Inputs/invalid-op.mlir -o %t.so 2>&1 | FileCheck %s --check-prefix=VERIFY
// RUN: not effattn-compile %S/Inputs/no-entry.mlir -o %t.so 2>&1 | FileCheck %s --check-prefix=NOENTRY
// RUN: not effattn-compile %S/Inputs/reserved-name.mlir -o %t.so 2>&1 | FileCheck %s --check-prefix=RESERVED

/// Bad input ends in a diagnostic and a non-zero exit, never a crash.

// DYNAMIC: error: effattn-compile: arg0 of @dynamic_rows has type 'tensor<?x16xf32>'; the C ABI requires static shapes
// STAGE: effattn-compile: error: unknown stage 'vectorize' (expected tile, decompose, bufferize or llvm)
// EMIT: effattn-compile: error: unknown --emit=exe
// TARGET: effattn-compile: error: unknown CPU 'not-a-cpu'
// MISSING: effattn-compile: error: {{.*}}missing.mlir
// VERIFY: error: 'effattn.attention' op expects the head dimension D of key (8) to match query (16)
// NOENTRY: error: effattn-compile: the module has no public function to export
// RESERVED: error: effattn-compile: the symbol @__effattn_impl_f is reserved for the implementation of @f

func.func @dynamic_rows(%q: tensor<?x16xf32>, %k: tensor<12x16xf32>,
                        %v: tensor<12x4xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<?x16xf32>, tensor<12x16xf32>, tensor<12x4xf32>)
      outs(%o : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
