#include "lab_name.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <regex>
#include <vector>

#include "shmif/testing/lab.hpp"

namespace shmif::testing::detail {

namespace {

constexpr std::size_t max_name = 32;  // shmiflab's valid_name()

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        lines.push_back(text.substr(0, end == std::string_view::npos ? text.size() : end + 1));
        text.remove_prefix(lines.back().size());
    }
    return lines;
}

// "[lab]", "[[bus]]"...: the table a header line opens, "" for other lines.
std::string header_of(std::string_view line) {
    static const std::regex header(R"(^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(#.*)?\s*$)");
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(line.begin(), line.end(), m, header)) return "";
    return m[1].str();
}

bool is_name_line(std::string_view line) {
    static const std::regex name(R"(^\s*name\s*=.*\s*$)");
    return std::regex_match(line.begin(), line.end(), name);
}

}  // namespace

std::string unique_lab_name(std::string_view base) {
    static std::atomic<unsigned> count{0};
    const std::string suffix = "-" + std::to_string(::getpid()) + "-" + std::to_string(++count);
    std::string name;
    for (char c : base)
        name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    if (name.empty() || name.front() == '-') name.insert(0, "lab");
    name.resize(std::min(name.size(), max_name - std::min(max_name, suffix.size())));
    return name + suffix;
}

std::optional<std::string> lab_name_of(std::string_view text) {
    static const std::regex plain(R"re(^\s*name\s*=\s*"([A-Za-z0-9_-]*)"\s*(#.*)?\s*$)re");
    bool in_lab = false;
    for (auto line : lines_of(text)) {
        if (auto table = header_of(line); !table.empty()) {
            in_lab = table == "lab";
            continue;
        }
        std::match_results<std::string_view::const_iterator> m;
        const auto end = line.ends_with('\n') ? line.end() - 1 : line.end();
        if (in_lab && std::regex_match(line.begin(), end, m, plain)) return m[1].str();
    }
    return std::nullopt;
}

std::string with_lab_name(std::string_view text, std::string_view name) {
    const std::string name_line = "name = " + toml_string(name) + "\n";
    std::string out;
    bool in_lab = false, done = false;
    for (auto line : lines_of(text)) {
        if (auto table = header_of(line); !table.empty()) {
            in_lab = table == "lab";
            out += line;
            if (!line.ends_with('\n')) out += '\n';
            // The new name first in [lab]; a name line of the file after it is dropped.
            if (in_lab && !done) out += name_line;
            done = done || in_lab;
            continue;
        }
        if (in_lab && is_name_line(line)) continue;
        out += line;
    }
    if (!done) out = "[lab]\n" + name_line + "\n" + out;
    return out;
}

}  // namespace shmif::testing::detail
