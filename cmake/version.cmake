# The version every program prints (--version) and the daemon reports (`version`): the one of
# project() in the top-level CMakeLists.txt, as a generated header, shmifd/version.hpp
# (SHMIFD_VERSION), behind the INTERFACE target shmifd_version. Only the files that include
# it are rebuilt when the version changes.
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.hpp.in
               ${PROJECT_BINARY_DIR}/generated/shmifd/version.hpp @ONLY)
add_library(shmifd_version INTERFACE)
target_include_directories(shmifd_version INTERFACE ${PROJECT_BINARY_DIR}/generated)
