// The daemon's loopback interface (loopback_link.hpp): attached to every shard like a bus
// interface, but on a private bus and with links that read their own frames.
#include <algorithm>
#include <chrono>

#include "dataplane.hpp"
#include "loopback_link.hpp"

namespace shmifd {

Dataplane::Outcome Dataplane::add_loopback() {
    if (find(loopback_name))
        return std::unexpected(
            control::CommandError{"exists", std::string("interface ") + loopback_name + " exists"});
    auto bus = create_private_bus();
    if (!bus) return std::unexpected(control::CommandError{"failed", bus.error()});

    InterfaceState state;
    state.loopback = true;
    state.bus = std::make_shared<shmif::Bus>(std::move(*bus));
    state.sender = shmif::random_sender_id();
    state.impair_seed = shmif::random_sender_id();
    state.spec.name = loopback_name;
    state.spec.bus = loopback_bus_label;
    state.spec.create = false;
    // One MAC for every shard, as on a bus: a frame is addressed to it.
    state.spec.mac = netstack::MacAddress::local_from(state.sender);
    state.spec.addresses = {loopback_address(), loopback_address6()};
    // The largest IPv4 datagram (the bus carries 64 KiB frames): TCP segments of 65,495
    // bytes, as over Linux's lo.
    state.spec.mtu = std::min<std::size_t>(state.bus->max_frame() - 14, 65535);

    std::vector<std::unique_ptr<ShardLink>> links;
    const auto alarm = std::make_shared<BusAlarm>();
    for (std::size_t i = 0; i < shards_.size(); ++i)
        links.push_back(make_loopback_link(*state.bus, state.sender, alarm));
    const netstack::InterfaceConfig config{
        .name = loopback_name, .mac = *state.spec.mac, .mtu = state.spec.mtu, .loopback = true};
    const auto now = std::chrono::steady_clock::now();
    auto outcome = apply(
        [&](Shard& shard) -> std::expected<void, netstack::ConfigError> {
            auto id = shard.attach(std::move(links[shard.index()]), config);
            if (!id) return std::unexpected(id.error());
            for (const auto& a : state.spec.addresses)
                if (auto r = shard.stack().add_address(*id, a, now); !r) {
                    shard.detach(loopback_name);
                    return r;
                }
            return {};
        },
        [&](Shard& shard) { shard.detach(loopback_name); },
        std::string("interface ") + loopback_name);
    if (!outcome) return outcome;
    state.mtu = state.spec.mtu;
    interfaces_.push_back(std::move(state));  // last: bus interfaces are added before it
    return {};
}

}  // namespace shmifd
