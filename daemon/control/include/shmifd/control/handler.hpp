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
#include <type_traits>
#include <utility>
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
    // The connection it came on: a number unique for the server's life (1, 2, ...).
    std::uint64_t client = 0;
};

// An error reply: `code` is one of daemon/PROTOCOL.md's error codes.
struct CommandError {
    std::string code;
    std::string message;
    // The socket service's errors also name the errno the kernel would give ("ECONNREFUSED").
    std::string errno_name{};
};

using Result = std::expected<nlohmann::json, CommandError>;

// File descriptors passed to the client with a reply (SCM_RIGHTS); closed here once sent, or
// when the reply is dropped.
class OwnedFds {
  public:
    OwnedFds() = default;
    explicit OwnedFds(int fd) { fds_.push_back(fd); }
    OwnedFds(OwnedFds&& other) noexcept : fds_(std::exchange(other.fds_, {})) {}
    OwnedFds& operator=(OwnedFds&& other) noexcept;
    OwnedFds(const OwnedFds&) = delete;
    OwnedFds& operator=(const OwnedFds&) = delete;
    ~OwnedFds();
    const std::vector<int>& fds() const { return fds_; }
    bool empty() const { return fds_.empty(); }

  private:
    std::vector<int> fds_;
};

// Answers a request: called exactly once, from any thread, with the result and, for the
// socket service, descriptors that travel with the reply.
class Done {
  public:
    using Function = std::function<void(Result, OwnedFds)>;
    Done() = default;
    explicit Done(Function function) : function_(std::move(function)) {}
    // An answer that never carries descriptors: any callable taking the Result.
    template <class F>
    requires(std::is_invocable_v<F&, Result> && !std::is_same_v<std::decay_t<F>, Done>)
        Done(F answer)  // NOLINT(google-explicit-constructor): Done is a callable
        : function_([answer = std::move(answer)](Result result, OwnedFds) mutable {
              answer(std::move(result));
          }) {}
    void operator()(Result result) const { function_(std::move(result), OwnedFds{}); }
    void operator()(Result result, OwnedFds fds) const {
        function_(std::move(result), std::move(fds));
    }
    explicit operator bool() const { return static_cast<bool>(function_); }

  private:
    Function function_;
};

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
    std::int64_t required_int(std::string_view key, std::int64_t min, std::int64_t max);
    std::optional<bool> optional_bool(std::string_view key);
    void finish() const;

  private:
    const nlohmann::json& args_;
    std::vector<std::string> used_;
};

}  // namespace shmifd::control
