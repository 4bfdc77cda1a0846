# -*- Python -*-
"""lit configuration of the effattn regression and integration tests."""

import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "EFFATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.effattn_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "python"]

config.environment["FILECHECK_OPTS"] = (
    "-enable-var-scope --allow-unused-prefixes=false"
)

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)


def add_runtime(name):
    """Returns the path of an MLIR runtime library shipped with LLVM."""
    return os.path.join(config.llvm_lib_dir, f"lib{name}.so")


config.substitutions.append(("%python", sys.executable))
config.substitutions.append(
    ("%mlir_runner_utils", add_runtime("mlir_runner_utils"))
)
config.substitutions.append(
    ("%mlir_c_runner_utils", add_runtime("mlir_c_runner_utils"))
)

tools = [
    ToolSubst("effattn-opt", unresolved="fatal"),
    ToolSubst("effattn-compile", unresolved="fatal"),
    ToolSubst("llvm-nm", unresolved="fatal"),
    ToolSubst("mlir-runner", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(
    tools, [config.effattn_tools_dir, config.llvm_tools_dir]
)

# GPU: compile-only tests need the CUDA toolkit (ptxas); execution tests
# need a device and run where one is (REQUIRES: cuda-device).
if config.has_cuda_toolkit:
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(
        ("%ptxas", os.path.join(config.cuda_toolkit, "bin", "ptxas")))
    # libcuda.so.1 without a GPU (unittests/Runtime/FakeCudaDriver.c).
    config.substitutions.append(
        ("%fake_cuda_driver_dir",
         os.path.join(config.effattn_obj_root, "unittests", "Runtime", "fake-driver")))
if os.path.exists("/dev/nvidia0") or os.path.exists("/dev/nvidiactl"):
    config.available_features.add("cuda-device")
