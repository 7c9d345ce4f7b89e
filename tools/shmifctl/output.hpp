// How shmifctl shows a command's result to a person (tables, ping-like lines).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>

#include "commands.hpp"

namespace shmifctl {

// Prints the result of `invocation` readably on `out` (outcome.hpp says whether it failed).
void print_human(std::FILE* out, const Invocation& invocation, const nlohmann::json& result);

}  // namespace shmifctl
