#include "defaults.hpp"

#include <algorithm>
#include <cstdlib>

#include "shmifd/control/socket_path.hpp"

namespace shmifd {

std::string default_runtime_dir() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    return (xdg && *xdg ? std::string(xdg) : std::string("/run")) + "/shmif";
}

Config quick_config(const QuickOptions& options) {
    Config config;
    config.daemon.socket = control::default_socket_path().string();
    InterfaceSpec spec;
    spec.name = options.name;
    if (spec.name.empty() || spec.name.size() > 32)
        throw ConfigError("--name: must be 1 to 32 characters");
    spec.bus = options.bus.empty() ? default_runtime_dir() + "/default.bus" : options.bus;
    const std::vector<std::string> addresses =
        options.addresses.empty() ? std::vector<std::string>{"10.0.0.1/24"} : options.addresses;
    for (const auto& address : addresses) {
        auto cidr = netstack::IpCidr::parse(address);
        if (!cidr || address.find('/') == std::string::npos)
            throw ConfigError("--addr: must be a.b.c.d/n or x:x::x/n, not " + address);
        if (std::ranges::find(spec.addresses, *cidr) != spec.addresses.end())
            throw ConfigError("--addr: " + address + " is given twice");
        spec.addresses.push_back(*cidr);
    }
    if (!options.advertise.empty()) {
        AdvertiseSpec advertise;
        for (const auto& text : options.advertise) {
            std::string why;
            auto prefix = parse_advertised_prefix(text, why);
            if (!prefix) throw ConfigError("--advertise: " + why);
            advertise.prefixes.push_back(*prefix);
        }
        if (auto why = check_advertise(advertise); !why.empty())
            throw ConfigError("--advertise: " + why);
        spec.advertise = advertise;
    }
    config.interfaces.push_back(spec);
    if (options.gateway) {
        auto via = netstack::IpAddress::parse(*options.gateway);
        if (!via) throw ConfigError("--gateway: must be an IP address, not " + *options.gateway);
        // An IPv6 router is usually named by its link-local address, on every link.
        const bool on_link =
            (via->is_v6() && via->v6().is_link_local()) ||
            std::ranges::any_of(spec.addresses, [&](const auto& a) { return a.contains(*via); });
        if (!on_link)
            throw ConfigError("--gateway: " + *options.gateway +
                              " is not on the network of any --addr");
        config.routes.push_back(RouteSpec{.dst = *parse_route_destination("default", via->family()),
                                          .via = via,
                                          .interface = spec.name,
                                          .metric = 0});
    }
    return config;
}

void apply_overrides(Config& config, const CommandLineOverrides& overrides) {
    if (overrides.socket) config.daemon.socket = *overrides.socket;
    if (overrides.socket_group) config.daemon.socket_group = overrides.socket_group;
    if (overrides.workers) config.daemon.workers = *overrides.workers;
    if (overrides.pin_workers) config.daemon.pin_workers = *overrides.pin_workers;
    if (overrides.log_level) config.daemon.log_level = *overrides.log_level;
    if (overrides.drain_ms) config.daemon.drain_ms = *overrides.drain_ms;
    if (overrides.forwarding) config.stack.forwarding = *overrides.forwarding;
    if (overrides.loopback) config.daemon.loopback = *overrides.loopback;
    for (const auto& spec : overrides.serve) {
        std::erase_if(config.services, [&](const auto& s) { return services::conflicts(s, spec); });
        config.services.push_back(spec);
    }
    for (const auto& spec : overrides.forwards) {
        std::erase_if(config.forwards, [&](const auto& f) { return forward::overlaps(f, spec); });
        config.forwards.push_back(spec);
    }
}

Config load_config_file(const std::string& path, const CommandLineOverrides& overrides) {
    auto config = load_config_file(path);
    if (config.daemon.socket.empty())
        config.daemon.socket = control::default_socket_path().string();
    apply_overrides(config, overrides);
    return config;
}

}  // namespace shmifd
