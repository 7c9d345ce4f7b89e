// Several stacks on one MemoryHub: ping (small and fragmented) and UDP between them, with and
// without a lossy link; IPv6 between them (Neighbor Discovery, ping, TCP, a dual-stack
// listener).
#include <gtest/gtest.h>

#include <deque>

#include "harness.hpp"
#include "netstack/middleware.hpp"
#include "packets_ipv6.hpp"

namespace nstest {
namespace {

// A stack with one interface on the hub: 10.0.0.<n>, MAC 02:00:00:00:00:<n>; with IPv6 also
// 2001:db8::<n>/64 and its link-local address.
struct Node {
    explicit Node(std::uint8_t n)
        : address(ip(10, 0, 0, n)), address6(ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, n)) {}
    Ipv4Address address;
    Ipv6Address address6;
    MemoryDevice wire;
    std::unique_ptr<FaultInjector> faults;  // between the stack and the wire, when asked
    std::unique_ptr<Stack> stack;
    InterfaceId id = 0;
};

class Segment {
  public:
    explicit Segment(std::size_t count, std::optional<FaultConfig> faults = std::nullopt,
                     bool ipv6 = false) {
        for (std::size_t i = 0; i < count; ++i) {
            const auto n = static_cast<std::uint8_t>(i + 1);
            Node& node = nodes.emplace_back(n);
            StackConfig config;
            config.seed = n;
            config.ipv6.enabled = ipv6;
            node.stack = std::make_unique<Stack>(config);
            Device* device = &node.wire;
            if (faults) {
                FaultConfig f = *faults;
                f.seed += n;
                node.faults = std::make_unique<FaultInjector>(node.wire, f);
                device = node.faults.get();
            }
            node.id = *node.stack->add_interface(interface_config("eth0", mac(n)), *device);
            EXPECT_TRUE(node.stack->add_address(node.id, cidr(node.address, 24), clock.now()));
            if (ipv6) {
                EXPECT_TRUE(
                    node.stack->add_address(node.id, Ipv6Cidr{node.address6, 64}, clock.now()));
            }
            hub.attach(*node.stack, node.id, node.wire);
        }
        // Duplicate Address Detection: one solicitation, a second's wait.
        if (ipv6) run_until([] { return false; }, 1100ms);
    }

    // Runs the wire and the timers until `done` or `limit` of simulated time, in 1 ms steps.
    template <typename Done>
    bool run_until(Done done, Duration limit = 5s) {
        return run_simulated(
            clock, [&](Instant now) { hub.deliver(now); },
            [&](Instant now) {
                for (auto& node : nodes)
                    node.stack->poll(now);
            },
            done, limit);
    }

    bool ping(std::size_t from, std::size_t to, std::size_t size, std::uint16_t seq = 1) {
        return ping_address(from, nodes[to].address, size, seq);
    }

    bool ping_address(std::size_t from, const IpAddress& to, std::size_t size,
                      std::uint16_t seq = 1) {
        Stack& stack = *nodes[from].stack;
        const auto p = stack.ping_open();
        EXPECT_TRUE(p);
        EXPECT_TRUE(stack.ping_send(*p, to, seq, size, clock.now()));
        std::optional<EchoReply> reply;
        run_until([&] {
            if (auto r = stack.ping_receive(*p)) reply = *r;
            return reply.has_value();
        });
        EXPECT_TRUE(stack.close(*p));
        if (!reply) return false;
        EXPECT_EQ(reply->from, to);
        EXPECT_EQ(reply->seq, seq);
        EXPECT_EQ(reply->payload_size, size);
        EXPECT_TRUE(reply->payload_ok);
        return true;
    }

    ManualClock clock;
    std::deque<Node> nodes;
    MemoryHub hub;
};

TEST(Hub, TwoStacksPing) {
    Segment net(2);
    EXPECT_TRUE(net.ping(0, 1, 56));
    EXPECT_TRUE(net.ping(1, 0, 56));
    EXPECT_EQ(net.nodes[1].stack->stats().icmp.tx_echo_replies, 1u);
}

TEST(Hub, LargePingsFragmentAndReassemble) {
    Segment net(2);
    EXPECT_TRUE(net.ping(0, 1, 8000));
    for (const auto& node : net.nodes) {
        EXPECT_EQ(node.stack->stats().ipv4.frag_reassembled, 1u);
        EXPECT_EQ(node.stack->stats().ipv4.fragments_sent, 6u);  // 8,008 bytes / 1,480
    }
}

TEST(Hub, UdpBothWays) {
    Segment net(2);
    Stack& a = *net.nodes[0].stack;
    Stack& b = *net.nodes[1].stack;
    const auto sa = a.udp_open();
    const auto sb = b.udp_open();
    ASSERT_TRUE(sa && sb);
    ASSERT_TRUE(b.udp_bind(*sb, {Ipv4Address::any(), 7}));
    ASSERT_TRUE(a.udp_connect(*sa, {net.nodes[1].address, 7}));
    ASSERT_TRUE(a.udp_send(*sa, text("ping"), net.clock.now()));
    Bytes buffer(100);
    std::optional<Datagram> got;
    ASSERT_TRUE(net.run_until([&] {
        if (auto d = b.udp_receive(*sb, buffer)) got = *d;
        return got.has_value();
    }));
    EXPECT_EQ(got->from.address, net.nodes[0].address);
    // Echo it back to where it came from.
    ASSERT_TRUE(b.udp_send_to(*sb, text("pong"), got->from, net.clock.now()));
    std::optional<Datagram> back;
    ASSERT_TRUE(net.run_until([&] {
        if (auto d = a.udp_receive(*sa, buffer)) back = *d;
        return back.has_value();
    }));
    EXPECT_EQ(back->from, (Endpoint{net.nodes[1].address, 7}));
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + 4), text("pong"));
}

TEST(Hub, ThreeStacksPingEachOtherAndHearBroadcasts) {
    Segment net(3);
    for (std::size_t from = 0; from < 3; ++from)
        for (std::size_t to = 0; to < 3; ++to)
            if (from != to) {
                EXPECT_TRUE(net.ping(from, to, 100)) << from << " -> " << to;
            }
    EXPECT_TRUE(net.ping(2, 0, 8000));

    std::vector<SocketId> listeners;
    for (std::size_t i = 1; i < 3; ++i) {
        const auto s = net.nodes[i].stack->udp_open();
        ASSERT_TRUE(s);
        ASSERT_TRUE(net.nodes[i].stack->udp_bind(*s, {Ipv4Address::any(), 9000}));
        listeners.push_back(*s);
    }
    Stack& a = *net.nodes[0].stack;
    const auto s = a.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(a.udp_send_to(*s, text("all"), {Ipv4Address::broadcast(), 9000}, net.clock.now()));
    Bytes buffer(16);
    std::size_t heard = 0;
    ASSERT_TRUE(net.run_until([&] {
        for (std::size_t i = 1; i < 3; ++i)
            if (net.nodes[i].stack->udp_receive(listeners[i - 1], buffer)) ++heard;
        return heard == 2;
    }));
}

TEST(Hub, PingsGetThroughALossyLink) {
    Segment net(
        2, FaultConfig{.seed = 42, .drop = 0.2, .duplicate = 0.1, .corrupt = 0.05, .reorder = 0.1});
    std::size_t replies = 0;
    for (std::uint16_t seq = 0; seq < 40; ++seq) {
        Stack& stack = *net.nodes[0].stack;
        const auto p = stack.ping_open();
        ASSERT_TRUE(p);
        // ARP requests and replies get lost too (and entries age out over the run): resend
        // every 100 ms for up to 10 s, long enough for several ARP resolutions.
        bool got = false;
        for (int attempt = 0; attempt < 100 && !got; ++attempt) {
            const auto sent = stack.ping_send(*p, net.nodes[1].address, seq, 200, net.clock.now());
            ASSERT_TRUE(sent) << describe(sent.error());
            got = net.run_until(
                [&] {
                    const auto reply = stack.ping_receive(*p);
                    // Checksums must keep corrupted echoes from passing as good ones.
                    if (reply) {
                        EXPECT_TRUE(reply->payload_ok);
                    }
                    return reply.has_value();
                },
                100ms);
            for (auto& node : net.nodes)
                node.faults->release_held();
        }
        replies += got ? 1 : 0;
        ASSERT_TRUE(stack.close(*p));
    }
    EXPECT_EQ(replies, 40u) << "with retries every ping gets through";
    const auto& faults = net.nodes[0].faults->stats();
    EXPECT_GT(faults.dropped, 0u);
    EXPECT_GT(faults.duplicated, 0u);
    EXPECT_GT(faults.corrupted, 0u);
}

TEST(Hub, Ipv6PingsGlobalLinkLocalAndFragmented) {
    Segment net(2, std::nullopt, true);
    for (const auto& node : net.nodes)
        for (const auto& info : node.stack->interfaces())
            for (const auto& a : info.addresses6)
                EXPECT_EQ(a.state, Ipv6AddressState::preferred) << a.address.to_string();
    EXPECT_TRUE(net.ping_address(0, net.nodes[1].address6, 56));
    EXPECT_TRUE(net.ping_address(1, Ipv6Address::link_local_from(mac(1)), 56));
    EXPECT_TRUE(net.ping_address(0, net.nodes[1].address6, 8000));
    EXPECT_EQ(net.nodes[1].stack->stats().ipv6.frag_reassembled, 1u);
    EXPECT_EQ(net.nodes[0].stack->stats().ipv6.fragments_sent, 6u);  // 8,008 bytes / 1,448
    // IPv4 beside it, unchanged.
    EXPECT_TRUE(net.ping(0, 1, 56));
    bool learnt = false;
    for (const auto& n : net.nodes[0].stack->neighbours())
        learnt = learnt || (n.address == IpAddress(net.nodes[1].address6) && n.mac == mac(2));
    EXPECT_TRUE(learnt) << "Neighbor Discovery filled the cache";
}

TEST(Hub, Ipv6HostsConfigureThemselvesFromARouterOnTheLink) {
    Segment net(2, std::nullopt, true);
    Stack& router = *net.nodes[0].stack;
    Stack& host = *net.nodes[1].stack;
    const Ipv6Address prefix = ip6(0x2001, 0xdb8, 7, 0, 0, 0, 0, 0);
    const Ipv6Address router_address = ip6(0x2001, 0xdb8, 7, 0, 0, 0, 0, 1);
    ASSERT_TRUE(router.add_address(net.nodes[0].id, Ipv6Cidr{router_address, 64}, net.clock.now()));
    ASSERT_TRUE(router.set_router_advertisements(
        net.nodes[0].id, RouterAdvertConfig{.prefixes = {Ipv6Cidr{prefix, 64}}}, net.clock.now()));
    // The host's address in the prefix: mac(2)'s interface identifier.
    const Ipv6Address formed = ip6(0x2001, 0xdb8, 7, 0, 0, 0xff, 0xfe00, 2);
    const auto host_has_formed = [&] {
        for (const auto& info : host.interfaces())
            for (const auto& a : info.addresses6)
                if (a.address.address == formed && a.state == Ipv6AddressState::preferred)
                    return true;
        return false;
    };
    ASSERT_TRUE(net.run_until(host_has_formed, 3s)) << "advertised, formed, DAD over";
    EXPECT_EQ(host.stats().ndp.slaac_addresses, 1u);
    EXPECT_EQ(host.lookup_route(ip6(0x2001, 0xdb8, 99, 0, 0, 0, 0, 1))->gateway,
              Ipv6Address::link_local_from(mac(1)))
        << "the default route via the router's link-local address";
    EXPECT_TRUE(net.ping_address(1, router_address, 56));
    EXPECT_EQ(router.stats().ndp.tx_router_advertisements, 1u);
    EXPECT_EQ(router.stats().ndp.rx_router_advertisements, 0u);
    EXPECT_EQ(host.source_address(IpAddress(router_address)), IpAddress(formed));
}

// Sends `data` from `client` to `server` (connected sockets) and returns what arrived.
Bytes transfer(Segment& net, Stack& a, SocketId client, Stack& b, SocketId server,
               const Bytes& data) {
    Bytes received;
    std::size_t offset = 0;
    Bytes buffer(65536);
    net.run_until(
        [&] {
            if (offset < data.size()) {
                if (auto n = a.tcp_send(client, std::span(data).subspan(offset), net.clock.now()))
                    offset += *n;
            }
            while (auto n = b.tcp_receive(server, buffer, net.clock.now())) {
                if (*n == 0) break;
                received.insert(received.end(), buffer.begin(),
                                buffer.begin() + static_cast<std::ptrdiff_t>(*n));
            }
            return received.size() >= data.size();
        },
        30s);
    return received;
}

TEST(Hub, TcpOverIpv6AndADualStackListener) {
    Segment net(2, std::nullopt, true);
    Stack& a = *net.nodes[0].stack;
    Stack& b = *net.nodes[1].stack;
    const auto listener = b.tcp_open();
    ASSERT_TRUE(listener);
    ASSERT_TRUE(b.tcp_bind(*listener, {Ipv6Address::any(), 80}));
    ASSERT_TRUE(b.tcp_listen(*listener, 8));

    for (const IpAddress& to :
         {IpAddress(net.nodes[1].address6), IpAddress(net.nodes[1].address)}) {
        const auto client = a.tcp_open();
        ASSERT_TRUE(client);
        ASSERT_TRUE(a.tcp_connect(*client, {to, 80}, net.clock.now()));
        std::optional<SocketId> server;
        ASSERT_TRUE(net.run_until([&] {
            if (auto s = b.tcp_accept(*listener)) server = *s;
            return server.has_value();
        })) << to.to_string();
        const auto info = a.tcp_info(*client);
        ASSERT_TRUE(info);
        EXPECT_EQ(info->remote.address, to);
        EXPECT_EQ(info->peer_mss, to.is_v6() ? 1500u - 60u : 1500u - 40u);
        const Bytes data = pattern(200000);
        EXPECT_EQ(transfer(net, a, *client, b, *server, data), data) << to.to_string();
        ASSERT_TRUE(a.tcp_close(*client, net.clock.now()));
        ASSERT_TRUE(b.tcp_close(*server, net.clock.now()));
    }
    EXPECT_EQ(a.stats().tcp.retransmits, 0u);
}

// IPV6_V6ONLY: a v6-only listener on [::]:80 and an IPv4 one on 0.0.0.0:80 split the port by
// family, as in Linux; alone, the v6-only one refuses IPv4 with a RST.
TEST(Hub, AV6OnlyListenerSharesItsPortWithAnIpv4One) {
    Segment net(2, std::nullopt, true);
    Stack& a = *net.nodes[0].stack;
    Stack& b = *net.nodes[1].stack;
    auto listen_on = [&](const IpAddress& any, std::uint16_t port, bool v6_only) {
        const auto listener = b.tcp_open();
        EXPECT_TRUE(listener);
        EXPECT_TRUE(b.tcp_set_options(*listener, {.v6_only = v6_only}));
        EXPECT_TRUE(b.tcp_bind(*listener, {any, port}));
        EXPECT_TRUE(b.tcp_listen(*listener, 8));
        return *listener;
    };
    const SocketId only6 = listen_on(Ipv6Address::any(), 80, true);
    EXPECT_EQ(b.tcp_set_options(only6, {}).error(), SocketError::invalid) << "fixed once bound";
    const SocketId any4 = listen_on(Ipv4Address::any(), 80, false);
    const auto dual = b.tcp_open();
    ASSERT_TRUE(dual);
    EXPECT_EQ(b.tcp_bind(*dual, {Ipv6Address::any(), 80}).error(), SocketError::address_in_use);

    for (const IpAddress& to :
         {IpAddress(net.nodes[1].address), IpAddress(net.nodes[1].address6)}) {
        const auto client = a.tcp_open();
        ASSERT_TRUE(client);
        ASSERT_TRUE(a.tcp_connect(*client, {to, 80}, net.clock.now()));
        const SocketId right = to.is_v6() ? only6 : any4, wrong = to.is_v6() ? any4 : only6;
        std::optional<SocketId> server;
        ASSERT_TRUE(net.run_until([&] {
            if (auto s = b.tcp_accept(right)) server = *s;
            return server.has_value();
        })) << to.to_string();
        EXPECT_EQ(b.tcp_accept(wrong).error(), SocketError::would_block) << to.to_string();
        ASSERT_TRUE(a.tcp_close(*client, net.clock.now()));
        ASSERT_TRUE(b.tcp_close(*server, net.clock.now()));
    }

    // Without an IPv4 listener, an IPv4 SYN to the port is refused.
    ASSERT_TRUE(b.tcp_close(any4, net.clock.now()));
    const auto client = a.tcp_open();
    ASSERT_TRUE(client);
    ASSERT_TRUE(a.tcp_connect(*client, {net.nodes[1].address, 80}, net.clock.now()));
    std::optional<SocketError> refused;
    ASSERT_TRUE(net.run_until([&] { return (refused = a.tcp_take_error(*client)).has_value(); }));
    EXPECT_EQ(*refused, SocketError::connection_refused);
    EXPECT_EQ(b.tcp_accept(only6).error(), SocketError::would_block);

    // A v6-only socket refuses IPv4: its own address (EINVAL) and peers (ENETUNREACH).
    const auto other = b.tcp_open();
    ASSERT_TRUE(other);
    ASSERT_TRUE(b.tcp_set_options(*other, {.v6_only = true}));
    EXPECT_EQ(b.tcp_bind(*other, {net.nodes[1].address, 81}).error(), SocketError::invalid);
    EXPECT_EQ(b.tcp_connect(*other, {net.nodes[0].address, 80}, net.clock.now()).error(),
              SocketError::no_route);
}

}  // namespace
}  // namespace nstest
