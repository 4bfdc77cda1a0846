// RUN: effattn-opt %s --effattn-gpu-lower-bf16-mma | FileCheck %s

/// [Pass: effattn-gpu-lower-bf16-mma] IN: nvgpu.mma.sync of any type. OUT:
/// bf16 m16n8k16 into f32 as nvvm.mma.sync on the fragments' 32-bit
/// registers (rows of two bf16), the four f32 accumulators in and out; f16
/// and i8 left to convert-nvgpu-to-nvvm.

// CHECK-LABEL: func.func @bf16
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: vector<4x2xbf16>, %[[B:[a-zA-Z0-9_]+]]: vector<2x2xbf16>, %[[C:[a-zA-Z0-9_]+]]: vector<2x2xf32>
// CHECK-DAG: %[[C11:.+]] = vector.extract %[[C]][1, 1] : f32 from vector<2x2xf32>
// CHECK-DAG: %[[A0:.+]] = vector.extract %[[A]][0] : vector<2xbf16> from vector<4x2xbf16>
// CHECK-DAG: %[[A0W:.+]] = vector.bitcast %[[A0]] : vector<2xbf16> to vector<1xi32>
// CHECK-DAG: %[[A0R:.+]] = vector.extract %[[A0W]][0] : i32 from vector<1xi32>
// CHECK-DAG: vector.extract %[[B]][1] : vector<2xbf16> from vector<2x2xbf16>
// CHECK: %[[D:.+]] = nvvm.mma.sync A[%[[A0R]], %{{.+}}, %{{.+}}, %{{.+}}] B[%{{.+}}, %{{.+}}] C[%{{.+}}, %{{.+}}, %{{.+}}, %[[C11]]]
// CHECK-SAME: layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-COUNT-4: llvm.extractvalue %[[D]]
// CHECK: %[[R:.+]] = vector.from_elements {{.+}} : vector<2x2xf32>
// CHECK: return %[[R]]
func.func @bf16(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}

// CHECK-LABEL: func.func @f16_and_i8
// CHECK: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 16]}
// CHECK: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 32]}
// CHECK-NOT: nvvm.mma.sync
func.func @f16_and_i8(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>, %x: vector<4x4xi8>, %y: vector<2x4xi8>, %z: vector<2x2xi32>) -> (vector<2x2xf32>, vector<2x2xi32>) {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
  %w = nvgpu.mma.sync(%x, %y, %z) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
  return %d, %w : vector<2x2xf32>, vector<2x2xi32>
}
