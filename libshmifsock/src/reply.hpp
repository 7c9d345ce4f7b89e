// Request lines out and reply lines in (daemon/PROTOCOL.md): the result of a reply that is ok,
// or the errno a failed one stands for.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace shmifsock {

// {"v":1,"id":ID,"cmd":CMD,"args":ARGS}\n
std::string request_line(std::uint64_t id, std::string_view cmd, const nlohmann::json& args);

// The errno of a reply's "error" object: its "errno" name when it has one Linux knows, else
// by its code (not_found: EBADF, the socket is gone; invalid_args: EINVAL; busy: EAGAIN;
// timeout: ETIMEDOUT; shutting_down: ECONNRESET; unknown_command: EOPNOTSUPP, a daemon without
// the socket service; anything else: EIO).
int errno_of_error(const nlohmann::json& error);

// The "result" of reply `line` to request `id` (an empty object when it has none); the errno
// of its error; EPROTO when it is not a protocol-1 reply to that request.
std::expected<nlohmann::json, int> parse_reply(std::string_view line, std::uint64_t id);

}  // namespace shmifsock
