#include "services/patterns.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "services/sha256.hpp"

namespace services {

namespace {
constexpr std::uint64_t bytes_period = 251 * 256;
constexpr std::uint64_t chargen_ring = 95;
constexpr std::uint64_t chargen_period = chargen_ring * chargen_line_length;
}  // namespace

std::byte bytes_pattern_at(std::uint64_t offset) {
    return static_cast<std::byte>((offset + offset / 251) & 0xff);
}

namespace {
// One period of a pattern, computed once: a fill is then a few memcpy calls. The daemon fills
// send buffers with these (up to 256 KiB per HTTP response), inline with its packet work.
template <std::uint64_t Period, std::byte (*At)(std::uint64_t)>
const std::array<std::byte, Period>& period_table() {
    static const auto table = [] {
        std::array<std::byte, Period> t{};
        for (std::uint64_t i = 0; i < Period; ++i)
            t[i] = At(i);
        return t;
    }();
    return table;
}

template <std::uint64_t Period>
void fill_periodic(const std::array<std::byte, Period>& table, std::uint64_t offset,
                   std::span<std::byte> out) {
    std::uint64_t at = offset % Period;
    for (std::size_t done = 0; done < out.size();) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, Period - at));
        std::memcpy(out.data() + done, table.data() + at, n);
        done += n;
        at = 0;
    }
}
}  // namespace

void fill_bytes_pattern(std::uint64_t offset, std::span<std::byte> out) {
    fill_periodic(period_table<bytes_period, bytes_pattern_at>(), offset, out);
}

std::byte chargen_at(std::uint64_t offset) {
    const std::uint64_t line = offset / chargen_line_length;
    const std::uint64_t column = offset % chargen_line_length;
    if (column == 72) return std::byte{'\r'};
    if (column == 73) return std::byte{'\n'};
    return static_cast<std::byte>(0x20 + (line + column) % chargen_ring);
}

void fill_chargen(std::uint64_t offset, std::span<std::byte> out) {
    fill_periodic(period_table<chargen_period, chargen_at>(), offset, out);
}

std::string bytes_pattern_sha256(std::uint64_t n) {
    Sha256 sha;
    std::array<std::byte, 65536> chunk{};
    for (std::uint64_t done = 0; done < n;) {
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), n - done));
        fill_bytes_pattern(done, std::span(chunk).first(len));
        sha.update(std::span(chunk).first(len));
        done += len;
    }
    return sha.hex_digest();
}

}  // namespace services
