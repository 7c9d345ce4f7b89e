// A worker's link on a bus: its own bursts must not overwrite what it has not read yet
// (read-ahead into a FrameBacklog), and the backlog hands frames back in order, whole; with
// several workers, another worker's TCP segments are passed by in the ring, never copied.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "frame_backlog.hpp"
#include "netstack/stack.hpp"
#include "netstack/tcp.hpp"
#include "shard_link.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/error.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmifd {
namespace {

using Bytes = std::vector<std::byte>;

Bytes pattern(std::size_t n, int seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i)
        b[i] = static_cast<std::byte>((i * 7 + static_cast<std::size_t>(seed)) % 251);
    return b;
}

shmif::Frame frame_of(Bytes& b, std::uint64_t sender = 0) {
    return {.data = b.data(),
            .capacity = b.size(),
            .len = b.size(),
            .orig_len = b.size(),
            .sender = sender};
}

Bytes bytes_of(const shmif::Frame& f) {
    return {f.data, f.data + f.len};
}

TEST(FrameBacklog, HandsFramesBackInOrderAndViewsSurviveAPush) {
    FrameBacklog backlog(10'000);
    EXPECT_TRUE(backlog.empty());
    std::vector<Bytes> in;
    for (int i = 0; i < 5; ++i)
        in.push_back(pattern(100 + static_cast<std::size_t>(i), i));
    std::vector<shmif::Frame> frames;
    for (std::size_t i = 0; i < in.size(); ++i)
        frames.push_back(frame_of(in[i], 40 + i));
    ASSERT_EQ(backlog.push(std::span(frames).first(3)), 3U);
    const auto first = backlog.pop(2);
    ASSERT_EQ(first.size(), 2U);
    // A push while the stack still holds the views (a send inside the receive path).
    ASSERT_EQ(backlog.push(std::span(frames).subspan(3)), 2U);
    EXPECT_EQ(bytes_of(first[0]), in[0]);
    EXPECT_EQ(bytes_of(first[1]), in[1]);
    EXPECT_EQ(first[1].sender, 41U);
    EXPECT_EQ(first[1].orig_len, in[1].size());
    const auto rest = backlog.pop(16);
    ASSERT_EQ(rest.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(bytes_of(rest[i]), in[2 + i]);
    EXPECT_TRUE(backlog.empty());
    EXPECT_TRUE(backlog.pop(16).empty());
    EXPECT_EQ(backlog.room(), 10'000U);  // emptied: the whole arena again
}

TEST(FrameBacklog, KeepsWhatFitsInOrderAndReusesPoppedSpace) {
    FrameBacklog backlog(1'000);
    Bytes big = pattern(400, 1);
    std::vector<shmif::Frame> three{frame_of(big), frame_of(big), frame_of(big)};
    EXPECT_EQ(backlog.push(three), 2U);  // the third does not fit, nor anything after it
    EXPECT_EQ(backlog.room(), 200U);
    // Cycling through more than the capacity: popped space comes back, nothing is lost.
    std::size_t pushed = 2, popped = 0;
    for (int round = 0; round < 50; ++round) {
        const auto got = backlog.pop(1);
        ASSERT_EQ(got.size(), 1U);
        EXPECT_EQ(bytes_of(got[0]), big);
        ++popped;
        pushed += backlog.push(std::span(three).first(1));
    }
    EXPECT_GT(pushed, 40U);
    EXPECT_EQ(pushed - popped, backlog.frames());
}

// The case that lost window updates under load: a worker writes a burst of several rings
// while frames from another host wait unread. Without read-ahead, a plain cursor shows what
// the link would have lost.
TEST(ShardLink, ItsOwnBurstDoesNotOverwriteFramesItHasNotRead) {
    shmif::test::TempDir dir;
    auto bus = shmif::Bus::create(dir.file("b.bus"), {.size = 256 << 10, .max_frame = 2048});
    ASSERT_TRUE(bus) << shmif::describe(bus.error());
    ShardLink link("eth0", *bus, 0x42);
    shmif::Cursor unprotected(*bus, {.skip_sender = 0x42});
    shmif::Writer peer(*bus, {.sender = 7});
    std::vector<Bytes> sent;
    for (int i = 0; i < 10; ++i) {
        sent.push_back(pattern(60 + static_cast<std::size_t>(i), i));
        ASSERT_TRUE(peer.send(sent.back()).has_value());
    }
    const Bytes big = pattern(1400, 99);
    const std::size_t burst = 3 * bus->data_size() / big.size();
    for (std::size_t i = 0; i < burst; ++i)
        ASSERT_EQ(link.device().transmit(big), netstack::TxStatus::sent);
    link.device().flush();
    EXPECT_EQ(link.device().stats().sent, burst);

    std::vector<Bytes> got;
    const auto now = std::chrono::steady_clock::now();
    for (int calls = 0; calls < 100; ++calls) {
        const auto frames = link.receive(16, now, netstack::Stack{});
        if (frames.empty()) break;
        for (const auto& f : frames)
            got.push_back(bytes_of(f));
    }
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
        EXPECT_TRUE(got[i] == sent[i]) << "frame " << i << " differs";
    EXPECT_EQ(link.read_ahead(), sent.size());
    EXPECT_EQ(link.cursor().stats().lost_frames, 0U);
    EXPECT_EQ(link.cursor().stats().overruns, 0U);
    // The burst did lap the ring: a cursor nobody read ahead for lost the peer's frames.
    std::vector<Bytes> storage(16, Bytes(2048));
    std::vector<shmif::Frame> out;
    for (auto& b : storage)
        out.push_back({.data = b.data(), .capacity = b.size()});
    (void)unprotected.receive(out);
    EXPECT_GE(unprotected.stats().overruns, 1U);
    EXPECT_GE(unprotected.stats().lost_frames, sent.size());
}

const netstack::MacAddress kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const netstack::Ipv4Address kOurIp = netstack::Ipv4Address::from_octets(10, 0, 0, 1);
const netstack::Ipv4Address kPeerIp = netstack::Ipv4Address::from_octets(10, 0, 0, 2);

// Ethernet + IPv4 (protocol, no options) + the start of a TCP or UDP header: enough for the
// link to judge; the stacks drop it later on its checksum, which is not the point here.
Bytes ip_frame(std::uint8_t protocol, std::uint16_t src_port, std::uint16_t dst_port) {
    Bytes f(14 + 20 + 20 + 1000, std::byte{0});
    std::memcpy(f.data(), kOurMac.bytes.data(), 6);
    f[6] = std::byte{0x02};
    f[12] = std::byte{0x08};  // IPv4
    f[14] = std::byte{0x45};
    f[14 + 9] = std::byte{protocol};
    const auto put32 = [&](std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i)
            f[at + static_cast<std::size_t>(i)] = std::byte(v >> (24 - 8 * i) & 0xff);
    };
    put32(14 + 12, kPeerIp.value);
    put32(14 + 16, kOurIp.value);
    put32(34, std::uint32_t{src_port} << 16 | dst_port);
    return f;
}

struct Worker {
    Worker(const shmif::Bus& bus, std::uint32_t index, std::uint32_t count)
        : link("eth0", bus, 0x42), stack(netstack::StackConfig{.shard = {index, count}}) {
        link.id = *stack.add_interface({.name = "eth0", .mac = kOurMac}, link.stack_device());
        EXPECT_TRUE(stack.add_address(link.id, {kOurIp, 24}, std::chrono::steady_clock::now()));
        link.device().flush();
    }
    // Every frame the link hands this worker's stack, until the bus has no more.
    std::vector<Bytes> drain() {
        std::vector<Bytes> got;
        const auto now = std::chrono::steady_clock::now();
        for (int calls = 0; calls < 1000; ++calls) {
            const auto frames = link.receive(16, now, stack);
            if (frames.empty() && !link.pending()) break;
            for (const auto& f : frames)
                got.push_back(bytes_of(f));
        }
        return got;
    }
    ShardLink link;  // the stack borrows its device: it goes last
    netstack::Stack stack;
};

// What each of `count` workers gets of 64 TCP segments to our address (each owned by the
// worker its 4-tuple hashes to) and, between them, UDP datagrams every worker must see.
void expect_steered(shmif::Format format, std::uint32_t count) {
    shmif::test::TempDir dir;
    auto bus = shmif::Bus::create(dir.file("b.bus"),
                                  {.format = format,
                                   .size = 1 << 20,
                                   .max_frame = format == shmif::Format::native ? 2048U : 0U});
    ASSERT_TRUE(bus) << shmif::describe(bus.error());
    std::vector<std::unique_ptr<Worker>> workers;
    for (std::uint32_t i = 0; i < count; ++i)
        workers.push_back(std::make_unique<Worker>(*bus, i, count));
    shmif::Writer peer(*bus, {.sender = 7});
    std::vector<std::vector<Bytes>> expected(count);
    for (std::uint16_t port = 40000; port < 40064; ++port) {
        const Bytes tcp = ip_frame(6, port, 80);
        const Bytes udp = ip_frame(17, port, 53);
        ASSERT_TRUE(peer.send(tcp).has_value());
        ASSERT_TRUE(peer.send(udp).has_value());
        const std::uint32_t owner = netstack::tcp_flow_hash({kOurIp, 80}, {kPeerIp, port}) % count;
        for (std::uint32_t i = 0; i < count; ++i) {
            if (i == owner || format != shmif::Format::native) expected[i].push_back(tcp);
            expected[i].push_back(udp);
        }
    }
    std::uint64_t passed = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto got = workers[i]->drain();
        ASSERT_EQ(got.size(), expected[i].size()) << "worker " << i;
        for (std::size_t k = 0; k < got.size(); ++k)
            EXPECT_TRUE(got[k] == expected[i][k]) << "worker " << i << ", frame " << k;
        const auto& cursor = workers[i]->link.cursor().stats();
        EXPECT_EQ(cursor.frames, 128U) << "every frame is accounted for as read";
        EXPECT_EQ(cursor.lost_frames, 0U);
        EXPECT_EQ(workers[i]->link.passed(), 128U - got.size());
        passed += workers[i]->link.passed();
    }
    // Each TCP segment was passed by every worker but its owner (native buses).
    EXPECT_EQ(passed, format == shmif::Format::native ? 64U * (count - 1) : 0U);
}

TEST(ShardLink, AWorkerCopiesOnlyTheTcpSegmentsItsStackOwns) {
    expect_steered(shmif::Format::native, 2);
    expect_steered(shmif::Format::native, 3);
}

TEST(ShardLink, OneWorkerOrANetbsdBusGetsEveryFrame) {
    expect_steered(shmif::Format::native, 1);
    expect_steered(shmif::Format::netbsd, 2);
}

}  // namespace
}  // namespace shmifd
