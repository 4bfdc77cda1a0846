// RUN: effattn-opt %s --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.unpacked_matmul, strategy "row".
/// OUT: per operand, the digit count of each row (row max/min reductions),
/// an exclusive prefix sum whose total is the dynamic unpacked row count,
/// the i8 digit rows written by an scf.forall over the original rows; then
/// the i8 x i8 -> i32 GEMM on the dynamic shapes and the i64 pack.

// CHECK-LABEL: func.func @unpacked_row
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: tensor<6x16xi64>, %[[B:[a-zA-Z0-9_]+]]: tensor<5x16xi32>, %[[C:[a-zA-Z0-9_]+]]: tensor<6x5xi64>
// CHECK: %[[AMAX:.+]] = linalg.generic {{.*}} ins(%[[A]] : tensor<6x16xi64>) outs(%{{.+}} : tensor<6xi64>)
// CHECK: arith.maxsi
// CHECK: %[[ACOUNT:.+]] = linalg.generic {{.*}} ins(%[[AMAX]], %{{.+}} : tensor<6xi64>, tensor<6xi64>) outs(%{{.+}} : tensor<6xi64>)
// CHECK: %[[AOFF:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (index, tensor<6xindex>)
// CHECK: %[[AEMPTY:.+]] = tensor.empty(%[[AOFF]]#0) : tensor<?x16xi8>
// CHECK: %[[AU:.+]] = scf.forall (%[[R:.+]]) in (6) shared_outs(%[[SH:.+]] = %[[AEMPTY]]) -> (tensor<?x16xi8>)
// CHECK: %[[START:.+]] = tensor.extract %[[AOFF]]#1[%[[R]]] : tensor<6xindex>
// CHECK: %[[N:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: tensor.extract_slice %[[SH]][%[[START]], 0] [%[[N]], 16] [1, 1] : tensor<?x16xi8> to tensor<?x16xi8>
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[N]] step
// CHECK: arith.shrsi
// CHECK: arith.trunci %{{.+}} : i64 to i8
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[SH]][%[[START]], 0] [%[[N]], 16] [1, 1]
// CHECK: %[[BOFF:.+]]:2 = scf.for {{.+}} -> (index, tensor<5xindex>)
// CHECK: %[[BU:.+]] = scf.forall (%{{.+}}) in (5) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<?x16xi8>)
// CHECK: %[[PEMPTY:.+]] = tensor.empty(%[[AOFF]]#0, %[[BOFF]]#0) : tensor<?x?xi32>
// CHECK: %[[P:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[AU]], %[[BU]] : tensor<?x16xi8>, tensor<?x16xi8>) outs(%{{.+}} : tensor<?x?xi32>)
// CHECK: arith.extsi %{{.+}} : i8 to i32
// CHECK: arith.muli %{{.+}}, %{{.+}} : i32
// CHECK: %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[AOFF]]#1, %[[ACOUNT]], %[[BOFF]]#1, %{{.+}} : tensor<6xindex>, tensor<6xi64>, tensor<5xindex>, tensor<5xi64>) outs(%[[C]] : tensor<6x5xi64>)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract %[[P]][%{{.+}}, %{{.+}}] : tensor<?x?xi32>
// CHECK: arith.shli %{{.+}}, %{{.+}} : i64
// CHECK: return %[[OUT]]
func.func @unpacked_row(%a: tensor<6x16xi64>, %b: tensor<5x16xi32>, %c: tensor<6x5xi64>) -> tensor<6x5xi64> {
  %r = effattn.unpacked_matmul {bits = 4} ins(%a, %b : tensor<6x16xi64>, tensor<5x16xi32>) outs(%c : tensor<6x5xi64>) -> tensor<6x5xi64>
  return %r : tensor<6x5xi64>
}
