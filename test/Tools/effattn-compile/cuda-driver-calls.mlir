// REQUIRES: cuda-toolkit
// RUN: rm -rf %t && mkdir -p %t
// RUN: effattn-compile %s --target=cuda:sm_90 -o %t/libapprox.so
// RUN: env LD_LIBRARY_PATH=%fake_cuda_driver_dir %python %S/Inputs/driver_calls.py %t/libapprox.so | FileCheck %s

/// What the host code of a GPU library asks of the CUDA driver per call, on
/// the fake driver of unittests/Runtime: a call runs on one stream and waits
/// for it once, at its end (effattn-gpu-one-stream: Nystrom's
/// pseudo-inverse iterations do not wait); the
/// temporaries between kernels come from the library's memory pool,
/// allocated and freed on that stream, every one of them freed, so nothing
/// else waits for the device (no cuMemAlloc, cuMemFree or cuCtxSynchronize);
/// Nystrom copies nothing on the device (its kernels start from their fills'
/// constants and read the buffers bufferization copied, effattn-gpu-map-linalg);
/// from the second call on no new memory is reserved. The only allocations
/// outside the pool are the caller's (the script's cuda_alloc of the
/// operands, before the calls). IM-Unpack reads sizes and column ranges
/// back on the host, so its loops keep a stream and a wait per iteration;
/// each stream it creates is waited for (and destroyed) once.

// CHECK: nystrom first call: status 0; plainAllocations 0, plainFrees 0, poolAllocations [[NYSTROM:[1-9][0-9]*]], poolReservations {{[1-9][0-9]*}}, asyncFrees [[NYSTROM]], poolFreesWithoutStream 0, outOfMemory 0, invalidFrees 0, contextSynchronizations 0, launches {{[1-9][0-9]*}}, streamsCreated 1, streamSynchronizations 1, poolsCreated 0
// CHECK: nystrom second call: status 0; plainAllocations 0, plainFrees 0, poolAllocations [[NYSTROM]], poolReservations 0, asyncFrees [[NYSTROM]], poolFreesWithoutStream 0, outOfMemory 0, invalidFrees 0, contextSynchronizations 0, launches {{[1-9][0-9]*}}, streamsCreated 1, streamSynchronizations 1, poolsCreated 0, poolsDestroyed 0, copies 0, memsets 0
// CHECK: mra second call: status 0; plainAllocations 0, plainFrees 0, poolAllocations [[MRA:[1-9][0-9]*]], poolReservations 0, asyncFrees [[MRA]], poolFreesWithoutStream 0, outOfMemory 0, invalidFrees 0, contextSynchronizations 0, launches {{[1-9][0-9]*}}, streamsCreated 1, streamSynchronizations 1,
// CHECK: yoso second call: status 0; plainAllocations 0, plainFrees 0, poolAllocations [[YOSO:[1-9][0-9]*]], poolReservations 0, asyncFrees [[YOSO]], poolFreesWithoutStream 0, outOfMemory 0, invalidFrees 0, contextSynchronizations 0, launches {{[1-9][0-9]*}}, streamsCreated 1, streamSynchronizations 1,
// CHECK: unpacked second call: status 0; plainAllocations 0, plainFrees 0, poolAllocations [[UNPACKED:[1-9][0-9]*]], poolReservations 0, asyncFrees [[UNPACKED]], poolFreesWithoutStream 0, outOfMemory 0, invalidFrees 0, contextSynchronizations 0, launches {{[1-9][0-9]*}}, streamsCreated [[STREAMS:[1-9][0-9]*]], streamSynchronizations [[STREAMS]],

func.func @nystrom(%q: tensor<2x256x32xf32>, %k: tensor<2x256x32xf32>,
                   %v: tensor<2x256x32xf32>, %mask: tensor<2x256xi1>)
    -> tensor<2x256x32xf32> {
  %init = tensor.empty() : tensor<2x256x32xf32>
  %r = effattn.nystrom_attention {num_landmarks = 16}
      ins(%q, %k, %v : tensor<2x256x32xf32>, tensor<2x256x32xf32>, tensor<2x256x32xf32>)
      mask(%mask : tensor<2x256xi1>)
      outs(%init : tensor<2x256x32xf32>) -> tensor<2x256x32xf32>
  return %r : tensor<2x256x32xf32>
}

func.func @mra(%q: tensor<2x256x32xf32>, %k: tensor<2x256x32xf32>,
               %v: tensor<2x256x32xf32>) -> tensor<2x256x32xf32> {
  %init = tensor.empty() : tensor<2x256x32xf32>
  %r = effattn.mra_attention {block_size = 32, blocks_per_row = 2, mode = "full"}
      ins(%q, %k, %v : tensor<2x256x32xf32>, tensor<2x256x32xf32>, tensor<2x256x32xf32>)
      outs(%init : tensor<2x256x32xf32>) -> tensor<2x256x32xf32>
  return %r : tensor<2x256x32xf32>
}

func.func @yoso(%q: tensor<2x256x32xf32>, %k: tensor<2x256x32xf32>,
                %v: tensor<2x256x32xf32>, %projection: tensor<32x32xf32>)
    -> tensor<2x256x32xf32> {
  %init = tensor.empty() : tensor<2x256x32xf32>
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 8, num_hashes = 4}
      ins(%q, %k, %v : tensor<2x256x32xf32>, tensor<2x256x32xf32>, tensor<2x256x32xf32>)
      projection(%projection : tensor<32x32xf32>)
      outs(%init : tensor<2x256x32xf32>) -> tensor<2x256x32xf32>
  return %r : tensor<2x256x32xf32>
}

func.func @unpacked(%a: tensor<64x96xi64>, %b: tensor<80x96xi64>) -> tensor<64x80xi64> {
  %o = tensor.empty() : tensor<64x80xi64>
  %r = effattn.unpacked_matmul {bits = 8, strategy = "both"}
      ins(%a, %b : tensor<64x96xi64>, tensor<80x96xi64>)
      outs(%o : tensor<64x80xi64>) -> tensor<64x80xi64>
  return %r : tensor<64x80xi64>
}
