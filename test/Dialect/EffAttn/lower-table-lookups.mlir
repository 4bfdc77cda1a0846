// RUN: effattn-opt %s --split-input-file --effattn-lower-table-lookups | FileCheck %s

// With AVX-512: one vpermps.

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
