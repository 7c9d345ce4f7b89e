// The configuration as TOML text that load_config_file reads back to the same Config: what
// `config.save` returns (the running configuration, run-time changes included).
#pragma once

#include <string>

#include "config.hpp"

namespace shmifd {

// Every setting is written, defaults included, so the file does not depend on what a later
// version defaults to. `config.file` is not part of it.
std::string to_toml(const Config& config);

}  // namespace shmifd
