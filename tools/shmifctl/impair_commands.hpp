// `impair set|clear|show`: netem-style impairments on the daemon's interfaces, and how their
// replies are shown.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "commands.hpp"

namespace shmifctl {

void add_impair_commands(CLI::App& app, Invocation& invocation);
// Prints the reply of one of these commands; false for any other command.
bool print_impair_result(std::FILE* out, const std::string& cmd, const nlohmann::json& result);

}  // namespace shmifctl
