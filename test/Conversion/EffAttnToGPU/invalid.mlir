// RUN: effattn-opt %s --split-input-file --verify-diagnostics --effattn-convert-to-gpu
// RUN: not effattn-opt %s --split-input-file --effattn-convert-to-gpu=gpu=sm_70 2>&1 | FileCheck %s
// RUN: not effattn-opt %s --split-input-file --effattn-convert-to-gpu=attention-warp-rows=24 2>&1 | FileCheck %s --check-prefix=WARP-ROWS
// RUN: not effattn-opt %s --split-input-file --effattn-convert-to-gpu=attention-warp-rows=32 2>&1 | FileCheck %s --check-prefix=WIDE
// RUN: not effattn-opt %s --split-input-file --effattn-convert-to-gpu=f32-contractions=tf32 2>&1 | FileCheck %s --check-prefix=F32

// CHECK: error: effattn-convert-to-gpu: unknown gpu 'sm_70' (expected one of sm_80, sm_90)
// WARP-ROWS: error: effattn-convert-to-gpu: attention-warp-rows must be 0, 16 or 32, not 24
// F32: error: effattn-convert-to-gpu: f32-contractions must be 3xtf32 or fma, not 'tf32'

/// Tiles that do not fit the target's budgets are compile-time errors that
/// say what to shrink, never launch failures.

func.func @shared_memory(%q: tensor<4x1024xf32>, %o: tensor<4x1024xf32>) -> tensor<4x1024xf32> {
  // expected-error @+1 {{'effattn.attention' op does not fit sm_90: a tile of 16 keys with D + E = 2048 needs 131136 bytes of shared memory, more than the 49152 a block may use; shrink the key tile by splitting the heads}}
  %r = effattn.attention ins(%q, %q, %q : tensor<4x1024xf32>, tensor<4x1024xf32>, tensor<4x1024xf32>) outs(%o : tensor<4x1024xf32>) -> tensor<4x1024xf32>
  return %r : tensor<4x1024xf32>
}

// -----

module attributes {effattn.target = #effattn.gpu<chip = "sm_80", features = "+ptx70", sm_count = 108, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 166912, shared_memory_per_sm = 167936, registers_per_sm = 65536, max_registers_per_thread = 64, mma_shapes = []>} {
func.func @registers(%q: tensor<4x64xf32>, %o: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'effattn.attention' op does not fit sm_80: the head dimensions D = 64 and E = 64 need about 112 registers per thread, more than the target's 64; split the heads}}
  %r = effattn.attention ins(%q, %q, %q : tensor<4x64xf32>, tensor<4x64xf32>, tensor<4x64xf32>) outs(%o : tensor<4x64xf32>) -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}
}

// -----

func.func @dynamic_head(%q: tensor<4x?xf32>, %v: tensor<4x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'effattn.attention' op needs static head dimensions D and E on the GPU}}
  %r = effattn.attention ins(%q, %q, %v : tensor<4x?xf32>, tensor<4x?xf32>, tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

/// Wide heads fit the tensor-core kernel's registers with 16 query rows per
/// warp (by default), not with 32 when those are asked for.
// WIDE: error: 'effattn.attention' op does not fit sm_90: 32 query rows per warp and tiles of 16 keys need about 304 registers per thread on tensor cores, more than the target's 255; ask for 16
func.func @wide_heads(%q: tensor<2x64x320xf16>, %v: tensor<2x64x256xf16>, %o: tensor<2x64x256xf16>) -> tensor<2x64x256xf16> {
  %r = effattn.attention ins(%q, %q, %v : tensor<2x64x320xf16>, tensor<2x64x320xf16>, tensor<2x64x256xf16>) outs(%o : tensor<2x64x256xf16>) -> tensor<2x64x256xf16>
  return %r : tensor<2x64x256xf16>
}
