// RUN: effattn-opt %s --split-input-file --effattn-lower-vector-ops | FileCheck %s

// effattn.table_lookup with AVX-512: one vpermps.

// CHECK-LABEL: func.func @avx512
// CHECK-SAME: (%[[TABLE:.+]]: vector<16xf32>, %[[INDICES:.+]]: vector<16xi32>)
// CHECK: %[[R:.+]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"(%[[TABLE]], %[[INDICES]]) : (vector<16xf32>, vector<16xi32>) -> vector<16xf32>
// CHECK: return %[[R]]
module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512,
    vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
    l3_bytes = 33554432, cores = 2>} {
func.func @avx512(%table: vector<16xf32>, %indices: vector<16xi32>) -> vector<16xf32> {
  %r = effattn.table_lookup %table[%indices] : vector<16xf32>, vector<16xi32>
  return %r : vector<16xf32>
}
}

// -----

// Elsewhere: per lane, the index masked to its low 4 bits.

// CHECK-LABEL: func.func @portable
// CHECK-SAME: (%[[TABLE:.+]]: vector<16xf32>, %[[INDICES:.+]]: vector<16xi32>)
// CHECK-DAG: %[[MASK:.+]] = arith.constant 15 : i32
// CHECK: %[[I0:.+]] = vector.extract %[[INDICES]][0] : i32 from vector<16xi32>
// CHECK: %[[M0:.+]] = arith.andi %[[I0]], %[[MASK]] : i32
// CHECK: %[[P0:.+]] = arith.index_cast %[[M0]] : i32 to index
// CHECK: %[[E0:.+]] = vector.extract %[[TABLE]][%[[P0]]] : f32 from vector<16xf32>
// CHECK: vector.insert %[[E0]], %{{.+}} [0] : f32 into vector<16xf32>
// CHECK-COUNT-15: vector.insert
// CHECK-NOT: effattn.table_lookup
func.func @portable(%table: vector<16xf32>, %indices: vector<16xi32>) -> vector<16xf32> {
  %r = effattn.table_lookup %table[%indices] : vector<16xf32>, vector<16xi32>
  return %r : vector<16xf32>
}

// -----

/// effattn.multiply_add_pairs: pmaddwd of the op's length where the target
/// has one (16 lanes: avx512bw; 8: avx2), plus an add.

// CHECK-LABEL: func.func @pairs_avx512
// CHECK-SAME: (%[[X:.+]]: vector<32xi16>, %[[Y:.+]]: vector<32xi16>, %[[ACC:.+]]: vector<16xi32>, %[[X8:.+]]: vector<16xi16>, %[[Y8:.+]]: vector<16xi16>, %[[ACC8:.+]]: vector<8xi32>)
// CHECK: %[[P:.+]] = llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"(%[[X]], %[[Y]]) : (vector<32xi16>, vector<32xi16>) -> vector<16xi32>
// CHECK: %[[R:.+]] = arith.addi %[[ACC]], %[[P]] : vector<16xi32>
// CHECK: %[[P8:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[X8]], %[[Y8]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK: %[[R8:.+]] = arith.addi %[[ACC8]], %[[P8]] : vector<8xi32>
// CHECK: return %[[R]], %[[R8]]
module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
    features = ["avx2", "fma", "avx512f", "avx512bw"], vector_bits = 512,
    vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
    l3_bytes = 33554432, cores = 2>} {
func.func @pairs_avx512(%x: vector<32xi16>, %y: vector<32xi16>, %acc: vector<16xi32>, %x8: vector<16xi16>, %y8: vector<16xi16>, %acc8: vector<8xi32>) -> (vector<16xi32>, vector<8xi32>) {
  %r = effattn.multiply_add_pairs %x, %y, %acc : vector<32xi16>, vector<16xi32>
  %r8 = effattn.multiply_add_pairs %x8, %y8, %acc8 : vector<16xi16>, vector<8xi32>
  return %r, %r8 : vector<16xi32>, vector<8xi32>
}
}

// -----

/// 16 lanes on an AVX2 target, or no target: even and odd halves by
/// shuffles, sign-extended, multiplied and added.

// CHECK-LABEL: func.func @pairs_portable
// CHECK-SAME: (%[[X:.+]]: vector<32xi16>, %[[Y:.+]]: vector<32xi16>, %[[ACC:.+]]: vector<16xi32>)
// CHECK-DAG: %[[XE:.+]] = vector.shuffle %[[X]], %[[X]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK-DAG: %[[YE:.+]] = vector.shuffle %[[Y]], %[[Y]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK-DAG: %[[XO:.+]] = vector.shuffle %[[X]], %[[X]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// CHECK-DAG: %[[YO:.+]] = vector.shuffle %[[Y]], %[[Y]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// CHECK-DAG: %[[XE32:.+]] = arith.extsi %[[XE]] : vector<16xi16> to vector<16xi32>
// CHECK-DAG: %[[YE32:.+]] = arith.extsi %[[YE]] : vector<16xi16> to vector<16xi32>
// CHECK-DAG: %[[XO32:.+]] = arith.extsi %[[XO]] : vector<16xi16> to vector<16xi32>
// CHECK-DAG: %[[YO32:.+]] = arith.extsi %[[YO]] : vector<16xi16> to vector<16xi32>
// CHECK-DAG: %[[EVEN:.+]] = arith.muli %[[XE32]], %[[YE32]] : vector<16xi32>
// CHECK-DAG: %[[ODD:.+]] = arith.muli %[[XO32]], %[[YO32]] : vector<16xi32>
// CHECK: %[[PAIRS:.+]] = arith.addi %[[EVEN]], %[[ODD]] : vector<16xi32>
// CHECK: %[[R:.+]] = arith.addi %[[ACC]], %[[PAIRS]] : vector<16xi32>
// CHECK: return %[[R]]
module attributes {effattn.target = #effattn.cpu<cpu = "x86-64-v3",
    features = ["avx", "avx2", "fma"], vector_bits = 256,
    vector_registers = 16, l1_bytes = 32768, l2_bytes = 262144,
    l3_bytes = 8388608, cores = 2>} {
func.func @pairs_portable(%x: vector<32xi16>, %y: vector<32xi16>, %acc: vector<16xi32>) -> vector<16xi32> {
  %r = effattn.multiply_add_pairs %x, %y, %acc : vector<32xi16>, vector<16xi32>
  return %r : vector<16xi32>
}
}
