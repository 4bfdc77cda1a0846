// RUN: effattn-opt %s --effattn-lower-runtime-errors | FileCheck %s

/// [Pattern: LowerFailIf] IN: effattn.fail_if ops. OUT: scf.if guarding a
/// call of the runtime's effattn_fail(i32, ptr), declared once, with one
/// NUL-terminated private string global per distinct message (a repeated
/// message reuses its global).

// CHECK-DAG: llvm.func @effattn_fail(i32, !llvm.ptr)
// CHECK-DAG: llvm.mlir.global internal constant @[[FIRST:effattn_error_[0-9A-F]+]]("first\00")
// CHECK-DAG: llvm.mlir.global internal constant @[[SECOND:effattn_error_[0-9A-F]+]]("second\00")

// CHECK: func.func @two_checks
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: i1, %[[Y:[a-zA-Z0-9_]+]]: i1
// CHECK-DAG: %[[S3:.+]] = llvm.mlir.constant(3 : i32) : i32
// CHECK-DAG: %[[S4:.+]] = llvm.mlir.constant(4 : i32) : i32
// CHECK-DAG: %[[P1:.+]] = llvm.mlir.addressof @[[FIRST]] : !llvm.ptr
// CHECK-DAG: %[[P2:.+]] = llvm.mlir.addressof @[[SECOND]] : !llvm.ptr
// CHECK: scf.if %[[X]] {
// CHECK-NEXT: llvm.call @effattn_fail(%[[S4]], %[[P1]]) : (i32, !llvm.ptr) -> ()
// CHECK: scf.if %[[Y]] {
// CHECK-NEXT: %[[T2:.+]] = llvm.getelementptr %[[P2]][0, 0]
// CHECK-NEXT: llvm.call @effattn_fail(%[[S3]], %[[T2]])
// CHECK: scf.if %[[X]] {
// CHECK-NEXT: %[[T1:.+]] = llvm.getelementptr %[[P1]][0, 0]
// CHECK-NEXT: llvm.call @effattn_fail(%[[S4]], %[[T1]])
// CHECK-NOT: effattn.fail_if
func.func @two_checks(%x: i1, %y: i1) {
  effattn.fail_if %x, "first" {status = 4 : i32}
  effattn.fail_if %y, "second" {status = 3 : i32}
  effattn.fail_if %x, "first" {status = 4 : i32}
  return
}
