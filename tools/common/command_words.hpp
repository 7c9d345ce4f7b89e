// Usage errors about command words, in words: "unknown command 'foo'; valid commands: a, b"
// instead of CLI11's generic "A subcommand is required".
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace shmif::tool {

// After `app.parse()` threw: when the deepest command reached needs a subcommand and got no
// known one, the message naming the word given (or saying none was) and listing the valid
// ones; std::nullopt when the error is about something else.
std::optional<std::string> command_word_error(const CLI::App& app);

}  // namespace shmif::tool
