// Which programs shmiflab runs: for `up`, shmifd for shmifd nodes, shmiftap for kernel nodes,
// shmiflink and shmifdump for links and captures, and system programs (ip, sysctl); shmifrun
// for `exec`; Graphviz's dot for `graph`.
#pragma once

#include <expected>
#include <optional>
#include <string>

namespace shmiflab {

// One of this project's programs and the places it may be.
struct OurProgram {
    std::string name;       // "shmifd"
    std::string option;     // the option that names it ("--shmifd"), if there is one
    std::string env;        // the variable that names it ("SHMIFLAB_SHMIFD")
    std::string build_dir;  // its build-tree directory, from shmiflab's ("../../daemon/shmifd")
};

// `given` (the option) if not empty, else $ENV, else the program beside this one (installed:
// the same directory; in the build tree: build_dir), else the first in PATH. An error says
// where it looked.
std::expected<std::string, std::string> find_program(const OurProgram& program,
                                                     const std::string& given);

std::expected<std::string, std::string> find_shmifd(const std::string& given);
std::expected<std::string, std::string> find_shmiftap(const std::string& given);
std::expected<std::string, std::string> find_shmiflink();
std::expected<std::string, std::string> find_shmifdump();
std::expected<std::string, std::string> find_shmifrun();

// The first executable `name` in $PATH.
std::optional<std::string> find_in_path(const std::string& name);

// A system program (ip, sysctl) in PATH, else in /usr/sbin or /sbin (not in every user's
// PATH); empty if none.
std::string find_system_program(const std::string& name);

}  // namespace shmiflab
