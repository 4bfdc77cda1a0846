// RUN: effattn-opt %s --effattn-approximate-exp | FileCheck %s

/// f32 exponentials, scalar and vector, become upstream's polynomial
/// approximation (math.floor of x·log2(e), FMAs, the power of two built
/// from exponent bits); other element types are left alone.

// CHECK-LABEL: func.func @exp_f32
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: f32, %[[Y:[a-zA-Z0-9_]+]]: vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: math.floor %{{.+}} : f32
// CHECK: math.fma %{{.+}} : f32
// CHECK: arith.shli %{{.+}} : i32
// CHECK: arith.bitcast %{{.+}} : i32 to f32
// CHECK: math.floor %{{.+}} : vector<16xf32>
// CHECK: arith.bitcast %{{.+}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @exp_f32(%x: f32, %y: vector<16xf32>) -> (f32, vector<16xf32>) {
  %a = math.exp %x : f32
  %b = math.exp %y : vector<16xf32>
  return %a, %b : f32, vector<16xf32>
}

// CHECK-LABEL: func.func @exp_f16
// CHECK: math.exp %{{.+}} : f16
func.func @exp_f16(%x: f16) -> f16 {
  %a = math.exp %x : f16
  return %a : f16
}
