// `sock list`: the virtual sockets test processes hold in the daemon (the socket service),
// and how the reply is shown.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "commands.hpp"

namespace shmifctl {

void add_sock_commands(CLI::App& app, Invocation& invocation);
// Prints the reply of one of these commands; false for any other command.
bool print_sock_result(std::FILE* out, const std::string& cmd, const nlohmann::json& result);

}  // namespace shmifctl
