// Where libshmifrun.so is: beside this executable in the build tree, in shmifrun's private
// directory (LIBDIR/shmifrun, found relative to the binary directory) once installed;
// $SHMIFRUN_SHIM overrides both.
#pragma once

#include <filesystem>
#include <optional>

namespace shmifrun {

// `relative_libdir`: the install tree's library directory as seen from its binary directory
// ("../lib/x86_64-linux-gnu").
std::optional<std::filesystem::path> locate_shim(const std::filesystem::path& executable,
                                                 const std::filesystem::path& relative_libdir);

}  // namespace shmifrun
