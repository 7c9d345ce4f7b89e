#include "units.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <limits>

namespace shmifbus {

std::expected<std::uint64_t, std::string> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    const auto [rest, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc::result_out_of_range) return std::unexpected("too large");
    if (ec != std::errc{} || rest == begin) return std::unexpected("expected a number of bytes");
    std::string_view suffix(rest, static_cast<std::size_t>(end - rest));
    unsigned shift = 0;
    if (!suffix.empty()) {
        switch (suffix.front()) {
            case 'k':
            case 'K':
                shift = 10;
                break;
            case 'm':
            case 'M':
                shift = 20;
                break;
            case 'g':
            case 'G':
                shift = 30;
                break;
            case 'b':
            case 'B':
                break;
            default:
                return std::unexpected("unknown suffix (use K, M or G)");
        }
        if (shift != 0) suffix.remove_prefix(1);
        // Accept the spelled-out unit after the letter: "KiB", "KB", "K"; or a bare "B".
        if (suffix != "" && suffix != "iB" && suffix != "B" && suffix != "b" && suffix != "ib")
            return std::unexpected("unknown suffix (use K, M or G)");
    }
    if (shift != 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return std::unexpected("too large");
    return value << shift;
}

std::expected<::mode_t, std::string> parse_mode(std::string_view text) {
    if (text.starts_with("0o")) text.remove_prefix(2);
    unsigned value = 0;
    const char* const end = text.data() + text.size();
    const auto [rest, ec] = std::from_chars(text.data(), end, value, 8);
    if (ec != std::errc{} || rest != end || text.empty())
        return std::unexpected("expected an octal mode such as 0660");
    if (value > 07777) return std::unexpected("mode out of range (at most 07777)");
    return static_cast<::mode_t>(value);
}

std::string human_bytes(std::uint64_t bytes) {
    static constexpr std::array<const char*, 5> units{"B", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (unit + 1 < units.size() && bytes >= (std::uint64_t{1024} << (10 * unit)))
        ++unit;
    if (unit == 0) return fmt::format("{} B", bytes);
    const std::uint64_t scale = std::uint64_t{1} << (10 * unit);
    if (bytes % scale == 0) return fmt::format("{} {}", bytes / scale, units[unit]);
    // Tenths, rounded down: 1048544 B is "1023.9 KiB", never a misleading "1024.0 KiB".
    const std::uint64_t tenths = bytes / scale * 10 + bytes % scale * 10 / scale;
    return fmt::format("{}.{} {}", tenths / 10, tenths % 10, units[unit]);
}

std::string mode_string(::mode_t mode) {
    return fmt::format("{:04o}", mode & 07777U);
}

}  // namespace shmifbus
