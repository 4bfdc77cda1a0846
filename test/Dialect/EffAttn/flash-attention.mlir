// RUN: effattn-opt %s -split-input-file --effattn-decompose --canonicalize --cse | FileCheck %s

/// effattn.attention with a #effattn.flash_config decomposes into the flash
/// form (FlashAttention.h): queries along the lanes, key blocks with a
/// running max and sum, register tiles of the config's sizes, scratch
/// buffers of the config's sizes and no N × M tensor.

// CHECK-DAG: #[[$TRANSPOSED:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @flash_masked_causal_f16
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x5x16xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x7x16xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x7x8xf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x7xi1>, %[[OFF:[a-zA-Z0-9_]+]]: index, %[[O:[a-zA-Z0-9_]+]]: tensor<2x5x8xf16>
// CHECK-DAG: %[[NEG_INF:.+]] = arith.constant dense<0xFF800000> : vector<8xf32>
// CHECK-DAG: %[[MASKED:.+]] = arith.constant dense<-1.000000e+09> : vector<8xf32>
// CHECK-DAG: %[[UNSEEN:.+]] = arith.constant dense<0xCE6E6B24> : vector<8xf32>
// CHECK-DAG: %[[SCALE_LOG2E:.+]] = arith.constant 0.360673755 : f32
// CHECK-DAG: %[[QT:.+]] = memref.alloc() : memref<16x8xf32>
// CHECK-DAG: %[[S:.+]] = memref.alloc() : memref<4x8xf32>
// CHECK-DAG: %[[ACC:.+]] = memref.alloc() : memref<9x8xf32>
// CHECK-DAG: %[[L:.+]] = memref.alloc() : memref<8xf32>
// CHECK-DAG: %[[KB:.+]] = memref.alloc() : memref<4x16xf32>
// CHECK-DAG: %[[VB:.+]] = memref.alloc() : memref<4x8xf32>
// CHECK: scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[RES:.+]] = %[[O]])
//      Qᵀ in f32 times scale·log2(e) = 0.25 · 1.4427 (rows past the fifth
//      repeat it): scores in base 2.
// CHECK: tensor.extract %[[Q]][%[[B]], %{{.+}}, %{{.+}}] : tensor<2x5x16xf16>
// CHECK: %[[QS:.+]] = arith.mulf %{{.+}}, %[[SCALE_LOG2E]] : f32
// CHECK: memref.store %[[QS]], %[[QT]]
//      The tile's window ends at offset + 8 (its query tile); absolute
//      positions of the queries for the causal window.
// CHECK: %[[WINDOW_END:.+]] = arith.addi %[[OFF]], %{{.+}} : index
// CHECK: %[[STEP:.+]] = vector.step : vector<8xindex>
// CHECK: %[[FIRST:.+]] = vector.broadcast %[[OFF]] : index to vector<8xindex>
// CHECK: %[[POS:.+]] = arith.addi %[[STEP]], %[[FIRST]] : vector<8xindex>
//      The first key the mask shows (7 if none): the blocks before its
//      own are skipped when every row sees it (it is within the offset).
// CHECK: %[[FIRST_SHOWN:.+]] = scf.while (%[[SCAN_KEY:.+]] = %c0) : (index) -> index
// CHECK: %[[IN_RANGE:.+]] = arith.cmpi ult, %[[SCAN_KEY]], %c7 : index
// CHECK: %[[FLAG:.+]] = tensor.extract %[[M]][%[[B]], %{{.+}}] : tensor<2x7xi1>
// CHECK: %[[HIDDEN:.+]] = arith.xori %[[FLAG]], %true : i1
// CHECK: %[[GO_ON:.+]] = arith.andi %[[IN_RANGE]], %[[HIDDEN]] : i1
// CHECK: scf.condition(%[[GO_ON]]) %[[SCAN_KEY]] : index
// CHECK: %[[ANY_SHOWN:.+]] = arith.cmpi ult, %[[FIRST_SHOWN]], %c7 : index
// CHECK: %[[IN_FIRST_WINDOW:.+]] = arith.cmpi ule, %[[FIRST_SHOWN]], %[[OFF]] : index
// CHECK: %[[EVERY_ROW_SEES:.+]] = arith.andi %[[ANY_SHOWN]], %[[IN_FIRST_WINDOW]] : i1
// CHECK: %[[FIRST_SHOWN_BLOCK:.+]] = arith.divui %[[FIRST_SHOWN]], %c4 : index
// CHECK: %[[BLOCK_START:.+]] = arith.muli %[[FIRST_SHOWN_BLOCK]], %c4 : index
// CHECK: %[[FIRST_BLOCK:.+]] = arith.select %[[EVERY_ROW_SEES]], %[[BLOCK_START]], %c0 : index
//      Key blocks carry the running max and sum. Blocks past the window,
//      or whose keys the mask hides, run only while a row's max is still at
//      most -1e9 + 256 (0xCE6E6B24): it has seen no visible key, and
//      averages every value unless it sees one later.
// CHECK: scf.for %[[J0:.+]] = %[[FIRST_BLOCK]] to %c7 step %c4 iter_args(%[[MAX:.+]] = %[[NEG_INF]], %[[SUM:.+]] = %{{.+}}) -> (vector<8xf32>, vector<8xf32>)
// CHECK: %[[IN_WINDOW:.+]] = arith.cmpi ult, %[[J0]], %[[WINDOW_END]] : index
// CHECK: %[[BLOCK_END:.+]] = arith.addi %[[J0]], %{{.+}} : index
//      The block's mask, scanned up to its first shown key.
// CHECK: %[[SHOWN_IN_BLOCK:.+]] = scf.while (%[[J:.+]] = %[[J0]]) : (index) -> index
// CHECK: scf.condition
// CHECK: %[[BLOCK_SHOWS:.+]] = arith.cmpi ult, %[[SHOWN_IN_BLOCK]], %[[BLOCK_END]] : index
// CHECK: %[[SEEN:.+]] = arith.andi %[[IN_WINDOW]], %[[BLOCK_SHOWS]] : i1
// CHECK: %[[ROW_UNSEEN:.+]] = arith.cmpf ule, %[[MAX]], %[[UNSEEN]] : vector<8xf32>
// CHECK: %[[ANY_UNSEEN:.+]] = vector.reduction <or>, %[[ROW_UNSEEN]] : vector<8xi1> into i1
// CHECK: %[[NEEDED:.+]] = arith.ori %[[SEEN]], %[[ANY_UNSEEN]] : i1
// CHECK: %[[BLOCK:.+]]:2 = scf.if %[[NEEDED]] -> (vector<8xf32>, vector<8xf32>)
//      f16 operands: the block's keys and values converted to f32 once,
//      a vector at a time (16 key columns: two vectors; 8 value columns).
// CHECK: %[[KH:.+]] = vector.transfer_read %[[K]][%[[B]], %{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<2x7x16xf16>, vector<8xf16>
// CHECK: %[[KF:.+]] = arith.extf %[[KH]] : vector<8xf16> to vector<8xf32>
// CHECK: vector.store %[[KF]], %[[KB]]
// CHECK: %[[VH:.+]] = vector.transfer_read %[[V]][%[[B]], %{{.+}}, %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<2x7x8xf16>, vector<8xf16>
// CHECK: %[[VF:.+]] = arith.extf %[[VH]] : vector<8xf16> to vector<8xf32>
// CHECK: vector.store %[[VF]], %[[VB]]
//      Register tiles of 2 keys: Qᵀ rows times broadcast key elements.
// CHECK: scf.for %{{.+}} iter_args(%{{.+}}, %{{.+}}) -> (vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[QT]]
// CHECK: memref.load %[[KB]]
// CHECK: vector.fma
// CHECK: tensor.extract %[[M]]
// CHECK: arith.cmpi ule, %{{.+}}, %[[POS]] : vector<8xindex>
// CHECK: arith.select %{{.+}}, %{{.+}}, %[[MASKED]]
// CHECK: vector.store %{{.+}}, %[[S]]
//      m' = max(m, S), α = 2^(m - m'): round, polynomial, exponent bits.
// CHECK: %[[NEW_MAX:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[MAX]])
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: %[[DIFF:.+]] = arith.subf %[[MAX]], %[[NEW_MAX]]
// CHECK: math.roundeven
// CHECK: arith.bitcast %{{.+}} : vector<8xi32> to vector<8xf32>
// CHECK: %[[ALPHA:.+]] = arith.mulf
//      P = 2^(S - m') in place, and its sum.
// CHECK: %[[BLOCK_SUM:.+]] = scf.for
// CHECK: math.roundeven
// CHECK: vector.store %{{.+}}, %[[S]]
//      Output columns by register tiles of 3 (8 rounded up to 9), rescaled.
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK: arith.mulf %{{.+}}, %[[ALPHA]]
// CHECK: memref.load %[[VB]]
// CHECK: vector.fma
// CHECK: vector.store %{{.+}}, %[[ACC]]
// CHECK: %[[NEW_SUM:.+]] = vector.fma %[[SUM]], %[[ALPHA]], %[[BLOCK_SUM]]
// CHECK: scf.yield %[[NEW_MAX]], %[[NEW_SUM]]
// CHECK: } else {
// CHECK: scf.yield %[[MAX]], %[[SUM]]
// CHECK: scf.yield %[[BLOCK]]#0, %[[BLOCK]]#1
//      out = accᵀ / l, transposed back and rounded to f16.
// CHECK: vector.store %{{.+}}, %[[L]]
// CHECK: bufferization.to_tensor %{{.+}} restrict
// CHECK: linalg.generic {indexing_maps = [#[[$TRANSPOSED]],
// CHECK: arith.divf
// CHECK: arith.truncf
// CHECK: tensor.insert_slice %{{.+}} into %[[RES]]
// CHECK-NOT: x7xf32>
func.func @flash_masked_causal_f16(%q: tensor<2x5x16xf16>, %k: tensor<2x7x16xf16>, %v: tensor<2x7x8xf16>, %m: tensor<2x7xi1>, %off: index, %o: tensor<2x5x8xf16>) -> tensor<2x5x8xf16> {
  %r = effattn.attention {causal, lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 8, key_block = 4, key_register_tile = 2, value_register_tile = 3>} ins(%q, %k, %v : tensor<2x5x16xf16>, tensor<2x7x16xf16>, tensor<2x7x8xf16>) mask(%m : tensor<2x7xi1>) query_offset(%off) outs(%o : tensor<2x5x8xf16>) -> tensor<2x5x8xf16>
  return %r : tensor<2x5x8xf16>
}

// -----

/// Dynamic sizes: scratch buffers sized at run time (D rows of Qᵀ, E rounded
/// up to value tiles), the scale 1/sqrt(D) computed, queries in blocks; no
/// causal window, so every key block runs unconditionally.

// CHECK-LABEL: func.func @flash_dynamic
// CHECK: math.rsqrt
// CHECK: memref.alloc(%{{.+}}) : memref<?x16xf32>
// CHECK: memref.alloc() : memref<28x16xf32>
// CHECK: memref.alloc(%{{.+}}) : memref<?x16xf32>
// CHECK: scf.for %{{.+}} step %[[C16:.+]] iter_args
// CHECK: scf.for %{{.+}} step %[[C28:.+]] iter_args
// CHECK-NOT: arith.extf
// CHECK-NOT: scf.if
func.func @flash_dynamic(%q: tensor<?x?xf32>, %k: tensor<?x?xf32>, %v: tensor<?x?xf32>, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = effattn.attention {lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 28, key_register_tile = 7, value_register_tile = 5>} ins(%q, %k, %v : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

/// bf16 with dynamic sizes: f32 copies of a key block [28, D] and a value
/// block [28, E] sized at run time; each row converted by whole vectors,
/// then the columns past the last whole vector one by one.

// CHECK-LABEL: func.func @flash_dynamic_bf16
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<?x?xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x?xbf16>
// CHECK-DAG: %[[KB:.+]] = memref.alloc(%{{.+}}) : memref<28x?xf32>
// CHECK-DAG: %[[VB:.+]] = memref.alloc(%{{.+}}) : memref<28x?xf32>
// CHECK: scf.for %{{.+}} step %c28 iter_args
// CHECK: scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step
// CHECK: scf.for %[[C:.+]] = %{{.+}} to %[[WHOLE:.+]] step %c8
// CHECK: %[[KH:.+]] = vector.transfer_read %[[K]][%{{.+}}, %[[C]]], %{{.+}} {in_bounds = [true]} : tensor<?x?xbf16>, vector<8xbf16>
// CHECK: %[[KF:.+]] = arith.extf %[[KH]] : vector<8xbf16> to vector<8xf32>
// CHECK: vector.store %[[KF]], %[[KB]][%[[J]], %[[C]]]
// CHECK: scf.for %[[T:.+]] = %[[WHOLE]] to
// CHECK: %[[X:.+]] = tensor.extract %[[K]]
// CHECK: %[[XF:.+]] = arith.extf %[[X]] : bf16 to f32
// CHECK: memref.store %[[XF]], %[[KB]][%[[J]], %[[T]]]
// CHECK: memref.load %[[KB]]
// CHECK: vector.fma
func.func @flash_dynamic_bf16(%q: tensor<?x?xbf16>, %k: tensor<?x?xbf16>, %v: tensor<?x?xbf16>, %o: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %r = effattn.attention {lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 28, key_register_tile = 7, value_register_tile = 5>} ins(%q, %k, %v : tensor<?x?xbf16>, tensor<?x?xbf16>, tensor<?x?xbf16>) outs(%o : tensor<?x?xbf16>) -> tensor<?x?xbf16>
  return %r : tensor<?x?xbf16>
}
