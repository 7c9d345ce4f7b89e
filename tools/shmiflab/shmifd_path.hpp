// Which programs `up` runs: shmifd for the nodes, shmiflink and shmifdump for the links and
// captures.
#pragma once

#include <expected>
#include <string>

namespace shmiflab {

// A program of the project and where a build tree keeps it.
struct Program {
    std::string name;       // "shmifd"
    std::string env;        // the variable that names it: "SHMIFLAB_SHMIFD"
    std::string build_dir;  // its directory in the build tree: "daemon/shmifd"
    std::string option;     // the option that names it ("--shmifd"), if there is one
};

// `given` (a command-line option) if not empty, else $ENV, else the program beside this one
// (installed: the same directory; in the build tree: BUILD_DIR), else the first in PATH. An
// error says where it looked.
std::expected<std::string, std::string> find_program(const Program& program,
                                                     const std::string& given);

// find_program for shmifd, with --shmifd as `given`.
std::expected<std::string, std::string> find_shmifd(const std::string& given);

}  // namespace shmiflab
