/*===- effattn_cuda_runtime.c - mgpu* runtime on CUDA -------------*- C -*-===*\
|*                                                                            *|
|* Part of the effattn project, under the Apache License v2.0 with LLVM       *|
|* Exceptions. See https://llvm.org/LICENSE.txt for license information.      *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * The host-side functions that MLIR's gpu-to-llvm lowering calls (module
 * load, kernel launch, streams, events, device memory), implemented on the
 * CUDA driver API, plus the device-memory helpers the generated C entry
 * points export.
 *
 * The driver is opened at run time (dlopen("libcuda.so.1") and
 * cuGetProcAddress), so a library compiled for a GPU loads on any machine;
 * without a driver or a device its entry points return
 * EFFATTN_ERROR_DEVICE with the driver's message instead of crashing.
 *
 * Errors never abort: the first one of a call is recorded with effattn_fail
 * (the entry point returns it), and later launches, copies and memsets of
 * the same call are skipped so that nothing runs on invalid pointers.
 *
 * A call's temporaries come from a stream-ordered memory pool of the
 * library's own (cuMemAllocFromPoolAsync, cuMemFreeAsync on the call's
 * stream) that keeps its memory between calls: cuMemFree synchronizes the
 * device, and cuMemAlloc maps new pages, on every call. Devices without
 * memory pools fall back to cuMemAlloc and cuMemFree;
 * effattn_cuda_release_memory returns the pool's idle memory to the driver.
 */

#include "effattn/Runtime/effattn_cuda_runtime.h"
#include "effattn/Runtime/effattn_runtime.h"

#include <cuda.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/// The driver entry points used here, as cuGetProcAddress returns them for
/// the CUDA 12.0 ABI (the signatures cuda.h declares under these names).
typedef struct {
  CUresult (*init)(unsigned);
  CUresult (*getErrorName)(CUresult, const char **);
  CUresult (*getErrorString)(CUresult, const char **);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxPushCurrent)(CUcontext);
  CUresult (*ctxPopCurrent)(CUcontext *);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned,
                               CUjit_option *, void **);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*funcSetAttribute)(CUfunction, CUfunction_attribute, int);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*streamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventDestroy)(CUevent);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*memcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*memsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*memsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*ctxSynchronize)(void);
  // Memory pools (CUDA 11.2); optional: without them, cuMemAlloc/cuMemFree.
  CUresult (*deviceGetAttribute)(int *, CUdevice_attribute, CUdevice);
  CUresult (*memPoolCreate)(CUmemoryPool *, const CUmemPoolProps *);
  CUresult (*memPoolDestroy)(CUmemoryPool);
  CUresult (*memPoolSetAttribute)(CUmemoryPool, CUmemPool_attribute, void *);
  CUresult (*memPoolTrimTo)(CUmemoryPool, size_t);
  CUresult (*memAllocFromPoolAsync)(CUdeviceptr *, size_t, CUmemoryPool,
                                    CUstream);
  CUresult (*memFreeAsync)(CUdeviceptr, CUstream);
} Driver;

static Driver driver;
static CUcontext context;
static int defaultDevice;
/// The pool of the generated code's allocations; NULL where the device has
/// no memory pools.
static CUmemoryPool pool;
/// Why the driver or the device is unusable ("" while it is usable).
static char setupError[256];
static pthread_once_t setupOnce = PTHREAD_ONCE_INIT;

/// Writes "CUDA_ERROR_NAME (description)" of `result` into `buffer`.
static void describe(CUresult result, char *buffer, size_t size) {
  const char *name = "unknown CUDA error", *text = "";
  if (driver.getErrorName)
    driver.getErrorName(result, &name);
  if (driver.getErrorString)
    driver.getErrorString(result, &text);
  snprintf(buffer, size, "%s (%s)", name, text);
}

/// Records the failure of `call` with `result` for the running entry point.
static void failWith(const char *call, CUresult result) {
  char error[160], message[256];
  describe(result, error, sizeof(error));
  snprintf(message, sizeof(message), "%s failed: %s", call, error);
  effattn_fail(EFFATTN_ERROR_DEVICE, message);
}

typedef CUresult (*GetProcAddress)(const char *, void **, int, cuuint64_t,
                                   CUdriverProcAddressQueryResult *);

/// Resolves one driver symbol; false (and *slot NULL) when it is missing.
static bool resolve(GetProcAddress getProcAddress, const char *symbol,
                    void **slot) {
  CUdriverProcAddressQueryResult found;
  if (getProcAddress(symbol, slot, 12000, CU_GET_PROC_ADDRESS_DEFAULT,
                     &found) == CUDA_SUCCESS &&
      *slot)
    return true;
  *slot = NULL;
  return false;
}

/// Creates `pool` on `device`, keeping its memory between calls, where the
/// driver and the device support memory pools; else leaves it NULL.
static void createPool(GetProcAddress getProcAddress, CUdevice device) {
  struct {
    const char *symbol;
    void **slot;
  } symbols[] = {
      {"cuDeviceGetAttribute", (void **)&driver.deviceGetAttribute},
      {"cuMemPoolCreate", (void **)&driver.memPoolCreate},
      {"cuMemPoolDestroy", (void **)&driver.memPoolDestroy},
      {"cuMemPoolSetAttribute", (void **)&driver.memPoolSetAttribute},
      {"cuMemPoolTrimTo", (void **)&driver.memPoolTrimTo},
      {"cuMemAllocFromPoolAsync", (void **)&driver.memAllocFromPoolAsync},
      {"cuMemFreeAsync", (void **)&driver.memFreeAsync},
  };
  for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); ++i)
    if (!resolve(getProcAddress, symbols[i].symbol, symbols[i].slot))
      return;
  int supported = 0;
  if (driver.deviceGetAttribute(&supported,
                                CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED,
                                device) != CUDA_SUCCESS ||
      !supported)
    return;
  CUmemPoolProps properties;
  memset(&properties, 0, sizeof(properties));
  properties.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
  properties.handleTypes = CU_MEM_HANDLE_TYPE_NONE;
  properties.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  properties.location.id = device;
  CUmemoryPool created = NULL;
  if (driver.memPoolCreate(&created, &properties) != CUDA_SUCCESS)
    return;
  // By default a pool returns its idle memory to the driver at every
  // synchronization, i.e. at the end of every call.
  cuuint64_t keepAll = UINT64_MAX;
  if (driver.memPoolSetAttribute(created, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                                 &keepAll) != CUDA_SUCCESS) {
    driver.memPoolDestroy(created);
    return;
  }
  pool = created;
}

/// Opens the driver, resolves the entry points and retains the primary
/// context of the default device; on failure fills setupError.
static void setUp(void) {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    snprintf(setupError, sizeof(setupError),
             "no CUDA driver: cannot load libcuda.so.1 (%s)", dlerror());
    return;
  }
  GetProcAddress getProcAddress =
      (GetProcAddress)dlsym(library, "cuGetProcAddress_v2");
  if (!getProcAddress) {
    snprintf(setupError, sizeof(setupError),
             "the CUDA driver has no cuGetProcAddress_v2 (driver older than "
             "CUDA 12?)");
    return;
  }
  struct {
    const char *symbol;
    void **slot;
  } symbols[] = {
      {"cuInit", (void **)&driver.init},
      {"cuGetErrorName", (void **)&driver.getErrorName},
      {"cuGetErrorString", (void **)&driver.getErrorString},
      {"cuDeviceGet", (void **)&driver.deviceGet},
      {"cuDevicePrimaryCtxRetain", (void **)&driver.primaryCtxRetain},
      {"cuCtxPushCurrent", (void **)&driver.ctxPushCurrent},
      {"cuCtxPopCurrent", (void **)&driver.ctxPopCurrent},
      {"cuModuleLoadData", (void **)&driver.moduleLoadData},
      {"cuModuleLoadDataEx", (void **)&driver.moduleLoadDataEx},
      {"cuModuleUnload", (void **)&driver.moduleUnload},
      {"cuModuleGetFunction", (void **)&driver.moduleGetFunction},
      {"cuFuncSetAttribute", (void **)&driver.funcSetAttribute},
      {"cuLaunchKernel", (void **)&driver.launchKernel},
      {"cuStreamCreate", (void **)&driver.streamCreate},
      {"cuStreamSynchronize", (void **)&driver.streamSynchronize},
      {"cuStreamDestroy", (void **)&driver.streamDestroy},
      {"cuStreamWaitEvent", (void **)&driver.streamWaitEvent},
      {"cuEventCreate", (void **)&driver.eventCreate},
      {"cuEventRecord", (void **)&driver.eventRecord},
      {"cuEventSynchronize", (void **)&driver.eventSynchronize},
      {"cuEventDestroy", (void **)&driver.eventDestroy},
      {"cuMemAlloc", (void **)&driver.memAlloc},
      {"cuMemFree", (void **)&driver.memFree},
      {"cuMemcpy", (void **)&driver.memcpy},
      {"cuMemcpyAsync", (void **)&driver.memcpyAsync},
      {"cuMemsetD32Async", (void **)&driver.memsetD32Async},
      {"cuMemsetD16Async", (void **)&driver.memsetD16Async},
      {"cuCtxSynchronize", (void **)&driver.ctxSynchronize},
  };
  for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); ++i)
    if (!resolve(getProcAddress, symbols[i].symbol, symbols[i].slot)) {
      snprintf(setupError, sizeof(setupError),
               "the CUDA driver has no %s (driver older than CUDA 12?)",
               symbols[i].symbol);
      return;
    }
  CUresult result = driver.init(0);
  CUdevice device;
  if (result == CUDA_SUCCESS)
    result = driver.deviceGet(&device, defaultDevice);
  if (result == CUDA_SUCCESS)
    result = driver.primaryCtxRetain(&context, device);
  if (result != CUDA_SUCCESS) {
    char error[160];
    describe(result, error, sizeof(error));
    snprintf(setupError, sizeof(setupError), "no usable CUDA device %d: %s",
             defaultDevice, error);
    return;
  }
  if (driver.ctxPushCurrent(context) == CUDA_SUCCESS) {
    createPool(getProcAddress, device);
    CUcontext popped;
    driver.ctxPopCurrent(&popped);
  }
}

/// Makes the primary context current on this thread; false (and the error
/// recorded) when there is no usable device.
static bool enter(void) {
  pthread_once(&setupOnce, setUp);
  if (setupError[0]) {
    effattn_fail(EFFATTN_ERROR_DEVICE, setupError);
    return false;
  }
  CUresult result = driver.ctxPushCurrent(context);
  if (result != CUDA_SUCCESS) {
    failWith("cuCtxPushCurrent", result);
    return false;
  }
  return true;
}

static void leave(void) {
  CUcontext popped;
  driver.ctxPopCurrent(&popped);
}

/// Whether the running call may still touch device memory: a device is
/// usable and no earlier step of the call failed.
static bool enterIfNoError(void) {
  return effattn_pending_status() == EFFATTN_OK && enter();
}

/// Checks `result` of `call`; records a failure.
static bool check(const char *call, CUresult result) {
  if (result == CUDA_SUCCESS)
    return true;
  failWith(call, result);
  return false;
}

//===----------------------------------------------------------------------===//
// The mgpu* functions called by code lowered with gpu-to-llvm (MLIR 22).
//===----------------------------------------------------------------------===//

/// Why the last module failed to load: modules load from a global
/// constructor, before any entry point runs and on whatever thread loads the
/// library, so the message is kept for the calls that use the module.
static char moduleError[256];

void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  pthread_once(&setupOnce, setUp);
  if (setupError[0]) {
    snprintf(moduleError, sizeof(moduleError), "%s", setupError);
    return NULL;
  }
  CUmodule module = NULL;
  driver.ctxPushCurrent(context);
  CUresult result = driver.moduleLoadData(&module, data);
  leave();
  if (result != CUDA_SUCCESS) {
    char error[160];
    describe(result, error, sizeof(error));
    snprintf(moduleError, sizeof(moduleError),
             "cannot load the GPU code: %s; was it compiled for this GPU's "
             "architecture?",
             error);
    return NULL;
  }
  return module;
}

void *mgpuModuleLoadJIT(void *ptx, int optLevel) {
  pthread_once(&setupOnce, setUp);
  if (setupError[0]) {
    snprintf(moduleError, sizeof(moduleError), "%s", setupError);
    return NULL;
  }
  char log[1024] = "";
  CUjit_option options[] = {CU_JIT_OPTIMIZATION_LEVEL, CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {(void *)(intptr_t)optLevel, log,
                    (void *)(intptr_t)sizeof(log)};
  CUmodule module = NULL;
  driver.ctxPushCurrent(context);
  CUresult result = driver.moduleLoadDataEx(&module, ptx, 3, options, values);
  leave();
  if (result != CUDA_SUCCESS) {
    snprintf(moduleError, sizeof(moduleError),
             "cannot JIT-compile the GPU code (CUresult %d): %s", (int)result,
             log);
    return NULL;
  }
  return module;
}

void mgpuModuleUnload(void *module) {
  // Runs from a global destructor, possibly after the driver shut down:
  // errors are ignored.
  if (module && !setupError[0] && driver.ctxPushCurrent(context) == 0) {
    driver.moduleUnload((CUmodule)module);
    leave();
  }
}

/// Gives the pool back when the library is unloaded (possibly after the
/// driver shut down, at exit: errors are ignored). A pool with allocations
/// outstanding is destroyed when the last of them is freed.
__attribute__((destructor)) static void destroyPool(void) {
  if (pool && driver.ctxPushCurrent(context) == CUDA_SUCCESS) {
    driver.memPoolDestroy(pool);
    pool = NULL;
    leave();
  }
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module) {
    effattn_fail(EFFATTN_ERROR_DEVICE,
                 moduleError[0] ? moduleError : "the GPU code is not loaded");
    return NULL;
  }
  if (!enter())
    return NULL;
  CUfunction function = NULL;
  check("cuModuleGetFunction",
        driver.moduleGetFunction(&function, (CUmodule)module, name));
  leave();
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemoryBytes, void *stream,
                      void **params, void **extra, size_t paramCount) {
  (void)paramCount;
  if (!function || !enterIfNoError())
    return;
  // An empty grid (a dimension of size 0) has nothing to run.
  if (gridX > 0 && gridY > 0 && gridZ > 0 &&
      (sharedMemoryBytes == 0 ||
       check("cuFuncSetAttribute",
             driver.funcSetAttribute(
                 (CUfunction)function,
                 CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                 sharedMemoryBytes))))
    check("cuLaunchKernel",
          driver.launchKernel((CUfunction)function, (unsigned)gridX,
                              (unsigned)gridY, (unsigned)gridZ,
                              (unsigned)blockX, (unsigned)blockY,
                              (unsigned)blockZ, (unsigned)sharedMemoryBytes,
                              (CUstream)stream, params, extra));
  leave();
}

void *mgpuStreamCreate(void) {
  if (!enter())
    return NULL;
  CUstream stream = NULL;
  check("cuStreamCreate", driver.streamCreate(&stream, CU_STREAM_NON_BLOCKING));
  leave();
  return stream;
}

void mgpuStreamSynchronize(void *stream) {
  if (!stream || !enter())
    return;
  // Kernel faults surface here, at the end of the launch's stream.
  check("the GPU kernel (cuStreamSynchronize)",
        driver.streamSynchronize((CUstream)stream));
  leave();
}

void mgpuStreamDestroy(void *stream) {
  if (!stream || !enter())
    return;
  driver.streamDestroy((CUstream)stream);
  leave();
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (!stream || !event || !enter())
    return;
  check("cuStreamWaitEvent",
        driver.streamWaitEvent((CUstream)stream, (CUevent)event, 0));
  leave();
}

void *mgpuEventCreate(void) {
  if (!enter())
    return NULL;
  CUevent event = NULL;
  check("cuEventCreate", driver.eventCreate(&event, CU_EVENT_DISABLE_TIMING));
  leave();
  return event;
}

void mgpuEventDestroy(void *event) {
  if (!event || !enter())
    return;
  driver.eventDestroy((CUevent)event);
  leave();
}

void mgpuEventSynchronize(void *event) {
  if (!event || !enter())
    return;
  check("cuEventSynchronize", driver.eventSynchronize((CUevent)event));
  leave();
}

void mgpuEventRecord(void *event, void *stream) {
  if (!event || !enter())
    return;
  check("cuEventRecord", driver.eventRecord((CUevent)event, (CUstream)stream));
  leave();
}

/// Allocates `bytes` from the pool, ordered on `stream`; where the pool's
/// idle memory is in pieces too small for the request, returns that memory
/// to the driver and tries once more. A NULL stream (the legacy stream, with
/// which the generated code's non-blocking streams do not synchronize) waits
/// for the allocation.
static CUresult allocateFromPool(CUdeviceptr *pointer, size_t bytes,
                                 CUstream stream) {
  CUresult result = driver.memAllocFromPoolAsync(pointer, bytes, pool, stream);
  if (result == CUDA_ERROR_OUT_OF_MEMORY &&
      driver.ctxSynchronize() == CUDA_SUCCESS &&
      driver.memPoolTrimTo(pool, 0) == CUDA_SUCCESS)
    result = driver.memAllocFromPoolAsync(pointer, bytes, pool, stream);
  if (result == CUDA_SUCCESS && !stream)
    result = driver.ctxSynchronize();
  return result;
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  if (hostShared) {
    effattn_fail(EFFATTN_ERROR_DEVICE,
                 "host-shared GPU allocations are not supported");
    return NULL;
  }
  if (bytes == 0 || !enterIfNoError())
    return NULL;
  CUdeviceptr pointer = 0;
  if (pool)
    check("cuMemAllocFromPoolAsync",
          allocateFromPool(&pointer, bytes, (CUstream)stream));
  else
    check("cuMemAlloc", driver.memAlloc(&pointer, bytes));
  leave();
  return (void *)pointer;
}

void mgpuMemFree(void *pointer, void *stream) {
  // Frees after an error of the call too, so that nothing leaks; a failed
  // free is not reported (it follows from the call's first error).
  if (!pointer || !enter())
    return;
  if (pool && stream) {
    driver.memFreeAsync((CUdeviceptr)pointer, (CUstream)stream);
  } else {
    // cuMemFree waits for the device only for memory from cuMemAlloc.
    if (pool)
      driver.ctxSynchronize();
    driver.memFree((CUdeviceptr)pointer);
  }
  leave();
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (bytes == 0 || !enterIfNoError())
    return;
  check("cuMemcpyAsync", driver.memcpyAsync((CUdeviceptr)dst, (CUdeviceptr)src,
                                            bytes, (CUstream)stream));
  leave();
}

void mgpuMemset32(void *dst, uint32_t value, size_t count, void *stream) {
  if (count == 0 || !enterIfNoError())
    return;
  check("cuMemsetD32Async", driver.memsetD32Async((CUdeviceptr)dst, value,
                                                  count, (CUstream)stream));
  leave();
}

void mgpuMemset16(void *dst, uint16_t value, size_t count, void *stream) {
  if (count == 0 || !enterIfNoError())
    return;
  check("cuMemsetD16Async", driver.memsetD16Async((CUdeviceptr)dst, value,
                                                  count, (CUstream)stream));
  leave();
}

void mgpuSetDefaultDevice(int32_t device) { defaultDevice = device; }

//===----------------------------------------------------------------------===//
// Device memory for callers of the C ABI
//===----------------------------------------------------------------------===//

int32_t effattn_cuda_alloc(void **pointer, size_t bytes) {
  effattn_clear_error();
  if (!pointer)
    return effattn_set_error(EFFATTN_ERROR_NULL_ARGUMENT, "pointer is NULL");
  *pointer = NULL;
  if (bytes == 0 || !enter())
    return effattn_pending_status();
  CUdeviceptr device = 0;
  check("cuMemAlloc", driver.memAlloc(&device, bytes));
  leave();
  *pointer = (void *)device;
  return effattn_pending_status();
}

int32_t effattn_cuda_free(void *pointer) {
  effattn_clear_error();
  if (pointer && enter()) {
    check("cuMemFree", driver.memFree((CUdeviceptr)pointer));
    leave();
  }
  return effattn_pending_status();
}

int32_t effattn_cuda_copy(void *dst, const void *src, size_t bytes) {
  effattn_clear_error();
  if (bytes == 0)
    return EFFATTN_OK;
  if (!dst || !src)
    return effattn_set_error(EFFATTN_ERROR_NULL_ARGUMENT,
                             "effattn_cuda_copy: NULL pointer");
  if (enter()) {
    // Unified addressing tells host from device pointers.
    check("cuMemcpy", driver.memcpy((CUdeviceptr)dst, (CUdeviceptr)src, bytes));
    leave();
  }
  return effattn_pending_status();
}

int32_t effattn_cuda_synchronize(void) {
  effattn_clear_error();
  if (enter()) {
    check("cuCtxSynchronize", driver.ctxSynchronize());
    leave();
  }
  return effattn_pending_status();
}

int32_t effattn_cuda_release_memory(void) {
  effattn_clear_error();
  pthread_once(&setupOnce, setUp);
  // Without a usable device, or without memory pools, nothing is kept.
  if (pool && enter()) {
    // Frees still queued on a stream hold their memory until they run.
    if (check("cuCtxSynchronize", driver.ctxSynchronize()))
      check("cuMemPoolTrimTo", driver.memPoolTrimTo(pool, 0));
    leave();
  }
  return effattn_pending_status();
}

const char *effattn_cuda_device_error(void) {
  pthread_once(&setupOnce, setUp);
  return setupError;
}
