/*===- FakeCudaDriver.c - a CUDA driver without a GPU -------------*- C -*-===*\
|*                                                                            *|
|* Part of the effattn project, under the Apache License v2.0 with LLVM       *|
|* Exceptions. See https://llvm.org/LICENSE.txt for license information.      *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * A libcuda.so.1 for machines without a GPU: it exports cuGetProcAddress_v2
 * and the entry points libeffattn_cuda_runtime resolves through it, with
 * host memory as device memory, work that completes when it is queued
 * (streams, events and kernels are counted, not run; memory the kernels
 * would write holds zeros) and one device. Its
 * stream-ordered memory pool follows the driver's documented rules where
 * the runtime depends on them: freed memory is reused, idle memory past the
 * release threshold goes back to the driver at the next synchronization,
 * cuMemPoolTrimTo gives idle memory back, and an allocation past the pool's
 * limit fails with CUDA_ERROR_OUT_OF_MEMORY.
 *
 * Environment: FAKE_CUDA_NO_DEVICE=1 (cuInit fails with
 * CUDA_ERROR_NO_DEVICE), FAKE_CUDA_NO_MEMORY_POOLS=1 (the device does not
 * support memory pools), FAKE_CUDA_HIDE=<symbol> (cuGetProcAddress does not
 * find it).
 */

#include "FakeCudaDriver.h"

#include <cuda.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static FakeCudaStatistics statistics;
static bool noDevice, noMemoryPools;

//===----------------------------------------------------------------------===//
// Memory: host allocations; the pool keeps freed blocks for reuse.
//===----------------------------------------------------------------------===//

enum { MaxBlocks = 256 };
typedef struct {
  void *data;
  size_t size;
  bool idle;
} Block;

static Block blocks[MaxBlocks];
static int blockCount;
static size_t poolLimit = SIZE_MAX;
static int poolToken; // CUmemoryPool handles point here.

static Block *findBlock(CUdeviceptr pointer) {
  for (int i = 0; i < blockCount; ++i)
    if ((CUdeviceptr)blocks[i].data == pointer)
      return &blocks[i];
  return NULL;
}

/// Gives idle blocks back until the pool holds at most `keep` bytes.
static void releaseIdle(size_t keep) {
  for (int i = 0; i < blockCount && statistics.poolReservedBytes > keep;) {
    if (!blocks[i].idle) {
      ++i;
      continue;
    }
    statistics.poolReservedBytes -= blocks[i].size;
    free(blocks[i].data);
    blocks[i] = blocks[--blockCount];
  }
}

/// What a synchronization does to the pool.
static void synchronized(void) {
  if (statistics.poolReservedBytes > statistics.releaseThreshold)
    releaseIdle(statistics.releaseThreshold);
}

static CUresult memAlloc(CUdeviceptr *pointer, size_t bytes) {
  ++statistics.plainAllocations;
  *pointer = (CUdeviceptr)malloc(bytes);
  return *pointer ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

static CUresult memFree(CUdeviceptr pointer) {
  Block *block = findBlock(pointer);
  if (block && block->idle) {
    ++statistics.invalidFrees;
    return CUDA_ERROR_INVALID_VALUE;
  }
  if (block) {
    // The real cuMemFree does not wait for the device on pool memory.
    ++statistics.poolFreesWithoutStream;
    block->idle = true;
    return CUDA_SUCCESS;
  }
  ++statistics.plainFrees;
  free((void *)pointer);
  return CUDA_SUCCESS;
}

static CUresult memAllocFromPoolAsync(CUdeviceptr *pointer, size_t bytes,
                                      CUmemoryPool pool, CUstream stream) {
  (void)stream;
  if (pool != (CUmemoryPool)&poolToken)
    return CUDA_ERROR_INVALID_VALUE;
  // Zero-filled, so that host code that reads sizes the (unrun) kernels
  // would have computed reads zeros rather than the previous call's data.
  for (int i = 0; i < blockCount; ++i)
    if (blocks[i].idle && blocks[i].size >= bytes) {
      blocks[i].idle = false;
      memset(blocks[i].data, 0, blocks[i].size);
      *pointer = (CUdeviceptr)blocks[i].data;
      ++statistics.poolAllocations;
      return CUDA_SUCCESS;
    }
  if (bytes > poolLimit - statistics.poolReservedBytes ||
      blockCount == MaxBlocks) {
    ++statistics.outOfMemory;
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  Block block = {calloc(1, bytes), bytes, false};
  blocks[blockCount++] = block;
  statistics.poolReservedBytes += bytes;
  ++statistics.poolAllocations;
  ++statistics.poolReservations;
  *pointer = (CUdeviceptr)block.data;
  return CUDA_SUCCESS;
}

static CUresult memFreeAsync(CUdeviceptr pointer, CUstream stream) {
  (void)stream;
  Block *block = findBlock(pointer);
  if (!block || block->idle) {
    ++statistics.invalidFrees;
    return CUDA_ERROR_INVALID_VALUE;
  }
  ++statistics.asyncFrees;
  block->idle = true;
  return CUDA_SUCCESS;
}

static CUresult memPoolCreate(CUmemoryPool *pool,
                              const CUmemPoolProps *properties) {
  if (properties->allocType != CU_MEM_ALLOCATION_TYPE_PINNED ||
      properties->location.type != CU_MEM_LOCATION_TYPE_DEVICE ||
      properties->location.id != 0)
    return CUDA_ERROR_INVALID_VALUE;
  ++statistics.poolsCreated;
  *pool = (CUmemoryPool)&poolToken;
  return CUDA_SUCCESS;
}

static CUresult memPoolDestroy(CUmemoryPool pool) {
  (void)pool;
  ++statistics.poolsDestroyed;
  return CUDA_SUCCESS;
}

static CUresult memPoolSetAttribute(CUmemoryPool pool,
                                    CUmemPool_attribute attribute,
                                    void *value) {
  (void)pool;
  if (attribute != CU_MEMPOOL_ATTR_RELEASE_THRESHOLD)
    return CUDA_ERROR_NOT_SUPPORTED;
  statistics.releaseThreshold = *(cuuint64_t *)value;
  return CUDA_SUCCESS;
}

static CUresult memPoolTrimTo(CUmemoryPool pool, size_t keep) {
  (void)pool;
  releaseIdle(keep);
  return CUDA_SUCCESS;
}

static CUresult memcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                            CUstream stream) {
  (void)stream;
  ++statistics.copies;
  memcpy((void *)dst, (const void *)src, bytes);
  return CUDA_SUCCESS;
}

static CUresult memcpySync(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  return memcpyAsync(dst, src, bytes, NULL);
}

static CUresult memsetD32Async(CUdeviceptr dst, unsigned value, size_t count,
                               CUstream stream) {
  (void)stream;
  ++statistics.memsets;
  for (size_t i = 0; i < count; ++i)
    ((unsigned *)dst)[i] = value;
  return CUDA_SUCCESS;
}

static CUresult memsetD16Async(CUdeviceptr dst, unsigned short value,
                               size_t count, CUstream stream) {
  (void)stream;
  ++statistics.memsets;
  for (size_t i = 0; i < count; ++i)
    ((unsigned short *)dst)[i] = value;
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Device, context, modules, launches, streams and events.
//===----------------------------------------------------------------------===//

static int handleToken; // Contexts, modules, functions, streams, events.

static CUresult init(unsigned flags) {
  (void)flags;
  noDevice = getenv("FAKE_CUDA_NO_DEVICE") != NULL;
  noMemoryPools = getenv("FAKE_CUDA_NO_MEMORY_POOLS") != NULL;
  return noDevice ? CUDA_ERROR_NO_DEVICE : CUDA_SUCCESS;
}

static CUresult getErrorName(CUresult result, const char **name) {
  switch (result) {
  case CUDA_ERROR_OUT_OF_MEMORY:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return CUDA_SUCCESS;
  case CUDA_ERROR_NO_DEVICE:
    *name = "CUDA_ERROR_NO_DEVICE";
    return CUDA_SUCCESS;
  default:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return CUDA_SUCCESS;
  }
}

static CUresult getErrorString(CUresult result, const char **text) {
  *text = result == CUDA_ERROR_OUT_OF_MEMORY ? "out of memory"
          : result == CUDA_ERROR_NO_DEVICE   ? "no CUDA-capable device"
                                             : "invalid argument";
  return CUDA_SUCCESS;
}

static CUresult deviceGet(CUdevice *device, int ordinal) {
  *device = ordinal;
  return ordinal == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

static CUresult deviceGetAttribute(int *value, CUdevice_attribute attribute,
                                   CUdevice device) {
  (void)device;
  if (attribute != CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED)
    return CUDA_ERROR_INVALID_VALUE;
  *value = !noMemoryPools;
  return CUDA_SUCCESS;
}

static CUresult primaryCtxRetain(CUcontext *context, CUdevice device) {
  (void)device;
  *context = (CUcontext)&handleToken;
  return CUDA_SUCCESS;
}

static CUresult ctxPushCurrent(CUcontext context) {
  return context ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

static CUresult ctxPopCurrent(CUcontext *context) {
  *context = (CUcontext)&handleToken;
  return CUDA_SUCCESS;
}

static CUresult ctxSynchronize(void) {
  ++statistics.contextSynchronizations;
  synchronized();
  return CUDA_SUCCESS;
}

static CUresult moduleLoadData(CUmodule *module, const void *image) {
  (void)image;
  *module = (CUmodule)&handleToken;
  return CUDA_SUCCESS;
}

static CUresult moduleLoadDataEx(CUmodule *module, const void *image,
                                 unsigned count, CUjit_option *options,
                                 void **values) {
  (void)count, (void)options, (void)values;
  return moduleLoadData(module, image);
}

static CUresult moduleUnload(CUmodule module) {
  (void)module;
  return CUDA_SUCCESS;
}

static CUresult moduleGetFunction(CUfunction *function, CUmodule module,
                                  const char *name) {
  (void)module, (void)name;
  *function = (CUfunction)&handleToken;
  return CUDA_SUCCESS;
}

static CUresult funcSetAttribute(CUfunction function,
                                 CUfunction_attribute attribute, int value) {
  (void)function, (void)attribute, (void)value;
  return CUDA_SUCCESS;
}

static CUresult launchKernel(CUfunction function, unsigned gridX,
                             unsigned gridY, unsigned gridZ, unsigned blockX,
                             unsigned blockY, unsigned blockZ,
                             unsigned sharedBytes, CUstream stream,
                             void **params, void **extra) {
  (void)function, (void)gridX, (void)gridY, (void)gridZ, (void)blockX,
      (void)blockY, (void)blockZ, (void)sharedBytes, (void)stream, (void)params,
      (void)extra;
  ++statistics.launches;
  return CUDA_SUCCESS;
}

static CUresult streamCreate(CUstream *stream, unsigned flags) {
  (void)flags;
  ++statistics.streamsCreated;
  *stream = (CUstream)&handleToken;
  return CUDA_SUCCESS;
}

static CUresult streamSynchronize(CUstream stream) {
  (void)stream;
  ++statistics.streamSynchronizations;
  synchronized();
  return CUDA_SUCCESS;
}

static CUresult streamDestroy(CUstream stream) {
  (void)stream;
  return CUDA_SUCCESS;
}

static CUresult streamWaitEvent(CUstream stream, CUevent event,
                                unsigned flags) {
  (void)stream, (void)event, (void)flags;
  return CUDA_SUCCESS;
}

static CUresult eventCreate(CUevent *event, unsigned flags) {
  (void)flags;
  *event = (CUevent)&handleToken;
  return CUDA_SUCCESS;
}

static CUresult eventRecord(CUevent event, CUstream stream) {
  (void)event, (void)stream;
  return CUDA_SUCCESS;
}

static CUresult eventSynchronize(CUevent event) {
  (void)event;
  synchronized();
  return CUDA_SUCCESS;
}

static CUresult eventDestroy(CUevent event) {
  (void)event;
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Exported entry points.
//===----------------------------------------------------------------------===//

EXPORT CUresult cuGetProcAddress_v2(const char *symbol, void **function,
                                    int version, cuuint64_t flags,
                                    CUdriverProcAddressQueryResult *status) {
  (void)version, (void)flags;
  static const struct {
    const char *symbol;
    void *function;
  } table[] = {
      {"cuInit", (void *)init},
      {"cuGetErrorName", (void *)getErrorName},
      {"cuGetErrorString", (void *)getErrorString},
      {"cuDeviceGet", (void *)deviceGet},
      {"cuDeviceGetAttribute", (void *)deviceGetAttribute},
      {"cuDevicePrimaryCtxRetain", (void *)primaryCtxRetain},
      {"cuCtxPushCurrent", (void *)ctxPushCurrent},
      {"cuCtxPopCurrent", (void *)ctxPopCurrent},
      {"cuCtxSynchronize", (void *)ctxSynchronize},
      {"cuModuleLoadData", (void *)moduleLoadData},
      {"cuModuleLoadDataEx", (void *)moduleLoadDataEx},
      {"cuModuleUnload", (void *)moduleUnload},
      {"cuModuleGetFunction", (void *)moduleGetFunction},
      {"cuFuncSetAttribute", (void *)funcSetAttribute},
      {"cuLaunchKernel", (void *)launchKernel},
      {"cuStreamCreate", (void *)streamCreate},
      {"cuStreamSynchronize", (void *)streamSynchronize},
      {"cuStreamDestroy", (void *)streamDestroy},
      {"cuStreamWaitEvent", (void *)streamWaitEvent},
      {"cuEventCreate", (void *)eventCreate},
      {"cuEventRecord", (void *)eventRecord},
      {"cuEventSynchronize", (void *)eventSynchronize},
      {"cuEventDestroy", (void *)eventDestroy},
      {"cuMemAlloc", (void *)memAlloc},
      {"cuMemFree", (void *)memFree},
      {"cuMemcpy", (void *)memcpySync},
      {"cuMemcpyAsync", (void *)memcpyAsync},
      {"cuMemsetD32Async", (void *)memsetD32Async},
      {"cuMemsetD16Async", (void *)memsetD16Async},
      {"cuMemPoolCreate", (void *)memPoolCreate},
      {"cuMemPoolDestroy", (void *)memPoolDestroy},
      {"cuMemPoolSetAttribute", (void *)memPoolSetAttribute},
      {"cuMemPoolTrimTo", (void *)memPoolTrimTo},
      {"cuMemAllocFromPoolAsync", (void *)memAllocFromPoolAsync},
      {"cuMemFreeAsync", (void *)memFreeAsync},
  };
  // cuInit has not run yet when the runtime resolves its entry points.
  const char *hide = getenv("FAKE_CUDA_HIDE");
  *function = NULL;
  if (status)
    *status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  if (hide && strcmp(hide, symbol) == 0)
    return CUDA_ERROR_NOT_FOUND;
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); ++i)
    if (strcmp(table[i].symbol, symbol) == 0) {
      *function = table[i].function;
      if (status)
        *status = CU_GET_PROC_ADDRESS_SUCCESS;
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_NOT_FOUND;
}

EXPORT const FakeCudaStatistics *fakeCudaStatistics(void) {
  return &statistics;
}

EXPORT void fakeCudaSetPoolLimit(size_t bytes) { poolLimit = bytes; }
