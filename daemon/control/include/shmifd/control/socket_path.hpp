// Where the control socket lives unless told otherwise; the daemon and shmifctl share the rule.
#pragma once

#include <filesystem>

namespace shmifd::control {

// $SHMIFD_SOCKET if set and not empty, else $XDG_RUNTIME_DIR/shmif/shmifd.sock if
// XDG_RUNTIME_DIR is set and not empty, else /run/shmif/shmifd.sock.
std::filesystem::path default_socket_path();

}  // namespace shmifd::control
