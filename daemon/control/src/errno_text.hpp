// What an errno value means, in words, for messages.
#pragma once

#include <string>
#include <system_error>

namespace shmifd::control {

inline std::string errno_text(int error) {
    return std::generic_category().message(error);
}

}  // namespace shmifd::control
