// shmifctl's command words (`if add`, `route list`, `ping` ...) and the request each becomes.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <string>

#include "shmifd/control/handler.hpp"

namespace shmifctl {

// How payload bytes are written on the command line (udp send) and shown (udp recv).
enum class PayloadFormat { text, hex, base64 };

struct Invocation {
    shmifd::control::Request request;
    // How long the command itself may run in the daemon (ping, udp recv), on top of --timeout.
    std::chrono::milliseconds command_time{0};
    PayloadFormat payload_format = PayloadFormat::text;
    // `config save FILE`: where the reply's TOML goes (empty: stdout).
    std::string save_to{};
};

// Registers every command under `app`; once `app` has parsed a command line, `invocation`
// holds its request. Bad values throw CLI::ValidationError (a usage error) while parsing.
void add_commands(CLI::App& app, Invocation& invocation);

}  // namespace shmifctl
