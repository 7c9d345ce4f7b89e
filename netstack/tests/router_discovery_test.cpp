// Router discovery (RFC 4861 6) and stateless address autoconfiguration (RFC 4862 5.5), both
// sides: our stack as a host soliciting routers and configuring itself from a peer router's
// advertisements, and as a router advertising prefixes. On a manual clock, with packets built
// and read by packets_ipv6 (no code shared with wire/).
#include <gtest/gtest.h>

#include "ipv6_fixture.hpp"

namespace nstest {
namespace {

// 2001:db8:1::/64, the prefix the peer router advertises, and the address we form in it
// (our_mac's interface identifier, as in our_ll6).
constexpr Ipv6Address prefix1 = ip6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0);
constexpr Ipv6Address slaac_ip6 = ip6(0x2001, 0xdb8, 1, 0, 0, 0xff, 0xfe00, 1);
constexpr Ipv6Address off_link_ip6 = ip6(0x2001, 0xdb8, 99, 0, 0, 0, 0, 5);

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::uint32_t be32(const Bytes& b, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
        v = (v << 8) | std::to_integer<std::uint32_t>(b[at + i]);
    return v;
}

// The options of a Neighbor Discovery message (RFC 4861 4.6): type -> the option's bytes.
std::multimap<std::uint8_t, Bytes> nd_options(const Bytes& body, std::size_t from) {
    std::multimap<std::uint8_t, Bytes> out;
    while (from + 2 <= body.size()) {
        const std::size_t len = std::to_integer<std::size_t>(body[from + 1]) * 8;
        if (len == 0 || from + len > body.size()) {
            ADD_FAILURE() << "a malformed option at " << from;
            break;
        }
        out.emplace(std::to_integer<std::uint8_t>(body[from]),
                    Bytes(body.begin() + static_cast<std::ptrdiff_t>(from),
                          body.begin() + static_cast<std::ptrdiff_t>(from + len)));
        from += len;
    }
    return out;
}

MacAddress link_option_mac(const Bytes& option) {
    MacAddress m;
    for (std::size_t i = 0; i < 6; ++i)
        m.bytes[i] = std::to_integer<std::uint8_t>(option[2 + i]);
    return m;
}

class RouterDiscovery : public Ipv6 {
  protected:
    // The peer router's advertisement, from its link-local address to all nodes.
    void advertise(const RaSpec& ra, const Bytes& options, std::uint8_t hop_limit = 255,
                   Ipv6Address from = peer_ll6) {
        h.inject(ipv6_frame(
            {.src = from, .dst = all_nodes6, .next_header = proto::icmpv6, .hop_limit = hop_limit},
            router_advertisement(from, all_nodes6, ra, options),
            EthernetSpec{
                .dst = all_nodes6.multicast_mac(), .src = peer_mac, .type = ethertype::ipv6}));
    }
    // The peer host solicits routers, from its link-local address with its MAC.
    void solicit_router() {
        h.inject(ipv6_frame(
            {.src = peer_ll6, .dst = all_routers6, .next_header = proto::icmpv6, .hop_limit = 255},
            router_solicitation(peer_ll6, all_routers6, nd_link_option(1, peer_mac)),
            EthernetSpec{
                .dst = all_routers6.multicast_mac(), .src = peer_mac, .type = ethertype::ipv6}));
    }
    // RFC 4861 4.1, 4.2: router discovery goes from our link-local address to a link-scope
    // group, hop limit 255.
    static void expect_from_link_local_to(const Sent6& frame, const Ipv6Address& group) {
        EXPECT_EQ(frame.ip.src, our_ll6);
        EXPECT_EQ(frame.ip.dst, group);
        EXPECT_EQ(frame.dst, group.multicast_mac());
        EXPECT_EQ(frame.ip.hop_limit, 255);
    }
    void advertise_prefix(const PrefixSpec& prefix, std::uint16_t router_lifetime = 1800) {
        advertise({.router_lifetime = router_lifetime},
                  concat({nd_link_option(1, peer_mac), nd_prefix_option(prefix)}));
    }

    bool has_route(const Ipv6Route& route) {
        const auto routes = h.stack.routes6();
        return std::ranges::find(routes, route) != routes.end();
    }
    bool has_address(const Ipv6Address& a) {
        for (const auto& i : h.stack.interfaces())
            for (const auto& x : i.addresses6)
                if (x.address.address == a) return true;
        return false;
    }
    Ipv6Route default_via_peer() const {
        return {.destination = {Ipv6Address::any(), 0},
                .gateway = peer_ll6,
                .interface = eth0,
                .metric = Stack::advertised_route_metric};
    }
    Ipv6Route prefix1_route() const {
        return {.destination = {prefix1, 64},
                .interface = eth0,
                .metric = Stack::advertised_route_metric};
    }

    // When Router Advertisements were sent while time moved `d` on in 100 ms steps.
    std::vector<Instant> advertisement_times(Duration d) {
        std::vector<Instant> out;
        for (Duration t{}; t < d; t += 100ms) {
            h.advance(100ms);
            for (std::size_t n = of_type(sent6(), icmpv6_type::router_advertisement).size(); n > 0;
                 --n)
                out.push_back(h.now());
        }
        return out;
    }

    RouterAdvertConfig router_config() const {
        return {.prefixes = {Ipv6Cidr{prefix1, 64}}, .router_lifetime = 1800s};
    }
};

TEST_F(RouterDiscovery, RoutersAreSolicitedOnceTheLinkLocalAddressIsUsable) {
    h.advance(0ms);
    EXPECT_TRUE(of_type(sent6(), icmpv6_type::router_solicitation).empty()) << "not while DAD";
    h.advance(1s);
    auto rs = of_type(sent6(), icmpv6_type::router_solicitation);
    ASSERT_EQ(rs.size(), 1u);
    // RFC 4861 6.3.7: to all routers, with our link-layer address.
    expect_from_link_local_to(rs[0], all_routers6);
    const auto options = nd_options(rs[0].icmp->body, 0);
    ASSERT_EQ(options.count(1), 1u);
    EXPECT_EQ(link_option_mac(options.find(1)->second), our_mac);
    // RTR_SOLICITATION_INTERVAL apart, MAX_RTR_SOLICITATIONS in all.
    h.advance(3999ms);
    EXPECT_TRUE(of_type(sent6(), icmpv6_type::router_solicitation).empty());
    h.advance(1ms);
    EXPECT_EQ(of_type(sent6(), icmpv6_type::router_solicitation).size(), 1u);
    h.advance(4s);
    EXPECT_EQ(of_type(sent6(), icmpv6_type::router_solicitation).size(), 1u);
    h.advance(20s);
    EXPECT_TRUE(of_type(sent6(), icmpv6_type::router_solicitation).empty());
    EXPECT_EQ(h.stats().ndp.tx_router_solicitations, 3u);
}

TEST_F(RouterDiscovery, AnAdvertisementEndsTheSolicitations) {
    (void)finish_dad();
    advertise_prefix({});
    h.advance(20s);
    EXPECT_TRUE(of_type(sent6(), icmpv6_type::router_solicitation).empty());
    EXPECT_EQ(h.stats().ndp.tx_router_solicitations, 1u);
}

TEST_F(RouterDiscovery, AnAdvertisementGivesARouteAPrefixAnAddressAHopLimitAndAnMtu) {
    (void)finish_dad();
    advertise({.cur_hop_limit = 32, .router_lifetime = 1800},
              concat({nd_link_option(1, peer_mac), nd_mtu_option(1400),
                      nd_prefix_option({.valid = 86400, .preferred = 14400, .prefix = prefix1})}));
    EXPECT_TRUE(has_route(default_via_peer()));
    EXPECT_TRUE(has_route(prefix1_route()));
    auto formed = address_of(slaac_ip6);
    EXPECT_EQ(formed.address.prefix_len, 64);
    EXPECT_TRUE(formed.automatic);
    EXPECT_EQ(formed.state, Ipv6AddressState::tentative) << "RFC 4862 5.4: DAD first";
    EXPECT_EQ(formed.valid_until, h.now() + 86400s);
    EXPECT_EQ(formed.preferred_until, h.now() + 14400s);
    EXPECT_EQ(h.stats().ndp.slaac_addresses, 1u);
    bool router_known = false;
    for (const auto& n : h.stack.neighbours())
        if (n.address == IpAddress(peer_ll6)) {
            router_known = n.mac == peer_mac && n.is_router && n.state == NeighbourState::stale;
        }
    EXPECT_TRUE(router_known) << "RFC 4861 6.3.4: the source link-layer address, IsRouter";

    (void)finish_dad();
    EXPECT_EQ(address_of(slaac_ip6).state, Ipv6AddressState::preferred);
    // Off-link traffic goes to the router, from the formed address, with its hop limit.
    const auto p = h.stack.ping_open();
    ASSERT_TRUE(p);
    ASSERT_TRUE(h.stack.ping_send(*p, IpAddress(off_link_ip6), 1, 56, h.now()));
    auto out = of_type(sent6(), icmpv6_type::echo_request);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst, peer_mac);
    EXPECT_EQ(out[0].ip.src, slaac_ip6);
    EXPECT_EQ(out[0].ip.dst, off_link_ip6);
    EXPECT_EQ(out[0].ip.hop_limit, 32);
    // The advertised MTU bounds our packets (fragmented at the source to fit).
    ASSERT_TRUE(h.stack.ping_send(*p, IpAddress(off_link_ip6), 2, 3000, h.now()));
    std::size_t fragments = 0;
    for (const auto& f : sent6()) {
        EXPECT_LE(f.ip.payload_length + 40u, 1400u);
        ++fragments;
    }
    EXPECT_EQ(fragments, 3u);  // 3,008 bytes of ICMPv6 in pieces of at most 1,352
}

TEST_F(RouterDiscovery, LifetimesDeprecateThenRemoveTheAddressAndTheRoutes) {
    (void)finish_dad();
    advertise_prefix({.valid = 20, .preferred = 10, .prefix = prefix1}, 30);
    (void)finish_dad();
    ASSERT_EQ(address_of(slaac_ip6).state, Ipv6AddressState::preferred);
    h.advance(9s);  // 10 s after the advertisement
    EXPECT_EQ(address_of(slaac_ip6).state, Ipv6AddressState::deprecated);
    // RFC 4862 5.5.4: a deprecated address still receives.
    h.inject(ipv6_frame({.src = peer_ip6, .dst = slaac_ip6, .next_header = proto::icmpv6},
                        icmpv6_echo(peer_ip6, slaac_ip6, true, 7, 1, Bytes(8))));
    EXPECT_EQ(h.stats().icmpv6.rx_echo_requests, 1u);
    h.advance(10s);
    EXPECT_FALSE(has_address(slaac_ip6));
    EXPECT_FALSE(has_route(prefix1_route()));
    EXPECT_FALSE(has_route({.destination = {prefix1, 64}, .interface = eth0}));
    EXPECT_EQ(h.stats().ndp.addresses_expired, 1u);
    EXPECT_TRUE(has_route(default_via_peer()));
    h.advance(10s);
    EXPECT_FALSE(has_route(default_via_peer()));
    EXPECT_EQ(h.stats().ndp.routers_expired, 2u);  // the prefix, then the router
}

TEST_F(RouterDiscovery, TheTwoHourRuleKeepsAShortValidLifetimeFromEndingAnAddress) {
    (void)finish_dad();
    advertise_prefix({.valid = 3 * 3600, .preferred = 3 * 3600, .prefix = prefix1});
    // RFC 4862 5.5.3 (e) 3: a short lifetime shortens a long remaining one to two hours only.
    advertise_prefix({.valid = 60, .preferred = 60, .prefix = prefix1});
    EXPECT_EQ(address_of(slaac_ip6).valid_until, h.now() + 2h);
    EXPECT_EQ(address_of(slaac_ip6).preferred_until, h.now() + 60s) << "taken as it comes";
    // (e) 2: with two hours or less remaining, a shorter one is ignored.
    h.advance(1h);
    advertise_prefix({.valid = 60, .preferred = 60, .prefix = prefix1});
    EXPECT_EQ(address_of(slaac_ip6).valid_until, h.now() + 1h);
    // (e) 1: a longer one is taken.
    advertise_prefix({.valid = 4 * 3600, .preferred = 60, .prefix = prefix1});
    EXPECT_EQ(address_of(slaac_ip6).valid_until, h.now() + 4h);
    EXPECT_EQ(h.stats().ndp.slaac_addresses, 1u) << "one address, refreshed";
}

TEST_F(RouterDiscovery, PrefixesThatCannotFormAnAddressAreIgnoredAndCounted) {
    (void)finish_dad();
    const Ipv6Address prefix48 = ip6(0x2001, 0xdb8, 2, 0, 0, 0, 0, 0);
    advertise_prefix({.prefix_len = 48, .prefix = prefix48});
    EXPECT_EQ(h.stats().ndp.prefixes_ignored, 1u) << "no 64-bit interface identifier fits";
    EXPECT_TRUE(has_route({.destination = {prefix48, 48},
                           .interface = eth0,
                           .metric = Stack::advertised_route_metric}))
        << "still on-link";
    advertise_prefix({.valid = 10, .preferred = 20, .prefix = prefix1});
    EXPECT_EQ(h.stats().ndp.prefixes_ignored, 2u) << "preferred past valid (5.5.3 c)";
    advertise_prefix({.prefix = ip6(0xfe80, 0, 0, 0, 0, 0, 0, 0)});
    EXPECT_EQ(h.stats().ndp.prefixes_ignored, 3u) << "the link-local prefix";
    EXPECT_FALSE(has_route({.destination = {ip6(0xfe80, 0, 0, 0, 0, 0, 0, 0), 64},
                            .interface = eth0,
                            .metric = Stack::advertised_route_metric}));
    advertise_prefix({.autonomous = false, .prefix = prefix1});
    EXPECT_TRUE(has_route(prefix1_route()));
    EXPECT_EQ(h.stats().ndp.slaac_addresses, 0u);
    EXPECT_FALSE(has_address(slaac_ip6));
}

TEST_F(RouterDiscovery, AFloodOfRoutersAndPrefixesIsBounded) {
    (void)finish_dad();
    // 20 routers, each with 4 prefixes of its own: 80 prefixes in all.
    for (std::uint16_t r = 1; r <= 20; ++r) {
        Bytes options = nd_link_option(1, peer_mac);
        for (std::uint16_t p = 0; p < 4; ++p) {
            const auto prefix = nd_prefix_option(
                {.prefix =
                     ip6(0x2001, 0xdb8, static_cast<std::uint16_t>(r * 8 + p), 0, 0, 0, 0, 0)});
            options.insert(options.end(), prefix.begin(), prefix.end());
        }
        advertise({}, options, 255, ip6(0xfe80, 0, 0, 0, 0, 0, 0, r));
    }
    std::size_t routers = 0, on_link = 0, formed = 0;
    for (const auto& route : h.stack.routes6()) {
        if (route.metric != Stack::advertised_route_metric) continue;
        (route.gateway ? routers : on_link) += 1;
    }
    for (const auto& info : h.stack.interfaces())
        for (const auto& a : info.addresses6)
            formed += a.automatic && !a.address.address.is_link_local();
    EXPECT_EQ(routers, 8u);
    EXPECT_EQ(on_link, 16u);
    EXPECT_EQ(formed, 16u);
    EXPECT_EQ(h.stats().ndp.ra_ignored, 12u);
    EXPECT_EQ(h.stats().ndp.prefixes_ignored, 64u + 64u);  // on-link and autonomous, each
    EXPECT_EQ(h.stats().ndp.slaac_addresses, 16u);
}

TEST_F(RouterDiscovery, ARouterLifetimeOfZeroEndsTheDefaultRoute) {
    (void)finish_dad();
    advertise_prefix({}, 1800);
    ASSERT_TRUE(has_route(default_via_peer()));
    advertise_prefix({}, 0);
    EXPECT_FALSE(has_route(default_via_peer()));
    // A configured default route is not touched, and wins over an advertised one.
    ASSERT_TRUE(h.stack.add_route(
        Ipv6Route{.destination = {Ipv6Address::any(), 0}, .gateway = peer_ll6, .interface = eth0}));
    advertise_prefix({}, 1800);
    advertise_prefix({}, 0);
    EXPECT_TRUE(has_route(
        {.destination = {Ipv6Address::any(), 0}, .gateway = peer_ll6, .interface = eth0}));
}

TEST_F(RouterDiscovery, ANeighbourThatIsNoLongerARouterLeavesTheRouterList) {
    (void)finish_dad();
    advertise_prefix({});
    ASSERT_TRUE(has_route(default_via_peer()));
    // RFC 4861 7.2.5: an advertisement with R clear from a neighbour known as a router.
    h.inject(ipv6_frame(
        {.src = peer_ll6, .dst = all_nodes6, .next_header = proto::icmpv6, .hop_limit = 255},
        neighbor_advertisement(peer_ll6, all_nodes6, peer_ll6,
                               {.router = false, .solicited = false, .override = true},
                               nd_link_option(2, peer_mac)),
        EthernetSpec{.dst = all_nodes6.multicast_mac(), .src = peer_mac, .type = ethertype::ipv6}));
    EXPECT_FALSE(has_route(default_via_peer()));
}

TEST_F(RouterDiscovery, AdvertisementsAreIgnoredWhileForwardingAndDroppedWhenInvalid) {
    (void)finish_dad();
    h.stack.set_forwarding(true);
    advertise_prefix({.prefix = prefix1});
    EXPECT_EQ(h.stats().ndp.ra_ignored, 1u);
    EXPECT_FALSE(has_route(default_via_peer()));
    EXPECT_FALSE(has_address(slaac_ip6));
    h.stack.set_forwarding(false);
    // RFC 4861 6.1.2: a hop limit below 255 (from off-link) or a source that is not
    // link-local.
    advertise({}, nd_prefix_option({.prefix = prefix1}), 64);
    advertise({}, nd_prefix_option({.prefix = prefix1}), 255, peer_ip6);
    EXPECT_EQ(h.stats().ndp.drop_invalid, 2u);
    EXPECT_FALSE(has_address(slaac_ip6));
}

// --- as a router -----------------------------------------------------------------------------

TEST_F(RouterDiscovery, ARouterAdvertisesItsPrefixesFromItsLinkLocalAddress) {
    ASSERT_TRUE(h.stack.set_router_advertisements(eth0, router_config(), h.now()));
    h.advance(0ms);
    EXPECT_TRUE(of_type(sent6(), icmpv6_type::router_advertisement).empty())
        << "not before the link-local address is usable";
    auto ra = of_type(finish_dad(), icmpv6_type::router_advertisement);
    ASSERT_EQ(ra.size(), 1u);
    expect_from_link_local_to(ra[0], all_nodes6);
    // Cur Hop Limit 64, no M or O, router lifetime 1800; reachable time and retrans timer
    // unspecified.
    EXPECT_EQ(ra[0].icmp->rest, (64u << 24) | 1800u);
    const Bytes& body = ra[0].icmp->body;
    ASSERT_GE(body.size(), 8u);
    EXPECT_EQ(be32(body, 0), 0u);
    EXPECT_EQ(be32(body, 4), 0u);
    const auto options = nd_options(body, 8);
    ASSERT_EQ(options.count(1), 1u);
    EXPECT_EQ(link_option_mac(options.find(1)->second), our_mac);
    ASSERT_EQ(options.count(5), 1u);
    EXPECT_EQ(be32(options.find(5)->second, 4), 1500u);
    ASSERT_EQ(options.count(3), 1u);
    const Bytes& prefix = options.find(3)->second;
    ASSERT_EQ(prefix.size(), 32u);
    EXPECT_EQ(std::to_integer<int>(prefix[2]), 64);
    EXPECT_EQ(std::to_integer<int>(prefix[3]), 0xc0) << "on-link and autonomous";
    EXPECT_EQ(be32(prefix, 4), 2592000u);
    EXPECT_EQ(be32(prefix, 8), 604800u);
    EXPECT_TRUE(std::equal(prefix.begin() + 16, prefix.end(),
                           reinterpret_cast<const std::byte*>(prefix1.bytes.data())));
    EXPECT_EQ(h.stats().ndp.tx_router_advertisements, 1u);
    EXPECT_TRUE(of_type(finish_dad(), icmpv6_type::router_solicitation).empty())
        << "a router does not solicit";

    // RFC 4861 6.2.4: the first three at most 16 s apart, then between the intervals.
    std::vector<Instant> times{h.now()};
    std::ranges::copy(advertisement_times(16s + 16s + 600s), std::back_inserter(times));
    ASSERT_EQ(times.size(), 4u);
    EXPECT_LE(times[1] - times[0], 16s);
    EXPECT_LE(times[2] - times[1], 16s);
    EXPECT_GE(times[3] - times[2], 200s);
    EXPECT_LE(times[3] - times[2], 600s);
}

TEST_F(RouterDiscovery, SolicitationsAreAnsweredSoonButNotTwiceWithinThreeSeconds) {
    ASSERT_TRUE(h.stack.set_router_advertisements(
        eth0, RouterAdvertConfig{.prefixes = {Ipv6Cidr{prefix1, 64}}, .min_interval = 200s},
        h.now()));
    (void)finish_dad();
    (void)advertisement_times(60s);  // past the initial ones
    solicit_router();
    EXPECT_EQ(h.stats().ndp.rx_router_solicitations, 1u);
    const auto first = advertisement_times(600ms);
    ASSERT_EQ(first.size(), 1u) << "MAX_RA_DELAY_TIME";
    solicit_router();
    const auto second = advertisement_times(4s);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_GE(second[0] - first[0], 3s) << "MIN_DELAY_BETWEEN_RAS";
    EXPECT_LE(second[0] - first[0], 3100ms);
    bool learnt = false;
    for (const auto& n : h.stack.neighbours())
        learnt = learnt || (n.address == IpAddress(peer_ll6) && n.mac == peer_mac && !n.is_router);
    EXPECT_TRUE(learnt) << "RFC 4861 6.2.6: the soliciting host, no router";
}

TEST_F(RouterDiscovery, AHostIgnoresSolicitationsAndAStoppingRouterSaysGoodbye) {
    (void)finish_dad();
    solicit_router();
    EXPECT_EQ(h.stats().ndp.rx_router_solicitations, 0u) << "all-routers is not joined";
    ASSERT_TRUE(h.stack.set_router_advertisements(eth0, router_config(), h.now()));
    EXPECT_EQ(of_type(sent6(), icmpv6_type::router_advertisement).size(), 1u);
    // RFC 4861 6.2.5: a last advertisement with a router lifetime of 0.
    ASSERT_TRUE(h.stack.set_router_advertisements(eth0, std::nullopt, h.now()));
    auto last = of_type(sent6(), icmpv6_type::router_advertisement);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].icmp->rest & 0xffffu, 0u);
    EXPECT_TRUE(advertisement_times(30s).empty());
}

TEST_F(RouterDiscovery, AdvertisementConfigurationsOutsideRfc4861AreRefused) {
    const auto refused = [&](RouterAdvertConfig c) {
        auto r = h.stack.set_router_advertisements(eth0, c, h.now());
        return !r && r.error() == ConfigError::invalid;
    };
    EXPECT_TRUE(refused({.prefixes = {Ipv6Cidr{prefix1, 80}}})) << "no /64 to form from";
    EXPECT_TRUE(refused({.prefixes = {Ipv6Cidr{our_ll6, 64}}}));
    EXPECT_TRUE(refused({.prefixes = {Ipv6Cidr{all_nodes6, 64}}}));
    EXPECT_TRUE(refused({.max_interval = 2s}));
    EXPECT_TRUE(refused({.min_interval = 500s, .max_interval = 600s})) << "over 0.75 max";
    EXPECT_TRUE(refused({.router_lifetime = 10s}));
    EXPECT_TRUE(refused({.valid_lifetime = 10s, .preferred_lifetime = 20s}));
    RouterAdvertConfig many;
    for (std::uint16_t i = 1; i <= 5; ++i)
        many.prefixes.push_back({ip6(0x2001, 0xdb8, i, 0, 0, 0, 0, 0), 64});
    EXPECT_TRUE(refused(many));
    EXPECT_FALSE(refused(router_config()));
    EXPECT_EQ(h.stack.set_router_advertisements(99, router_config(), h.now()).error(),
              ConfigError::no_such_interface);
}

}  // namespace
}  // namespace nstest
