/*===- effattn_runtime.h - effattn runtime C API ------------------*- C -*-===*\
|*                                                                            *|
|* Part of the effattn project, under the Apache License v2.0 with LLVM       *|
|* Exceptions. See https://llvm.org/LICENSE.txt for license information.      *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * What libraries built by effattn-compile need beyond libc: status codes and
 * the per-thread error message of the last failed call.
 */

#ifndef EFFATTN_RUNTIME_EFFATTN_RUNTIME_H
#define EFFATTN_RUNTIME_EFFATTN_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status returned by every function of a compiled effattn library.
typedef enum effattn_status {
  EFFATTN_OK = 0,
  /// A data or shape pointer was NULL.
  EFFATTN_ERROR_NULL_ARGUMENT = 1,
  /// An argument's rank or sizes differ from the function's signature.
  EFFATTN_ERROR_SHAPE_MISMATCH = 2,
  /// An argument holds a value outside its type's domain (e.g. an i1 byte
  /// other than 0 or 1).
  EFFATTN_ERROR_INVALID_VALUE = 3,
  /// The data are outside the range an op computes exactly (e.g. an integer
  /// product that would overflow i64); the outputs are unspecified.
  EFFATTN_ERROR_OUT_OF_RANGE = 4,
  /// A data pointer is not aligned to its element size.
  EFFATTN_ERROR_MISALIGNED = 5,
  /// The GPU could not run the call: no CUDA driver or device, GPU code built
  /// for another architecture, an allocation or a kernel failed. The message
  /// holds the driver's error.
  EFFATTN_ERROR_DEVICE = 6,
} effattn_status;

/// Returns a static, human-readable name of `status`.
const char *effattn_status_string(int32_t status);

/// Returns the message of the last failed call on this thread ("" if none).
/// The text stays valid until the next call into the library on this thread.
const char *effattn_last_error(void);

/// Records `message` (printf format) as this thread's last error and returns
/// `status`. Used by the generated entry points.
int32_t effattn_set_error(int32_t status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/// Clears this thread's last error and status.
void effattn_clear_error(void);

/// Called by compiled code (effattn.fail_if) on a data-dependent error:
/// records `status` and `message` as this thread's error unless one is
/// recorded already (the first error wins).
void effattn_fail(int32_t status, const char *message);

/// Returns the status effattn_fail recorded on this thread since the last
/// effattn_clear_error, or EFFATTN_OK. The generated entry points return it.
int32_t effattn_pending_status(void);

/// Checks one tensor argument of `function`: `data` and `shape` are non-NULL,
/// `data` is a multiple of `alignment` (the element size in bytes) and
/// `shape[0..rank)` equals `expected`. Returns EFFATTN_OK or records the
/// error (naming the function, the argument, both shapes) and returns it.
int32_t effattn_check_tensor(const char *function, const char *argument,
                             const void *data, int64_t alignment,
                             const int64_t *shape, const int64_t *expected,
                             int32_t rank);

/// Copies between memrefs of one shape and any strides: what a lowered
/// memref.copy of non-contiguous memrefs calls (MLIR's runtime symbol, with
/// unranked-descriptor arguments).
struct UnrankedMemRef;
void memrefCopy(int64_t elementSize, struct UnrankedMemRef *src,
                struct UnrankedMemRef *dst);

/// Checks that the `count` bytes of an i1 tensor are 0 or 1.
int32_t effattn_check_bool(const char *function, const char *argument,
                           const uint8_t *data, int64_t count);

#ifdef __cplusplus
}
#endif

#endif /* EFFATTN_RUNTIME_EFFATTN_RUNTIME_H */
