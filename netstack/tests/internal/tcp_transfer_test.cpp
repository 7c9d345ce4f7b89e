// Two stacks on a MemoryHub whose links lose, duplicate and reorder frames (FaultInjector):
// bulk data in both directions at once arrives intact (same length, same FNV-1a hash).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>

#include "netstack/memory_device.hpp"
#include "netstack/middleware.hpp"
#include "netstack/stack.hpp"

namespace netstack {
namespace {

using namespace std::chrono_literals;

std::uint64_t fnv1a(std::uint64_t h, std::span<const std::byte> data) {
    for (auto b : data) {
        h ^= std::to_integer<std::uint64_t>(b);
        h *= 0x100000001b3ull;
    }
    return h;
}
constexpr std::uint64_t fnv_basis = 0xcbf29ce484222325ull;

// The byte at stream position i of the side `tag`.
std::byte stream_byte(std::uint64_t i, std::uint8_t tag) {
    return std::byte(static_cast<std::uint8_t>((i * 131 + (i >> 9) + tag) & 0xff));
}

struct Side {
    Side(std::uint64_t seed, FaultConfig faults, StackConfig config)
        : stack(config), faulty(memory, faults) {
        faults.seed = seed;
    }
    MemoryDevice memory;
    Stack stack;
    FaultInjector faulty;
    InterfaceId iface = 0;
    SocketId socket = 0;
    std::uint64_t sent = 0, received = 0;
    std::uint64_t sent_hash = fnv_basis, received_hash = fnv_basis;
    std::uint8_t tag = 0;

    void pump(std::uint64_t total, Instant now) {
        std::array<std::byte, 16384> chunk{};
        for (int i = 0; i < 64 && sent < total; ++i) {
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), total - sent));
            for (std::size_t k = 0; k < n; ++k)
                chunk[k] = stream_byte(sent + k, tag);
            auto r = stack.tcp_send(socket, std::span(chunk).first(n), now);
            if (!r) break;
            sent_hash = fnv1a(sent_hash, std::span(chunk).first(*r));
            sent += *r;
        }
        for (int i = 0; i < 256; ++i) {
            auto r = stack.tcp_receive(socket, chunk, now);
            if (!r || *r == 0) break;
            received_hash = fnv1a(received_hash, std::span(chunk).first(*r));
            received += *r;
        }
    }
};

struct TransferResult {
    Duration simulated{};
    double wall_seconds = 0;
};

TransferResult transfer_both_ways(double loss, double reorder, double duplicate,
                                  std::uint64_t total) {
    ManualClock clock;
    StackConfig ca, cb;
    ca.seed = 11;
    cb.seed = 12;
    const FaultConfig fa{.seed = 101, .drop = loss, .duplicate = duplicate, .reorder = reorder};
    const FaultConfig fb{.seed = 202, .drop = loss, .duplicate = duplicate, .reorder = reorder};
    Side a(101, fa, ca), b(202, fb, cb);
    a.tag = 1;
    b.tag = 2;
    a.iface = *a.stack.add_interface({.name = "eth0"}, a.faulty);
    b.iface = *b.stack.add_interface({.name = "eth0"}, b.faulty);
    EXPECT_TRUE(
        a.stack.add_address(a.iface, {Ipv4Address::from_octets(10, 0, 0, 1), 24}, clock.now()));
    EXPECT_TRUE(
        b.stack.add_address(b.iface, {Ipv4Address::from_octets(10, 0, 0, 2), 24}, clock.now()));
    MemoryHub hub;
    hub.attach(a.stack, a.iface, a.memory);
    hub.attach(b.stack, b.iface, b.memory);

    const SocketId listener = *b.stack.tcp_open();
    EXPECT_TRUE(b.stack.tcp_bind(listener, {Ipv4Address::any(), 9000}));
    EXPECT_TRUE(b.stack.tcp_listen(listener, 4));
    a.socket = *a.stack.tcp_open();
    EXPECT_TRUE(
        a.stack.tcp_connect(a.socket, {Ipv4Address::from_octets(10, 0, 0, 2), 9000}, clock.now()));
    const auto wall_start = std::chrono::steady_clock::now();
    const Instant start = clock.now();
    for (int step = 0; step < 2'000'000; ++step) {
        const Instant now = clock.now();
        if (b.socket == 0) {
            if (auto s = b.stack.tcp_accept(listener)) b.socket = *s;
        }
        if (b.socket != 0) {
            a.pump(total, now);
            b.pump(total, now);
        }
        a.faulty.release_held();
        b.faulty.release_held();
        const std::uint64_t progress_before = a.received + b.received + a.sent + b.sent;
        const std::size_t moved = hub.deliver(now, 4);
        if (a.received == total && b.received == total) break;
        if (std::chrono::steady_clock::now() - wall_start > 60s) break;
        // Quiet wire and nothing to read or write: jump to the next timer.
        const auto next_a = a.stack.poll_at(), next_b = b.stack.poll_at();
        std::optional<Instant> next = next_a;
        if (next_b && (!next || *next_b < *next)) next = next_b;
        if (moved == 0 && progress_before == a.received + b.received + a.sent + b.sent && next &&
            *next > now)
            clock.advance(*next - now);
        else
            clock.advance(200us);
        a.stack.poll(clock.now());
        b.stack.poll(clock.now());
    }
    EXPECT_EQ(a.received, total);
    EXPECT_EQ(b.received, total);
    EXPECT_EQ(a.received_hash, b.sent_hash);
    EXPECT_EQ(b.received_hash, a.sent_hash);
    TransferResult result;
    result.simulated = clock.now() - start;
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const auto ia = *a.stack.tcp_info(a.socket);
    std::printf(
        "loss %.0f%%: %llu bytes each way in %.3f s simulated, %.3f s wall "
        "(%.1f MiB/s in-process), retransmits a=%llu b=%llu, cwnd a=%u\n",
        loss * 100, static_cast<unsigned long long>(total),
        std::chrono::duration<double>(result.simulated).count(), result.wall_seconds,
        2.0 * static_cast<double>(total) / (1 << 20) / result.wall_seconds,
        static_cast<unsigned long long>(a.stack.stats().tcp.retransmits),
        static_cast<unsigned long long>(b.stack.stats().tcp.retransmits), ia.cwnd);
    return result;
}

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

}  // namespace
}  // namespace netstack
