// The seam between the control socket (protocol, connections) and the daemon (what commands
// do). The server parses and validates a request line, then hands it to a CommandHandler;
// the handler answers once, from any thread, when the command is done.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shmifd::control {

inline constexpr int protocol_version = 1;

struct Request {
    int version = protocol_version;
    nlohmann::json id;  // echoed in the reply; null when absent
    std::string cmd;
    nlohmann::json args = nlohmann::json::object();
    // The client process (SO_PEERCRED when it connected), for the daemon's log; 0 unknown.
    std::int64_t peer_pid = 0;
};

// An error reply: `code` is one of daemon/PROTOCOL.md's error codes.
struct CommandError {
    std::string code;
    std::string message;
};

using Result = std::expected<nlohmann::json, CommandError>;
// Called exactly once per request, from any thread.
using Done = std::function<void(Result)>;

class CommandHandler {
  public:
    virtual ~CommandHandler() = default;
    // Runs on the server's thread: must not block for long; long commands (ping, udp.recv,
    // stop_machine) finish elsewhere and call `done` from there.
    virtual void handle(Request request, Done done) = 0;
};

// Thrown by Args (and by handlers, if they like) for a bad argument; the server turns it into
// an `invalid_args` reply (or `code`, when given).
struct ArgumentError : std::runtime_error {
    explicit ArgumentError(const std::string& message, std::string error_code = "invalid_args")
        : std::runtime_error(message), code(std::move(error_code)) {}
    std::string code;
};

// Typed access to a request's `args`, refusing unknown keys and wrong types:
//   Args a(request.args);
//   auto name = a.required_string("name");
//   auto mtu = a.optional_uint("mtu", 68, 65535);
//   a.finish();  // throws if a key was never asked for
class Args {
  public:
    explicit Args(const nlohmann::json& args);  // throws ArgumentError unless an object
    std::string required_string(std::string_view key);
    std::optional<std::string> optional_string(std::string_view key);
    std::uint64_t required_uint(std::string_view key, std::uint64_t min, std::uint64_t max);
    std::optional<std::uint64_t> optional_uint(std::string_view key, std::uint64_t min,
                                               std::uint64_t max);
    std::optional<bool> optional_bool(std::string_view key);
    void finish() const;

  private:
    const nlohmann::json& args_;
    std::vector<std::string> used_;
};

}  // namespace shmifd::control
