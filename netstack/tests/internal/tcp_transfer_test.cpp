// Two stacks on a MemoryHub whose links lose, duplicate and reorder frames (FaultInjector):
// bulk data in both directions at once arrives intact (same length, same FNV-1a hash).
#include <cstdio>

#include "tcp_transfer_rig.hpp"

namespace netstack {
namespace {

using namespace transfertest;

// To one of our own addresses: segments are delivered in-stack after each call.
TEST(TcpTransfer, ToOurOwnAddress) {
    ManualClock clock;
    MemoryDevice device;
    Stack stack;
    const InterfaceId id = *stack.add_interface({.name = "eth0"}, device);
    const Ipv4Address self = Ipv4Address::from_octets(10, 0, 0, 1);
    ASSERT_TRUE(stack.add_address(id, {self, 24}, clock.now()));
    device.clear();  // the gratuitous ARP
    const SocketId l = *stack.tcp_open();
    ASSERT_TRUE(stack.tcp_bind(l, {self, 7}));
    ASSERT_TRUE(stack.tcp_listen(l, 1));
    const SocketId c = *stack.tcp_open();
    ASSERT_TRUE(stack.tcp_connect(c, {self, 7}, clock.now()));
    const SocketId s = *stack.tcp_accept(l);
    std::vector<std::byte> data(200000);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = stream_byte(i, 3);
    std::vector<std::byte> got;
    std::array<std::byte, 8192> buffer{};
    std::size_t sent = 0;
    for (int i = 0; i < 10000 && got.size() < data.size(); ++i) {
        if (auto n = stack.tcp_send(c, std::span(data).subspan(sent), clock.now())) sent += *n;
        while (auto n = stack.tcp_receive(s, buffer, clock.now())) {
            if (*n == 0) break;
            got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*n));
        }
        clock.advance(1ms);
        stack.poll(clock.now());
    }
    EXPECT_EQ(got, data);
    EXPECT_EQ(device.size(), 0u);  // nothing went to the link
}

// A client that connects to a server of its own stack again and again, closing first each
// time (a TIME-WAIT per connection), 40,000 times in 4 s (the ephemeral range has 28,232
// ports): every connect succeeds. With room for all the TIME-WAITs, each 4-tuple is taken
// over from TIME-WAIT once it is a second old; with room for 1000, the others close at once
// (counted), and either way TIME-WAITs do not count against max_connections.
void connect_again_and_again(std::size_t max_connections, std::uint64_t reused_at_least,
                             std::uint64_t overflow_at_least) {
    ManualClock clock;
    MemoryDevice device;
    StackConfig config;
    config.tcp.max_connections = max_connections;
    Stack stack(config);
    const InterfaceId id = *stack.add_interface({.name = "eth0"}, device);
    const Ipv4Address self = Ipv4Address::from_octets(10, 0, 0, 1);
    ASSERT_TRUE(stack.add_address(id, {self, 24}, clock.now()));
    const SocketId l = *stack.tcp_open();
    ASSERT_TRUE(stack.tcp_bind(l, {self, 7}));
    ASSERT_TRUE(stack.tcp_listen(l, 16));
    std::array<std::byte, 16> buffer{};
    for (int i = 0; i < 40'000; ++i) {
        const SocketId c = *stack.tcp_open();
        const auto connected = stack.tcp_connect(c, {self, 7}, clock.now());
        ASSERT_TRUE(connected) << "connection " << i << ": " << describe(connected.error());
        const auto s = stack.tcp_accept(l);
        ASSERT_TRUE(s) << "connection " << i;
        ASSERT_TRUE(stack.tcp_close(c, clock.now()));      // we close first: TIME-WAIT here
        (void)stack.tcp_receive(*s, buffer, clock.now());  // the FIN
        ASSERT_TRUE(stack.tcp_close(*s, clock.now()));
        clock.advance(100us);
        stack.poll(clock.now());
    }
    EXPECT_GE(stack.stats().tcp.time_wait_reused, reused_at_least);
    EXPECT_GE(stack.stats().tcp.time_wait_overflow, overflow_at_least);
    EXPECT_EQ(stack.stats().tcp.drop_connection_limit, 0u);
}

TEST(TcpTransfer, ManyShortConnectionsToOurOwnAddressReuseTimeWait) {
    connect_again_and_again(50'000, 10'000, 0);
}

TEST(TcpTransfer, ManyShortConnectionsToOurOwnAddressOverflowTimeWait) {
    connect_again_and_again(1000, 0, 38'000);
}

// ACKs of new data confirm the peer's neighbour entry: a minute of steady traffic needs no
// ARP after the first resolution (without the confirmation the entry goes stale after
// reachable_time and a unicast probe follows).
TEST(TcpTransfer, AcknowledgedDataKeepsTheNeighbourReachable) {
    ManualClock clock;
    StackConfig ca, cb;
    ca.seed = 21;  // the seed derives the MAC: the two must differ
    cb.seed = 22;
    Side a(1, {}, ca), b(2, {}, cb);
    a.iface = *a.stack.add_interface({.name = "eth0"}, a.memory);
    b.iface = *b.stack.add_interface({.name = "eth0"}, b.memory);
    const Ipv4Address ip_b = Ipv4Address::from_octets(10, 0, 0, 2);
    ASSERT_TRUE(
        a.stack.add_address(a.iface, {Ipv4Address::from_octets(10, 0, 0, 1), 24}, clock.now()));
    ASSERT_TRUE(b.stack.add_address(b.iface, {ip_b, 24}, clock.now()));
    MemoryHub hub;
    hub.attach(a.stack, a.iface, a.memory);
    hub.attach(b.stack, b.iface, b.memory);
    const SocketId listener = *b.stack.tcp_open();
    ASSERT_TRUE(b.stack.tcp_bind(listener, {Ipv4Address::any(), 9000}));
    ASSERT_TRUE(b.stack.tcp_listen(listener, 1));
    a.socket = *a.stack.tcp_open();
    ASSERT_TRUE(a.stack.tcp_connect(a.socket, {ip_b, 9000}, clock.now()));
    hub.deliver(clock.now());
    b.socket = *b.stack.tcp_accept(listener);
    const auto requests_after_handshake = a.stack.stats().arp.tx_requests;
    std::uint64_t total = 0;
    for (int step = 0; step < 600; ++step) {  // 60 s, 100 ms apart
        total += 1000;
        a.pump(total, clock.now());
        hub.deliver(clock.now());
        b.pump(0, clock.now());
        clock.advance(100ms);
        a.stack.poll(clock.now());
        b.stack.poll(clock.now());
        hub.deliver(clock.now());
    }
    EXPECT_EQ(b.received, total);
    EXPECT_EQ(a.stack.stats().arp.tx_requests, requests_after_handshake);
    const auto entries = a.stack.neighbours();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].state, NeighbourState::reachable);
}

TEST(TcpTransfer, CleanLinkBothWays) {
    transfer_both_ways(0, 0, 0, 8 << 20);
}

TEST(TcpTransfer, OnePercentLossReorderDuplicateBothWays) {
    transfer_both_ways(0.01, 0.01, 0.01, 8 << 20);
}

TEST(TcpTransfer, FivePercentLossReorderDuplicateBothWays) {
    transfer_both_ways(0.05, 0.02, 0.02, 8 << 20);
}

// An urgent byte every 50,000 under loss, reordering and duplication: retransmissions carry
// the pointer, a reordered older one is not replayed, and each out-of-band byte taken at its
// mark (or left as data when a newer mark came first) puts the stream back together.
TEST(TcpTransfer, UrgentBytesAmidBulkDataUnderLoss) {
    const auto r = transfer_both_ways(0.02, 0.02, 0.02, 4 << 20, {}, 50'000);
    EXPECT_EQ(r.urgent_sent, 2u * ((4u << 20) / 50'000));
    EXPECT_GT(r.urgent_taken, 0u);
    EXPECT_LE(r.urgent_taken, r.urgent_sent);
    EXPECT_GT(r.stats_a.urgent_received + r.stats_b.urgent_received, 0u);
    std::printf("urgent bytes: %llu sent, %llu taken out of band\n",
                static_cast<unsigned long long>(r.urgent_sent),
                static_cast<unsigned long long>(r.urgent_taken));
}

}  // namespace
}  // namespace netstack
