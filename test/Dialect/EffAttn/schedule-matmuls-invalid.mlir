// RUN: effattn-opt %s --effattn-schedule-matmuls -verify-diagnostics

/// A user's lowering config whose cache tiles do not divide the matmul's
/// dimensions is an error naming the op, the config and the rule.

func.func @gemm_config_not_tiling(%a: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'linalg.matmul' op lowering config #effattn.gemm_config<threads = 2, mc = 48, nc = 64, kc = 64, mr = 8, nr = 16> does not tile 64 x 64 x 64: threads·mc must divide M, nc N and kc K}}
  %r = linalg.matmul {effattn.lowering_config = #effattn.gemm_config<threads = 2, mc = 48, nc = 64, kc = 64, mr = 8, nr = 16>} ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}
