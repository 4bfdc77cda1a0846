// RUN: effattn-opt %s --effattn-configure-target=cpu=x86-64-v3 | FileCheck %s --check-prefix=V3
// RUN: effattn-opt %s --effattn-configure-target=cpu=znver4 | FileCheck %s --check-prefix=ZEN4
// RUN: effattn-opt %s --effattn-configure-target | FileCheck %s --check-prefix=HOST
// RUN: not effattn-opt %s --effattn-configure-target=cpu=pentium 2>&1 | FileCheck %s --check-prefix=BAD

/// effattn-configure-target attaches the #effattn.cpu description of a
/// preset or of the running machine as the module attribute effattn.target;
/// the attribute round-trips through the printer and parser.

// V3: module attributes {effattn.target = #effattn.cpu<cpu = "x86-64-v3", features = ["sse4.2", "avx", "avx2", "fma", "f16c"], vector_bits = 256, vector_registers = 16, l1_bytes = 32768, l2_bytes = 262144, l3_bytes = 8388608, cores = 0>}
// ZEN4: module attributes {effattn.target = #effattn.cpu<cpu = "znver4", features = [{{.*}}"avx512f"{{.*}}"avx512vnni"{{.*}}], vector_bits = 512, vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576, l3_bytes = 33554432, cores = 0>}
// HOST: module attributes {effattn.target = #effattn.cpu<cpu = "{{[a-z0-9-]+}}", features = [{{.*}}], vector_bits = {{128|256|512}}, vector_registers = {{16|32}}, l1_bytes = {{[1-9][0-9]*}}, l2_bytes = {{[1-9][0-9]*}}, l3_bytes = {{[0-9]+}}, cores = {{[0-9]+}}>}
// BAD: error: effattn-configure-target: unknown cpu 'pentium' (expected host or one of x86-64-v3, x86-64-v4, skylake-avx512, znver3, znver4)
module {
}
