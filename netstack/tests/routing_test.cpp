// Routing: longest prefix, metric, gateways, and forwarding between interfaces (RFC 1812).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace nstest {
namespace {

constexpr MacAddress eth1_mac = mac(0x11);
constexpr MacAddress far_mac = mac(0x12);
constexpr Ipv4Address eth1_ip = ip(10, 0, 1, 1);
constexpr Ipv4Address far_ip = ip(10, 0, 1, 2);

Route route(Ipv4Cidr destination, std::optional<Ipv4Address> gateway, InterfaceId interface,
            std::uint32_t metric = 0) {
    Route r;
    r.destination = destination;
    r.gateway = gateway;
    r.interface = interface;
    r.metric = metric;
    return r;
}

TEST(Routing, LongestPrefixThenLowestMetric) {
    Harness h;
    ASSERT_TRUE(h.stack.add_route(route(cidr(ip(10, 1, 0, 0), 16), ip(10, 0, 0, 254), h.eth0, 10)));
    ASSERT_TRUE(h.stack.add_route(route(cidr(ip(10, 1, 0, 0), 16), ip(10, 0, 0, 253), h.eth0, 5)));
    ASSERT_TRUE(h.stack.add_route(route(cidr(ip(10, 1, 2, 0), 24), ip(10, 0, 0, 252), h.eth0, 50)));

    auto r = h.stack.lookup_route(ip(10, 1, 2, 3));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->destination, cidr(ip(10, 1, 2, 0), 24));
    EXPECT_EQ(r->gateway, ip(10, 0, 0, 252));
    r = h.stack.lookup_route(ip(10, 1, 3, 3));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->gateway, ip(10, 0, 0, 253));
    EXPECT_EQ(r->metric, 5u);
    r = h.stack.lookup_route(ip(10, 0, 0, 9));
    ASSERT_TRUE(r) << "add_address adds the on-link prefix route";
    EXPECT_EQ(r->destination, cidr(ip(10, 0, 0, 0), 24));
    EXPECT_FALSE(r->gateway);
    EXPECT_FALSE(h.stack.lookup_route(ip(192, 168, 0, 1)));

    ASSERT_TRUE(
        h.stack.remove_route(route(cidr(ip(10, 1, 2, 0), 24), ip(10, 0, 0, 252), h.eth0, 50)));
    EXPECT_EQ(h.stack.lookup_route(ip(10, 1, 2, 3))->gateway, ip(10, 0, 0, 253));
}

TEST(Routing, RejectsBadRoutes) {
    Harness h;
    const auto bad = [&](const Route& r, ConfigError expected) {
        const auto result = h.stack.add_route(r);
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error(), expected);
    };
    bad(route(cidr(ip(10, 9, 0, 0), 33), std::nullopt, h.eth0), ConfigError::invalid);
    bad(route(cidr(ip(10, 9, 0, 0), 16), ip(192, 168, 1, 1), h.eth0), ConfigError::invalid);
    bad(route(cidr(ip(10, 9, 0, 0), 16), std::nullopt, 99), ConfigError::no_such_interface);
    ASSERT_TRUE(h.stack.add_route(route(cidr(ip(10, 9, 0, 0), 16), ip(10, 0, 0, 254), h.eth0)));
    bad(route(cidr(ip(10, 9, 0, 0), 16), ip(10, 0, 0, 254), h.eth0), ConfigError::exists);
    const auto missing =
        h.stack.remove_route(route(cidr(ip(10, 8, 0, 0), 16), std::nullopt, h.eth0));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), ConfigError::not_found);
}

TEST(Routing, DefaultGatewayCarriesOffLinkTraffic) {
    Harness h;
    constexpr Ipv4Address gateway = ip(10, 0, 0, 254);
    ASSERT_TRUE(h.stack.add_route(route(cidr(Ipv4Address::any(), 0), gateway, h.eth0)));
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(h.stack.udp_send_to(*s, text("dns?"), {ip(8, 8, 8, 8), 53}, h.now()));
    auto out = h.sent();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].arp);
    EXPECT_EQ(out[0].arp->target_ip, gateway) << "resolves the gateway, not the destination";
    h.inject(
        arp_frame({.op = 2, .sender_mac = mac(0xfe), .sender_ip = gateway, .target_mac = our_mac}));
    out = ip_frames(h.sent(), proto::udp);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst, mac(0xfe));
    EXPECT_EQ(out[0].ip->dst, ip(8, 8, 8, 8));
    EXPECT_EQ(out[0].udp->dst_port, 53);
}

TEST(Routing, NoRouteIsAnError) {
    Harness h;
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    const auto sent = h.stack.udp_send_to(*s, text("x"), {ip(192, 168, 9, 9), 53}, h.now());
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error(), SocketError::no_route);
    const auto p = h.stack.ping_open();
    ASSERT_TRUE(p);
    const auto pinged = h.stack.ping_send(*p, ip(192, 168, 9, 9), 1, 8, h.now());
    ASSERT_FALSE(pinged);
    EXPECT_EQ(pinged.error(), SocketError::no_route);
    EXPECT_TRUE(h.sent().empty());
}

// eth0 10.0.0.1/24 (peer 10.0.0.2 known), eth1 10.0.1.1/24 (far host 10.0.1.2 known).
struct Router : Harness {
    explicit Router(bool forwarding, std::size_t eth1_mtu = 0) : Harness(config(forwarding)) {
        InterfaceConfig c = interface_config("eth1", eth1_mac);
        c.mtu = eth1_mtu;
        eth1 = add_interface(c, cidr(eth1_ip, 24));
        learn_peer();
        learn(far_mac, far_ip, eth1);
    }
    static StackConfig config(bool forwarding) {
        StackConfig c;
        c.forwarding = forwarding;
        return c;
    }
    InterfaceId eth1 = 0;
};

TEST(Forwarding, RoutesBetweenInterfacesAndDecrementsTtl) {
    Router r(true);
    r.inject(udp_frame(pattern(100), {}, {.dst = far_ip, .ttl = 10}));
    EXPECT_TRUE(r.sent(r.eth0).empty());
    const auto out = r.sent(r.eth1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].src, eth1_mac);
    EXPECT_EQ(out[0].dst, far_mac);
    ASSERT_TRUE(out[0].ip);
    EXPECT_EQ(out[0].ip->ttl, 9);
    EXPECT_TRUE(out[0].ip->checksum_ok);
    EXPECT_EQ(out[0].ip->src, peer_ip);
    ASSERT_TRUE(out[0].udp);
    EXPECT_EQ(out[0].udp->payload, pattern(100));
    EXPECT_TRUE(out[0].udp->checksum_ok);
    EXPECT_EQ(r.stats().ipv4.forwarded, 1u);
}

TEST(Forwarding, OffMeansNotForUs) {
    Router r(false);
    r.inject(udp_frame(pattern(100), {}, {.dst = far_ip}));
    EXPECT_TRUE(r.sent(r.eth0).empty());
    EXPECT_TRUE(r.sent(r.eth1).empty());
    EXPECT_EQ(r.stats().ipv4.drop_not_for_us, 1u);
    EXPECT_EQ(r.stats().ipv4.forwarded, 0u);
}

TEST(Forwarding, TtlExpiryAnswersTimeExceeded) {
    Router r(true);
    r.inject(udp_frame(pattern(20), {}, {.dst = far_ip, .ttl = 1, .id = 0x4242}));
    EXPECT_TRUE(r.sent(r.eth1).empty());
    const auto out = icmp_frames(r.sent(r.eth0), 11);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->code, 0);  // RFC 792: time to live exceeded in transit
    EXPECT_TRUE(out[0].icmp->checksum_ok);
    EXPECT_EQ(out[0].ip->dst, peer_ip);
    EXPECT_EQ(out[0].dst, peer_mac);
    const auto inner = parse_ipv4(out[0].icmp->payload, true);
    ASSERT_TRUE(inner) << "RFC 792: the offending header and 64 bits of its data";
    EXPECT_EQ(inner->id, 0x4242);
    EXPECT_EQ(inner->dst, far_ip);
    EXPECT_GE(inner->payload.size(), 8u);
    EXPECT_EQ(r.stats().ipv4.drop_ttl_exceeded, 1u);
    EXPECT_EQ(r.stats().icmp.tx_errors, 1u);
}

TEST(Forwarding, NoTimeExceededAboutAnIcmpError) {
    Router r(true);
    // RFC 1122 3.2.2: never an ICMP error about an ICMP error.
    const Bytes quoted = ipv4({.src = far_ip, .dst = peer_ip}, pattern(8));
    r.inject(ethernet(
        {}, ipv4({.dst = far_ip, .protocol = proto::icmp, .ttl = 1}, icmp(3, 3, 0, quoted))));
    EXPECT_TRUE(r.sent(r.eth0).empty());
    EXPECT_TRUE(r.sent(r.eth1).empty());
    EXPECT_EQ(r.stats().ipv4.drop_ttl_exceeded, 1u);
    EXPECT_EQ(r.stats().icmp.tx_errors, 0u);
}

TEST(Forwarding, NoTimeExceededAboutADirectedBroadcast) {
    Router r(true);
    // RFC 1122 3.2.2: 10.0.1.255 is eth1's directed broadcast, whatever interface the
    // datagram came in by.
    r.inject(udp_frame(pattern(20), {}, {.dst = ip(10, 0, 1, 255), .ttl = 1}));
    EXPECT_EQ(r.stats().ipv4.drop_ttl_exceeded, 1u);
    EXPECT_TRUE(r.sent(r.eth0).empty());
    EXPECT_EQ(r.stats().icmp.tx_errors, 0u);
}

TEST(Forwarding, NoTimeExceededAboutAClassESource) {
    Router r(true);
    ASSERT_TRUE(r.stack.add_route(route(cidr(ip(240, 0, 0, 0), 4), peer_ip, r.eth0, 0)));
    // RFC 1122 3.2.2: the source must name a single host; 240/4 is reserved (class E).
    r.inject(udp_frame(pattern(20), {}, {.src = ip(240, 0, 0, 5), .dst = far_ip, .ttl = 1}));
    EXPECT_EQ(r.stats().ipv4.drop_ttl_exceeded, 1u);
    EXPECT_TRUE(r.sent(r.eth0).empty());
    EXPECT_EQ(r.stats().icmp.tx_errors, 0u);
}

TEST(Forwarding, NoRouteIsCountedAndReported) {
    Router r(true);
    r.inject(udp_frame(pattern(20), {}, {.dst = ip(172, 16, 0, 1)}));
    EXPECT_EQ(r.stats().ipv4.drop_no_route, 1u);
    const auto out = icmp_frames(r.sent(r.eth0), 3);  // RFC 1812 5.2.7.1
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ip->dst, peer_ip);
}

TEST(Forwarding, DontFragmentTooBigAnswersFragNeeded) {
    Router r(true, 576);
    r.inject(udp_frame(pattern(1000), {}, {.dst = far_ip, .df = true}));
    EXPECT_TRUE(r.sent(r.eth1).empty());
    const auto out = icmp_frames(r.sent(r.eth0), 3);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->code, 4);              // fragmentation needed and DF set
    EXPECT_EQ(out[0].icmp->rest & 0xffff, 576u);  // RFC 1191: next-hop MTU
    EXPECT_EQ(r.stats().ipv4.drop_df_too_big, 1u);
}

TEST(Forwarding, FragmentsToSmallerMtu) {
    Router r(true, 576);
    r.inject(udp_frame(pattern(1000), {}, {.dst = far_ip}));
    const auto out = r.sent(r.eth1);
    ASSERT_EQ(out.size(), 2u);
    std::vector<ParsedIpv4> fragments;
    for (const auto& f : out) {
        ASSERT_TRUE(f.ip);
        EXPECT_LE(f.ip->total_length, 576);
        fragments.push_back(*f.ip);
    }
    const auto l4 = reassemble(fragments);
    ASSERT_TRUE(l4);
    EXPECT_EQ(l4->size(), 1008u);
    EXPECT_EQ(r.stats().ipv4.forwarded, 1u);
}

}  // namespace
}  // namespace nstest
