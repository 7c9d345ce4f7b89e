// `fwd add|del|list`: the daemon's port forwards (host → virtual with --forward, virtual →
// host with --expose), and how their replies are shown.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "commands.hpp"

namespace shmifctl {

void add_fwd_commands(CLI::App& app, Invocation& invocation);
// Prints the reply of one of these commands; false for any other command.
bool print_fwd_result(std::FILE* out, const std::string& cmd, const nlohmann::json& result);

}  // namespace shmifctl
