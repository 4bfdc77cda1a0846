/*===- FakeCudaDriver.h - a CUDA driver without a GPU -------------*- C -*-===*\
|*                                                                            *|
|* Part of the effattn project, under the Apache License v2.0 with LLVM       *|
|* Exceptions. See https://llvm.org/LICENSE.txt for license information.      *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * What the fake libcuda.so.1 (FakeCudaDriver.c) counts, so that tests of
 * libeffattn_cuda_runtime can check which driver calls it made. Tests reach
 * these functions with dlsym on the library the runtime opened.
 */
#ifndef EFFATTN_UNITTESTS_RUNTIME_FAKECUDADRIVER_H
#define EFFATTN_UNITTESTS_RUNTIME_FAKECUDADRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  /// cuMemAlloc and cuMemFree calls (cuMemFree synchronizes the device).
  int plainAllocations, plainFrees;
  /// cuMemAllocFromPoolAsync calls that succeeded, and those of them that
  /// reserved new memory instead of reusing the pool's idle memory.
  int poolAllocations, poolReservations;
  /// cuMemFreeAsync calls, and cuMemFree calls on pool memory.
  int asyncFrees, poolFreesWithoutStream;
  /// cuMemAllocFromPoolAsync calls that failed for lack of memory; frees of
  /// pool memory that is not allocated (freed twice, or never allocated).
  int outOfMemory, invalidFrees;
  /// cuCtxSynchronize calls, kernel launches.
  int contextSynchronizations, launches;
  /// Streams created, cuStreamSynchronize calls.
  int streamsCreated, streamSynchronizations;
  /// Pools created and destroyed.
  int poolsCreated, poolsDestroyed;
  /// Copies (cuMemcpy, cuMemcpyAsync: host to device, device to host and
  /// device to device) and memsets.
  int copies, memsets;
  /// The last pool's release threshold.
  uint64_t releaseThreshold;
  /// Bytes the pool holds (in use or idle).
  size_t poolReservedBytes;
} FakeCudaStatistics;

/// The counters since the driver was loaded.
typedef const FakeCudaStatistics *(*FakeCudaStatisticsFn)(void);
/// The most bytes the pool may reserve (no limit by default).
typedef void (*FakeCudaSetPoolLimitFn)(size_t bytes);

#ifdef __cplusplus
}
#endif

#endif /* EFFATTN_UNITTESTS_RUNTIME_FAKECUDADRIVER_H */
