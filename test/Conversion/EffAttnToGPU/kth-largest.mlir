// RUN: effattn-opt %s -split-input-file --effattn-convert-to-gpu="gpu=sm_90" | FileCheck %s

/// [Pattern: KthLargestToGPU] IN: effattn.kth_largest over 16 rows of
/// 262144 keys (MRA's grid at n = 16384), k = 4096. OUT: a radix selection,
/// 8 bits per pass: the four passes' histograms [4, 16, 256] zero-filled,
/// then per pass a histogram kernel and a digit kernel, 256 threads each.
/// Histogram kernels: 64 blocks per row (8 per multiprocessor of the
/// sm_90's 132, at least 16 keys per thread), each over a chunk of 4096 keys;
/// keys xor 2^31 order as unsigned; pass p counts the keys whose top 8·p
/// bits are the prefix chosen so far by their next 8 bits, in a shared
/// histogram (atomic adds), whose non-zero bins are added to the row's.
/// Digit kernels: a block per row, thread d sums the bins above d; the
/// thread with fewer than `remaining` keys above and at least that many in
/// its bin and above appends d to the prefix and keeps the rest of the rank;
/// after the last pass the prefix, xor 2^31, is the result.

// CHECK-LABEL: func.func @kth_largest
// CHECK-DAG: %[[SIGN:.+]] = arith.constant -2147483648 : i32
// CHECK-DAG: %[[K:.+]] = arith.constant 4096 : i32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK: %[[KEYS:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<16x262144xi32> to memref<16x262144xi32>
// CHECK: %[[HIST:.+]] = memref.alloc() : memref<4x16x256xi32>
// CHECK: linalg.fill ins(%[[ZERO]] : i32) outs(%[[HIST]] : memref<4x16x256xi32>)
// CHECK: %[[STATE:.+]] = memref.alloc() : memref<16x2xi32>
// CHECK: %[[RESULT:.+]] = memref.alloc() : memref<16xi32>

/// Pass 0: every key counts, by its top 8 bits.
// CHECK: gpu.launch blocks(%[[BLOCK:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c1024, %{{.+}} = %c1, %{{.+}} = %c1) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c256, %{{.+}} = %c1, %{{.+}} = %c1)
// CHECK: %[[ROW:.+]] = arith.divui %[[BLOCK]], %c64 : index
// CHECK: %[[PART:.+]] = arith.remui %[[BLOCK]], %c64 : index
// CHECK: %[[BINS:.+]] = memref.get_global @__effattn_selection_bins : memref<256xi32, #gpu.address_space<workgroup>>
// CHECK: memref.store %[[ZERO]], %[[BINS]][%[[T]]]
// CHECK: gpu.barrier
// CHECK: %[[BEGIN:.+]] = arith.muli %[[PART]], %c4096 : index
// CHECK: %[[END0:.+]] = arith.addi %[[BEGIN]], %c4096 : index
// CHECK: %[[END:.+]] = arith.minui %[[END0]], %c262144 : index
// CHECK: %[[FIRST:.+]] = arith.addi %[[BEGIN]], %[[T]] : index
// CHECK: scf.for %[[I:.+]] = %[[FIRST]] to %[[END]] step %c256 {
// CHECK: %[[KEY:.+]] = memref.load %[[KEYS]][%[[ROW]], %[[I]]] : memref<16x262144xi32>
// CHECK: %[[BITS:.+]] = arith.xori %[[KEY]], %[[SIGN]] : i32
// CHECK: %[[TOP:.+]] = arith.shrui %[[BITS]], %c24_i32 : i32
// CHECK: %[[DIGIT:.+]] = arith.andi %[[TOP]], %c255_i32 : i32
// CHECK: %[[BIN:.+]] = arith.index_castui %[[DIGIT]] : i32 to index
// CHECK: memref.atomic_rmw addi %c1_i32, %[[BINS]][%[[BIN]]] : (i32, memref<256xi32, #gpu.address_space<workgroup>>) -> i32
// CHECK: gpu.barrier
// CHECK: %[[COUNT:.+]] = memref.load %[[BINS]][%[[T]]]
// CHECK: %[[NONZERO:.+]] = arith.cmpi ne, %[[COUNT]], %[[ZERO]] : i32
// CHECK: scf.if %[[NONZERO]] {
// CHECK: memref.atomic_rmw addi %[[COUNT]], %[[HIST]][%c0, %[[ROW]], %[[T]]] : (i32, memref<4x16x256xi32>) -> i32
// CHECK: gpu.terminator

/// Digit 0: the rank is k, the prefix empty.
// CHECK: gpu.launch blocks(%[[DROW:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c16, %{{.+}} = %c1, %{{.+}} = %c1) threads(%[[D:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c256, %{{.+}} = %c1, %{{.+}} = %c1)
// CHECK: %[[COUNTS:.+]] = memref.get_global @__effattn_selection_counts : memref<256xi32, #gpu.address_space<workgroup>>
// CHECK: %[[C:.+]] = memref.load %[[HIST]][%c0, %[[DROW]], %[[D]]] : memref<4x16x256xi32>
// CHECK: memref.store %[[C]], %[[COUNTS]][%[[D]]]
// CHECK: gpu.barrier
// CHECK: %[[NEXT:.+]] = arith.addi %[[D]], %c1 : index
// CHECK: %[[ABOVE:.+]] = scf.for %[[J:.+]] = %[[NEXT]] to %c256 step %c1 iter_args(%[[SUM:.+]] = %[[ZERO]]) -> (i32) {
// CHECK: %[[CJ:.+]] = memref.load %[[COUNTS]][%[[J]]]
// CHECK: %[[SUM1:.+]] = arith.addi %[[SUM]], %[[CJ]] : i32
// CHECK: scf.yield %[[SUM1]] : i32
// CHECK: %[[FEWER:.+]] = arith.cmpi slt, %[[ABOVE]], %[[K]] : i32
// CHECK: %[[WITH:.+]] = arith.addi %[[ABOVE]], %[[C]] : i32
// CHECK: %[[ENOUGH:.+]] = arith.cmpi sge, %[[WITH]], %[[K]] : i32
// CHECK: %[[CHOSEN:.+]] = arith.andi %[[FEWER]], %[[ENOUGH]] : i1
// CHECK: scf.if %[[CHOSEN]] {
// CHECK: %[[D32:.+]] = arith.index_castui %[[D]] : index to i32
// CHECK: memref.store %[[D32]], %[[STATE]][%[[DROW]], %c0] : memref<16x2xi32>
// CHECK: %[[REST:.+]] = arith.subi %[[K]], %[[ABOVE]] : i32
// CHECK: memref.store %[[REST]], %[[STATE]][%[[DROW]], %c1] : memref<16x2xi32>

/// Pass 1: only the keys whose top 8 bits are the prefix count, by bits
/// 16..23.
// CHECK: gpu.launch blocks(%[[BLOCK1:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c1024,
// CHECK: %[[ROW1:.+]] = arith.divui %[[BLOCK1]], %c64 : index
// CHECK: %[[PREFIX1:.+]] = memref.load %[[STATE]][%[[ROW1]], %c0] : memref<16x2xi32>
// CHECK: scf.for
// CHECK: %[[BITS1:.+]] = arith.xori %{{.+}}, %[[SIGN]] : i32
// CHECK: %[[HIGH1:.+]] = arith.shrui %[[BITS1]], %c24_i32 : i32
// CHECK: %[[MATCH1:.+]] = arith.cmpi eq, %[[HIGH1]], %[[PREFIX1]] : i32
// CHECK: scf.if %[[MATCH1]] {
// CHECK: arith.shrui %[[BITS1]], %c16_i32 : i32
// CHECK: memref.atomic_rmw addi
// CHECK: memref.atomic_rmw addi %{{.+}}, %[[HIST]][%c1, %[[ROW1]], %{{.+}}]

/// Digit 1 reads the prefix and the rank back, then shifts the prefix.
// CHECK: gpu.launch blocks(%[[DROW1:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c16,
// CHECK: memref.load %[[HIST]][%c1, %[[DROW1]], %{{.+}}]
// CHECK: %[[P1:.+]] = memref.load %[[STATE]][%[[DROW1]], %c0]
// CHECK: %[[R1:.+]] = memref.load %[[STATE]][%[[DROW1]], %c1]
// CHECK: gpu.barrier
// CHECK: arith.cmpi slt, %{{.+}}, %[[R1]] : i32
// CHECK: arith.shli %[[P1]], %c8_i32 : i32

/// Passes 2 and 3 compare 16 and 24 bits and count bits 8..15 and 0..7.
// CHECK: arith.shrui %{{.+}}, %c16_i32 : i32
// CHECK: arith.shrui %{{.+}}, %c8_i32 : i32
// CHECK: %[[HIST]][%c2,
// CHECK: %[[BITS3:.+]] = arith.xori %{{.+}}, %[[SIGN]] : i32
// CHECK: arith.shrui %[[BITS3]], %c8_i32 : i32
// CHECK: arith.andi %[[BITS3]], %c255_i32 : i32
// CHECK: %[[HIST]][%c3,

/// The last digit completes the key: xor 2^31 back to signed, into the
/// result.
// CHECK: gpu.launch blocks(%[[DROW3:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c16,
// CHECK: scf.if
// CHECK: %[[FULL:.+]] = arith.ori
// CHECK: %[[ANSWER:.+]] = arith.xori %[[FULL]], %[[SIGN]] : i32
// CHECK: memref.store %[[ANSWER]], %[[RESULT]][%[[DROW3]]] : memref<16xi32>
// CHECK-NOT: gpu.launch
// CHECK: %[[OUT:.+]] = bufferization.to_tensor %[[RESULT]] restrict writable : memref<16xi32> to tensor<16xi32>
// CHECK: return %[[OUT]]
func.func @kth_largest(%x: tensor<16x262144xi32>) -> tensor<16xi32> {
  %t = effattn.kth_largest %x {k = 4096} : tensor<16x262144xi32> -> tensor<16xi32>
  return %t : tensor<16xi32>
}

// -----

/// A dynamic number of rows: the buffers are sized by it, and the histogram
/// kernels assume one row (at most 8 · 132 blocks per row), here 245 blocks
/// of 4096 keys per row of a million; a short row gets one block.

// CHECK-LABEL: func.func @kth_largest_dynamic_rows
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x1000000xi32>
// CHECK: %[[KEYS:.+]] = bufferization.to_buffer %[[X]] read_only : tensor<?x1000000xi32> to memref<?x1000000xi32>
// CHECK: %[[R:.+]] = memref.dim %[[KEYS]], %c0 : memref<?x1000000xi32>
// CHECK: memref.alloc(%[[R]]) : memref<4x?x256xi32>
// CHECK: memref.alloc(%[[R]]) : memref<?x2xi32>
// CHECK: %[[R2:.+]] = tensor.dim %[[X]], %c0 : tensor<?x1000000xi32>
// CHECK: memref.alloc(%[[R2]]) : memref<?xi32>
// CHECK: %[[BLOCKS:.+]] = arith.muli %[[R]], %c245 : index
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[BLOCKS]],
// CHECK: arith.muli %{{.+}}, %c4096 : index
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[R]],
// CHECK: %[[SHORT:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?x300xi32> to memref<?x300xi32>
// CHECK: %[[RS:.+]] = memref.dim %[[SHORT]], %c0
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[RS]],
// CHECK: scf.for %{{.+}} = %{{.+}} to %c300 step %c256
func.func @kth_largest_dynamic_rows(%x: tensor<?x1000000xi32>, %y: tensor<?x300xi32>) -> (tensor<?xi32>, tensor<?xi32>) {
  %t = effattn.kth_largest %x {k = 1} : tensor<?x1000000xi32> -> tensor<?xi32>
  %u = effattn.kth_largest %y {k = 300} : tensor<?x300xi32> -> tensor<?xi32>
  return %t, %u : tensor<?xi32>, tensor<?xi32>
}
