// One request to a node's control socket (daemon/PROTOCOL.md) on a fresh connection.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <expected>
#include <string>

namespace shmiflab {

// The reply's result; the error (connection or the daemon's) as one sentence.
std::expected<nlohmann::json, std::string> node_call(const std::string& socket,
                                                     const std::string& cmd, nlohmann::json args,
                                                     std::chrono::milliseconds timeout);

}  // namespace shmiflab
