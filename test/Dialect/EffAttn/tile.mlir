// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-tile{row-tile-size=32}))" | FileCheck %s
// RUN: not effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-tile{row-tile-size=-1}))" 2>&1 | FileCheck %s --check-prefix=BAD-SIZE

// BAD-SIZE: error: effattn-tile: 'row-tile-size' must be >= 0

/// Batch dims tile by 1 and rows by 32 in an scf.forall; every key and value
/// row stays in the tile, and the causal window follows the tile through
/// query_offset. Causal row tiles are visited in the order 0, T-1, 1, T-2,
/// ... (T tiles): the contiguous chunks of a static schedule then get about
/// the same number of visible keys.

// CHECK-DAG: #[[$ROWS:.+]] = affine_map<(d0) -> (-d0 + 40, 32)>
// CHECK-LABEL: func.func @attention_causal_batched
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x40x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x45x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x45x8xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x45xi1>, %[[O:[a-zA-Z0-9_]+]]: tensor<2x40x8xf32>
// CHECK: %[[LOOP:.+]] = scf.forall (%[[B:.+]], %[[I:.+]]) = (0, 0) to (2, 40) step (1, 32) shared_outs(%[[ACC:.+]] = %[[O]])
// CHECK: %[[TILE:.+]] = arith.divui %[[I]], %{{.+}} : index
// CHECK: %[[COUNT:.+]] = arith.ceildivui %{{.+}}, %{{.+}} : index
// CHECK: %[[LAST:.+]] = arith.subi %[[COUNT]], %{{.+}} : index
// CHECK: %[[PAIR:.+]] = arith.divui %[[TILE]], %{{.+}} : index
// CHECK: %[[PARITY:.+]] = arith.remui %[[TILE]], %{{.+}} : index
// CHECK: %[[ODD:.+]] = arith.cmpi ne, %[[PARITY]], %{{.+}} : index
// CHECK: %[[FROM_END:.+]] = arith.subi %[[LAST]], %[[PAIR]] : index
// CHECK: %[[VISITED:.+]] = arith.select %[[ODD]], %[[FROM_END]], %[[PAIR]] : index
// CHECK: %[[ROW:.+]] = arith.muli %[[VISITED]], %{{.+}} : index
// CHECK: %[[N:.+]] = affine.min #[[$ROWS]](%[[ROW]])
// CHECK: %[[QT:.+]] = tensor.extract_slice %[[Q]][%[[B]], %[[ROW]], 0] [1, %[[N]], 16] [1, 1, 1]
// CHECK: %[[KT:.+]] = tensor.extract_slice %[[K]][%[[B]], 0, 0] [1, 45, 16] [1, 1, 1]
// CHECK: %[[VT:.+]] = tensor.extract_slice %[[V]][%[[B]], 0, 0] [1, 45, 8] [1, 1, 1]
// CHECK: %[[MT:.+]] = tensor.extract_slice %[[M]][%[[B]], 0] [1, 45] [1, 1]
// CHECK: %[[OT:.+]] = tensor.extract_slice %[[ACC]][%[[B]], %[[ROW]], 0] [1, %[[N]], 8] [1, 1, 1]
// CHECK: %[[T:.+]] = effattn.attention {causal} ins(%[[QT]], %[[KT]], %[[VT]] : tensor<1x?x16xf32>, tensor<1x45x16xf32>, tensor<1x45x8xf32>) mask(%[[MT]] : tensor<1x45xi1>) query_offset(%[[ROW]]) outs(%[[OT]] : tensor<1x?x8xf32>)
// CHECK: tensor.parallel_insert_slice %[[T]] into %[[ACC]][%[[B]], %[[ROW]], 0] [1, %[[N]], 8] [1, 1, 1]
// CHECK: return %[[LOOP]]
func.func @attention_causal_batched(%q: tensor<2x40x16xf32>, %k: tensor<2x45x16xf32>, %v: tensor<2x45x8xf32>, %m: tensor<2x45xi1>, %o: tensor<2x40x8xf32>) -> tensor<2x40x8xf32> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<2x40x16xf32>, tensor<2x45x16xf32>, tensor<2x45x8xf32>) mask(%m : tensor<2x45xi1>) outs(%o : tensor<2x40x8xf32>) -> tensor<2x40x8xf32>
  return %r : tensor<2x40x8xf32>
}

// -----

/// An existing query_offset is shifted by the tile's row offset.

// CHECK-LABEL: func.func @attention_causal_with_offset
// CHECK-SAME: %[[OFF:[a-zA-Z0-9_]+]]: index
// CHECK: scf.forall (%[[I:.+]]) = (0) to (64) step (32)
// CHECK: %[[ROW:.+]] = arith.muli %{{.+}}, %{{.+}} : index
// CHECK: %[[SHIFTED:.+]] = arith.addi %[[OFF]], %[[ROW]] : index
// CHECK: effattn.attention {causal} {{.*}} query_offset(%[[SHIFTED]])
func.func @attention_causal_with_offset(%q: tensor<64x16xf32>, %k: tensor<80x16xf32>, %v: tensor<80x8xf32>, %o: tensor<64x8xf32>, %off: index) -> tensor<64x8xf32> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<64x16xf32>, tensor<80x16xf32>, tensor<80x8xf32>) query_offset(%off) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

/// Without causal there is no query_offset to carry, and the row tiles
/// keep their order.

// CHECK-LABEL: func.func @negative_attention_no_causal_no_offset
// CHECK: scf.forall
// CHECK-NOT: arith.select
// CHECK: effattn.attention ins(
// CHECK-NOT: query_offset
// CHECK-SAME: outs(
func.func @negative_attention_no_causal_no_offset(%q: tensor<64x16xf32>, %k: tensor<80x16xf32>, %v: tensor<80x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<64x16xf32>, tensor<80x16xf32>, tensor<80x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

/// YOSO expectation: rows tile like attention; with a mask, the tile reads
/// the query mask from query_offset on and still sees every key.

// CHECK-LABEL: func.func @yoso_expectation_rows
// CHECK-SAME: %[[M:[a-zA-Z0-9_]+]]: tensor<2x40xi1>
// CHECK: scf.forall (%[[B:.+]], %[[I:.+]]) = (0, 0) to (2, 40) step (1, 32)
// CHECK: %[[MT:.+]] = tensor.extract_slice %[[M]][%[[B]], 0] [1, 40] [1, 1]
// CHECK: effattn.yoso_attention {{.*}} mask(%[[MT]] : tensor<1x40xi1>) query_offset(%[[I]]) outs(%{{.+}} : tensor<1x?x8xf32>)
func.func @yoso_expectation_rows(%q: tensor<2x40x16xf32>, %k: tensor<2x40x16xf32>, %v: tensor<2x40x8xf32>, %m: tensor<2x40xi1>, %o: tensor<2x40x8xf32>) -> tensor<2x40x8xf32> {
  %r = effattn.yoso_attention ins(%q, %k, %v : tensor<2x40x16xf32>, tensor<2x40x16xf32>, tensor<2x40x8xf32>) mask(%m : tensor<2x40xi1>) outs(%o : tensor<2x40x8xf32>) -> tensor<2x40x8xf32>
  return %r : tensor<2x40x8xf32>
}

// -----

/// YOSO LSH: the bucket tables need every key, so only batch dimensions are
/// tiled; a per-batch projection is sliced with them.

// CHECK-LABEL: func.func @yoso_lsh_batch_only
// CHECK: scf.forall (%[[B:[a-zA-Z0-9_]+]]) in (2)
// CHECK: %[[PT:.+]] = tensor.extract_slice %{{.+}}[%[[B]], 0, 0] [1, 16, 8] [1, 1, 1]
// CHECK: effattn.yoso_attention {{.*}} projection(%[[PT]] : tensor<1x16x8xf32>) outs(%{{.+}} : tensor<1x40x8xf32>)
func.func @yoso_lsh_batch_only(%q: tensor<2x40x16xf32>, %k: tensor<2x40x16xf32>, %v: tensor<2x40x8xf32>, %p: tensor<2x16x8xf32>, %o: tensor<2x40x8xf32>) -> tensor<2x40x8xf32> {
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 2} ins(%q, %k, %v : tensor<2x40x16xf32>, tensor<2x40x16xf32>, tensor<2x40x8xf32>) projection(%p : tensor<2x16x8xf32>) outs(%o : tensor<2x40x8xf32>) -> tensor<2x40x8xf32>
  return %r : tensor<2x40x8xf32>
}

// -----

/// effattn.lookup_ffn: token axes tile like batch and rows (the last token
/// axis by 32); each tile takes all of D, the whole projection and every
/// table (D_out stays untiled here).

// CHECK-LABEL: func.func @lookup_ffn
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<3x70x16xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[PB:[a-zA-Z0-9_]+]]: tensor<8xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<2x16x12xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<12xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<3x70x12xf32>
// CHECK: scf.forall (%[[S:.+]], %[[I:.+]]) = (0, 0) to (3, 70) step (1, 32) shared_outs(%[[ACC:.+]] = %[[O]])
// CHECK: %[[XT:.+]] = tensor.extract_slice %[[X]][%[[S]], %[[I]], 0] [1, %[[N:.+]], 16] [1, 1, 1]
// CHECK: %[[TT:.+]] = tensor.extract_slice %[[T]][0, 0, 0] [2, 16, 12] [1, 1, 1]
// CHECK: %[[BT:.+]] = tensor.extract_slice %[[B]][0] [12] [1]
// CHECK: %[[OT:.+]] = tensor.extract_slice %[[ACC]][%[[S]], %[[I]], 0] [1, %[[N]], 12] [1, 1, 1]
// CHECK: effattn.lookup_ffn {code_bits = 4 : i64} ins(%[[XT]], %[[W]], %[[PB]], %[[TT]], %[[BT]] : tensor<1x?x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<2x16x12xf32>, tensor<12xf32>) outs(%[[OT]] : tensor<1x?x12xf32>)
func.func @lookup_ffn(%x: tensor<3x70x16xf32>, %w: tensor<8x16xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x12xf32>, %b: tensor<12xf32>, %o: tensor<3x70x12xf32>) -> tensor<3x70x12xf32> {
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x70x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<2x16x12xf32>, tensor<12xf32>) outs(%o : tensor<3x70x12xf32>) -> tensor<3x70x12xf32>
  return %r : tensor<3x70x12xf32>
}

// -----

/// An attention op with a lowering config is tiled by its query tile (16),
/// not by row-tile-size, and the tiles keep the config.

// CHECK-LABEL: func.func @attention_config_query_tile
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (2, 40) step (1, 16)
// CHECK: effattn.attention {lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 12, key_register_tile = 6, value_register_tile = 4>}
// CHECK-SAME: tensor<1x?x8xf32>
func.func @attention_config_query_tile(%q: tensor<2x40x8xf32>, %k: tensor<2x24x8xf32>, %v: tensor<2x24x8xf32>, %o: tensor<2x40x8xf32>) -> tensor<2x40x8xf32> {
  %r = effattn.attention {lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 12, key_register_tile = 6, value_register_tile = 4>} ins(%q, %k, %v : tensor<2x40x8xf32>, tensor<2x24x8xf32>, tensor<2x24x8xf32>) outs(%o : tensor<2x40x8xf32>) -> tensor<2x40x8xf32>
  return %r : tensor<2x40x8xf32>
}
