// A worker's link on a bus: its own bursts must not overwrite what it has not read yet
// (read-ahead into a FrameBacklog), and the backlog hands frames back in order, whole.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "frame_backlog.hpp"
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
        const auto frames = link.receive(16, now);
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

}  // namespace
}  // namespace shmifd
