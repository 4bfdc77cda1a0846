// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.unpacked_matmul, strategy "row".
/// OUT: the plan (row max/min reductions -> splits per row), the overflow
/// guard (effattn.fail_if on K·max|A|·max|B|), per operand an exclusive
/// prefix sum whose total is the dynamic unpacked row count, the unpacked
/// inner columns ordered by weight (43 weights for 4 bits), the i8 digits
/// written by row tiles in parallel, the i8 x i8 -> i32 GEMM in 32x256 output
/// tiles (parallel) shifted into an i64 accumulator, and the i64 pack by row
/// tiles (parallel).

// CHECK-LABEL: func.func @unpacked_row
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: tensor<6x16xi64>, %[[B:[a-zA-Z0-9_]+]]: tensor<5x16xi32>, %[[C:[a-zA-Z0-9_]+]]: tensor<6x5xi64>
// CHECK: %[[AMAX:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[A]] : tensor<6x16xi64>) outs(%{{.+}} : tensor<6xi64>)
// CHECK: arith.maxsi
// CHECK: %[[ASPLITS:.+]] = linalg.generic {{.*}} ins(%[[AMAX]], %{{.+}} : tensor<6xi64>, tensor<6xi64>) outs(%{{.+}} : tensor<6xi64>)
// CHECK: arith.shrsi
// CHECK: linalg.generic {{.*}} ins(%[[B]] : tensor<5x16xi32>) outs(%{{.+}} : tensor<5xi64>)
// CHECK: %[[BSPLITS:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<5xi64>, tensor<5xi64>) outs(%{{.+}} : tensor<5xi64>)
// CHECK: %[[AABS:.+]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%[[A]] : tensor<6x16xi64>) outs(%{{.+}} : tensor<i64>)
// CHECK: arith.maxui
// CHECK: %[[LIMIT:.+]] = arith.divui
// CHECK: linalg.generic {{.*}} ins(%[[B]] : tensor<5x16xi32>) outs(%{{.+}} : tensor<i64>)
// CHECK: %[[OVERFLOW:.+]] = arith.cmpi ugt, %{{.+}}, %[[LIMIT]] : i64
// CHECK: effattn.fail_if %[[OVERFLOW]], "effattn.unpacked_matmul: K * max|lhs| * max|rhs| exceeds 2^63 - 1; the exact result may not fit in i64" {status = 4 : i32}
// CHECK: %[[AOFF:.+]]:2 = scf.for {{.+}} -> (index, tensor<6xindex>)
// CHECK: %[[AROWS:.+]]:3 = scf.for {{.+}} -> (tensor<?xindex>, tensor<?xi64>, tensor<?xi64>)
// CHECK: %[[BOFF:.+]]:2 = scf.for {{.+}} -> (index, tensor<5xindex>)
// CHECK: %[[BROWS:.+]]:3 = scf.for {{.+}} -> (tensor<?xindex>, tensor<?xi64>, tensor<?xi64>)
// CHECK: %[[COLS:.+]]:7 = scf.for %{{.+}} = %{{.+}} to %c43 step {{.+}} -> (index, tensor<?xindex>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<44xindex>)
// CHECK: scf.if
// CHECK: %[[AE:.+]] = tensor.empty(%[[AOFF]]#0, %{{.+}}) : tensor<?x?xi8>
// CHECK: %[[AU:.+]] = scf.forall (%{{.+}}) = (0) to (%{{.+}}) step (32) shared_outs(%{{.+}} = %[[AE]]) -> (tensor<?x?xi8>)
// CHECK: linalg.generic {{.*}} ins({{.*}}, %[[COLS]]#1, %[[COLS]]#2, %[[COLS]]#3 : {{.*}}) outs(%{{.+}} : tensor<?x?xi8>)
// CHECK: tensor.extract %[[A]][%{{.+}}, %{{.+}}] : tensor<6x16xi64>
// CHECK: arith.trunci %{{.+}} : i64 to i8
// CHECK: %[[BU:.+]] = scf.forall
// CHECK: linalg.generic {{.*}} ins({{.*}}, %[[COLS]]#1, %[[COLS]]#4, %[[COLS]]#5 : {{.*}}) outs(%{{.+}} : tensor<?x?xi8>)
// CHECK: tensor.extract %[[B]][%{{.+}}, %{{.+}}] : tensor<5x16xi32>
// CHECK: %[[P0:.+]] = linalg.fill ins(%{{.+}} : i64) outs(%{{.+}} : tensor<?x?xi64>)
// CHECK: %[[P:.+]] = scf.for %{{.+}} = %{{.+}} to %c43{{.*}} iter_args(%{{.+}} = %[[P0]]) -> (tensor<?x?xi64>)
// CHECK: scf.for %[[FROM:.+]] = %{{.+}} to %{{.+}} step %c16
// CHECK: tensor.extract_slice %[[AU]][0, %[[FROM]]]
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (%{{.+}}, %{{.+}}) step (32, 256) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<?x?xi64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %{{.+}} : tensor<?x?xi8>, tensor<?x?xi8>) outs(%{{.+}} : tensor<?x?xi32>)
// CHECK: arith.extsi %{{.+}} : i8 to i32
// CHECK: arith.muli %{{.+}}, %{{.+}} : i32
// CHECK: linalg.generic {{.*}} ins(%{{.+}} : tensor<?x?xi32>) outs(%{{.+}} : tensor<?x?xi64>)
// CHECK: arith.shli %{{.+}}, %{{.+}} : i64
// CHECK: %[[OUT:.+]] = scf.forall (%[[I:.+]]) = (0) to (6) step (32) shared_outs(%[[SH:.+]] = %[[C]]) -> (tensor<6x5xi64>)
// CHECK: %[[OUTT:.+]] = tensor.extract_slice %[[SH]][%[[I]], 0]
// CHECK: %[[OFFT:.+]] = tensor.extract_slice %[[AOFF]]#1[%[[I]]]
// CHECK: %[[SPLT:.+]] = tensor.extract_slice %[[ASPLITS]][%[[I]]]
// CHECK: linalg.generic {{.*}} ins(%[[OFFT]], %[[SPLT]], %[[BOFF]]#1, %[[BSPLITS]] : tensor<?xindex>, tensor<?xi64>, tensor<5xindex>, tensor<5xi64>) outs(%[[OUTT]] : tensor<?x5xi64>)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract %[[P]][%{{.+}}, %{{.+}}] : tensor<?x?xi64>
// CHECK: arith.shli %{{.+}}, %{{.+}} : i64
// CHECK: return %[[OUT]]
func.func @unpacked_row(%a: tensor<6x16xi64>, %b: tensor<5x16xi32>, %c: tensor<6x5xi64>) -> tensor<6x5xi64> {
  %r = effattn.unpacked_matmul {bits = 4} ins(%a, %b : tensor<6x16xi64>, tensor<5x16xi32>) outs(%c : tensor<6x5xi64>) -> tensor<6x5xi64>
  return %r : tensor<6x5xi64>
}

// -----

/// Strategy "column": splits per inner column of each operand (reductions
/// over the rows); lhs's splits become copies of the inner columns (a log
/// written by nested loops) that rhs splits in turn.

// CHECK-LABEL: func.func @unpacked_column
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: tensor<6x16xi64>, %[[B:[a-zA-Z0-9_]+]]: tensor<5x16xi64>
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[A]] : tensor<6x16xi64>) outs(%{{.+}} : tensor<16xi64>)
// CHECK: %[[LOG:.+]]:3 = scf.for {{.+}} -> (tensor<144xindex>, tensor<144xi64>, index)
// CHECK: scf.for
// CHECK: %[[COPIES:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<?xindex>)
// CHECK: tensor.extract %[[LOG]]#0
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[B]] : tensor<5x16xi64>) outs(%{{.+}} : tensor<16xi64>)
// CHECK: linalg.generic {{.*}} ins(%[[COPIES]] : tensor<?xindex>) outs(%{{.+}} : tensor<?xi64>)
// CHECK: effattn.fail_if
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (%{{.+}}, %{{.+}}) step (32, 256)
func.func @unpacked_column(%a: tensor<6x16xi64>, %b: tensor<5x16xi64>, %c: tensor<6x5xi64>) -> tensor<6x5xi64> {
  %r = effattn.unpacked_matmul {bits = 8, strategy = "column"} ins(%a, %b : tensor<6x16xi64>, tensor<5x16xi64>) outs(%c : tensor<6x5xi64>) -> tensor<6x5xi64>
  return %r : tensor<6x5xi64>
}

// -----

/// Strategy "both": the extra digits of every entry (i8), then the authors'
/// greedy as an scf.while: the best row and column by count (ties to the
/// first derived position), then one split of the row or the column, which
/// updates the counts along it. Twice: lhs [6, 16], then rhs [5, K'] over the
/// copies of the inner columns.

// CHECK-LABEL: func.func @unpacked_both
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: tensor<6x16xi64>, %[[B:[a-zA-Z0-9_]+]]: tensor<5x16xi64>
// CHECK: %[[TA:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x16xi8>)
// CHECK: tensor.extract %[[A]]
// CHECK: %[[GA:.+]]:14 = scf.while (%{{.+}} = %{{.+}}) : (tensor<6xi64>, tensor<16xi64>, tensor<6xi64>, tensor<16xi64>, tensor<6xi64>, tensor<16xi64>, i64, i64, tensor<?xindex>, tensor<?xi64>, index)
// CHECK: %[[ROW:.+]]:3 = scf.for {{.+}} -> (i64, i64, index)
// CHECK: %[[COL:.+]]:3 = scf.for {{.+}} -> (i64, i64, index)
// CHECK: %[[ROWFIRST:.+]] = arith.cmpi sge, %[[ROW]]#0, %[[COL]]#0 : i64
// CHECK: scf.condition
// CHECK: scf.if
// CHECK: tensor.extract %[[TA]]
// CHECK: %[[TB:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<5x?xi8>)
// CHECK: tensor.extract %[[B]]
// CHECK: scf.while {{.*}} : (tensor<5xi64>, tensor<?xi64>
// CHECK: effattn.fail_if
func.func @unpacked_both(%a: tensor<6x16xi64>, %b: tensor<5x16xi64>, %c: tensor<6x5xi64>) -> tensor<6x5xi64> {
  %r = effattn.unpacked_matmul {bits = 8, strategy = "both"} ins(%a, %b : tensor<6x16xi64>, tensor<5x16xi64>) outs(%c : tensor<6x5xi64>) -> tensor<6x5xi64>
  return %r : tensor<6x5xi64>
}

// -----

/// effattn.unpacked_sizes: the plan and the layout only (no guard, no GEMM);
/// the three totals inserted into init.

// CHECK-LABEL: func.func @sizes
// CHECK-SAME: %[[D:[a-zA-Z0-9_]+]]: tensor<3xi64>
// CHECK-NOT: effattn.fail_if
// CHECK: %[[AOFF:.+]]:2 = scf.for {{.+}} -> (index, tensor<6xindex>)
// CHECK: %[[BOFF:.+]]:2 = scf.for {{.+}} -> (index, tensor<5xindex>)
// CHECK: %[[COLS:.+]]:7 = scf.for
// CHECK-NOT: scf.forall
// CHECK: %[[M:.+]] = arith.index_cast %[[AOFF]]#0 : index to i64
// CHECK: %[[S0:.+]] = tensor.insert %[[M]] into %[[D]][%{{.+}}] : tensor<3xi64>
// CHECK: %[[S1:.+]] = tensor.insert %{{.+}} into %[[S0]][%{{.+}}] : tensor<3xi64>
// CHECK: %[[S2:.+]] = tensor.insert %{{.+}} into %[[S1]][%{{.+}}] : tensor<3xi64>
// CHECK: return %[[S2]]
func.func @sizes(%a: tensor<6x16xi64>, %b: tensor<5x16xi64>, %d: tensor<3xi64>) -> tensor<3xi64> {
  %r = effattn.unpacked_sizes {bits = 8, strategy = "row"} ins(%a, %b : tensor<6x16xi64>, tensor<5x16xi64>) outs(%d : tensor<3xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}

// -----

/// [Pattern: DecomposeEffAttnOp] IN: effattn.unpacked_matmul with a
/// #effattn.pair_gemm_config (4 lanes, 2 x 8 register tile). OUT: per
/// weight and chunk, both i8 operands padded (rows to whole output tiles,
/// K to even) and packed as i16 pairs in panels of MR (lhs) and NR (rhs)
/// rows; output tiles of 32 x 256 in parallel, each a loop over register
/// tiles whose K loop holds MR x NR/W effattn.multiply_add_pairs on one
/// broadcast lhs pair per row and NR/W rhs vectors; the i32 tile widened and
/// shifted into the i64 accumulator.

// CHECK-LABEL: func.func @unpacked_pairs
// CHECK: %[[LPAD:.+]] = tensor.pad %{{.+}} low[0, 0] high[%{{.+}}, %{{.+}}]
// CHECK: %[[LSPLIT:.+]] = tensor.expand_shape %[[LPAD]] {{\[}}[0, 1], [2, 3]] output_shape [%{{.+}}, 2, %{{.+}}, 2] : tensor<?x?xi8> into tensor<?x2x?x2xi8>
// CHECK: %[[LPANELS:.+]] = linalg.generic {{.*}} ins(%[[LSPLIT]], %[[LSPLIT]] : tensor<?x2x?x2xi8>, tensor<?x2x?x2xi8>) outs(%{{.+}} : tensor<?x?x2xi32>)
// CHECK: arith.andi %{{.+}}, %c65535_i32
// CHECK: arith.shli %{{.+}}, %c16_i32
// CHECK: %[[RSPLIT:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2, 3]] output_shape [%{{.+}}, 8, %{{.+}}, 2] : tensor<?x?xi8> into tensor<?x8x?x2xi8>
// CHECK: %[[RPANELS:.+]] = linalg.generic {{.*}} ins(%[[RSPLIT]], %[[RSPLIT]] : tensor<?x8x?x2xi8>, tensor<?x8x?x2xi8>) outs(%{{.+}} : tensor<?x?x8xi32>)
// CHECK: scf.forall (%[[R0:.+]], %[[C0:.+]]) = (0, 0) to (%{{.+}}, %{{.+}}) step (32, 256)
// CHECK: tensor.empty() : tensor<32x256xi32>
// CHECK: scf.for %[[RB:.+]] = %{{.+}} to %{{.+}} step %c2{{.*}} -> (tensor<32x256xi32>)
// CHECK: scf.for %[[CB:.+]] = %{{.+}} to %{{.+}} step %c8{{.*}} -> (tensor<32x256xi32>)
// CHECK: %[[SUMS:.+]]:4 = scf.for %[[P:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[A0:.+]] = %{{.+}}, %[[A1:.+]] = %{{.+}}, %[[A2:.+]] = %{{.+}}, %[[A3:.+]] = %{{.+}}) -> (vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>)
// CHECK: %[[B0:.+]] = vector.transfer_read %[[RPANELS]][%{{.+}}, %[[P]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<?x?x8xi32>, vector<4xi32>
// CHECK: %[[B0H:.+]] = vector.bitcast %[[B0]] : vector<4xi32> to vector<8xi16>
// CHECK: %[[B1:.+]] = vector.transfer_read %[[RPANELS]]
// CHECK: %[[B1H:.+]] = vector.bitcast %[[B1]] : vector<4xi32> to vector<8xi16>
// CHECK: %[[L0:.+]] = tensor.extract %[[LPANELS]][%{{.+}}, %[[P]], %{{.+}}] : tensor<?x?x2xi32>
// CHECK: %[[L0V:.+]] = vector.broadcast %[[L0]] : i32 to vector<4xi32>
// CHECK: %[[L0H:.+]] = vector.bitcast %[[L0V]] : vector<4xi32> to vector<8xi16>
// CHECK: %[[S0:.+]] = effattn.multiply_add_pairs %[[L0H]], %[[B0H]], %[[A0]] : vector<8xi16>, vector<4xi32>
// CHECK: %[[S1:.+]] = effattn.multiply_add_pairs %[[L0H]], %[[B1H]], %[[A1]] : vector<8xi16>, vector<4xi32>
// CHECK: %[[L1:.+]] = tensor.extract %[[LPANELS]]
// CHECK: %[[S2:.+]] = effattn.multiply_add_pairs %{{.+}}, %[[B0H]], %[[A2]]
// CHECK: %[[S3:.+]] = effattn.multiply_add_pairs %{{.+}}, %[[B1H]], %[[A3]]
// CHECK: scf.yield %[[S0]], %[[S1]], %[[S2]], %[[S3]]
// CHECK-COUNT-4: vector.transfer_write %[[SUMS]]#{{[0-3]}}
// CHECK: %[[TILE:.+]] = tensor.extract_slice %{{.+}}[0, 0] [%{{.+}}, %{{.+}}] [1, 1] : tensor<32x256xi32> to tensor<?x?xi32>
// CHECK: linalg.generic {{.*}} ins(%[[TILE]] : tensor<?x?xi32>) outs(%{{.+}} : tensor<?x?xi64>)
// CHECK: arith.extsi %{{.+}} : i32 to i64
// CHECK: arith.shli
func.func @unpacked_pairs(%a: tensor<6x15xi64>, %b: tensor<5x15xi64>, %c: tensor<6x5xi64>) -> tensor<6x5xi64> {
  %r = effattn.unpacked_matmul {bits = 4, strategy = "row", lowering_config = #effattn.pair_gemm_config<vector_width = 4, mr = 2, nr = 8>} ins(%a, %b : tensor<6x15xi64>, tensor<5x15xi64>) outs(%c : tensor<6x5xi64>) -> tensor<6x5xi64>
  return %r : tensor<6x5xi64>
}
