#include "sender_id.hpp"

#include <charconv>

namespace shmif::tool {

std::optional<std::uint64_t> parse_sender(std::string_view digits) {
    int base = 10;
    if (digits.starts_with("0x") || digits.starts_with("0X")) {
        digits.remove_prefix(2);
        base = 16;
    }
    std::uint64_t value = 0;
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value == 0)
        return std::nullopt;
    return value;
}

}  // namespace shmif::tool
