// RUN: effattn-opt %s -split-input-file --verify-diagnostics --effattn-gpu-emulate-launches --cse | FileCheck %s

/// [Pass: effattn-gpu-emulate-launches] IN: gpu.launch of independent
/// threads. OUT: scf.parallel over the grid, loops over the block inside,
/// the body with ids and sizes replaced by the loops' values.
/// Kernels whose threads synchronize run each block in lockstep.

// CHECK-LABEL: func.func @kernel
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[G:[a-zA-Z0-9_]+]]: index
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: scf.parallel (%[[BX:.+]], %{{.+}}, %{{.+}}) = (%[[C0]], %[[C0]], %[[C0]]) to (%[[G]], %[[C1]], %[[C1]]) step (%[[C1]], %[[C1]], %[[C1]]) {
// CHECK: scf.for %[[TX:.+]] = %[[C0]] to %[[C64]] step %[[C1]] {
// CHECK: scf.for %{{.+}} = %[[C0]] to %[[C1]] step %[[C1]] {
// CHECK: scf.for %{{.+}} = %[[C0]] to %[[C1]] step %[[C1]] {
// CHECK: %[[BASE:.+]] = arith.muli %[[BX]], %[[C64]] : index
// CHECK: %[[I:.+]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK: memref.store %{{.+}}, %[[A]][%[[I]]]
// CHECK-NOT: gpu.
func.func @kernel(%a: memref<?xf32>, %grid: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %x = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %grid, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    memref.store %x, %a[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

/// Threads that synchronize run in lockstep: the shared tile is one buffer
/// per block, each piece between barriers and shuffles a loop over
/// the block's threads, the loop around them runs once with per-thread slots
/// for the values that live across pieces (%x, the accumulator, the loaded
/// %y that the shuffle reads from lane ^ 16).
// CHECK-LABEL: func.func @lockstep
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[N:[a-zA-Z0-9_]+]]: index
// CHECK-COUNT-3: scf.for
// CHECK: %[[TILE:.+]] = memref.alloc() : memref<64xf32>
// CHECK-DAG: %[[XS:.+]] = memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK-DAG: %[[ACC:.+]] = memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK-DAG: %[[YS:.+]] = memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK: scf.for %[[T0:.+]] = %{{.+}} to %{{.+}} step
// CHECK: memref.load %[[A]]
// CHECK: memref.store %{{.+}}, %[[XS]][%[[T0]]]
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[N]] step
// CHECK: scf.for %[[T1:.+]] =
// CHECK: %[[X:.+]] = memref.load %[[XS]][%[[T1]]]
// CHECK: memref.store %[[X]], %[[TILE]]
// CHECK: scf.for %[[T2:.+]] =
// CHECK: memref.load %[[TILE]]
// CHECK: memref.store %{{.+}}, %[[YS]][%[[T2]]]
// CHECK: scf.for %[[T3:.+]] =
// CHECK: %[[SRC:.+]] = arith.xori %{{.+}}, %{{.+}} : index
// CHECK: scf.if
// CHECK: memref.load %[[YS]][%{{.+}}]
// CHECK: scf.for
// CHECK: memref.load %[[ACC]]
// CHECK: arith.addf
// CHECK-NOT: gpu.
memref.global "private" @tile : memref<64xf32, #gpu.address_space<workgroup>>
func.func @lockstep(%a: memref<64xf32>, %o: memref<64xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %zero = arith.constant 0.0 : f32
    %tile = memref.get_global @tile : memref<64xf32, #gpu.address_space<workgroup>>
    %x = memref.load %a[%tx] : memref<64xf32>
    %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
      memref.store %x, %tile[%tx] : memref<64xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %r = arith.subi %c64, %tx : index
      %j = arith.remui %r, %c64 : index
      %y = memref.load %tile[%j] : memref<64xf32, #gpu.address_space<workgroup>>
      %c16 = arith.constant 16 : i32
      %c32 = arith.constant 32 : i32
      %s, %valid = gpu.shuffle xor %y, %c16, %c32 : f32
      %t = arith.addf %acc, %s : f32
      gpu.barrier
      scf.yield %t : f32
    }
    memref.store %sum, %o[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

/// Between barriers, ops run in phases: a loop over threads for the thread
/// ops whose operands are ready, then one for the warp-level ops whose
/// operands are. The two independent mma.sync share a loop (each a call of
/// the function for its shape and types, reading the lanes' A and B slots);
/// the one that uses their sum runs after the loop that adds them.
// CHECK-LABEL: func.func @mma_sync_phases
// CHECK-SAME: %[[O:[a-zA-Z0-9_]+]]: memref<32xvector<2x2xf32>>
// CHECK-DAG: %[[AS:.+]] = memref.alloc(%{{.+}}) : memref<?xvector<4x2xf16>>
// CHECK-DAG: %[[BS:.+]] = memref.alloc(%{{.+}}) : memref<?xvector<2x2xf16>>
// CHECK-DAG: %[[B2S:.+]] = memref.alloc(%{{.+}}) : memref<?xvector<2x2xf16>>
// CHECK: scf.for %[[T0:.+]] =
// CHECK: memref.store %{{.+}}, %[[AS]][%[[T0]]]
// CHECK: scf.for %[[T1:.+]] =
// CHECK: %[[D0:.+]] = func.call @__effattn_emulated_mma_sync_m16n8k16_f16_f32(%[[AS]], %[[BS]], %{{.+}}, %[[T1]])
// CHECK-NOT: scf.for
// CHECK: %[[D1:.+]] = func.call @__effattn_emulated_mma_sync_m16n8k16_f16_f32(%[[AS]], %[[B2S]], %{{.+}}, %[[T1]])
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: scf.for %[[T3:.+]] =
// CHECK: func.call @__effattn_emulated_mma_sync_m16n8k16_f16_f32(%[[AS]], %[[BS]], %{{.+}}, %[[T3]])
// CHECK: scf.for
// CHECK: memref.store %{{.+}}, %[[O]]
// CHECK: func.func private @__effattn_emulated_mma_sync_m16n8k16_f16_f32(%{{.+}}: memref<?xvector<4x2xf16>>, %{{.+}}: memref<?xvector<2x2xf16>>, %{{.+}}: vector<2x2xf32>, %{{.+}}: index) -> vector<2x2xf32> attributes {passthrough = ["noinline"]}
func.func @mma_sync_phases(%a: memref<32xvector<4x2xf16>>, %b: memref<32xvector<2x2xf16>>, %b2: memref<32xvector<2x2xf16>>, %o: memref<32xvector<2x2xf32>>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %zero = arith.constant dense<0.0> : vector<2x2xf32>
    %av = memref.load %a[%tx] : memref<32xvector<4x2xf16>>
    %bv = memref.load %b[%tx] : memref<32xvector<2x2xf16>>
    %d0 = nvgpu.mma.sync (%av, %bv, %zero) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %bv2 = memref.load %b2[%tx] : memref<32xvector<2x2xf16>>
    %d1 = nvgpu.mma.sync (%av, %bv2, %zero) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %s = arith.addf %d0, %d1 : vector<2x2xf32>
    %d2 = nvgpu.mma.sync (%av, %bv, %s) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    memref.store %d2, %o[%tx] : memref<32xvector<2x2xf32>>
    gpu.terminator
  }
  return
}

// -----

/// Shuffles are warp-level ops too: the two independent ones share a loop
/// over threads (each reading its source lane's slot), the one of their sum
/// runs in the next phase.
// CHECK-LABEL: func.func @shuffle_phases
// CHECK-DAG: %[[XS:.+]] = memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK-DAG: %[[YS:.+]] = memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.store %{{.+}}, %[[XS]]
// CHECK: scf.for
// CHECK: memref.load %[[XS]][%{{.+}}]
// CHECK-NOT: scf.for
// CHECK: memref.load %[[YS]][%{{.+}}]
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: scf.for
// CHECK: arith.xori
// CHECK: scf.for
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<64xf32>
func.func @shuffle_phases(%a: memref<64xf32>, %b: memref<64xf32>, %o: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c1_i32 = arith.constant 1 : i32
    %c2_i32 = arith.constant 2 : i32
    %c32_i32 = arith.constant 32 : i32
    %x = memref.load %a[%tx] : memref<64xf32>
    %y = memref.load %b[%tx] : memref<64xf32>
    %sx1, %vx = gpu.shuffle xor %x, %c1_i32, %c32_i32 : f32
    %sy1, %vy = gpu.shuffle xor %y, %c1_i32, %c32_i32 : f32
    %s = arith.addf %sx1, %sy1 : f32
    %t, %vt = gpu.shuffle xor %s, %c2_i32, %c32_i32 : f32
    memref.store %t, %o[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

/// Barriers in a loop whose trip count the threads find out one by one
/// cannot be cut into loops over threads.
func.func @synchronizing_while(%a: memref<64xi1>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{'scf.while' op synchronizes threads inside; only scf.for and scf.if around barriers and shuffles run on the host}}
    scf.while : () -> () {
      %go = memref.load %a[%tx] : memref<64xi1>
      scf.condition(%go)
    } do {
      gpu.barrier
      scf.yield
    }
    gpu.terminator
  }
  return
}

// -----

/// Tensor-core ops other than mma.sync m16n8k16 into f32, m16n8k32 into i32
/// and m16n8k8 tf32 into f32 (here f16 into f16 accumulators) have no host
/// emulation.
func.func @f16_accumulator_mma(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf16>, %o: memref<64xvector<2x2xf16>>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{'nvgpu.mma.sync' op has no host emulation (of the NVVM and nvgpu ops, only ldmatrix, cp.async and mma.sync m16n8k16 (f16 or bf16 into f32), m16n8k32 (i8 into i32) and m16n8k8 (tf32 into f32) run on the host)}}
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>
    memref.store %d, %o[%tx] : memref<64xvector<2x2xf16>>
    gpu.terminator
  }
  return
}

// -----

/// A thread's private buffer becomes a heap buffer (freed per thread by the
/// deallocation pipeline): a stack buffer in the loops would pile up.
// CHECK-LABEL: func.func @private_buffer
// CHECK: scf.for
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-NOT: memref.alloca
func.func @private_buffer(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %t = memref.alloca() : memref<4xf32>
    %x = memref.load %a[%tx] : memref<64xf32>
    memref.store %x, %t[%c0] : memref<4xf32>
    %y = memref.load %t[%c0] : memref<4xf32>
    memref.store %y, %a[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
