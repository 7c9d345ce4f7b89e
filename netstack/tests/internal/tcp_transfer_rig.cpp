#include "tcp_transfer_rig.hpp"

#include <cstdio>
#include <optional>

namespace netstack::transfertest {

std::uint64_t fnv1a(std::uint64_t h, std::span<const std::byte> data) {
    for (auto b : data) {
        h ^= std::to_integer<std::uint64_t>(b);
        h *= 0x100000001b3ull;
    }
    return h;
}

std::byte stream_byte(std::uint64_t i, std::uint8_t tag) {
    return std::byte(static_cast<std::uint8_t>((i * 131 + (i >> 9) + tag) & 0xff));
}

bool Side::send_some(std::span<std::byte> chunk, std::uint64_t total, Instant now) {
    std::uint64_t n = std::min<std::uint64_t>(chunk.size(), total - sent);
    const bool urgent = urgent_every != 0 && sent % urgent_every == urgent_every - 1;
    if (urgent)
        n = 1;
    else if (urgent_every != 0)
        n = std::min(n, urgent_every - 1 - sent % urgent_every);
    const auto data = chunk.first(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < data.size(); ++k)
        data[k] = stream_byte(sent + k, tag);
    auto r = urgent ? stack.tcp_send_urgent(socket, data, now) : stack.tcp_send(socket, data, now);
    if (!r) return false;
    sent_hash = fnv1a(sent_hash, data.first(*r));
    sent += *r;
    if (urgent) ++urgent_sent;
    return true;
}

void Side::take_urgent() {
    if (urgent_every == 0) return;
    const auto urgent = stack.tcp_urgent(socket);
    if (!urgent || !urgent->at_mark || !urgent->byte_ready) return;
    const std::byte b = *stack.tcp_receive_urgent(socket);
    received_hash = fnv1a(received_hash, std::span(&b, 1));
    ++received;
    ++urgent_taken;
}

void Side::pump(std::uint64_t total, Instant now) {
    std::array<std::byte, 16384> chunk{};
    for (int i = 0; i < 64 && sent < total; ++i)
        if (!send_some(chunk, total, now)) break;
    for (int i = 0; i < 256; ++i) {
        take_urgent();  // at the mark, before a read skips its byte
        auto r = stack.tcp_receive(socket, chunk, now);
        if (!r || *r == 0) break;
        received_hash = fnv1a(received_hash, std::span(chunk).first(*r));
        received += *r;
    }
    take_urgent();  // a read stopped at it: taken before a newer mark could drop it
}

TransferResult transfer_both_ways(double loss, double reorder, double duplicate,
                                  std::uint64_t total, StackConfig config,
                                  std::uint64_t urgent_every) {
    ManualClock clock;
    StackConfig ca = config, cb = config;
    ca.seed = 11;
    cb.seed = 12;
    const FaultConfig fa{.seed = 101, .drop = loss, .duplicate = duplicate, .reorder = reorder};
    const FaultConfig fb{.seed = 202, .drop = loss, .duplicate = duplicate, .reorder = reorder};
    Side a(101, fa, ca), b(202, fb, cb);
    a.tag = 1;
    b.tag = 2;
    a.urgent_every = b.urgent_every = urgent_every;
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
    const auto ib = *b.stack.tcp_info(b.socket);
    result.bytes_retransmitted = ia.bytes_retransmitted + ib.bytes_retransmitted;
    result.stats_a = a.stack.stats().tcp;
    result.stats_b = b.stack.stats().tcp;
    result.retransmits = result.stats_a.retransmits + result.stats_b.retransmits;
    result.timeouts = result.stats_a.timeouts + result.stats_b.timeouts;
    result.urgent_sent = a.urgent_sent + b.urgent_sent;
    result.urgent_taken = a.urgent_taken + b.urgent_taken;
    std::printf(
        "loss %.0f%%%s: %llu bytes each way in %.3f s simulated, %.3f s wall "
        "(%.1f MiB/s in-process), retransmits a=%llu b=%llu (%llu bytes), timeouts %llu, "
        "cwnd a=%u\n",
        loss * 100, config.tcp.sack ? "" : " (no SACK)", static_cast<unsigned long long>(total),
        std::chrono::duration<double>(result.simulated).count(), result.wall_seconds,
        2.0 * static_cast<double>(total) / (1 << 20) / result.wall_seconds,
        static_cast<unsigned long long>(result.stats_a.retransmits),
        static_cast<unsigned long long>(result.stats_b.retransmits),
        static_cast<unsigned long long>(result.bytes_retransmitted),
        static_cast<unsigned long long>(result.timeouts), ia.cwnd);
    return result;
}

}  // namespace netstack::transfertest
