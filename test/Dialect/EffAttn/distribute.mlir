// RUN: effattn-opt %s -split-input-file --effattn-distribute | FileCheck %s
// RUN: effattn-opt %s -split-input-file --effattn-distribute="chunks=4" | FileCheck %s --check-prefix=FOUR
// RUN: effattn-opt %s -split-input-file --effattn-configure-target=cpu=x86-64-v3 --effattn-distribute | FileCheck %s --check-prefix=PRESET
// RUN: not effattn-opt %s -split-input-file --effattn-distribute="chunks=-1" 2>&1 | FileCheck %s --check-prefix=BAD

/// effattn-distribute splits the outermost parallel loop of linalg ops that
/// run outside parallel loops into an scf.forall of one chunk per core (the
/// target's cores; 2 when it does not say, as for presets).

#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#rows = affine_map<(d0, d1, d2) -> (d0, d1)>

// CHECK-LABEL: func.func @row_sums
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<8x512x64xf32>
// CHECK: %[[R:.+]] = scf.forall (%[[I:.+]]) in (2) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<8x512xf32>)
// CHECK: %[[XS:.+]] = tensor.extract_slice %[[X]][%{{.+}}, 0, 0] [4, 512, 64] [1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[XS]] : tensor<4x512x64xf32>) outs(%{{.+}} : tensor<4x512xf32>)
// CHECK: tensor.parallel_insert_slice
// CHECK: return %[[R]]
// FOUR-LABEL: func.func @row_sums
// FOUR: scf.forall (%{{.+}}) in (4)
// PRESET-LABEL: func.func @row_sums
// PRESET: scf.forall (%{{.+}}) in (2)
// BAD: error: effattn-distribute: 'chunks' must be >= 0
func.func @row_sums(%x: tensor<8x512x64xf32>, %init: tensor<8x512xf32>) -> tensor<8x512xf32> {
  %r = linalg.generic {indexing_maps = [#map, #rows], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<8x512x64xf32>) outs(%init : tensor<8x512xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<8x512xf32>
  return %r : tensor<8x512xf32>
}

// -----

/// Left alone: an outermost reduction, a small op, an op already inside an
/// scf.forall.

#map = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.forall
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK: linalg.generic {{.*}} ins(%{{.+}} : tensor<4x4xf32>)
// CHECK: scf.forall (%{{.+}}) in (2)
// CHECK: linalg.generic
// CHECK-NOT: scf.forall (
func.func @left_alone(%x: tensor<1024x512xf32>, %y: tensor<512xf32>, %small: tensor<4x4xf32>) -> (tensor<512xf32>, tensor<4x4xf32>, tensor<1024x512xf32>) {
  %sums = linalg.generic {indexing_maps = [#map, #cols], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<1024x512xf32>) outs(%y : tensor<512xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<512xf32>
  %neg = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%small : tensor<4x4xf32>) outs(%small : tensor<4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<4x4xf32>
  %tiled = scf.forall (%i) in (2) shared_outs(%out = %x) -> (tensor<1024x512xf32>) {
    %off = affine.apply affine_map<(d0) -> (d0 * 512)>(%i)
    %in = tensor.extract_slice %x[%off, 0] [512, 512] [1, 1] : tensor<1024x512xf32> to tensor<512x512xf32>
    %o = tensor.extract_slice %out[%off, 0] [512, 512] [1, 1] : tensor<1024x512xf32> to tensor<512x512xf32>
    %e = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%in : tensor<512x512xf32>) outs(%o : tensor<512x512xf32>) {
    ^bb0(%a: f32, %b: f32):
      %n = arith.negf %a : f32
      linalg.yield %n : f32
    } -> tensor<512x512xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %e into %out[%off, 0] [512, 512] [1, 1] : tensor<512x512xf32> into tensor<1024x512xf32>
    }
  }
  return %sums, %neg, %tiled : tensor<512xf32>, tensor<4x4xf32>, tensor<1024x512xf32>
}
