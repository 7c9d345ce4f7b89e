// shmifctl: talks to shmifd over its control socket (daemon/PROTOCOL.md): one command, one
// request, one reply. Human-readable output by default, the reply's result with --json.
// Exit statuses: tools/common/exit_status.hpp and the --help footer below.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "command_words.hpp"
#include "commands.hpp"
#include "exit_status.hpp"
#include "outcome.hpp"
#include "output.hpp"
#include "saved_config.hpp"
#include "shmifd/control/client.hpp"
#include "shmifd/control/protocol.hpp"
#include "shmifd/control/socket_path.hpp"
#include "version_flag.hpp"

namespace shmifctl {
namespace {

using nlohmann::json;
using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_unreachable;
using shmif::tool::exit_usage;

constexpr const char* kFooter =
    R"(Socket: -s, else $SHMIFD_SOCKET, else $XDG_RUNTIME_DIR/shmif/shmifd.sock
when XDG_RUNTIME_DIR is set, else /run/shmif/shmifd.sock (the daemon's own default).

--timeout bounds connecting and waiting for the reply; ping and udp recv add the time
they are asked to run.

Exit status: 0 done; 1 failed or nothing received (the daemon refused, ping got no reply,
udp recv got no datagram); 2 usage error; 3 the daemon cannot be reached (no socket,
refused, timed out). A failure prints one line "shmifctl: CODE: MESSAGE" on stderr; with
--json, stdout holds one JSON object: the result, or {"error": {"code", "message"}} (plus
"result" when the daemon did answer, as for ping without reply).

Each command has its own --help: shmifctl if add --help.

Examples:
  shmifctl if add eth0 /dev/shm/bus0 --mtu 1500   attach an interface to a bus
  shmifctl addr add eth0 10.0.0.1/24              give it an address
  shmifctl route add default via 10.0.0.254       a default route
  shmifctl ping -c 3 10.0.0.2                     three pings from the daemon's stack
  shmifctl --json if list                         the interfaces, as JSON
)";

// One failure: a line on stderr, and with --json the error object on stdout too.
int fail(bool json_output, int status, const std::string& code, const std::string& message,
         const std::optional<json>& result = std::nullopt) {
    fmt::print(stderr, "shmifctl: {}: {}\n", code, message);
    if (json_output) {
        json out = {{"error", {{"code", code}, {"message", message}}}};
        if (result) out["result"] = *result;
        fmt::print("{}\n", shmifd::control::dump_json(out));
    }
    return status;
}

int run(const std::string& socket, bool json_output, std::chrono::milliseconds timeout,
        const Invocation& invocation) {
    const auto where =
        socket.empty() ? shmifd::control::default_socket_path() : std::filesystem::path(socket);
    auto client = shmifd::control::ControlClient::connect(where, timeout);
    if (!client)
        return fail(json_output, exit_unreachable, "unreachable",
                    fmt::format("cannot reach shmifd: {}", client.error().message));
    auto reply = client->call(invocation.request, timeout + invocation.command_time);
    if (!reply) {
        using Kind = shmifd::control::ClientError::Kind;
        const bool protocol = reply.error().kind == Kind::protocol;
        return fail(json_output, protocol ? exit_failure : exit_unreachable,
                    protocol ? "protocol" : "unreachable",
                    fmt::format("{}: {}", where.native(), reply.error().message));
    }
    if (!reply->result)
        return fail(json_output, exit_failure, reply->result.error().code,
                    reply->result.error().message);
    const json& result = *reply->result;
    if (auto saved = save_config(invocation, result); !saved)
        return fail(json_output, exit_failure, "failed", saved.error());
    const auto failure = failure_of(invocation.request, result);
    if (json_output) {
        if (failure) return fail(true, exit_failure, failure->code, failure->message, result);
        fmt::print("{}\n", result.dump(2, ' ', false, json::error_handler_t::replace));
        return exit_ok;
    }
    try {
        print_human(stdout, invocation, result);
    } catch (const json::exception& error) {
        return fail(false, exit_failure, "protocol",
                    fmt::format("unexpected reply from the daemon: {}", error.what()));
    }
    return failure ? fail(false, exit_failure, failure->code, failure->message) : exit_ok;
}

// A usage error: CLI11's message (or ours about command words) on stderr; with --json, the
// error object on stdout too.
int usage_error(const CLI::App& app, const CLI::ParseError& error, bool json_output) {
    const std::string message = shmif::tool::command_word_error(app).value_or(error.what());
    fmt::print(stderr, "shmifctl: {} (see --help)\n", message);
    if (json_output)
        fmt::print("{}\n", shmifd::control::dump_json(
                               json{{"error", {{"code", "usage"}, {"message", message}}}}));
    return exit_usage;
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
    shmif::tool::add_version_flag(app);
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
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        // --json is known even when the line did not parse: the error is JSON too.
        const bool json_requested = std::any_of(
            argv + 1, argv + argc, [](const char* a) { return a == std::string_view("--json"); });
        return shmifctl::usage_error(app, error, json_requested);
    }
    return shmifctl::run(socket, json_output, std::chrono::milliseconds(timeout_ms), invocation);
}
