// The commands that change or save the running daemon's configuration beyond `if`, `addr` and
// `route`: `if set NAME mtu N`, `stack set forwarding on|off`, `stack show`, `config save [FILE]`.
#pragma once

#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace shmifctl {

// Adds them under `app`, whose `if` and `config` commands must exist already.
void add_runtime_commands(CLI::App& app, Invocation& invocation);

}  // namespace shmifctl
