// Which programs shmiflab runs: shmifd (up), shmifrun (exec), Graphviz's dot (graph).
#pragma once

#include <expected>
#include <optional>
#include <string>

namespace shmiflab {

// A program of this project that shmiflab runs, and where it may be.
struct Companion {
    const char* name;       // its file name
    const char* env;        // the variable that may name it
    const char* build_dir;  // its directory in the build tree, relative to shmiflab's
    const char* option;     // shmiflab's option that may name it, or nullptr
};

// `given` (the option) if not empty, else $ENV, else the program beside this one (installed:
// the same directory; in the build tree: BUILD_DIR), else the first in PATH. An error says
// where it looked.
std::expected<std::string, std::string> find_companion(const Companion& program,
                                                       const std::string& given);

// shmifd: --shmifd, $SHMIFLAB_SHMIFD, daemon/shmifd/ in the build tree.
std::expected<std::string, std::string> find_shmifd(const std::string& given);
// shmifrun: $SHMIFLAB_SHMIFRUN, libshmifsock/bin/ in the build tree.
std::expected<std::string, std::string> find_shmifrun();

// The first executable `name` in $PATH.
std::optional<std::string> find_in_path(const std::string& name);

}  // namespace shmiflab
