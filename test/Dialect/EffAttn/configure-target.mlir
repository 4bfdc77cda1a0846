// RUN: effattn-opt %s --effattn-configure-target=cpu=x86-64-v3 | FileCheck %s --check-prefix=V3
// RUN: effattn-opt %s --effattn-configure-target=cpu=znver4 | FileCheck %s --check-prefix=ZEN4
// RUN: effattn-opt %s --effattn-configure-target | FileCheck %s --check-prefix=HOST
// RUN: not effattn-opt %s --effattn-configure-target=cpu=pentium 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: effattn-opt %s --effattn-configure-target=gpu=sm_80 | FileCheck %s --check-prefix=SM80
// RUN: effattn-opt %s --effattn-configure-target=gpu=cuda:sm_90 | FileCheck %s --check-prefix=SM90
// RUN: effattn-opt %s --effattn-configure-target=gpu=sm_90 | effattn-opt | FileCheck %s --check-prefix=SM90
// RUN: not effattn-opt %s --effattn-configure-target=gpu=sm_70 2>&1 | FileCheck %s --check-prefix=BADGPU

/// effattn-configure-target attaches the #effattn.cpu description of a
/// preset or of the running machine as the module attribute effattn.target;
/// the attribute round-trips through the printer and parser.

// V3: module attributes {effattn.target = #effattn.cpu<cpu = "x86-64-v3", features = ["sse4.2", "avx", "avx2", "fma", "f16c"], vector_bits = 256, vector_registers = 16, l1_bytes = 32768, l2_bytes = 262144, l3_bytes = 8388608, cores = 0>}
// ZEN4: module attributes {effattn.target = #effattn.cpu<cpu = "znver4", features = [{{.*}}"avx512f"{{.*}}"avx512vnni"{{.*}}], vector_bits = 512, vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576, l3_bytes = 33554432, cores = 0>}
// HOST: module attributes {effattn.target = #effattn.cpu<cpu = "{{[a-z0-9-]+}}", features = [{{.*}}], vector_bits = {{128|256|512}}, vector_registers = {{16|32}}, l1_bytes = {{[1-9][0-9]*}}, l2_bytes = {{[1-9][0-9]*}}, l3_bytes = {{[0-9]+}}, cores = {{[0-9]+}}>}
// SM80: module attributes {effattn.target = #effattn.gpu<chip = "sm_80", features = "+ptx70", sm_count = 108, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 166912, shared_memory_per_sm = 167936, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = ["f16:m16n8k16", "bf16:m16n8k16", "i8:m16n8k32", "tf32:m16n8k8"]>}
// SM90: module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, {{.*}}shared_memory_per_block = 232448, shared_memory_per_sm = 233472,
// BADGPU: error: effattn-configure-target: unknown gpu 'sm_70' (expected one of sm_80, sm_90)
// BAD: error: effattn-configure-target: unknown cpu 'pentium' (expected host or one of x86-64-v3, x86-64-v4, skylake-avx512, znver3, znver4)
module {
}
