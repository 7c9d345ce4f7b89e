// --sender values: "0x"-prefixed hexadecimal or decimal, 64 bits, not zero (zero means "no
// sender" on the bus).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shmif::tool {

std::optional<std::uint64_t> parse_sender(std::string_view text);

}  // namespace shmif::tool
