// spdlog set up for the daemon: to stderr with timestamps, or to the journal (native fields
// and priorities) when systemd connected our stderr to the journal (JOURNAL_STREAM).
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace shmifd {

// The levels the daemon accepts (the file's log_level, -l), in spdlog's names.
inline constexpr std::array<std::string_view, 7> log_levels{"trace", "debug",    "info", "warn",
                                                            "error", "critical", "off"};
bool is_log_level(std::string_view level);
// "trace, debug, info, warn, error, critical or off", for help and error messages.
std::string log_level_list();

// `level` is one of log_levels.
void setup_logging(const std::string& level);

}  // namespace shmifd
