// -V/--version for every program: prints "NAME VERSION" (the app's name, the project's
// version) on stdout and exits 0, through CLI11's CallForVersion.
#pragma once

#include <CLI/CLI.hpp>

namespace shmif::tool {

// Adds the flag to `app`, whose name is the program's.
void add_version_flag(CLI::App& app);

}  // namespace shmif::tool
