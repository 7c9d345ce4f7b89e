// shmiflink's settings for both directions: the impair file (read at start and on SIGHUP)
// and the counters as text and JSON.
//
// Impair file: one rule a line, "a-to-b: NETEM", "b-to-a: NETEM" or "both: NETEM" (NETEM in
// tc-netem's words, "none" for untouched); blank lines and lines starting with '#' are
// ignored; later lines win. A direction the file does not name keeps what the command line
// gave it, so removing a line reverts to the flags.
#pragma once

#include <nlohmann/json.hpp>

#include <expected>
#include <string>
#include <string_view>

#include "direction.hpp"
#include "impair/settings.hpp"

namespace shmiflink {

struct LinkSettings {
    shmif::impair::Settings a_to_b;
    shmif::impair::Settings b_to_a;
    bool operator==(const LinkSettings&) const = default;
};

// `base` overlaid with the rules of `text`. Errors read "NAME:LINE: what".
std::expected<LinkSettings, std::string> parse_impair_file(std::string_view text,
                                                           const std::string& name,
                                                           const LinkSettings& base);
// As parse_impair_file() on the file's contents; "PATH: why" when it cannot be read.
std::expected<LinkSettings, std::string> read_impair_file(const std::string& path,
                                                          const LinkSettings& base);

// One line: "NAME: settings='...' frames_read=N ... queued=N" (every pump counter, then every
// impair counter in SHMIF_IMPAIR_COUNTERS order, then queued).
std::string stats_line(const std::string& name, const DirectionStats& stats);
nlohmann::json stats_json(const DirectionStats& stats);

}  // namespace shmiflink
