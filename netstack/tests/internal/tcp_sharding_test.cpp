// The sharding rule for TCP (stack.hpp) with 1, 2 and 3 shards of one host (same MAC and
// address, every shard reading every frame) and a peer on a MemoryHub: each connection is
// accepted by exactly the shard its 4-tuple hashes to, no other shard answers (no RST, no
// duplicate SYN-ACK), and a shard's connect picks a port that lands on itself.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "netstack/memory_device.hpp"
#include "netstack/stack.hpp"

namespace netstack {
namespace {

const MacAddress host_mac{{0x02, 0, 0, 0, 0, 0x10}};
const Ipv4Address host_ip = Ipv4Address::from_octets(10, 0, 0, 1);
const Ipv4Address peer_ip = Ipv4Address::from_octets(10, 0, 0, 2);

struct Host {
    explicit Host(std::uint32_t count) {
        for (std::uint32_t i = 0; i < count; ++i) {
            auto& shard = shards.emplace_back(std::make_unique<Shard>(i, count));
            shard->iface =
                *shard->stack.add_interface({.name = "eth0", .mac = host_mac}, shard->device);
            EXPECT_TRUE(shard->stack.add_address(shard->iface, {host_ip, 24}, clock.now()));
            hub.attach(shard->stack, shard->iface, shard->device);
            shard->listener = *shard->stack.tcp_open();
            EXPECT_TRUE(shard->stack.tcp_bind(shard->listener, {Ipv4Address::any(), 80}));
            EXPECT_TRUE(shard->stack.tcp_listen(shard->listener, 64));
        }
        peer_iface = *peer.add_interface({.name = "eth0"}, peer_device);
        EXPECT_TRUE(peer.add_address(peer_iface, {peer_ip, 24}, clock.now()));
        hub.attach(peer, peer_iface, peer_device);
    }
    struct Shard {
        Shard(std::uint32_t index, std::uint32_t count)
            : stack(StackConfig{.shard = {index, count}, .seed = 7}) {}
        MemoryDevice device;
        Stack stack;
        InterfaceId iface = 0;
        SocketId listener = 0;
        std::vector<SocketId> accepted;
    };
    void run() {
        for (int i = 0; i < 10; ++i) {
            hub.deliver(clock.now());
            clock.advance(std::chrono::milliseconds(1));
            for (auto& s : shards)
                s->stack.poll(clock.now());
            peer.poll(clock.now());
        }
    }

    ManualClock clock;
    MemoryHub hub;
    std::vector<std::unique_ptr<Shard>> shards;
    MemoryDevice peer_device;
    Stack peer{StackConfig{.seed = 99}};
    InterfaceId peer_iface = 0;
};

class TcpSharding : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(TcpSharding, EachConnectionLivesOnTheShardItsHashNames) {
    const std::uint32_t count = GetParam();
    Host host(count);
    constexpr int connections = 12;
    std::vector<SocketId> clients;
    for (int i = 0; i < connections; ++i) {
        clients.push_back(*host.peer.tcp_open());
        ASSERT_TRUE(host.peer.tcp_connect(clients.back(), {host_ip, 80}, host.clock.now()));
    }
    host.run();
    std::size_t accepted = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
        auto& shard = *host.shards[i];
        while (auto s = shard.stack.tcp_accept(shard.listener)) {
            const auto info = *shard.stack.tcp_info(*s);
            EXPECT_EQ(tcp_flow_hash(info.local, info.remote) % count, i);
            ++accepted;
        }
        EXPECT_EQ(shard.stack.stats().tcp.tx_resets, 0u) << "shard " << i;
        if (count > 1) {
            EXPECT_GT(shard.stack.stats().tcp.drop_not_owner, 0u);
        }
    }
    EXPECT_EQ(accepted, static_cast<std::size_t>(connections));
    for (SocketId c : clients)
        EXPECT_EQ(host.peer.tcp_info(c)->state, TcpState::established);
    EXPECT_EQ(host.peer.stats().tcp.rx_resets, 0u);
    // The counters sum to what the peer sent, each segment counted by one shard only.
    std::uint64_t rx = 0;
    for (auto& s : host.shards)
        rx += s->stack.stats().tcp.rx_segments;
    EXPECT_EQ(rx, host.peer.stats().tcp.tx_segments);
}

TEST_P(TcpSharding, ConnectPicksAPortThatLandsOnTheCallingShard) {
    const std::uint32_t count = GetParam();
    Host host(count);
    const SocketId l = *host.peer.tcp_open();
    ASSERT_TRUE(host.peer.tcp_bind(l, {Ipv4Address::any(), 8080}));
    ASSERT_TRUE(host.peer.tcp_listen(l, 64));
    std::vector<SocketId> sockets;
    for (auto& shard : host.shards) {
        sockets.push_back(*shard->stack.tcp_open());
        ASSERT_TRUE(shard->stack.tcp_connect(sockets.back(), {peer_ip, 8080}, host.clock.now()));
    }
    host.run();
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto info = *host.shards[i]->stack.tcp_info(sockets[i]);
        EXPECT_EQ(info.state, TcpState::established) << "shard " << i;
        EXPECT_EQ(tcp_flow_hash(info.local, info.remote) % count, i);
    }
}

INSTANTIATE_TEST_SUITE_P(Shards, TcpSharding, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace netstack
