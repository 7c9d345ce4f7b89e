// Linux's errno names ("ECONNREFUSED") to numbers and back.
#pragma once

#include <optional>
#include <string_view>

namespace shmifsock {

// The number of a name Linux defines (aliases such as EWOULDBLOCK included); nullopt else.
std::optional<int> errno_from_name(std::string_view name);
// The canonical name of a number ("EAGAIN" for EWOULDBLOCK); empty when unknown.
std::string_view errno_name(int number);

}  // namespace shmifsock
