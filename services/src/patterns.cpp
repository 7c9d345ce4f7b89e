#include "services/patterns.hpp"

#include <algorithm>
#include <array>

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

void fill_bytes_pattern(std::uint64_t offset, std::span<std::byte> out) {
    // Walks i and i / 251 incrementally; only the position within the period matters.
    std::uint64_t i = offset % bytes_period;
    std::uint64_t quotient = i / 251;
    std::uint64_t remainder = i % 251;
    for (auto& b : out) {
        b = static_cast<std::byte>((i + quotient) & 0xff);
        ++i;
        if (++remainder == 251) {
            remainder = 0;
            ++quotient;
        }
        if (i == bytes_period) i = quotient = remainder = 0;
    }
}

std::byte chargen_at(std::uint64_t offset) {
    const std::uint64_t line = offset / chargen_line_length;
    const std::uint64_t column = offset % chargen_line_length;
    if (column == 72) return std::byte{'\r'};
    if (column == 73) return std::byte{'\n'};
    return static_cast<std::byte>(0x20 + (line + column) % chargen_ring);
}

void fill_chargen(std::uint64_t offset, std::span<std::byte> out) {
    std::uint64_t position = offset % chargen_period;
    for (auto& b : out) {
        b = chargen_at(position);
        if (++position == chargen_period) position = 0;
    }
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
