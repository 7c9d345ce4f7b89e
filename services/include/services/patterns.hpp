// The byte streams the test services send, as functions of the stream offset, so a body of
// any length is generated chunk by chunk (never held whole) and a test can recompute it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace services {

// The HTTP service's /bytes/N body: byte i (from 0) is (i + i / 251) mod 256, integer
// division. Its period is 251 * 256 = 64,256 bytes, not a power of two, so a duplicated or
// skipped window-sized (2^k) stretch changes the data. In Python:
//   bytes((i + i // 251) % 256 for i in range(n))
std::byte bytes_pattern_at(std::uint64_t offset);
// Fills `out` with the pattern starting at `offset`.
void fill_bytes_pattern(std::uint64_t offset, std::span<std::byte> out);
// The SHA-256 (hex) of the first n bytes of the pattern: what a client that fetched
// /bytes/n should get.
std::string bytes_pattern_sha256(std::uint64_t n);

// RFC 864's character generator stream: lines of 72 printable characters (0x20..0x7e, 95
// of them) and CR LF; line k starts with the (k mod 95)-th character and each next character
// is the next one in that ring. Period 95 lines (7,030 bytes).
inline constexpr std::size_t chargen_line_length = 74;  // 72 characters, CR, LF
std::byte chargen_at(std::uint64_t offset);
void fill_chargen(std::uint64_t offset, std::span<std::byte> out);

}  // namespace services
