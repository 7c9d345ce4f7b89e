// A configuration that cannot be used; what() is "FILE:LINE: what is wrong" for files.
#pragma once

#include <stdexcept>

namespace shmifd {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace shmifd
