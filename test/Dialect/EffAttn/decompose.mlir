// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.attention with a mask, causal
/// window and query offset on f16. OUT: a chain of linalg.generic ops in f32:
/// Q·Kᵀ, scale+select, row max, exp, row sum, P·V, normalise+truncate.

// CHECK-DAG: #[[$QK_Q:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$QK_K:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$QK_S:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$MASK:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @attention_masked_causal_f16
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x5x16xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x7x16xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x7x8xf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x7xi1>, %[[O:[a-zA-Z0-9_]+]]: tensor<2x5x8xf16>, %[[OFF:[a-zA-Z0-9_]+]]: index
// CHECK-DAG: %[[MASKED:.+]] = arith.constant -1.000000e+09 : f32
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[S0:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<2x5x7xf32>)
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[$QK_Q]], #[[$QK_K]], #[[$QK_S]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[Q]], %[[K]] : {{.+}}) outs(%[[S0]] : tensor<2x5x7xf32>)
// CHECK: %[[QE:.+]] = arith.extf
// CHECK: %[[KE:.+]] = arith.extf
// CHECK: %[[QKPROD:.+]] = arith.mulf %[[QE]], %[[KE]] fastmath<reassoc,contract> : f32
// CHECK: arith.addf %{{.+}}, %[[QKPROD]] fastmath<reassoc,contract> : f32
// CHECK: %[[SM:.+]] = linalg.generic {indexing_maps = [#[[$MASK]], #[[$ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[M]] : tensor<2x7xi1>) outs(%[[S]] : tensor<2x5x7xf32>)
// CHECK: ^bb0(%[[KEEP:.+]]: i1, %[[SCORE:.+]]: f32):
// CHECK: %[[SCALED:.+]] = arith.mulf %[[SCORE]], %[[SCALE]] : f32
// CHECK: %[[ROWIDX:.+]] = linalg.index 1 : index
// CHECK: %[[COLIDX:.+]] = linalg.index 2 : index
// CHECK: %[[ABSROW:.+]] = arith.addi %[[ROWIDX]], %[[OFF]] : index
// CHECK: %[[VISIBLE:.+]] = arith.cmpi ule, %[[COLIDX]], %[[ABSROW]] : index
// CHECK: %[[BOTH:.+]] = arith.andi %[[KEEP]], %[[VISIBLE]] : i1
// CHECK: arith.select %[[BOTH]], %[[SCALED]], %[[MASKED]] : f32
// CHECK: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAX0:.+]] = linalg.fill ins(%[[NEG_INF]] : f32) outs(%{{.+}} : tensor<2x5xf32>)
// CHECK: %[[MAX:.+]] = linalg.generic {indexing_maps = [#[[$ID3]], #[[$ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[SM]] : tensor<2x5x7xf32>) outs(%[[MAX0]] : tensor<2x5xf32>)
// CHECK: arith.maximumf
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[MAX]] : tensor<2x5xf32>) outs(%[[SM]] : tensor<2x5x7xf32>)
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[$ID3]], #[[$ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[P]] : tensor<2x5x7xf32>)
/// P·V runs the value rows innermost: loops (b, i, j, e).
// CHECK: %[[ACC:.+]] = linalg.generic {indexing_maps = [#[[$QK_S]], #[[$QK_K]], #[[$QK_Q]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%[[P]], %[[V]] : tensor<2x5x7xf32>, tensor<2x7x8xf16>)
// CHECK: %[[OUT:.+]] = linalg.generic {indexing_maps = [#[[$ID3]], #[[$ROW]], #[[$ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[ACC]], %[[SUM]] : tensor<2x5x8xf32>, tensor<2x5xf32>) outs(%[[O]] : tensor<2x5x8xf16>)
// CHECK: arith.divf
// CHECK: arith.truncf
// CHECK: return %[[OUT]]
// CHECK-NOT: effattn.attention
func.func @attention_masked_causal_f16(%q: tensor<2x5x16xf16>, %k: tensor<2x7x16xf16>, %v: tensor<2x7x8xf16>, %m: tensor<2x7xi1>, %o: tensor<2x5x8xf16>, %off: index) -> tensor<2x5x8xf16> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<2x5x16xf16>, tensor<2x7x16xf16>, tensor<2x7x8xf16>) mask(%m : tensor<2x7xi1>) query_offset(%off) outs(%o : tensor<2x5x8xf16>) -> tensor<2x5x8xf16>
  return %r : tensor<2x5x8xf16>
}

// -----

/// Without mask and causal window, scores are only scaled; a dynamic head
/// dimension computes the default scale 1/sqrt(D) at run time.

// CHECK-LABEL: func.func @attention_dynamic_default_scale
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<?x?xf32>
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK: %[[D:.+]] = tensor.dim %[[Q]], %[[C1]] : tensor<?x?xf32>
// CHECK: %[[DI:.+]] = arith.index_cast %[[D]] : index to i64
// CHECK: %[[DF:.+]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK: %[[SCALE:.+]] = math.rsqrt %[[DF]] : f32
// CHECK: linalg.generic {indexing_maps = [#{{.+}}], iterator_types = ["parallel", "parallel"]} outs(%{{.+}} : tensor<?x?xf32>)
// CHECK-NEXT: ^bb0(%[[SCORE:[a-zA-Z0-9_]+]]: f32):
// CHECK-NEXT: %[[SCALED:.+]] = arith.mulf %[[SCORE]], %[[SCALE]] : f32
// CHECK-NEXT: linalg.yield %[[SCALED]] : f32
func.func @attention_dynamic_default_scale(%q: tensor<?x?xf32>, %k: tensor<?x?xf32>, %v: tensor<?x?xf32>, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
