# SHMIFD_SANITIZE applies to every target of the tree; SHMIFD_FUZZ adds libFuzzer coverage
# instrumentation (the fuzz targets link -fsanitize=fuzzer themselves).
if(SHMIFD_SANITIZE)
  add_compile_options(-fsanitize=${SHMIFD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  if(SHMIFD_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ warns that TSan does not model atomic_thread_fence. The bus readers' seqlock relies
    # on fences, so their copy path is hidden from TSan (shmif/src/tsan.hpp); the rest is
    # checked normally.
    add_compile_options(-Wno-tsan)
  endif()
  add_link_options(-fsanitize=${SHMIFD_SANITIZE})
endif()
if(SHMIFD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SHMIFD_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
