// Payload bytes as text and back, exactly: base64 (RFC 4648 section 4, padded) for JSON,
// hexadecimal for people, and the UTF-8 check that says when bytes may travel as a JSON
// string unchanged. Bytes are held in std::string (any byte, NUL included).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shmifd::control {

std::string base64_encode(std::string_view bytes);
// Canonical padded base64 only (what base64_encode writes): no whitespace, no URL alphabet,
// no bits set past the last byte. Anything else is std::nullopt, so a decoded payload
// always re-encodes to the text it came from.
std::optional<std::string> base64_decode(std::string_view text);

// Lower-case pairs of digits, no separators.
std::string hex_encode(std::string_view bytes);
// Pairs of hex digits (either case); std::nullopt for an odd length or any other character.
std::optional<std::string> hex_decode(std::string_view text);

// Well-formed UTF-8 (RFC 3629): no overlong forms, surrogates or code points past U+10FFFF,
// the rule JSON parsers apply to strings.
bool is_valid_utf8(std::string_view bytes);

}  // namespace shmifd::control
