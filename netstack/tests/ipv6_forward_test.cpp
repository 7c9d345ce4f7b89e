// IPv6 forwarding (RFC 8200, RFC 4443, RFC 4291 2.5): a router with two links, fed
// hand-built packets, and end to end between hosts on two hubs, with the router as one stack
// or as two shards. Manual clock, MemoryDevices and MemoryHubs.
#include <gtest/gtest.h>

#include <deque>

#include "harness.hpp"
#include "packets_ipv6.hpp"

namespace nstest {
namespace {

// Link 0: the router (our_mac, 2001:db8::1) and the peer (peer_mac, 2001:db8::2).
// Link 1: the router (eth1_mac, 2001:db8:1::1) and the far host (far_mac, 2001:db8:1::2).
constexpr MacAddress eth1_mac = mac(0x11);
constexpr MacAddress far_mac = mac(0x12);
constexpr Ipv6Address eth1_ip6 = ip6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
constexpr Ipv6Address far_ip6 = ip6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 2);
const Ipv6Address eth1_ll6 = Ipv6Address::link_local_from(eth1_mac);
const Ipv6Address far_ll6 = Ipv6Address::link_local_from(far_mac);

StackConfig router_config(bool forwarding) {
    StackConfig c;
    c.forwarding = forwarding;
    c.ipv6.enabled = true;
    c.ipv6.dad_transmits = 0;  // addresses usable at once
    return c;
}

Bytes udp_packet6(const Ipv6Spec& spec, const Bytes& payload) {
    return ipv6(spec, udp6({}, spec.src, spec.dst, payload));
}

class Ipv6Forward : public ::testing::Test {
  protected:
    explicit Ipv6Forward(bool forwarding = true, std::size_t eth1_mtu = 0)
        : h(router_config(forwarding), false) {
        eth0 = h.eth0 = h.add_interface(interface_config("eth0", our_mac), std::nullopt);
        InterfaceConfig c = interface_config("eth1", eth1_mac);
        c.mtu = eth1_mtu;
        eth1 = h.add_interface(c, std::nullopt);
        EXPECT_TRUE(h.stack.add_address(eth0, Ipv6Cidr{our_ip6, 64}, h.now()));
        EXPECT_TRUE(h.stack.add_address(eth1, Ipv6Cidr{eth1_ip6, 64}, h.now()));
        learn(eth0, peer_ip6, our_ip6, peer_mac);
        learn(eth0, peer_ll6, our_ll6, peer_mac);
        learn(eth1, far_ip6, eth1_ip6, far_mac);
        learn(eth1, far_ll6, eth1_ll6, far_mac);
        h.clear_sent();
    }

    // A neighbour asks for one of our addresses, telling its MAC (RFC 4861 7.2.3: we learn
    // it).
    void learn(InterfaceId id, const Ipv6Address& from, const Ipv6Address& ours, MacAddress mac) {
        const Ipv6Address group = solicited_node6(ours);
        h.inject(
            ipv6_frame({.src = from, .dst = group, .next_header = proto::icmpv6, .hop_limit = 255},
                       neighbor_solicitation(from, group, ours, nd_link_option(1, mac)),
                       EthernetSpec{.dst = group.multicast_mac(), .src = mac}),
            id);
    }

    // From the peer, to our MAC on link 0 (`eth`: another Ethernet header).
    void inject(const Bytes& packet, std::optional<EthernetSpec> eth = std::nullopt) {
        EthernetSpec e = eth.value_or(EthernetSpec{});
        e.type = ethertype::ipv6;
        h.inject(ethernet(e, packet), eth0);
    }

    std::vector<ParsedIpv6Frame> sent(InterfaceId id) {
        std::vector<ParsedIpv6Frame> out;
        for (const auto& frame : h.device(id).take_all()) {
            auto parsed = parse_ipv6_frame(frame);
            if (!parsed) {
                ADD_FAILURE() << "not an IPv6 frame: " << frame.size() << " bytes";
                continue;
            }
            if (parsed->icmp) {
                EXPECT_TRUE(parsed->icmp->checksum_ok);
            }
            out.push_back(std::move(*parsed));
        }
        return out;
    }

    // The one ICMPv6 error sent to the peer on link 0 (and nothing on link 1).
    ParsedIpv6Frame error_to_peer(std::uint8_t type, std::uint8_t code) {
        EXPECT_TRUE(sent(eth1).empty()) << "nothing forwarded";
        auto out = sent(eth0);
        if (out.size() != 1 || !out[0].icmp) {
            ADD_FAILURE() << out.size() << " frames on link 0, expected one ICMPv6 error";
            return {};
        }
        EXPECT_EQ(out[0].dst, peer_mac);
        EXPECT_EQ(out[0].ip.dst, peer_ip6);
        EXPECT_EQ(out[0].ip.src, our_ip6) << "from our address on the sender's link";
        EXPECT_EQ(out[0].icmp->type, type);
        EXPECT_EQ(out[0].icmp->code, code);
        return out[0];
    }

    const Ipv6Stats& stats() const { return h.stats().ipv6; }

    Harness h;
    InterfaceId eth0 = 0, eth1 = 0;
};

TEST_F(Ipv6Forward, RoutesToTheOtherLinkAndDecrementsTheHopLimit) {
    const Bytes datagram = udp6({}, peer_ip6, far_ip6, pattern(100));
    inject(ipv6({.src = peer_ip6,
                 .dst = far_ip6,
                 .hop_limit = 10,
                 .traffic_class = 0x2e,
                 .flow_label = 0x12345},
                datagram));
    EXPECT_TRUE(sent(eth0).empty());
    const auto out = sent(eth1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].src, eth1_mac);
    EXPECT_EQ(out[0].dst, far_mac);
    // Only the hop limit changes (IPv6 has no header checksum to patch).
    EXPECT_EQ(out[0].ip.hop_limit, 9);
    EXPECT_EQ(out[0].ip.src, peer_ip6);
    EXPECT_EQ(out[0].ip.dst, far_ip6);
    EXPECT_EQ(out[0].ip.traffic_class, 0x2e);
    EXPECT_EQ(out[0].ip.flow_label, 0x12345u);
    EXPECT_EQ(out[0].ip.next_header, proto::udp);
    EXPECT_EQ(out[0].ip.payload, datagram);
    EXPECT_EQ(stats().forwarded, 1u);
    EXPECT_EQ(h.stats().icmpv6.tx_errors, 0u);
}

TEST_F(Ipv6Forward, ResolvesAnUnknownNextHop) {
    const Ipv6Address stranger = ip6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 9);
    inject(udp_packet6({.src = peer_ip6, .dst = stranger}, pattern(10)));
    auto out = sent(eth1);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].icmp);
    EXPECT_EQ(out[0].icmp->type, icmpv6_type::neighbor_solicitation);
    EXPECT_EQ(out[0].ip.dst, solicited_node6(stranger));
    h.inject(
        ipv6_frame(
            {.src = stranger, .dst = eth1_ip6, .next_header = proto::icmpv6, .hop_limit = 255},
            neighbor_advertisement(stranger, eth1_ip6, stranger, {}, nd_link_option(2, mac(0x19))),
            EthernetSpec{.dst = eth1_mac, .src = mac(0x19)}),
        eth1);
    out = sent(eth1);
    ASSERT_EQ(out.size(), 1u) << "the packet waited for Neighbor Discovery";
    EXPECT_EQ(out[0].dst, mac(0x19));
    EXPECT_EQ(out[0].ip.dst, stranger);
    EXPECT_EQ(stats().forwarded, 1u);
}

TEST_F(Ipv6Forward, ThroughAGateway) {
    const Ipv6Address far_net = ip6(0x2001, 0xdb8, 7, 0, 0, 0, 0, 0);
    ASSERT_TRUE(h.stack.add_route(
        Ipv6Route{.destination = {far_net, 48}, .gateway = far_ll6, .interface = eth1}));
    const Ipv6Address dst = ip6(0x2001, 0xdb8, 7, 1, 0, 0, 0, 5);
    inject(udp_packet6({.src = peer_ip6, .dst = dst}, pattern(10)));
    const auto out = sent(eth1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst, far_mac) << "to the gateway's MAC";
    EXPECT_EQ(out[0].ip.dst, dst);
}

class Ipv6ForwardOff : public Ipv6Forward {
  protected:
    Ipv6ForwardOff() : Ipv6Forward(false) {}
};

TEST_F(Ipv6ForwardOff, NotForUs) {
    inject(udp_packet6({.src = peer_ip6, .dst = far_ip6}, pattern(10)));
    EXPECT_TRUE(sent(eth0).empty());
    EXPECT_TRUE(sent(eth1).empty());
    EXPECT_EQ(stats().drop_not_for_us, 1u);
    EXPECT_EQ(stats().forwarded, 0u);
}

TEST_F(Ipv6Forward, HopLimitOneAnswersTimeExceeded) {
    const Bytes packet =
        udp_packet6({.src = peer_ip6, .dst = far_ip6, .hop_limit = 1}, pattern(20));
    inject(packet);
    const auto error = error_to_peer(icmpv6_type::time_exceeded, 0);  // in transit
    ASSERT_TRUE(error.icmp);
    EXPECT_EQ(error.icmp->rest, 0u);
    EXPECT_EQ(error.icmp->body, packet) << "RFC 4443 3.3: the packet as it arrived";
    inject(udp_packet6({.src = peer_ip6, .dst = far_ip6, .hop_limit = 0}, pattern(20)));
    (void)error_to_peer(icmpv6_type::time_exceeded, 0);
    EXPECT_EQ(stats().drop_hop_limit, 2u);
    EXPECT_EQ(stats().forwarded, 0u);
    EXPECT_EQ(h.stats().icmpv6.tx_errors, 2u);
}

TEST_F(Ipv6Forward, NoTimeExceededAboutAnError) {
    // RFC 4443 2.4 (e.1).
    const Bytes quoted = udp_packet6({.src = far_ip6, .dst = peer_ip6}, pattern(8));
    inject(ipv6({.src = peer_ip6, .dst = far_ip6, .next_header = proto::icmpv6, .hop_limit = 1},
                icmpv6(peer_ip6, far_ip6, icmpv6_type::unreachable, 4, 0, quoted)));
    EXPECT_TRUE(sent(eth0).empty());
    EXPECT_EQ(stats().drop_hop_limit, 1u);
    EXPECT_EQ(h.stats().icmpv6.tx_errors, 0u);
}

TEST_F(Ipv6Forward, NoRouteAnswersUnreachable) {
    const Ipv6Address nowhere = ip6(0x2001, 0xdb8, 99, 0, 0, 0, 0, 1);
    const Bytes packet = udp_packet6({.src = peer_ip6, .dst = nowhere}, pattern(20));
    inject(packet);
    const auto error = error_to_peer(icmpv6_type::unreachable, 0);  // no route
    ASSERT_TRUE(error.icmp);
    EXPECT_EQ(error.icmp->body, packet);
    EXPECT_EQ(stats().drop_no_route, 1u);
}

class Ipv6ForwardSmallMtu : public Ipv6Forward {
  protected:
    Ipv6ForwardSmallMtu() : Ipv6Forward(true, 1280) {}
};

TEST_F(Ipv6ForwardSmallMtu, TooBigAnswersPacketTooBigWithTheMtu) {
    const Bytes fits = udp_packet6({.src = peer_ip6, .dst = far_ip6}, pattern(1280 - 48));
    ASSERT_EQ(fits.size(), 1280u);
    inject(fits);
    EXPECT_EQ(sent(eth1).size(), 1u) << "exactly the MTU passes";
    const Bytes packet = udp_packet6({.src = peer_ip6, .dst = far_ip6}, pattern(1400));
    inject(packet);
    const auto error = error_to_peer(icmpv6_type::too_big, 0);
    ASSERT_TRUE(error.icmp);
    EXPECT_EQ(error.icmp->rest, 1280u) << "RFC 4443 3.2: the next-hop link's MTU";
    // RFC 4443 2.4 (c): as much of the packet as fits in 1,280 bytes with the error's headers.
    EXPECT_EQ(error.icmp->body, Bytes(packet.begin(), packet.begin() + 1280 - 48));
    EXPECT_EQ(stats().drop_too_big, 1u);
    EXPECT_EQ(stats().forwarded, 1u);
    EXPECT_EQ(stats().fragments_sent, 0u) << "routers never fragment";
}

TEST_F(Ipv6Forward, LinkLocalSourceBeyondItsScopeIsReportedOnItsOwnLink) {
    // From link 1's link-local address toward the peer on link 0: the router sends the
    // error back on link 1 (fe80::/64 is on both links; the packet's link decides).
    const Bytes packet = udp_packet6({.src = far_ll6, .dst = peer_ip6}, pattern(20));
    h.inject(ethernet({.dst = eth1_mac, .src = far_mac, .type = ethertype::ipv6}, packet), eth1);
    EXPECT_TRUE(sent(eth0).empty()) << "never forwarded";
    const auto out = sent(eth1);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].icmp);
    EXPECT_EQ(out[0].icmp->type, icmpv6_type::unreachable);
    EXPECT_EQ(out[0].icmp->code, 2) << "RFC 4443 3.1: beyond scope of source address";
    EXPECT_EQ(out[0].ip.dst, far_ll6);
    EXPECT_EQ(out[0].ip.src, eth1_ll6);
    EXPECT_EQ(out[0].dst, far_mac);
    EXPECT_EQ(out[0].icmp->body, packet);
    EXPECT_EQ(stats().drop_scope, 1u);
}

TEST_F(Ipv6Forward, LinkLocalIsNeverForwarded) {
    // A link-local destination that is not ours, from a global or a link-local source.
    inject(udp_packet6({.src = peer_ip6, .dst = far_ll6}, pattern(20)));
    inject(udp_packet6({.src = peer_ll6, .dst = far_ll6}, pattern(20)));
    // A link-local source whose destination lies back on its own link: no other link is
    // involved, so no scope error, but a router does not forward it either.
    inject(
        udp_packet6({.src = peer_ll6, .dst = ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)}, pattern(20)));
    EXPECT_TRUE(sent(eth0).empty());
    EXPECT_TRUE(sent(eth1).empty());
    EXPECT_EQ(stats().drop_scope, 3u);
    EXPECT_EQ(stats().forwarded, 0u);
    EXPECT_EQ(h.stats().icmpv6.tx_errors, 0u);
}

TEST_F(Ipv6Forward, MulticastAndLinkBroadcastsAreNeverForwarded) {
    // A global-scope group, even in a frame sent to our MAC.
    const Ipv6Address group = ip6(0xff0e, 0, 0, 0, 0, 0, 0, 0x101);
    inject(udp_packet6({.src = peer_ip6, .dst = group}, pattern(20)));
    // A unicast destination in a link-layer broadcast or group frame (RFC 1812 5.3.4's rule).
    inject(udp_packet6({.src = peer_ip6, .dst = far_ip6}, pattern(20)),
           EthernetSpec{.dst = MacAddress::broadcast()});
    inject(udp_packet6({.src = peer_ip6, .dst = far_ip6}, pattern(20)),
           EthernetSpec{.dst = all_nodes6.multicast_mac()});
    EXPECT_TRUE(sent(eth0).empty());
    EXPECT_TRUE(sent(eth1).empty());
    EXPECT_EQ(stats().drop_not_for_us, 3u);
    EXPECT_EQ(stats().forwarded, 0u);
}

TEST_F(Ipv6Forward, UnspecifiedAndV4MappedAddressesAreNotRouted) {
    inject(udp_packet6({.src = Ipv6Address::any(), .dst = far_ip6}, pattern(20)));
    EXPECT_EQ(stats().drop_bad_source, 1u);
    inject(udp_packet6({.src = peer_ip6, .dst = Ipv6Address::any()}, pattern(20)));
    inject(udp_packet6({.src = peer_ip6, .dst = Ipv6Address::v4_mapped(ip(10, 0, 1, 2))},
                       pattern(20)));
    inject(
        udp_packet6({.src = Ipv6Address::v4_mapped(ip(10, 0, 0, 2)), .dst = far_ip6}, pattern(20)));
    EXPECT_EQ(stats().drop_unroutable, 3u);
    EXPECT_TRUE(sent(eth0).empty());
    EXPECT_TRUE(sent(eth1).empty());
    EXPECT_EQ(stats().forwarded, 0u);
}

TEST_F(Ipv6Forward, HopByHopOptionsAreProcessedAndTheRestIsNot) {
    const Bytes payload = udp6({}, peer_ip6, far_ip6, pattern(20));
    // An unknown option whose action bits say "skip" (00): forwarded, header untouched.
    const Bytes skip = ipv6_options_header(proto::udp, ipv6_option(0x1e, pattern(2)), payload);
    inject(ipv6({.src = peer_ip6, .dst = far_ip6, .next_header = proto::hop_by_hop}, skip));
    auto out = sent(eth1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ip.payload, skip);
    // A routing header with segments left and an unknown destination option that discards
    // with an error: the destination's to judge, not the router's (RFC 8200 4).
    const Bytes later =
        routing_header(proto::dest_opts, 0, 1,
                       ipv6_options_header(proto::udp, ipv6_option(0x80, pattern(2)), payload));
    inject(ipv6({.src = peer_ip6, .dst = far_ip6, .next_header = proto::routing}, later));
    out = sent(eth1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ip.payload, later);
    EXPECT_EQ(stats().forwarded, 2u);
    // An unknown hop-by-hop option whose action bits say "discard, parameter problem" (10).
    const Bytes packet =
        ipv6({.src = peer_ip6, .dst = far_ip6, .next_header = proto::hop_by_hop},
             ipv6_options_header(proto::udp, ipv6_option(0x80, pattern(2)), payload));
    inject(packet);
    const auto error = error_to_peer(icmpv6_type::param_problem, 2);
    ASSERT_TRUE(error.icmp);
    EXPECT_EQ(error.icmp->rest, 42u) << "the option's type byte";
    EXPECT_EQ(error.icmp->body, packet);
    // And "discard silently" (01).
    inject(ipv6({.src = peer_ip6, .dst = far_ip6, .next_header = proto::hop_by_hop},
                ipv6_options_header(proto::udp, ipv6_option(0x40, pattern(2)), payload)));
    EXPECT_TRUE(sent(eth0).empty());
    EXPECT_TRUE(sent(eth1).empty());
    EXPECT_EQ(stats().drop_bad_extension, 2u);
    EXPECT_EQ(stats().forwarded, 2u);
}

// --- end to end: hosts on two hubs --------------------------------------------------------

constexpr Ipv6Address host_a = ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xa);
constexpr Ipv6Address host_b = ip6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0xb);
constexpr MacAddress router_mac0 = mac(0x20), router_mac1 = mac(0x21);

// Host A (link 0) and host B (link 1), each with a default route through the router's
// link-local address on its link; the router as `shards` stacks sharing its MACs, as the
// shards of one daemon do on a bus.
class TwoLinks {
  public:
    explicit TwoLinks(std::uint32_t shards) {
        a = add_host(0, mac(0x0a), host_a, router_mac0);
        b = add_host(1, mac(0x0b), host_b, router_mac1);
        for (std::uint32_t i = 0; i < shards; ++i) {
            StackConfig config;
            config.ipv6.enabled = true;
            config.forwarding = true;
            config.shard = {i, shards};
            Member& r = add(config);
            const auto id0 = r.add_link(interface_config("eth0", router_mac0), hubs[0]);
            const auto id1 = r.add_link(interface_config("eth1", router_mac1), hubs[1]);
            EXPECT_TRUE(r.stack->add_address(
                id0, Ipv6Cidr{ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 64}, now()));
            EXPECT_TRUE(r.stack->add_address(
                id1, Ipv6Cidr{ip6(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1), 64}, now()));
            routers.push_back(&r);
        }
        // Duplicate Address Detection: one solicitation, a second's wait.
        run_until([] { return false; }, 1100ms);
    }

    struct Member {
        std::deque<MemoryDevice> wires;  // borrowed by the stack: declared first, freed last
        std::unique_ptr<Stack> stack;
        InterfaceId add_link(const InterfaceConfig& config, MemoryHub& hub) {
            MemoryDevice& wire = wires.emplace_back();
            const auto id = stack->add_interface(config, wire);
            EXPECT_TRUE(id);
            hub.attach(*stack, *id, wire);
            return *id;
        }
    };

    Instant now() const { return clock.now(); }

    // Runs both links and every stack's timers until `done` or `limit`, in 1 ms steps.
    template <typename Done>
    bool run_until(Done done, Duration limit = 5s) {
        return run_simulated(
            clock,
            [&](Instant now) {
                for (auto& hub : hubs)
                    hub.deliver(now);
            },
            [&](Instant now) {
                for (auto& m : members)
                    m.stack->poll(now);
            },
            done, limit);
    }

    // A ping of `size` bytes from `from` to `to`: the reply, if one came.
    std::optional<EchoReply> ping(Stack& from, const Ipv6Address& to, std::size_t size = 56,
                                  std::uint16_t seq = 1) {
        const auto p = from.ping_open();
        EXPECT_TRUE(p);
        EXPECT_TRUE(from.ping_send(*p, to, seq, size, now()));
        std::optional<EchoReply> reply;
        run_until([&] {
            if (auto r = from.ping_receive(*p)) reply = *r;
            return reply.has_value();
        });
        EXPECT_TRUE(from.close(*p));
        return reply;
    }

    std::uint64_t forwarded() const {
        std::uint64_t n = 0;
        for (const Member* r : routers)
            n += r->stack->stats().ipv6.forwarded;
        return n;
    }

    ManualClock clock;
    MemoryHub hubs[2];
    std::deque<Member> members;
    std::vector<Member*> routers;
    Stack* a = nullptr;
    Stack* b = nullptr;

  private:
    Member& add(const StackConfig& config) {
        Member& m = members.emplace_back();
        m.stack = std::make_unique<Stack>(config);
        return m;
    }

    Stack* add_host(std::size_t link, MacAddress host_mac, const Ipv6Address& address,
                    MacAddress router_mac) {
        StackConfig config;
        config.ipv6.enabled = true;
        Member& m = add(config);
        const auto id = m.add_link(interface_config("eth0", host_mac), hubs[link]);
        EXPECT_TRUE(m.stack->add_address(id, Ipv6Cidr{address, 64}, now()));
        EXPECT_TRUE(
            m.stack->add_route(Ipv6Route{.destination = {Ipv6Address::any(), 0},
                                         .gateway = Ipv6Address::link_local_from(router_mac),
                                         .interface = id}));
        return m.stack.get();
    }
};

TEST(Ipv6ForwardEndToEnd, PingAcrossTheRouter) {
    TwoLinks net(1);
    const auto reply = net.ping(*net.a, host_b, 56);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->from, IpAddress(host_b));
    EXPECT_TRUE(reply->payload_ok);
    EXPECT_EQ(reply->ttl, 63) << "one hop: the reply's hop limit went down by one";
    EXPECT_EQ(net.forwarded(), 2u) << "the request and the reply";
    const auto back = net.ping(*net.b, host_a, 1000, 2);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->from, IpAddress(host_a));
    EXPECT_EQ(net.forwarded(), 4u);
}

TEST(Ipv6ForwardEndToEnd, FragmentsFromTheSourcePassThrough) {
    TwoLinks net(1);
    // Both links' MTU is the device's (1,500): host A fragments a larger ping itself (only
    // sources fragment), every fragment fits, and the router forwards them as they are.
    const auto reply = net.ping(*net.a, host_b, 3000);
    ASSERT_TRUE(reply);
    EXPECT_EQ(net.routers[0]->stack->stats().ipv6.drop_too_big, 0u);
    EXPECT_EQ(net.routers[0]->stack->stats().ipv6.fragments_sent, 0u);
    EXPECT_GT(net.b->stats().ipv6.frag_reassembled, 0u);
}

TEST(Ipv6ForwardEndToEnd, TwoShardsSplitFlowsAndKeepBothDirectionsTogether) {
    TwoLinks net(2);
    // More destinations on host B, so that the address pairs spread over both shards.
    const auto b_link = net.b->interfaces().front().id;
    std::vector<Ipv6Address> targets{host_b};
    for (std::uint16_t n = 0x10; n < 0x18; ++n) {
        const Ipv6Address extra = ip6(0x2001, 0xdb8, 1, 0, 0, 0, 0, n);
        ASSERT_TRUE(net.b->add_address(b_link, Ipv6Cidr{extra, 64}, net.now()));
        targets.push_back(extra);
    }
    net.run_until([] { return false; }, 1100ms);  // DAD of the new addresses
    std::size_t used[2] = {0, 0};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        std::uint64_t before[2], not_owner_before[2];
        for (std::size_t s = 0; s < 2; ++s) {
            before[s] = net.routers[s]->stack->stats().ipv6.forwarded;
            not_owner_before[s] = net.routers[s]->stack->stats().ipv6.drop_not_owner;
        }
        const auto reply = net.ping(*net.a, targets[i], 56, static_cast<std::uint16_t>(i));
        ASSERT_TRUE(reply) << targets[i].to_string();
        std::uint64_t delta[2], not_owner[2];
        for (std::size_t s = 0; s < 2; ++s) {
            delta[s] = net.routers[s]->stack->stats().ipv6.forwarded - before[s];
            not_owner[s] = net.routers[s]->stack->stats().ipv6.drop_not_owner - not_owner_before[s];
        }
        // Request and reply, both on one shard; the other saw both and left them.
        EXPECT_TRUE((delta[0] == 2 && delta[1] == 0) || (delta[0] == 0 && delta[1] == 2))
            << targets[i].to_string() << ": " << delta[0] << " + " << delta[1];
        const std::size_t owner = delta[0] == 2 ? 0 : 1;
        EXPECT_EQ(not_owner[1 - owner], 2u) << targets[i].to_string();
        ++used[owner];
    }
    EXPECT_GT(used[0], 0u) << "some flows on shard 0";
    EXPECT_GT(used[1], 0u) << "some flows on shard 1";
}

}  // namespace
}  // namespace nstest
