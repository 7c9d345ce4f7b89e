// How shmifctl shows a command's result to a person (tables, ping-like lines).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>

#include "shmifd/control/handler.hpp"

namespace shmifctl {

// Prints `result` of `request` readably on `out`; returns the exit status it implies (ping
// without any reply is a failure, as for ping(8)).
int print_human(std::FILE* out, const shmifd::control::Request& request,
                const nlohmann::json& result);

}  // namespace shmifctl
