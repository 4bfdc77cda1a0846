##===- AddEffAttn.cmake - effattn CMake helpers ---------------*- cmake -*-===//
##
## Thin wrappers over AddMLIR that tie effattn's generated headers, docs and
## libraries to umbrella targets and to the MLIR dylib.
##
##===----------------------------------------------------------------------===//

add_custom_target(effattn-headers)
add_custom_target(effattn-doc)

## Generates a dialect's op/type declarations and hooks them to effattn-headers.
function(add_effattn_dialect dialect dialect_namespace)
  add_mlir_dialect(${dialect} ${dialect_namespace})
  add_dependencies(effattn-headers MLIR${dialect}IncGen)
endfunction()

## Generates a Markdown page from TableGen into build/docs and hooks it to
## effattn-doc.
function(add_effattn_doc td_filename output_file output_directory command)
  add_mlir_doc(${td_filename} ${output_file} ${output_directory} ${command})
  add_dependencies(effattn-doc ${output_file}DocGen)
endfunction()

## Declares an effattn library linked against the MLIR dylib.
function(add_effattn_library name)
  add_mlir_library(${name} ${ARGN} EXCLUDE_FROM_LIBMLIR DISABLE_INSTALL)
  target_link_libraries(${name} PUBLIC MLIR)
endfunction()
