/*===- effattn_runtime.c - effattn runtime ------------------------*- C -*-===*\
|*                                                                            *|
|* Part of the effattn project, under the Apache License v2.0 with LLVM       *|
|* Exceptions. See https://llvm.org/LICENSE.txt for license information.      *|
|* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "effattn/Runtime/effattn_runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/// Message of the last failed call, per thread.
static _Thread_local char lastError[512];
/// Status recorded by effattn_fail since the last effattn_clear_error.
static _Thread_local int32_t pendingStatus;

const char *effattn_status_string(int32_t status) {
  switch (status) {
  case EFFATTN_OK:
    return "ok";
  case EFFATTN_ERROR_NULL_ARGUMENT:
    return "null argument";
  case EFFATTN_ERROR_SHAPE_MISMATCH:
    return "shape mismatch";
  case EFFATTN_ERROR_INVALID_VALUE:
    return "invalid value";
  case EFFATTN_ERROR_OUT_OF_RANGE:
    return "out of range";
  case EFFATTN_ERROR_MISALIGNED:
    return "misaligned";
  case EFFATTN_ERROR_DEVICE:
    return "device error";
  default:
    return "unknown status";
  }
}

const char *effattn_last_error(void) { return lastError; }

int32_t effattn_set_error(int32_t status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(lastError, sizeof(lastError), format, args);
  va_end(args);
  return status;
}

void effattn_clear_error(void) {
  lastError[0] = '\0';
  pendingStatus = EFFATTN_OK;
}

void effattn_fail(int32_t status, const char *message) {
  if (pendingStatus != EFFATTN_OK)
    return;
  pendingStatus = status;
  snprintf(lastError, sizeof(lastError), "%s", message);
}

int32_t effattn_pending_status(void) { return pendingStatus; }

/// Writes "[d0, d1, ...]" into `buffer`.
static void formatShape(char *buffer, size_t size, const int64_t *shape,
                        int32_t rank) {
  size_t used = (size_t)snprintf(buffer, size, "[");
  for (int32_t i = 0; i < rank && used < size; ++i)
    used += (size_t)snprintf(buffer + used, size - used, "%s%lld",
                             i ? ", " : "", (long long)shape[i]);
  if (used < size)
    snprintf(buffer + used, size - used, "]");
}

int32_t effattn_check_tensor(const char *function, const char *argument,
                             const void *data, int64_t alignment,
                             const int64_t *shape, const int64_t *expected,
                             int32_t rank) {
  if (!data)
    return effattn_set_error(EFFATTN_ERROR_NULL_ARGUMENT, "%s: %s is NULL",
                             function, argument);
  if ((uintptr_t)data % (uintptr_t)alignment != 0)
    return effattn_set_error(EFFATTN_ERROR_MISALIGNED,
                             "%s: %s is not aligned to its %lld-byte elements",
                             function, argument, (long long)alignment);
  if (!shape)
    return effattn_set_error(EFFATTN_ERROR_NULL_ARGUMENT,
                             "%s: %s_shape is NULL", function, argument);
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] == expected[i])
      continue;
    char got[160], want[160];
    formatShape(got, sizeof(got), shape, rank);
    formatShape(want, sizeof(want), expected, rank);
    return effattn_set_error(EFFATTN_ERROR_SHAPE_MISMATCH,
                             "%s: %s has shape %s, expected %s", function,
                             argument, got, want);
  }
  return EFFATTN_OK;
}

int32_t effattn_check_bool(const char *function, const char *argument,
                           const uint8_t *data, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    if (data[i] > 1)
      return effattn_set_error(EFFATTN_ERROR_INVALID_VALUE,
                               "%s: %s (i1) holds %u at flat index %lld; "
                               "expected 0 or 1",
                               function, argument, (unsigned)data[i],
                               (long long)i);
  return EFFATTN_OK;
}

/// A ranked memref descriptor of any rank: {allocated, aligned, offset,
/// sizes[rank], strides[rank]}.
typedef struct {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} StridedMemRef;

/// An unranked memref: the rank and a pointer to the ranked descriptor.
struct UnrankedMemRef {
  int64_t rank;
  StridedMemRef *descriptor;
};

/// Copies the elements of `src` into `dst` (same shape, any strides), as the
/// lowering of a memref.copy between non-contiguous memrefs calls it.
void memrefCopy(int64_t elementSize, struct UnrankedMemRef *src,
                struct UnrankedMemRef *dst) {
  int64_t rank = src->rank;
  const StridedMemRef *from = src->descriptor;
  const StridedMemRef *to = dst->descriptor;
  const int64_t *sizes = from->sizesAndStrides;
  const int64_t *fromStrides = from->sizesAndStrides + rank;
  const int64_t *toStrides = to->sizesAndStrides + rank;
  for (int64_t i = 0; i < rank; ++i)
    if (sizes[i] == 0)
      return;
  char *fromBase = from->aligned + from->offset * elementSize;
  char *toBase = to->aligned + to->offset * elementSize;
  if (rank == 0) {
    memcpy(toBase, fromBase, (size_t)elementSize);
    return;
  }
  // Walk all indices but the innermost; copy the innermost run in one go
  // when both sides are contiguous there.
  int64_t index[rank];
  memset(index, 0, sizeof(index));
  int64_t inner = sizes[rank - 1];
  int contiguous = fromStrides[rank - 1] == 1 && toStrides[rank - 1] == 1;
  for (;;) {
    int64_t fromOffset = 0, toOffset = 0;
    for (int64_t i = 0; i + 1 < rank; ++i) {
      fromOffset += index[i] * fromStrides[i];
      toOffset += index[i] * toStrides[i];
    }
    if (contiguous) {
      memcpy(toBase + toOffset * elementSize,
             fromBase + fromOffset * elementSize,
             (size_t)(inner * elementSize));
    } else {
      for (int64_t j = 0; j < inner; ++j)
        memcpy(toBase + (toOffset + j * toStrides[rank - 1]) * elementSize,
               fromBase +
                   (fromOffset + j * fromStrides[rank - 1]) * elementSize,
               (size_t)elementSize);
    }
    int64_t dim = rank - 2;
    while (dim >= 0 && ++index[dim] == sizes[dim])
      index[dim--] = 0;
    if (dim < 0)
      return;
  }
}
