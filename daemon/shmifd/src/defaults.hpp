// The configuration shmifd uses with no arguments, the one-interface quick form, and the
// command-line options that win over the file (at start and on every reload).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config.hpp"

namespace shmifd {

// $XDG_RUNTIME_DIR/shmif, else /run/shmif: where the default bus and socket live.
std::string default_runtime_dir();

struct QuickOptions {
    std::string bus;  // empty: <runtime dir>/default.bus
    // a.b.c.d/n or x:x::x/n, any number; none: 10.0.0.1/24
    std::vector<std::string> addresses{};
    std::string name = "eth0";
    std::optional<std::string> gateway{};
    // --advertise: IPv6 prefixes the interface advertises as a router (AdvertiseSpec's
    // defaults otherwise); none: no advertisements.
    std::vector<std::string> advertise{};
};

// One interface on one bus (created if missing), its addresses, optionally a default route
// (of the gateway's family).
// Throws ConfigError naming the option that is wrong.
Config quick_config(const QuickOptions& options);

// -s/--socket, --socket-group, -w/--workers, --no-pin, -l/--log-level, --drain-time,
// --forwarding, --no-loopback: unset ones leave the config alone.
struct CommandLineOverrides {
    std::optional<std::string> socket{};
    std::optional<std::string> socket_group{};
    std::optional<std::size_t> workers{};
    std::optional<bool> pin_workers{};
    std::optional<std::string> log_level{};
    std::optional<std::uint32_t> drain_ms{};
    std::optional<bool> forwarding{};
    std::optional<bool> loopback{};
    // --serve KIND[:PORT]: added to the file's [[service]] list (replacing one on its port).
    std::vector<services::ServiceSpec> serve{};
    // --forward and --expose: added to the file's (replacing one whose ports they overlap).
    std::vector<forward::ForwardSpec> forwards{};
};

void apply_overrides(Config& config, const CommandLineOverrides& overrides);

// The file as the daemon runs it: the default socket path when the file names none, then
// the overrides. main() and the SIGHUP reload both read the file through this. Throws
// ConfigError.
Config load_config_file(const std::string& path, const CommandLineOverrides& overrides);

}  // namespace shmifd
