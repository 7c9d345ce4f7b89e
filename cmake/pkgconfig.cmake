# The `prefix=` line of the project's pkg-config files. Relocatable by default: found from
# where the .pc file is (${pcfiledir}), so `cmake --install --prefix DIR` needs no reconfigure.
# A distribution package, installed in one place for good, asks for the plain absolute prefix
# (-DSHMIFD_PC_RELOCATABLE=OFF, debian/rules): pkg-config then recognises /usr/include and
# /usr/lib/<multiarch> as the system's and leaves them out of --cflags and --libs.
option(SHMIFD_PC_RELOCATABLE "pkg-config files find their prefix from where they are" ON)

function(shmifd_pc_prefix out_var)
  if(SHMIFD_PC_RELOCATABLE)
    file(RELATIVE_PATH to_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
    string(REGEX REPLACE "/$" "" to_prefix "${to_prefix}")
    set(${out_var} "\${pcfiledir}/${to_prefix}" PARENT_SCOPE)
  else()
    set(${out_var} "${CMAKE_INSTALL_PREFIX}" PARENT_SCOPE)
  endif()
endfunction()
