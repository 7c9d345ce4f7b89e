#include "link_config.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace shmiflink {

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

}  // namespace

std::expected<LinkSettings, std::string> parse_impair_file(std::string_view text,
                                                           const std::string& name,
                                                           const LinkSettings& base) {
    LinkSettings out = base;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const auto nl = text.find('\n');
        const std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return std::unexpected(fmt::format(
                "{}:{}: expected 'a-to-b: NETEM', 'b-to-a: NETEM' or 'both: NETEM', got '{}'", name,
                line_no, line));
        const std::string_view which = trim(line.substr(0, colon));
        const std::string_view words = trim(line.substr(colon + 1));
        if (which != "a-to-b" && which != "b-to-a" && which != "both")
            return std::unexpected(fmt::format(
                "{}:{}: unknown direction '{}' (a-to-b, b-to-a or both)", name, line_no, which));
        auto settings = shmif::impair::parse_netem(words.empty() ? "none" : words);
        if (!settings)
            return std::unexpected(fmt::format("{}:{}: {}", name, line_no, settings.error()));
        if (which != "b-to-a") out.a_to_b = *settings;
        if (which != "a-to-b") out.b_to_a = *settings;
    }
    return out;
}

std::expected<LinkSettings, std::string> read_impair_file(const std::string& path,
                                                          const LinkSettings& base) {
    std::ifstream in(path);
    if (!in) return std::unexpected(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::unexpected(fmt::format("{}: read error", path));
    return parse_impair_file(text.str(), path, base);
}

std::string stats_line(const std::string& name, const DirectionStats& stats) {
    std::string line = fmt::format("{}: settings='{}'", name, stats.settings);
#define SHMIFLINK_PRINT(field, what) line += fmt::format(" " #field "={}", stats.pump.field);
    SHMIFLINK_PUMP_COUNTERS(SHMIFLINK_PRINT)
#undef SHMIFLINK_PRINT
#define SHMIFLINK_PRINT(field, what) line += fmt::format(" " #field "={}", stats.impair.field);
    SHMIF_IMPAIR_COUNTERS(SHMIFLINK_PRINT)
#undef SHMIFLINK_PRINT
    line += fmt::format(" queued={}", stats.impair.queued);
    return line;
}

nlohmann::json stats_json(const DirectionStats& stats) {
    nlohmann::json j;
    j["settings"] = stats.settings;
#define SHMIFLINK_JSON(field, what) j[#field] = stats.pump.field;
    SHMIFLINK_PUMP_COUNTERS(SHMIFLINK_JSON)
#undef SHMIFLINK_JSON
#define SHMIFLINK_JSON(field, what) j[#field] = stats.impair.field;
    SHMIF_IMPAIR_COUNTERS(SHMIFLINK_JSON)
#undef SHMIFLINK_JSON
    j["queued"] = stats.impair.queued;
    return j;
}

}  // namespace shmiflink
