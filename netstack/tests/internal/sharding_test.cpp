// Two shards of one stack (same MAC and address, Shard{0,2} and Shard{1,2}) and a peer on one
// segment: who answers, who receives, who ignores whom (stack.hpp's sharding rules).
#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "netstack/stack.hpp"
#include "wire/bytes.hpp"

namespace netstack {
namespace {

// Every member's transmissions reach every other member.
class Segment {
  public:
    struct Port : Device {
        TxStatus transmit(std::span<const std::byte> frame) override {
            out.emplace_back(frame.begin(), frame.end());
            return TxStatus::sent;
        }
        std::size_t max_frame() const override { return 1514; }
        std::deque<std::vector<std::byte>> out;
        Stack* stack = nullptr;
        InterfaceId id = 0;
    };

    Port& join(Stack& stack, MacAddress mac, Ipv4Cidr address, Instant now) {
        auto& port = ports_.emplace_back(std::make_unique<Port>());
        port->stack = &stack;
        port->id = *stack.add_interface({.name = "eth0", .mac = mac}, *port);
        EXPECT_TRUE(stack.add_address(port->id, address, now));
        return *port;
    }
    void run(Instant now) {
        for (int round = 0; round < 20; ++round) {
            bool moved = false;
            for (auto& from : ports_) {
                auto frames = std::move(from->out);
                from->out.clear();
                for (auto& f : frames) {
                    moved = true;
                    for (auto& to : ports_)
                        if (to != from) to->stack->receive(to->id, f, now);
                }
            }
            if (!moved) return;
        }
    }

  private:
    std::vector<std::unique_ptr<Port>> ports_;
};

const MacAddress shared_mac{{0x02, 0, 0, 0, 0, 0x10}};
const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x20}};

struct Sharded {
    ManualClock clock;
    Stack shard0{StackConfig{.shard = {0, 2}}};
    Stack shard1{StackConfig{.shard = {1, 2}}};
    Stack peer{StackConfig{.seed = 9}};
    Segment segment;
    Sharded() {
        const auto ours = *Ipv4Cidr::parse("10.0.0.1/24");
        segment.join(shard0, shared_mac, ours, clock.now());
        segment.join(shard1, shared_mac, ours, clock.now());
        segment.join(peer, peer_mac, *Ipv4Cidr::parse("10.0.0.2/24"), clock.now());
        segment.run(clock.now());
    }
};

TEST(Sharding, OneAnswerPerPingAndArpRequest) {
    Sharded s;
    const auto p = *s.peer.ping_open();
    ASSERT_TRUE(s.peer.ping_send(p, *Ipv4Address::parse("10.0.0.1"), 1, 32, s.clock.now()));
    s.segment.run(s.clock.now());
    ASSERT_TRUE(s.peer.ping_receive(p));
    EXPECT_FALSE(s.peer.ping_receive(p)) << "exactly one reply";
    EXPECT_EQ(s.shard0.stats().arp.tx_replies, 1u);
    EXPECT_EQ(s.shard1.stats().arp.tx_replies, 0u);
    EXPECT_EQ(s.shard0.stats().icmp.tx_echo_replies, 1u);
    EXPECT_EQ(s.shard1.stats().ipv4.drop_not_owner, 1u);
    // Each shard saw the other's gratuitous ARP and dropped it as its own.
    EXPECT_GE(s.shard1.stats().ethernet.drop_own_source, 1u);
    // Both learnt the peer from its request.
    EXPECT_EQ(s.shard0.neighbours().size(), 1u);
    EXPECT_EQ(s.shard1.neighbours().size(), 1u);
}

TEST(Sharding, UdpGoesToThePortsShardAndBack) {
    Sharded s;
    const auto server = *s.shard1.udp_open();
    ASSERT_TRUE(s.shard1.udp_bind(server, {Ipv4Address::any(), 7001}));
    const auto client = *s.peer.udp_open();
    const std::string msg = "to shard 1";
    ASSERT_TRUE(s.peer.udp_send_to(client, wire::as_bytes(msg), *Endpoint::parse("10.0.0.1:7001"),
                                   s.clock.now()));
    s.segment.run(s.clock.now());
    std::array<std::byte, 64> buf{};
    auto got = s.shard1.udp_receive(server, buf);
    ASSERT_TRUE(got);
    EXPECT_EQ(s.shard0.stats().udp.drop_no_socket, 0u) << "not shard 0's port: no ICMP error";
    EXPECT_EQ(s.shard0.stats().ipv4.drop_not_owner, 1u);

    // A shard-1 client's ephemeral port is odd, so the answer comes back to shard 1.
    const auto c1 = *s.shard1.udp_open();
    ASSERT_TRUE(s.shard1.udp_send_to(c1, wire::as_bytes(msg), got->from, s.clock.now()));
    EXPECT_EQ(s.shard1.udp_local(c1)->port % 2, 1);
    s.segment.run(s.clock.now());
    auto at_peer = s.peer.udp_receive(client, buf);
    ASSERT_TRUE(at_peer);
    ASSERT_TRUE(s.peer.udp_send_to(client, wire::as_bytes(msg), at_peer->from, s.clock.now()));
    s.segment.run(s.clock.now());
    EXPECT_TRUE(s.shard1.udp_receive(c1, buf));
}

TEST(Sharding, EchoRepliesGoToTheIdsShard) {
    Sharded s;
    const auto p1 = *s.shard1.ping_open();
    EXPECT_EQ(*s.shard1.ping_id(p1) % 2, 1);
    ASSERT_TRUE(s.shard1.ping_send(p1, *Ipv4Address::parse("10.0.0.2"), 3, 8, s.clock.now()));
    s.segment.run(s.clock.now());
    EXPECT_TRUE(s.shard1.ping_receive(p1));
    EXPECT_EQ(s.shard0.stats().ipv4.drop_not_owner, 1u) << "shard 0 saw the reply too";
}

}  // namespace
}  // namespace netstack
