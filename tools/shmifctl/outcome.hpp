// Whether a result the daemon sent back counts as success: a ping without any reply and a
// udp recv that received nothing are failures (exit 1), as for ping(8).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "shmifd/control/handler.hpp"

namespace shmifctl {

// The error to report for `result` of `request`, std::nullopt when it is a success. Codes
// are shmifctl's own: no_reply, nothing_received.
std::optional<shmifd::control::CommandError> failure_of(const shmifd::control::Request& request,
                                                        const nlohmann::json& result);

}  // namespace shmifctl
