//===- CudaRuntimeTest.cpp - the mgpu* runtime on a fake driver -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// libeffattn_cuda_runtime against FakeCudaDriver.c, which CMake puts first
// on LD_LIBRARY_PATH as libcuda.so.1: which driver calls a compiled call's
// allocations, frees and errors make. The runtime sets itself up once per
// process, so each suite runs in its own process with the fake configured
// by its environment (CMakeLists.txt): CudaRuntimeWithPools (the default
// fake), CudaRuntimeWithoutPools (a device or a driver without memory
// pools), CudaRuntimeWithoutDevice and CudaRuntimeWithOldDriver.
//
//===----------------------------------------------------------------------===//

#include "FakeCudaDriver.h"

#include "effattn/Runtime/effattn_cuda_runtime.h"
#include "effattn/Runtime/effattn_runtime.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <dlfcn.h>
#include <string>

// What gpu-to-llvm's host code calls (runtime/effattn_cuda_runtime.c).
extern "C" {
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemoryBytes, void *stream,
                      void **params, void **extra, size_t paramCount);
void *mgpuStreamCreate(void);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
void mgpuMemFree(void *pointer, void *stream);
void mgpuMemset32(void *dst, uint32_t value, size_t count, void *stream);
}

namespace {
constexpr size_t MiB = size_t(1) << 20;

/// The fake driver's counters; the runtime has opened it by then. A test
/// run without the fake first on LD_LIBRARY_PATH fails (with counters that
/// stay 0).
const FakeCudaStatistics &driverStatistics() {
  static const FakeCudaStatistics none = {};
  effattn_cuda_device_error(); // Sets the runtime up.
  void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  auto statistics = driver ? reinterpret_cast<FakeCudaStatisticsFn>(
                                 dlsym(driver, "fakeCudaStatistics"))
                           : nullptr;
  if (!statistics) {
    ADD_FAILURE() << "the runtime did not open the fake libcuda.so.1";
    return none;
  }
  return *statistics();
}

void setPoolLimit(size_t bytes) {
  void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(driver, nullptr);
  auto setLimit = reinterpret_cast<FakeCudaSetPoolLimitFn>(
      dlsym(driver, "fakeCudaSetPoolLimit"));
  ASSERT_NE(setLimit, nullptr);
  setLimit(bytes);
}

/// What a compiled entry point does with one temporary of `bytes`: on its
/// own stream, allocate, fill, launch a kernel, free, synchronize. Returns
/// the call's status.
int32_t runCall(size_t bytes) {
  effattn_clear_error();
  static char image[] = "fake cubin";
  static void *module = mgpuModuleLoad(image, sizeof(image));
  void *function = mgpuModuleGetFunction(module, "kernel");
  void *stream = mgpuStreamCreate();
  void *temporary = mgpuMemAlloc(bytes, stream, /*hostShared=*/false);
  mgpuMemset32(temporary, 7, bytes / 4, stream);
  void *params[] = {&temporary};
  mgpuLaunchKernel(function, 1, 1, 1, 32, 1, 1, 0, stream, params, nullptr, 1);
  mgpuMemFree(temporary, stream);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  return effattn_pending_status();
}

TEST(CudaRuntimeWithPools, CallsKeepTheirMemoryInThePool) {
  const FakeCudaStatistics &driver = driverStatistics();
  FakeCudaStatistics before = driver;
  ASSERT_EQ(runCall(MiB), EFFATTN_OK) << effattn_last_error();
  ASSERT_EQ(runCall(MiB), EFFATTN_OK) << effattn_last_error();
  EXPECT_EQ(driver.poolsCreated, 1);
  EXPECT_EQ(driver.releaseThreshold, UINT64_MAX);
  EXPECT_EQ(driver.poolAllocations - before.poolAllocations, 2);
  EXPECT_EQ(driver.asyncFrees - before.asyncFrees, 2);
  // The second call reuses the first one's memory: the synchronization at
  // the end of a call does not give it back.
  EXPECT_LE(driver.poolReservations - before.poolReservations, 1);
  EXPECT_GE(driver.poolReservedBytes, MiB);
  // Nothing waits for the device: no cuMemAlloc, cuMemFree or
  // cuCtxSynchronize.
  EXPECT_EQ(driver.plainAllocations - before.plainAllocations, 0);
  EXPECT_EQ(driver.plainFrees - before.plainFrees, 0);
  EXPECT_EQ(driver.contextSynchronizations - before.contextSynchronizations, 0);
  EXPECT_EQ(driver.launches - before.launches, 2);
}

TEST(CudaRuntimeWithPools, ReleaseMemoryReturnsTheIdleMemory) {
  const FakeCudaStatistics &driver = driverStatistics();
  ASSERT_EQ(runCall(2 * MiB), EFFATTN_OK) << effattn_last_error();
  EXPECT_GE(driver.poolReservedBytes, 2 * MiB);
  EXPECT_EQ(effattn_cuda_release_memory(), EFFATTN_OK) << effattn_last_error();
  EXPECT_EQ(driver.poolReservedBytes, 0u);
}

TEST(CudaRuntimeWithPools, OutOfMemoryRetriesWithTheIdleMemoryReturned) {
  const FakeCudaStatistics &driver = driverStatistics();
  ASSERT_EQ(effattn_cuda_release_memory(), EFFATTN_OK);
  setPoolLimit(3 * MiB);
  ASSERT_EQ(runCall(2 * MiB), EFFATTN_OK) << effattn_last_error();
  FakeCudaStatistics before = driver;
  // 2 MiB idle in the pool, too small for 2.5 MiB; reserving 2.5 MiB more
  // would pass the limit unless the idle 2 MiB go back first.
  EXPECT_EQ(runCall(5 * MiB / 2), EFFATTN_OK) << effattn_last_error();
  EXPECT_EQ(driver.outOfMemory - before.outOfMemory, 1);
  EXPECT_EQ(driver.poolAllocations - before.poolAllocations, 1);

  // Past the limit even then: the call fails, says why, launches nothing.
  before = driver;
  EXPECT_EQ(runCall(4 * MiB), EFFATTN_ERROR_DEVICE);
  EXPECT_EQ(std::string(effattn_last_error()),
            "cuMemAllocFromPoolAsync failed: CUDA_ERROR_OUT_OF_MEMORY (out "
            "of memory)");
  EXPECT_EQ(driver.launches - before.launches, 0);
  EXPECT_EQ(driver.outOfMemory - before.outOfMemory, 2);
  setPoolLimit(SIZE_MAX);
  EXPECT_EQ(runCall(4 * MiB), EFFATTN_OK) << effattn_last_error();
}

TEST(CudaRuntimeWithPools, WithoutAStreamAllocationsWaitForTheDevice) {
  const FakeCudaStatistics &driver = driverStatistics();
  effattn_clear_error();
  FakeCudaStatistics before = driver;
  void *buffer = mgpuMemAlloc(MiB, /*stream=*/nullptr, false);
  ASSERT_NE(buffer, nullptr) << effattn_last_error();
  EXPECT_EQ(driver.contextSynchronizations - before.contextSynchronizations, 1);
  mgpuMemFree(buffer, /*stream=*/nullptr);
  EXPECT_EQ(driver.contextSynchronizations - before.contextSynchronizations, 2);
  EXPECT_EQ(driver.poolFreesWithoutStream - before.poolFreesWithoutStream, 1);
  EXPECT_EQ(driver.plainFrees - before.plainFrees, 0);
}

TEST(CudaRuntimeWithPools, CallersMemoryIsNotPooled) {
  const FakeCudaStatistics &driver = driverStatistics();
  FakeCudaStatistics before = driver;
  void *buffer = nullptr;
  ASSERT_EQ(effattn_cuda_alloc(&buffer, MiB), EFFATTN_OK);
  ASSERT_EQ(effattn_cuda_free(buffer), EFFATTN_OK);
  EXPECT_EQ(driver.plainAllocations - before.plainAllocations, 1);
  EXPECT_EQ(driver.plainFrees - before.plainFrees, 1);
  EXPECT_EQ(driver.poolAllocations - before.poolAllocations, 0);
}

TEST(CudaRuntimeWithoutPools, CallsAllocateAndFreeOnTheDevice) {
  const FakeCudaStatistics &driver = driverStatistics();
  FakeCudaStatistics before = driver;
  ASSERT_EQ(runCall(MiB), EFFATTN_OK) << effattn_last_error();
  EXPECT_EQ(driver.poolsCreated, 0);
  EXPECT_EQ(driver.plainAllocations - before.plainAllocations, 1);
  EXPECT_EQ(driver.plainFrees - before.plainFrees, 1);
  EXPECT_EQ(driver.poolAllocations, 0);
  EXPECT_EQ(driver.launches - before.launches, 1);
  EXPECT_EQ(effattn_cuda_release_memory(), EFFATTN_OK) << effattn_last_error();
}

TEST(CudaRuntimeWithoutDevice, CallsFailWithTheDriversReason) {
  EXPECT_EQ(std::string(effattn_cuda_device_error()),
            "no usable CUDA device 0: CUDA_ERROR_NO_DEVICE (no CUDA-capable "
            "device)");
  EXPECT_EQ(runCall(MiB), EFFATTN_ERROR_DEVICE);
  EXPECT_EQ(std::string(effattn_last_error()), effattn_cuda_device_error());
  EXPECT_EQ(driverStatistics().launches, 0);
  // Nothing is kept, so releasing it succeeds.
  EXPECT_EQ(effattn_cuda_release_memory(), EFFATTN_OK);
}

TEST(CudaRuntimeWithOldDriver, CallsFailNamingTheMissingEntryPoint) {
  EXPECT_EQ(std::string(effattn_cuda_device_error()),
            "the CUDA driver has no cuLaunchKernel (driver older than CUDA "
            "12?)");
  EXPECT_EQ(runCall(MiB), EFFATTN_ERROR_DEVICE);
  EXPECT_EQ(driverStatistics().plainAllocations, 0);
  EXPECT_EQ(driverStatistics().poolAllocations, 0);
}
} // namespace
