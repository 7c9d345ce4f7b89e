// Router discovery as a router (RFC 4861 6.2): Router Advertisements of the configured
// prefixes from the link-local address, unsolicited at random intervals and in answer to
// Router Solicitations, and the last one with a router lifetime of 0 when advertising
// stops. Shard 0 sends; every shard keeps the configuration (all of them join all-routers).
#include <algorithm>

#include "src/stack_impl.hpp"

namespace netstack {

using wire::NdpRepr;

namespace {

// RFC 4861 10: the protocol's constants for routers.
constexpr std::uint32_t max_initial_rtr_advertisements = 3;
constexpr Duration max_initial_rtr_advert_interval = std::chrono::seconds(16);
constexpr Duration min_delay_between_ras = std::chrono::seconds(3);
constexpr Duration max_ra_delay_time = std::chrono::milliseconds(500);

// RFC 4861 6.2.1's bounds on the intervals and the router lifetime.
bool valid_advert_config(const RouterAdvertConfig& c) {
    using std::chrono::seconds;
    if (c.prefixes.size() > wire::ndp_max_prefixes) return false;
    for (const Ipv6Cidr& p : c.prefixes)
        if (p.prefix_len > 64 || p.address.is_link_local() || p.address.is_multicast() ||
            p.address.is_loopback() || p.address.is_v4_mapped())
            return false;
    if (c.max_interval < seconds(4) || c.max_interval > seconds(1800)) return false;
    if (c.min_interval < seconds(3) || c.min_interval * 4 > c.max_interval * 3) return false;
    if (c.router_lifetime.count() != 0 &&
        (c.router_lifetime < c.max_interval || c.router_lifetime > seconds(9000)))
        return false;
    return c.preferred_lifetime <= c.valid_lifetime &&
           c.valid_lifetime.count() <= wire::ndp_infinite_lifetime;
}

std::uint32_t lifetime_field(std::chrono::seconds s) {
    return static_cast<std::uint32_t>(
        std::min<std::int64_t>(s.count(), std::int64_t{wire::ndp_infinite_lifetime}));
}

}  // namespace

std::uint64_t Stack::Impl::random_below(std::uint64_t bound) {
    // splitmix64 over the stack's seed: reproducible for a seed, spread for different ones.
    std::uint64_t z = (random_state += 0x9e3779b97f4a7c15ull) ^ config.seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return bound == 0 ? 0 : z % bound;
}

Duration Stack::Impl::next_advertisement_interval(const link::RouterAdvertiser& advertiser) {
    const RouterAdvertConfig& c = advertiser.config;
    Duration max = c.max_interval;
    Duration min = c.min_interval;
    // 6.2.4: the first few unsolicited advertisements come sooner, so hosts learn quickly
    // (`sent` counts the one just sent: the waits before the 2nd and 3rd are short).
    if (advertiser.sent < max_initial_rtr_advertisements) {
        max = std::min(max, max_initial_rtr_advert_interval);
        min = std::min(min, max);
    }
    const auto span = static_cast<std::uint64_t>((max - min).count());
    return min + Duration(static_cast<Duration::rep>(random_below(span + 1)));
}

std::expected<void, ConfigError> Stack::set_router_advertisements(
    InterfaceId id, std::optional<RouterAdvertConfig> config, Instant now) {
    Impl& s = *impl_;
    auto* iface = s.find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    if (iface->loopback || !s.config.ipv6.enabled) return std::unexpected(ConfigError::invalid);
    if (config && !valid_advert_config(*config)) return std::unexpected(ConfigError::invalid);
    if (!config) {
        // 6.2.5: ceasing to advertise, a last advertisement says we are no default router.
        if (iface->advertiser && iface->advertiser->sent > 0 && s.is_shard_zero() && iface->up)
            s.send_router_advertisement(*iface, std::chrono::seconds(0));
        iface->advertiser.reset();
        s.flush_devices();
        return {};
    }
    // 6.2.4: a new or changed configuration is advertised anew, fast at first.
    iface->advertiser = link::RouterAdvertiser{.config = std::move(*config)};
    if (iface->usable_link_local()) iface->advertiser->next = now;
    // A router takes nothing from others' advertisements (6.2.7): what we learnt goes.
    for (const auto& r : std::vector(iface->routers.routers))
        s.default_router_update(*iface, r.address, std::chrono::seconds(0), now);
    iface->routers.next_solicitation.reset();
    s.poll_router_advertisements(now);
    s.flush_devices();
    return {};
}

void Stack::Impl::router_solicitation_input(link::Interface& iface, const Ipv6Address& src,
                                            const NdpRepr& rs, Instant now) {
    if (!iface.advertiser) return;  // a host ignores solicitations (6.1.1)
    // 6.2.6: a solicitation from an address tells us the host's MAC; it is no router.
    if (!src.is_any() && rs.source_mac) learn_neighbour6(iface, src, *rs.source_mac, false, now);
    link::RouterAdvertiser& adv = *iface.advertiser;
    if (!adv.next) return;  // our link-local address is not usable yet: we advertise then
    // 6.2.6: answered by a multicast advertisement after a random delay of up to half a
    // second, never sooner than 3 s after the previous one.
    Instant at = now + Duration(static_cast<Duration::rep>(
                           random_below(static_cast<std::uint64_t>(max_ra_delay_time.count()))));
    if (adv.last_sent && at < *adv.last_sent + min_delay_between_ras)
        at = *adv.last_sent + min_delay_between_ras;
    if (at < *adv.next) adv.next = at;
}

void Stack::Impl::send_router_advertisement(link::Interface& iface,
                                            std::chrono::seconds router_lifetime) {
    const auto* source = iface.usable_link_local();
    if (!source || !iface.advertiser) return;
    const RouterAdvertConfig& c = iface.advertiser->config;
    NdpRepr ra{.type = wire::Icmpv6Type::router_advertisement,
               .cur_hop_limit = config.ipv6.default_hop_limit,
               .router_lifetime = static_cast<std::uint16_t>(router_lifetime.count()),
               .source_mac = iface.mac};
    if (c.advertise_mtu) ra.mtu = static_cast<std::uint32_t>(iface.mtu);
    for (const Ipv6Cidr& p : c.prefixes) {
        ra.prefixes[ra.prefix_count++] = wire::NdpPrefixInfo{
            .prefix_len = p.prefix_len,
            .on_link = true,
            .autonomous = true,
            .valid_lifetime = lifetime_field(c.valid_lifetime),
            .preferred_lifetime = lifetime_field(c.preferred_lifetime),
            .prefix = p.network(),
        };
    }
    const Ipv6Address dst = Ipv6Address::all_nodes();
    ++stats.ndp.tx_router_advertisements;
    send_nd(iface, source->address.address, dst, dst.multicast_mac(), ra, Instant{});
}

void Stack::Impl::poll_router_advertisements(Instant now) {
    for (auto& i : interfaces) {
        if (!i || !i->advertiser) continue;
        link::RouterAdvertiser& adv = *i->advertiser;
        if (!adv.next || now < *adv.next) continue;
        if (!i->usable_link_local()) {  // lost (removed): wait for the next one
            adv.next.reset();
            continue;
        }
        if (i->up && is_shard_zero()) send_router_advertisement(*i, adv.config.router_lifetime);
        adv.last_sent = now;
        ++adv.sent;
        adv.next = now + next_advertisement_interval(adv);
    }
}

}  // namespace netstack
