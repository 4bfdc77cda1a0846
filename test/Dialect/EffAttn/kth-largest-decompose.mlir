// RUN: effattn-opt %s --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.kth_largest over [R, L] i32.
/// OUT: a 32-step bisection over the i32 range on [R] tensors of bounds
/// (lo = INT32_MIN, hi = INT32_MAX): each step counts, in i64, the elements
/// of each row that are >= mid = lo + (hi - lo + 1) / 2 (computed in i64, so
/// that hi - lo + 1 does not overflow), then lo <- mid where at least k are,
/// else hi <- mid - 1; the result is lo. R may be dynamic.

// CHECK-LABEL: func.func @kth_largest
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x256xi32>
// CHECK: %[[R:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x256xi32>
// CHECK: %[[MIN:.+]] = arith.constant -2147483648 : i32
// CHECK: %[[LO0:.+]] = linalg.fill ins(%[[MIN]] : i32) outs(%{{.+}} : tensor<?xi32>)
// CHECK: %[[MAX:.+]] = arith.constant 2147483647 : i32
// CHECK: %[[HI0:.+]] = linalg.fill ins(%[[MAX]] : i32) outs(%{{.+}} : tensor<?xi32>)
// CHECK: %[[STEPS:.+]] = arith.constant 32 : index
// CHECK: %[[BOUNDS:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %[[STEPS]] step %{{.+}} iter_args(%[[LO:.+]] = %[[LO0]], %[[HI:.+]] = %[[HI0]]) -> (tensor<?xi32>, tensor<?xi32>)
// CHECK: %[[COUNT:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[LO]], %[[HI]] : tensor<?x256xi32>, tensor<?xi32>, tensor<?xi32>) outs(%{{.+}} : tensor<?xi64>)
// CHECK: ^bb0(%[[KEY:.+]]: i32, %[[L:.+]]: i32, %[[H:.+]]: i32, %[[ACC:.+]]: i64):
// CHECK: %[[L64:.+]] = arith.extsi %[[L]] : i32 to i64
// CHECK: %[[H64:.+]] = arith.extsi %[[H]] : i32 to i64
// CHECK: %[[MID64:.+]] = arith.addi %[[L64]], %{{.+}} : i64
// CHECK: %[[MID:.+]] = arith.trunci %[[MID64]] : i64 to i32
// CHECK: %[[ABOVE:.+]] = arith.cmpi sge, %[[KEY]], %[[MID]] : i32
// CHECK: %[[ONE:.+]] = arith.extui %[[ABOVE]] : i1 to i64
// CHECK: arith.addi %[[ACC]], %[[ONE]] : i64
// CHECK: %[[NEWLO:.+]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[LO]], %[[HI]], %[[COUNT]] : tensor<?xi32>, tensor<?xi32>, tensor<?xi64>) outs(%{{.+}} : tensor<?xi32>)
// CHECK: %[[K:.+]] = arith.constant 8 : i64
// CHECK: %[[ENOUGH:.+]] = arith.cmpi sge, %{{.+}}, %[[K]] : i64
// CHECK: arith.select %[[ENOUGH]], %{{.+}}, %{{.+}} : i32
// CHECK: %[[NEWHI:.+]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[LO]], %[[HI]], %[[COUNT]] : tensor<?xi32>, tensor<?xi32>, tensor<?xi64>) outs(%{{.+}} : tensor<?xi32>)
// CHECK: arith.subi %{{.+}}, %{{.+}} : i32
// CHECK: scf.yield %[[NEWLO]], %[[NEWHI]] : tensor<?xi32>, tensor<?xi32>
// CHECK: return %[[BOUNDS]]#0 : tensor<?xi32>
func.func @kth_largest(%x: tensor<?x256xi32>) -> tensor<?xi32> {
  %t = effattn.kth_largest %x {k = 8} : tensor<?x256xi32> -> tensor<?xi32>
  return %t : tensor<?xi32>
}
