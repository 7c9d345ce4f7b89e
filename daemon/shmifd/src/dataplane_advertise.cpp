// Router Advertisements (RFC 4861 6.2) on an interface: every shard's stack keeps the same
// configuration (each joins all-routers and reads the solicitations), shard 0's sends.
#include "dataplane.hpp"

namespace shmifd {

Dataplane::Outcome Dataplane::apply_advertise(const std::string& name,
                                              const std::optional<AdvertiseSpec>& spec) {
    const auto now = std::chrono::steady_clock::now();
    std::optional<netstack::RouterAdvertConfig> config;
    if (spec) config = router_advert_config(*spec, forwarding_);
    // Undone by stopping: a shard that took it and another that refused must not differ.
    return apply(
        [&](Shard& shard) {
            return shard.stack().set_router_advertisements(shard.link(name)->id, config, now);
        },
        [&](Shard& shard) {
            (void)shard.stack().set_router_advertisements(shard.link(name)->id, std::nullopt, now);
        },
        "router advertisements on " + name);
}

Dataplane::Outcome Dataplane::set_advertise(const std::string& name,
                                            std::optional<AdvertiseSpec> spec) {
    auto* state = find_mutable(name);
    if (!state) return std::unexpected(control::CommandError{"not_found", "no interface " + name});
    if (spec)
        if (auto why = check_advertise(*spec); !why.empty())
            return std::unexpected(control::CommandError{"invalid_args", why});
    auto outcome = apply_advertise(name, spec);
    if (outcome) state->spec.advertise = std::move(spec);
    return outcome;
}

}  // namespace shmifd
