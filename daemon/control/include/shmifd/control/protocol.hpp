// daemon/PROTOCOL.md as pure functions: request lines in, reply lines out (and the reverse for
// clients). No I/O; fuzzed by tests/fuzz/control_request_fuzz.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "shmifd/control/handler.hpp"

namespace shmifd::control {

// The error codes of daemon/PROTOCOL.md.
namespace errc {
inline constexpr const char* parse_error = "parse_error";
inline constexpr const char* invalid_request = "invalid_request";
inline constexpr const char* unsupported_version = "unsupported_version";
inline constexpr const char* too_large = "too_large";
inline constexpr const char* unknown_command = "unknown_command";
inline constexpr const char* invalid_args = "invalid_args";
inline constexpr const char* not_found = "not_found";
inline constexpr const char* exists = "exists";
inline constexpr const char* failed = "failed";
inline constexpr const char* busy = "busy";
inline constexpr const char* timeout = "timeout";
inline constexpr const char* shutting_down = "shutting_down";
}  // namespace errc

// Every `cmd` of protocol version 1.
std::span<const std::string_view> known_commands();
bool is_known_command(std::string_view cmd);

// A request line that cannot be handed to a handler: the reply to send instead. `id` is the
// request's id when it could be read, else null.
struct ProtocolError {
    nlohmann::json id;
    CommandError error;
};

// One request line (without its '\n'; a trailing '\r' is tolerated). Does not check `cmd`
// against known_commands() nor the args' contents: that is unknown_command / Args' job.
std::expected<Request, ProtocolError> parse_request(std::string_view line);

// The reply line for a request id: compact JSON and '\n'. Strings that are not valid UTF-8
// are repaired (U+FFFD), never a throw.
std::string reply_line(const nlohmann::json& id, const Result& result);
std::string error_line(const nlohmann::json& id, std::string_view code, std::string_view message);

// Client side: the request line for a request, and a reply line read back.
std::string request_line(const Request& request);
struct Reply {
    nlohmann::json id;
    Result result;
};
// std::unexpected holds why the line is not a version-1 reply.
std::expected<Reply, std::string> parse_reply(std::string_view line);

// Compact JSON that never throws on bad UTF-8 (replaced by U+FFFD).
std::string dump_json(const nlohmann::json& value);

}  // namespace shmifd::control
