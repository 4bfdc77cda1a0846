/*===- effattn_cuda_runtime.h - device memory for GPU libraries ---*- C -*-===*\
|*                                                                            *|
|* Part of the effattn project, under the Apache License v2.0 with LLVM       *|
|* Exceptions. See https://llvm.org/LICENSE.txt for license information.      *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Libraries compiled for a CUDA target take and return device pointers.
 * Callers that hold their own device memory (cudaMalloc, a framework's
 * tensors) pass it directly; others use these functions, which a GPU
 * library exports as <module>_cuda_alloc, ... (docs/ABI.md). Every function
 * returns an effattn_status; EFFATTN_ERROR_DEVICE carries the driver's
 * message (no driver, no device, out of memory).
 */

#ifndef EFFATTN_RUNTIME_EFFATTN_CUDA_RUNTIME_H
#define EFFATTN_RUNTIME_EFFATTN_CUDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Allocates `bytes` of device memory on the library's device (*pointer is
/// NULL for 0 bytes).
int32_t effattn_cuda_alloc(void **pointer, size_t bytes);
/// Frees memory from effattn_cuda_alloc (NULL is a no-op).
int32_t effattn_cuda_free(void *pointer);
/// Copies `bytes` between host and device memory in either direction (the
/// direction follows from the pointers); returns when the copy is done.
int32_t effattn_cuda_copy(void *dst, const void *src, size_t bytes);
/// Waits for all work on the library's device.
int32_t effattn_cuda_synchronize(void);
/// Returns to the driver the device memory that the library keeps between
/// calls for its temporaries (a stream-ordered pool: allocating and freeing
/// device memory on every call would synchronize the device); EFFATTN_OK
/// without a device.
int32_t effattn_cuda_release_memory(void);
/// Why the library cannot use a GPU ("" when it can).
const char *effattn_cuda_device_error(void);

#ifdef __cplusplus
}
#endif

#endif /* EFFATTN_RUNTIME_EFFATTN_CUDA_RUNTIME_H */
