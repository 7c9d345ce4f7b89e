// `shmifctl config save FILE`: the daemon returns the TOML text, shmifctl writes the file
// (with the client's rights, never the daemon's).
#pragma once

#include <nlohmann/json.hpp>

#include <expected>
#include <string>

#include "commands.hpp"

namespace shmifctl {

// For `config save FILE`: writes the reply's TOML to FILE atomically (a temporary file beside
// it, then rename). Anything else: nothing to do. The error is a one-line reason.
std::expected<void, std::string> save_config(const Invocation& invocation,
                                             const nlohmann::json& result);

}  // namespace shmifctl
