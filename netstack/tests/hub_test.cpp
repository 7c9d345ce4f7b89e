// Several stacks on one MemoryHub: ping (small and fragmented) and UDP between them, with and
// without a lossy link.
#include <gtest/gtest.h>

#include <deque>

#include "harness.hpp"
#include "netstack/middleware.hpp"

namespace nstest {
namespace {

// A stack with one interface on the hub: 10.0.0.<n>, MAC 02:00:00:00:00:<n>.
struct Node {
    explicit Node(std::uint8_t n) : address(ip(10, 0, 0, n)) {}
    Ipv4Address address;
    MemoryDevice wire;
    std::unique_ptr<FaultInjector> faults;  // between the stack and the wire, when asked
    std::unique_ptr<Stack> stack;
    InterfaceId id = 0;
};

class Segment {
  public:
    explicit Segment(std::size_t count, std::optional<FaultConfig> faults = std::nullopt) {
        for (std::size_t i = 0; i < count; ++i) {
            const auto n = static_cast<std::uint8_t>(i + 1);
            Node& node = nodes.emplace_back(n);
            StackConfig config;
            config.seed = n;
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
            hub.attach(*node.stack, node.id, node.wire);
        }
    }

    // Runs the wire and the timers until `done` or `limit` of simulated time, in 1 ms steps.
    template <typename Done>
    bool run_until(Done done, Duration limit = 5s) {
        const Instant end = clock.now() + limit;
        while (clock.now() < end) {
            hub.deliver(clock.now());
            if (done()) return true;
            clock.advance(1ms);
            for (auto& node : nodes)
                node.stack->poll(clock.now());
        }
        return done();
    }

    bool ping(std::size_t from, std::size_t to, std::size_t size, std::uint16_t seq = 1) {
        Stack& stack = *nodes[from].stack;
        const auto p = stack.ping_open();
        EXPECT_TRUE(p);
        EXPECT_TRUE(stack.ping_send(*p, nodes[to].address, seq, size, clock.now()));
        std::optional<EchoReply> reply;
        run_until([&] {
            if (auto r = stack.ping_receive(*p)) reply = *r;
            return reply.has_value();
        });
        EXPECT_TRUE(stack.close(*p));
        if (!reply) return false;
        EXPECT_EQ(reply->from, nodes[to].address);
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

}  // namespace
}  // namespace nstest
