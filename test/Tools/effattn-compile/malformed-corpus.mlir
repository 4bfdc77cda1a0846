// RUN: %python %S/Inputs/compile_each.py effattn-compile %S/../../Dialect/EffAttn/invalid.mlir %t | FileCheck %s

/// The malformed-input corpus through the ahead-of-time compiler: every case
/// of test/Dialect/EffAttn/invalid.mlir (wrong ranks and shapes, unsupported
/// element types, zero and 2^32-sized dimensions, dynamic sizes where static
/// ones are required, attributes out of range) must end in effattn-compile's
/// diagnostic naming the op and the rule, and exit code 1: never 0, a signal
/// (assert, crash) or a hang.

// CHECK: [[N:[0-9]+]] inputs: [[N]] rejected with exit code 1 and the expected diagnostic
