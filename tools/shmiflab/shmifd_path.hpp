// Which shmifd `up` runs.
#pragma once

#include <expected>
#include <string>

namespace shmiflab {

// `given` (--shmifd) if not empty, else $SHMIFLAB_SHMIFD, else the shmifd beside this
// program (installed: the same directory; in the build tree: daemon/shmifd/), else the
// first in PATH. An error says where it looked.
std::expected<std::string, std::string> find_shmifd(const std::string& given);

}  // namespace shmiflab
