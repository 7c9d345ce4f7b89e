// Socket tables and the ICMP token bucket: port rules, sharding, readiness.
#include <gtest/gtest.h>

#include "ip/token_bucket.hpp"
#include "test_bytes.hpp"
#include "transport/ping_socket_table.hpp"
#include "transport/socket_events.hpp"
#include "transport/udp_socket_table.hpp"

namespace netstack::transport {
namespace {

using namespace std::chrono_literals;
using test::ip;

TEST(UdpSocketTable, EphemeralPortsBelongToTheShard) {
    UdpSocketTable t(Shard{.index = 2, .count = 3}, 7);
    for (SocketId id = 1; id <= 50; ++id) {
        t.insert(id, UdpSocket{});
        auto local = t.bind(id, {});
        ASSERT_TRUE(local);
        EXPECT_GE(local->port, ephemeral_first);
        EXPECT_EQ(local->port % 3, 2);
    }
}

TEST(UdpSocketTable, EphemeralPortsRunOut) {
    // Shard 0 of 8192 owns two ports of 49152..65535: 49152 and 57344.
    UdpSocketTable t(Shard{.index = 0, .count = 8192}, 1);
    for (SocketId id = 1; id <= 3; ++id)
        t.insert(id, UdpSocket{});
    EXPECT_TRUE(t.bind(1, {}));
    EXPECT_TRUE(t.bind(2, {}));
    EXPECT_EQ(t.bind(3, {}).error(), SocketError::no_ports);
    t.erase(1);
    EXPECT_TRUE(t.bind(3, {}));
}

TEST(UdpSocketTable, BindRulesAndMatching) {
    UdpSocketTable t(Shard{}, 1);
    for (SocketId id = 1; id <= 4; ++id)
        t.insert(id, UdpSocket{});
    ASSERT_TRUE(t.bind(1, {ip(10, 0, 0, 1), 53}));
    EXPECT_EQ(t.bind(2, {ip(10, 0, 0, 1), 53}).error(), SocketError::address_in_use);
    EXPECT_EQ(t.bind(2, {Ipv4Address::any(), 53}).error(), SocketError::address_in_use);
    ASSERT_TRUE(t.bind(2, {ip(10, 0, 0, 2), 53}));
    EXPECT_EQ(t.bind(1, {ip(10, 0, 0, 1), 54}).error(), SocketError::invalid) << "bound already";

    const Endpoint peer{ip(10, 0, 0, 9), 1000};
    EXPECT_EQ(t.match({ip(10, 0, 0, 1), 53}, peer, false), 1u);
    EXPECT_EQ(t.match({ip(10, 0, 0, 2), 53}, peer, false), 2u);
    EXPECT_FALSE(t.match({ip(10, 0, 0, 255), 53}, peer, true)) << "broadcasts: wildcard only";

    ASSERT_TRUE(t.bind(3, {Ipv4Address::any(), 67}));
    EXPECT_EQ(t.match({ip(10, 0, 0, 255), 67}, peer, true), 3u);
    t.find(3)->remote = Endpoint{ip(10, 0, 0, 8), 1000};
    EXPECT_FALSE(t.match({ip(10, 0, 0, 1), 67}, peer, false)) << "connected elsewhere";
    EXPECT_EQ(t.match({ip(10, 0, 0, 1), 67}, {ip(10, 0, 0, 8), 1000}, false), 3u);
}

// SO_REUSEADDR on both: one port, several sockets; the connected one takes its peer's
// datagrams, the last bound unconnected one the rest (iperf3's UDP server does this).
TEST(UdpSocketTable, ReuseAddressSharesAPortAndTheBestMatchWins) {
    UdpSocketTable t(Shard{}, 1);
    for (SocketId id = 1; id <= 4; ++id)
        t.insert(id, UdpSocket{});
    t.find(1)->reuse_address = true;
    t.find(2)->reuse_address = true;
    ASSERT_TRUE(t.bind(1, {ip(10, 0, 0, 1), 5201}));
    EXPECT_EQ(t.bind(3, {ip(10, 0, 0, 1), 5201}).error(), SocketError::address_in_use)
        << "only when both set it";
    ASSERT_TRUE(t.bind(2, {ip(10, 0, 0, 1), 5201}));
    const Endpoint first{ip(10, 0, 0, 9), 1000}, second{ip(10, 0, 0, 9), 1001};
    EXPECT_EQ(t.match({ip(10, 0, 0, 1), 5201}, first, false), 2u) << "the last bound";
    t.find(1)->remote = first;  // the first client's socket
    EXPECT_EQ(t.match({ip(10, 0, 0, 1), 5201}, first, false), 1u);
    EXPECT_EQ(t.match({ip(10, 0, 0, 1), 5201}, second, false), 2u);
    // A connected wildcard socket beats an unconnected specific one, as in Linux.
    t.find(4)->reuse_address = true;
    ASSERT_TRUE(t.bind(4, {Ipv4Address::any(), 5201}));
    t.find(4)->remote = second;
    EXPECT_EQ(t.match({ip(10, 0, 0, 1), 5201}, second, false), 4u);
    t.erase(1);
    EXPECT_EQ(t.match({ip(10, 0, 0, 1), 5201}, first, false), 2u);
}

TEST(UdpSocket, QueueLimitsAndEdges) {
    UdpSocket s{.max_datagrams = 2, .max_bytes = 10};
    const std::vector<std::byte> six(6);
    EXPECT_EQ(s.push({}, six), std::optional(true)) << "empty -> readable: an edge";
    EXPECT_EQ(s.push({}, std::span(six).first(4)), std::optional(false));
    EXPECT_FALSE(s.push({}, {})) << "datagram limit";
    s.queue.pop_front();
    s.queued_bytes -= 6;  // the 4-byte one is left
    EXPECT_EQ(s.push({}, six), std::optional(false)) << "4 + 6 <= 10 bytes fits";
    EXPECT_EQ(s.dropped_queue_full, 1u);
    UdpSocket small{.max_datagrams = 10, .max_bytes = 10};
    EXPECT_TRUE(small.push({}, six));
    EXPECT_FALSE(small.push({}, six)) << "byte limit";
}

TEST(PingSocketTable, IdsBelongToTheShard) {
    PingSocketTable t(Shard{.index = 1, .count = 4}, 3);
    for (SocketId id = 1; id <= 20; ++id) {
        auto echo_id = t.open(id, 8);
        ASSERT_TRUE(echo_id);
        EXPECT_EQ(*echo_id % 4, 1);
        EXPECT_EQ(t.find_by_echo_id(*echo_id), id);
    }
    const std::uint16_t first = t.find(1)->id;
    t.erase(1);
    EXPECT_FALSE(t.find_by_echo_id(first));
}

TEST(SocketEvents, MergesBitsAndForgets) {
    SocketEvents e;
    e.raise(5, socket_readable);
    e.raise(6, socket_readable);
    e.raise(5, socket_error);
    e.forget(6);
    std::vector<SocketEvent> out{{99, 1}};
    e.take(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].socket, 5u);
    EXPECT_EQ(out[0].bits, socket_readable | socket_error);
    e.take(out);
    EXPECT_TRUE(out.empty());
}

TEST(TokenBucket, BurstThenRate) {
    ManualClock clock;
    ip::TokenBucket bucket(10, 3);  // 3 at once, then one per 100 ms
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(bucket.take(clock.now()));
    EXPECT_FALSE(bucket.take(clock.now()));
    clock.advance(99ms);
    EXPECT_FALSE(bucket.take(clock.now()));
    clock.advance(1ms);
    EXPECT_TRUE(bucket.take(clock.now()));
    clock.advance(std::chrono::hours(24 * 365));  // refill is capped at the burst
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(bucket.take(clock.now()));
    EXPECT_FALSE(bucket.take(clock.now()));
    ip::TokenBucket unlimited(0, 0);
    for (int i = 0; i < 1000; ++i)
        EXPECT_TRUE(unlimited.take(clock.now()));
}

}  // namespace
}  // namespace netstack::transport
