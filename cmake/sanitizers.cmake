# SHMIFD_SANITIZE applies to every target of the tree; SHMIFD_FUZZ adds libFuzzer coverage
# instrumentation (the fuzz targets link -fsanitize=fuzzer themselves).
if(SHMIFD_SANITIZE)
  add_compile_options(-fsanitize=${SHMIFD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SHMIFD_SANITIZE})
endif()
if(SHMIFD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SHMIFD_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
