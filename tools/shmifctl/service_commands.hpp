// `service add|del|list` (the daemon's test services) and `tcp list` (its TCP connections,
// like ss -tani), and how their replies are shown.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "commands.hpp"

namespace shmifctl {

void add_service_commands(CLI::App& app, Invocation& invocation);
// Prints the reply of one of these commands; false for any other command.
bool print_service_result(std::FILE* out, const std::string& cmd, const nlohmann::json& result);

}  // namespace shmifctl
