// shmifctl: talks to shmifd over its control socket (daemon/PROTOCOL.md): one command, one
// request, one reply. Human-readable output by default, the reply's result with --json.
//
// Exit status: 0 success; 1 the daemon answered with an error (one line
// "shmifctl: CODE: MESSAGE" on stderr) or ping got no reply; 2 usage error; 3 the daemon
// cannot be reached (no socket, connection refused, timeout).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "exit_status.hpp"
#include "output.hpp"
#include "shmifd/control/client.hpp"
#include "shmifd/control/socket_path.hpp"

namespace shmifctl {
namespace {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;
constexpr int exit_unreachable = 3;

constexpr const char* kFooter =
    R"(Socket: -s, else $SHMIFD_SOCKET, else $XDG_RUNTIME_DIR/shmif/shmifd.sock
when XDG_RUNTIME_DIR is set, else /run/shmif/shmifd.sock (the daemon's own default).

--timeout bounds connecting and waiting for the reply; ping and udp recv add the time
they are asked to run.

Exit status: 0 success; 1 the daemon refused or the operation failed (one line
"shmifctl: CODE: MESSAGE" on stderr), or ping got no reply; 2 usage error;
3 the daemon cannot be reached (no socket, refused, timed out).

Examples:
  shmifctl if add eth0 /dev/shm/bus0 --mtu 1500
  shmifctl addr add eth0 10.0.0.1/24
  shmifctl route add default via 10.0.0.254
  shmifctl ping -c 3 10.0.0.2
  shmifctl --json if list
)";

int run(const std::string& socket, bool json_output, std::chrono::milliseconds timeout,
        const Invocation& invocation) {
    const auto where =
        socket.empty() ? shmifd::control::default_socket_path() : std::filesystem::path(socket);
    auto client = shmifd::control::ControlClient::connect(where, timeout);
    if (!client) {
        fmt::print(stderr, "shmifctl: cannot reach shmifd: {}\n", client.error().message);
        return exit_unreachable;
    }
    auto reply = client->call(invocation.request, timeout + invocation.command_time);
    if (!reply) {
        using Kind = shmifd::control::ClientError::Kind;
        fmt::print(stderr, "shmifctl: {}: {}\n", where.native(), reply.error().message);
        return reply.error().kind == Kind::protocol ? exit_failure : exit_unreachable;
    }
    if (!reply->result) {
        fmt::print(stderr, "shmifctl: {}: {}\n", reply->result.error().code,
                   reply->result.error().message);
        return exit_failure;
    }
    const nlohmann::json& result = *reply->result;
    if (json_output) {
        fmt::print("{}\n", result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
        return exit_ok;
    }
    try {
        return print_human(stdout, invocation.request, result);
    } catch (const nlohmann::json::exception& error) {
        fmt::print(stderr, "shmifctl: unexpected reply from the daemon: {}\n", error.what());
        return exit_failure;
    }
}

}  // namespace
}  // namespace shmifctl

int main(int argc, char** argv) {
    CLI::App app{
        "Control shmifd, the shmif network daemon: interfaces, addresses, routes, ARP, "
        "ping, UDP and counters.",
        "shmifctl"};
    app.footer(shmifctl::kFooter);
    app.require_subcommand(1);
    std::string socket;
    bool json_output = false;
    std::uint64_t timeout_ms = 5000;
    app.add_option("-s,--socket", socket, "Control socket of the daemon");
    app.add_flag("--json", json_output, "Print the reply's result as JSON");
    app.add_option("--timeout", timeout_ms, "Milliseconds to connect and to wait for the reply")
        ->check(CLI::Range(1, 3600000))
        ->capture_default_str();
    shmifctl::Invocation invocation;
    shmifctl::add_commands(app, invocation);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        app.exit(error);
        return shmifctl::exit_usage;
    }
    return shmifctl::run(socket, json_output, std::chrono::milliseconds(timeout_ms), invocation);
}
