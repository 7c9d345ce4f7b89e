#include "node_config.hpp"

#include <algorithm>

#include "config.hpp"
#include "config_toml_writer.hpp"

namespace shmiflab {

std::string node_config(const Topology& lab, const Node& node, const LabDir& dir) {
    shmifd::Config config;
    config.daemon.socket = dir.socket(node.name);
    config.daemon.workers = node.workers;
    // `down` waits for the daemons: requests in flight get one second, not five.
    config.daemon.drain_ms = 1000;
    config.stack.forwarding = node.forwarding;
    for (std::size_t i = 0; i < node.interfaces.size(); ++i) {
        const auto& itf = node.interfaces[i];
        const auto bus = std::ranges::find(lab.buses, itf.bus, &BusSpec::name);
        shmifd::InterfaceSpec spec;
        spec.name = "eth" + std::to_string(i);
        spec.bus = dir.bus(itf.bus);
        spec.format = bus->format;
        spec.create = false;
        spec.mtu = itf.mtu;
        spec.addresses.assign(itf.addresses.begin(), itf.addresses.end());
        config.interfaces.push_back(std::move(spec));
    }
    for (const auto& route : node.routes)
        config.routes.push_back(
            shmifd::RouteSpec{.dst = route.dst, .via = route.via, .interface = {}, .metric = 0});
    config.services = node.services;
    config.forwards = node.forwards;
    return shmifd::to_toml(config);
}

}  // namespace shmiflab
