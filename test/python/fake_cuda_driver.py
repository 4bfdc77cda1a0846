"""The counters of the fake CUDA driver (unittests/Runtime/FakeCudaDriver.c,
built as libcuda.so.1 in build/unittests/Runtime/fake-driver), read from a
process that has it first on LD_LIBRARY_PATH: which driver calls a GPU
library's host code and the Python loader make, without a GPU."""

import ctypes
import os

#: The int counters of FakeCudaStatistics (FakeCudaDriver.h), in order.
COUNTERS = [
    "plainAllocations", "plainFrees", "poolAllocations", "poolReservations",
    "asyncFrees", "poolFreesWithoutStream", "outOfMemory", "invalidFrees",
    "contextSynchronizations", "launches", "streamsCreated", "streamSynchronizations",
    "poolsCreated", "poolsDestroyed", "copies", "memsets"]


class Statistics(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in COUNTERS] + [
        ("releaseThreshold", ctypes.c_uint64), ("poolReservedBytes", ctypes.c_size_t)]


def directory(tools_dir):
    """Where the build puts the fake driver, from the build's bin/."""
    return os.path.join(tools_dir, "..", "unittests", "Runtime", "fake-driver")


def driver():
    """The fake driver loaded in this process (the one the runtime opens)."""
    library = ctypes.CDLL("libcuda.so.1")
    library.fakeCudaStatistics.restype = ctypes.POINTER(Statistics)
    library.fakeCudaSetPoolLimit.argtypes = [ctypes.c_size_t]
    return library


def snapshot(library):
    """The counters now, as a dict."""
    statistics = library.fakeCudaStatistics().contents
    return {name: getattr(statistics, name) for name in COUNTERS + ["poolReservedBytes"]}


def made(before, after):
    """The counters' increase from `before` to `after`."""
    return {name: after[name] - before[name] for name in COUNTERS}
