#include "shmifd/control/payload_text.hpp"

#include <array>
#include <cstdint>

namespace shmifd::control {
namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> base64_values() {
    std::array<std::uint8_t, 256> values{};
    values.fill(invalid);
    for (std::size_t i = 0; i < base64_alphabet.size(); ++i)
        values[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::uint8_t>(i);
    return values;
}
constexpr auto base64_value = base64_values();

std::uint8_t hex_value(char c) {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    return invalid;
}

std::uint8_t byte_at(std::string_view bytes, std::size_t i) {
    return static_cast<std::uint8_t>(bytes[i]);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string text;
    text.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t left = bytes.size() - i;
        std::uint32_t group = std::uint32_t{byte_at(bytes, i)} << 16;
        if (left > 1) group |= std::uint32_t{byte_at(bytes, i + 1)} << 8;
        if (left > 2) group |= byte_at(bytes, i + 2);
        text += base64_alphabet[(group >> 18) & 63];
        text += base64_alphabet[(group >> 12) & 63];
        text += left > 1 ? base64_alphabet[(group >> 6) & 63] : '=';
        text += left > 2 ? base64_alphabet[group & 63] : '=';
    }
    return text;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string bytes;
    bytes.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        // Padding: only in the last group, only as its last one or two characters.
        const std::size_t pad = !last ? 0 : text[i + 3] != '=' ? 0 : text[i + 2] != '=' ? 1 : 2;
        std::uint32_t group = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const bool padding = k >= 4 - pad;
            const std::uint8_t value =
                padding ? 0 : base64_value[static_cast<unsigned char>(text[i + k])];
            if (value == invalid) return std::nullopt;
            group = group << 6 | value;
        }
        // Bits past the last byte must be zero: one text per payload.
        if ((pad == 1 && (group & 0xff) != 0) || (pad == 2 && (group & 0xffff) != 0))
            return std::nullopt;
        bytes += static_cast<char>(group >> 16);
        if (pad < 2) bytes += static_cast<char>((group >> 8) & 0xff);
        if (pad < 1) bytes += static_cast<char>(group & 0xff);
    }
    return bytes;
}

std::string hex_encode(std::string_view bytes) {
    std::string text;
    text.reserve(bytes.size() * 2);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        text += hex_digits[byte_at(bytes, i) >> 4];
        text += hex_digits[byte_at(bytes, i) & 15];
    }
    return text;
}

std::optional<std::string> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string bytes;
    bytes.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const std::uint8_t high = hex_value(text[i]);
        const std::uint8_t low = hex_value(text[i + 1]);
        if (high == invalid || low == invalid) return std::nullopt;
        bytes += static_cast<char>(high << 4 | low);
    }
    return bytes;
}

bool is_valid_utf8(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        const std::uint8_t lead = byte_at(bytes, i);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint32_t code = 0, min = 0;
        if ((lead & 0xe0) == 0xc0) {
            length = 2, code = lead & 0x1fU, min = 0x80;
        } else if ((lead & 0xf0) == 0xe0) {
            length = 3, code = lead & 0x0fU, min = 0x800;
        } else if ((lead & 0xf8) == 0xf0) {
            length = 4, code = lead & 0x07U, min = 0x10000;
        } else {
            return false;  // a continuation byte, or 0xf8..0xff
        }
        if (bytes.size() - i < length) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const std::uint8_t next = byte_at(bytes, i + k);
            if ((next & 0xc0) != 0x80) return false;
            code = code << 6 | (next & 0x3fU);
        }
        if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
        i += length;
    }
    return true;
}

}  // namespace shmifd::control
