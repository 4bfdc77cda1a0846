// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.lookup_ffn, dense projection,
/// two token axes. OUT: tokens collapsed to [N, D]; z = x·Wᵀ + b; z viewed
/// [N, T, τ]; one reduction over τ with three results — codes (i32, OR of
/// bits shifted to τ-1-k), Σ|z| and Π(1 + e^-2|z|) — then their quotient;
/// the output initialised with the bias and accumulated by loops (n, t, o)
/// that gather one table row per (n, t) with tensor.extract; converted into
/// init and expanded back.

// CHECK-LABEL: func.func @lookup_dense
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<2x5x16xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[PB:[a-zA-Z0-9_]+]]: tensor<8xf32>, %[[T:[a-zA-Z0-9_]+]]: tensor<2x16x12xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<12xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<2x5x12xf32>
// CHECK: %[[XC:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x5x16xf32> into tensor<10x16xf32>
// CHECK: %[[XW:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[XC]], %[[W]] : tensor<10x16xf32>, tensor<8x16xf32>) outs(%{{.+}} : tensor<10x8xf32>)
// CHECK: %[[Z:.+]] = linalg.generic {{.*}} ins(%[[PB]] : tensor<8xf32>) outs(%[[XW]] : tensor<10x8xf32>)
// CHECK: %[[ZG:.+]] = tensor.expand_shape %[[Z]] {{\[}}[0], [1, 2]] output_shape [10, 2, 4] : tensor<10x8xf32> into tensor<10x2x4xf32>
// CHECK: %[[RED:.+]]:3 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[ZG]] : tensor<10x2x4xf32>) outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<10x2xi32>, tensor<10x2xf32>, tensor<10x2xf32>)
// CHECK: arith.cmpf ogt
// CHECK: arith.shli
// CHECK: math.absf
// CHECK: math.exp
// CHECK: arith.ori
// CHECK: %[[SCORES:.+]] = linalg.generic {{.*}} ins(%[[RED]]#1 : tensor<10x2xf32>) outs(%[[RED]]#2 : tensor<10x2xf32>)
// CHECK: arith.divf
// CHECK: %[[INIT:.+]] = linalg.generic {{.*}} ins(%[[B]] : tensor<12xf32>) outs(%{{.+}} : tensor<10x12xf32>)
// CHECK: %[[OUT:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[RED]]#0, %[[SCORES]] : tensor<10x2xi32>, tensor<10x2xf32>) outs(%[[INIT]] : tensor<10x12xf32>)
// CHECK: tensor.extract %[[T]][%{{.+}}, %{{.+}}, %{{.+}}] : tensor<2x16x12xf32>
// CHECK: %[[OC:.+]] = tensor.collapse_shape %[[O]]
// CHECK: %[[CONV:.+]] = linalg.generic {{.*}} ins(%[[OUT]] : tensor<10x12xf32>) outs(%[[OC]] : tensor<10x12xf32>)
// CHECK: %[[R:.+]] = tensor.expand_shape %[[CONV]] {{\[}}[0, 1], [2]] output_shape [2, 5, 12]
// CHECK: return %[[R]]
func.func @lookup_dense(%x: tensor<2x5x16xf32>, %w: tensor<8x16xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x12xf32>, %b: tensor<12xf32>, %o: tensor<2x5x12xf32>) -> tensor<2x5x12xf32> {
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<2x5x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<2x16x12xf32>, tensor<12xf32>) outs(%o : tensor<2x5x12xf32>) -> tensor<2x5x12xf32>
  return %r : tensor<2x5x12xf32>
}

// -----

/// BH4 with D = 12 padded to P = 16, two blocks of 8, one repeat, dynamic
/// tokens: tensor.pad; per factor its blocks transposed, a block-diagonal
/// contraction over [N, 2, 8] with the output rows innermost, then the shared
/// Walsh-Hadamard transform (at length 16 one constant 16x16 product);
/// the decay mix reads Y[c / 16, n, c % 16] and the padded input.

// CHECK-LABEL: func.func @lookup_bh4
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x12xf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<1x4x2x8x8xf32>
// CHECK: %[[PAD:.+]] = tensor.pad %{{.+}} low[0, 0] high[0, 4]
// CHECK: } : tensor<?x12xf32> to tensor<?x16xf32>
// CHECK: %[[F0:.+]] = tensor.extract_slice %[[W]][0, 0, 0, 0, 0] [1, 1, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<1x4x2x8x8xf32> to tensor<2x8x8xf32>
// CHECK: %[[BL:.+]] = tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2]] {{.*}} : tensor<?x16xf32> into tensor<?x2x8xf32>
// CHECK: %[[F0T:.+]] = linalg.generic {{.*}} ins(%[[F0]] : tensor<2x8x8xf32>) outs(%{{.+}} : tensor<2x8x8xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%[[BL]], %[[F0T]] : tensor<?x2x8xf32>, tensor<2x8x8xf32>)
// CHECK: tensor.expand_shape {{.*}} : tensor<?x16xf32> into tensor<?x1x16xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<?x1x16xf32>, tensor<16x16xf32>)
// CHECK: tensor.extract_slice %[[W]][0, 1, 0, 0, 0]
// CHECK: tensor.extract_slice %[[W]][0, 3, 0, 0, 0]
// CHECK: %[[ALL:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 0] [1, %{{.+}}, 16] [1, 1, 1] : tensor<?x16xf32> into tensor<1x?x16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[ALL]], %[[PAD]], %{{.+}} : tensor<1x?x16xf32>, tensor<?x16xf32>, tensor<8xf32>) outs(%{{.+}} : tensor<?x8xf32>)
// CHECK: arith.constant 5.000000e-01 : f32
func.func @lookup_bh4(%x: tensor<?x12xf16>, %w: tensor<1x4x2x8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x12xf16>, %b: tensor<12xf32>, %o: tensor<?x12xf16>) -> tensor<?x12xf16> {
  %r = effattn.lookup_ffn {code_bits = 4, projection = "bh4", decay = 0.5 : f32} ins(%x, %w, %pb, %t, %b : tensor<?x12xf16>, tensor<1x4x2x8x8xf32>, tensor<8xf32>, tensor<2x16x12xf16>, tensor<12xf32>) outs(%o : tensor<?x12xf16>) -> tensor<?x12xf16>
  return %r : tensor<?x12xf16>
}

// -----

/// On a GPU target the butterfly stages of BH4's Walsh-Hadamard transform
/// (P = 64: half-widths 16 and 32) are generics in which each element reads
/// its partner j ^ h, not vector code over rows.

// CHECK-LABEL: func.func @lookup_bh4_gpu
// CHECK-NOT: vector.
/// The dense 16 x 16 stage, then the butterflies on rows [5, 64].
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<5x4x16xf32>, tensor<16x16xf32>)
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : tensor<5x4x16xf32> into tensor<5x64xf32>
// CHECK: %[[S16:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[ROWS]] : tensor<5x64xf32>)
// CHECK: ^bb0(%[[A:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[ROW:.+]] = linalg.index 0 : index
// CHECK: %[[COL:.+]] = linalg.index 1 : index
// CHECK: %[[H16:.+]] = arith.constant 16 : index
// CHECK: %[[P:.+]] = arith.xori %[[COL]], %[[H16]] : index
// CHECK: %[[B:.+]] = tensor.extract %[[ROWS]][%[[ROW]], %[[P]]] : tensor<5x64xf32>
// CHECK: %[[BIT:.+]] = arith.andi %[[COL]], %[[H16]] : index
// CHECK: %[[FIRST:.+]] = arith.cmpi eq, %[[BIT]], %{{.+}} : index
// CHECK: %[[SUM:.+]] = arith.addf %[[A]], %[[B]] : f32
// CHECK: %[[DIFF:.+]] = arith.subf %[[B]], %[[A]] : f32
// CHECK: %[[Y:.+]] = arith.select %[[FIRST]], %[[SUM]], %[[DIFF]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: linalg.generic {{.*}} ins(%[[S16]] : tensor<5x64xf32>)
// CHECK: arith.constant 32 : index
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @lookup_bh4_gpu(%x: tensor<5x64xf32>, %w: tensor<1x4x4x16x16xf32>, %pb: tensor<64xf32>, %t: tensor<8x256x32xf32>, %b: tensor<32xf32>, %o: tensor<5x32xf32>) -> tensor<5x32xf32> {
  %r = effattn.lookup_ffn {projection = "bh4", code_bits = 8} ins(%x, %w, %pb, %t, %b : tensor<5x64xf32>, tensor<1x4x4x16x16xf32>, tensor<64xf32>, tensor<8x256x32xf32>, tensor<32xf32>) outs(%o : tensor<5x32xf32>) -> tensor<5x32xf32>
  return %r : tensor<5x32xf32>
}
}
