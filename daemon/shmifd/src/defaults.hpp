// The configuration shmifd uses with no arguments, and the one-interface quick form.
#pragma once

#include <optional>
#include <string>

#include "config.hpp"

namespace shmifd {

// $XDG_RUNTIME_DIR/shmif, else /run/shmif: where the default bus and socket live.
std::string default_runtime_dir();

struct QuickOptions {
    std::string bus;                       // empty: <runtime dir>/default.bus
    std::optional<std::string> address{};  // default 10.0.0.1/24 when the bus is the default one
    std::string name = "eth0";
    std::optional<std::string> gateway{};
};

// One interface on one bus (created if missing), an address, optionally a default route.
// Throws ConfigError naming the option that is wrong.
Config quick_config(const QuickOptions& options);

}  // namespace shmifd
