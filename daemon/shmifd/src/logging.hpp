// spdlog set up for the daemon: to stderr with timestamps, or to the journal (native fields
// and priorities) when systemd connected our stderr to the journal (JOURNAL_STREAM).
#pragma once

#include <string>

namespace shmifd {

// `level` is one of trace, debug, info, warn, error, critical, off.
void setup_logging(const std::string& level);
bool is_log_level(const std::string& level);

}  // namespace shmifd
