// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.unpacked_matmul, strategy "row".
/// OUT: per operand, the digit count of each row (row max/min reductions),
/// an exclusive prefix sum whose total is the dynamic unpacked row count,
/// the i8 digit rows written by an scf.forall over the original rows; then
/// the i8 x i8 -> i32 GEMM on the dynamic shapes (row tiles of 32 as parallel
/// tasks) and the i64 pack.

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
// CHECK: tensor.empty(%{{.+}}, %{{.+}}) : tensor<?x?xi32>
// CHECK: %[[P:.+]] = scf.forall (%[[I0:.+]]) = (0) to (%{{.+}}) step (32) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<?x?xi32>)
// CHECK: %[[AT:.+]] = tensor.extract_slice %[[AU]][%[[I0]], 0] [%{{.+}}, 16] [1, 1] : tensor<?x16xi8> to tensor<?x16xi8>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[AT]], %[[BU]] : tensor<?x16xi8>, tensor<?x16xi8>) outs(%{{.+}} : tensor<?x?xi32>)
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

// -----

/// Strategy "column": digit counts per inner column of each operand; the
/// unpacked inner dimension K'' (dynamic) holds every digit pair, grouped by
/// weight e = u + v (19 groups for 8 bits); an scf.forall over the groups
/// writes each group's columns of both operands; each group is one i8 GEMM
/// (in chunks of at most K columns) shifted into the i64 result.

// CHECK-LABEL: func.func @unpacked_column
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: tensor<6x16xi64>, %[[B:[a-zA-Z0-9_]+]]: tensor<5x16xi64>, %[[C:[a-zA-Z0-9_]+]]: tensor<6x5xi64>
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[A]] : tensor<6x16xi64>) outs(%{{.+}} : tensor<16xi64>)
// CHECK: %[[PAIRS:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<19x16xi64>)
// CHECK: %[[SCAN:.+]]:3 = scf.for {{.+}} -> (index, tensor<19x16xindex>, tensor<20xindex>)
// CHECK: %[[AE:.+]] = tensor.empty(%[[SCAN]]#0) : tensor<6x?xi8>
// CHECK: %[[BE:.+]] = tensor.empty(%[[SCAN]]#0) : tensor<5x?xi8>
// CHECK: %[[U:.+]]:2 = scf.forall (%{{.+}}) in (19) shared_outs(%{{.+}} = %[[AE]], %{{.+}} = %[[BE]]) -> (tensor<6x?xi8>, tensor<5x?xi8>)
// CHECK: tensor.extract_slice %[[A]][0, %{{.+}}] [6, 1] [1, 1] : tensor<6x16xi64> to tensor<6x1xi64>
// CHECK: arith.trunci %{{.+}} : i64 to i8
// CHECK: tensor.parallel_insert_slice
// CHECK: %[[ZERO:.+]] = linalg.fill ins(%{{.+}} : i64) outs(%[[C]] : tensor<6x5xi64>)
// CHECK: %[[OUT:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[ZERO]]) -> (tensor<6x5xi64>)
// CHECK: scf.for %[[FROM:.+]] = %{{.+}} to %{{.+}} step %c16
// CHECK: %[[AS:.+]] = tensor.extract_slice %[[U]]#0[0, %[[FROM]]] [6, %{{.+}}] [1, 1] : tensor<6x?xi8> to tensor<6x?xi8>
// CHECK: %[[BS:.+]] = tensor.extract_slice %[[U]]#1[0, %[[FROM]]] [5, %{{.+}}] [1, 1] : tensor<5x?xi8> to tensor<5x?xi8>
// CHECK: scf.forall (%[[I1:.+]]) = (0) to (6) step (32)
// CHECK: %[[AST:.+]] = tensor.extract_slice %[[AS]][%[[I1]], 0] [%{{.+}}, %{{.+}}] [1, 1] : tensor<6x?xi8> to tensor<?x?xi8>
// CHECK: linalg.generic {{.*}} ins(%[[AST]], %[[BS]] : tensor<?x?xi8>, tensor<5x?xi8>) outs(%{{.+}} : tensor<?x5xi32>)
// CHECK: arith.shli %{{.+}}, %{{.+}} : i64
// CHECK: return %[[OUT]]
func.func @unpacked_column(%a: tensor<6x16xi64>, %b: tensor<5x16xi64>, %c: tensor<6x5xi64>) -> tensor<6x5xi64> {
  %r = effattn.unpacked_matmul {bits = 8, strategy = "column"} ins(%a, %b : tensor<6x16xi64>, tensor<5x16xi64>) outs(%c : tensor<6x5xi64>) -> tensor<6x5xi64>
  return %r : tensor<6x5xi64>
}
