// A reader that stalls while a writer process laps the ring several times must learn exactly
// what it lost and resume at the oldest frame still held. Both counts are exact by design:
// native sequence numbers give lost_frames; NetBSD's linear positions give lost_bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "layout_netbsd.hpp"
#include "payload.hpp"
#include "process.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kWriterId = 7;

class StalledReader : public ::testing::Test {
  protected:
    void SetUp() override { ::alarm(60); }
    void TearDown() override { ::alarm(0); }
};

struct Drained {
    std::vector<std::uint64_t> seqs;  // of kWriterId, in order
    std::uint64_t bad = 0;
};

Drained drain(Cursor& cursor, std::size_t cap) {
    std::vector<std::vector<std::byte>> storage(32, std::vector<std::byte>(cap));
    std::vector<Frame> frames(32);
    for (std::size_t i = 0; i < frames.size(); ++i)
        frames[i] = Frame{storage[i].data(), cap};
    Drained d;
    for (int round = 0; round < 1'000'000; ++round) {
        const std::size_t n = cursor.receive(frames);
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i) {
            const Decoded got = check_payload({frames[i].data, frames[i].len});
            if (!got.ok || got.writer != kWriterId) {
                ++d.bad;
                continue;
            }
            d.seqs.push_back(got.seq);
        }
    }
    return d;
}

// The frames a lapped reader gets are the newest ones, contiguous, ending with the last sent.
void expect_tail(const std::vector<std::uint64_t>& seqs, std::uint64_t sent) {
    ASSERT_FALSE(seqs.empty());
    ASSERT_LE(seqs.size(), sent);
    const std::uint64_t first = sent - seqs.size();
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        ASSERT_EQ(seqs[i], first + i) << "at index " << i;
    }
}

void run_writer(const std::string& bus, std::uint64_t count, std::size_t min_len,
                std::size_t max_len, const std::string& report) {
    Child writer = Child::spawn_peer({"send", bus, std::to_string(kWriterId), std::to_string(count),
                                      std::to_string(min_len), std::to_string(max_len), report});
    ASSERT_TRUE(writer.wait_for(30s)) << "writer hung";
    ASSERT_TRUE(writer.exited_ok()) << "writer status " << writer.status();
    auto rep = read_report(report);
    ASSERT_TRUE(rep);
    ASSERT_EQ(rep->report.sent, count);
}

TEST_F(StalledReader, NativeCountsExactlyTheFramesItLost) {
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus =
        Bus::create(path, CreateOptions{.format = Format::native, .size = 4096 + (256 << 10)});
    ASSERT_TRUE(bus) << describe(bus.error());
    Cursor stalled(*bus);

    // 2,000 frames of 200..1500 bytes: about 1.7 MB through a 256 KiB ring, six laps.
    constexpr std::uint64_t kFrames = 2000;
    ASSERT_NO_FATAL_FAILURE(run_writer(path, kFrames, 200, 1500, dir.file("report")));

    const BusInfo info = bus->info();
    EXPECT_EQ(info.frames_written, kFrames);
    ASSERT_GT(info.frames_held, 0U);
    ASSERT_LT(info.frames_held, kFrames / 4);

    const Drained got = drain(stalled, bus->max_frame());
    const CursorStats& s = stalled.stats();
    EXPECT_EQ(got.bad, 0U);
    EXPECT_GE(s.overruns, 1U);
    EXPECT_EQ(s.frames, got.seqs.size());
    EXPECT_EQ(s.lost_frames, kFrames - got.seqs.size());  // exact by design
    EXPECT_EQ(got.seqs.size(), info.frames_held);
    EXPECT_EQ(s.corrupt, 0U);
    expect_tail(got.seqs, kFrames);

    // A cursor that starts at the oldest frame now sees the same frames and lost nothing.
    Cursor late(*bus, CursorOptions{.start = StartAt::oldest});
    const Drained again = drain(late, bus->max_frame());
    EXPECT_EQ(again.seqs, got.seqs);
    EXPECT_EQ(late.stats().overruns, 0U);
    EXPECT_EQ(late.stats().lost_frames, 0U);
    std::printf("[ stalled native ] sent %llu, held %llu, received %zu, lost %llu, overruns %llu\n",
                static_cast<unsigned long long>(kFrames),
                static_cast<unsigned long long>(info.frames_held), got.seqs.size(),
                static_cast<unsigned long long>(s.lost_frames),
                static_cast<unsigned long long>(s.overruns));
}

TEST_F(StalledReader, NetbsdCountsExactlyTheBytesItLost) {
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus = Bus::create(path, CreateOptions{.format = Format::netbsd});
    ASSERT_TRUE(bus) << describe(bus.error());
    Cursor stalled(*bus);

    // 3,000 frames of 200..1500 bytes: about 2.6 MB through the 1 MiB ring.
    constexpr std::uint64_t kFrames = 3000;
    constexpr std::size_t kMin = 200;
    constexpr std::size_t kMax = 1500;
    std::uint64_t written = 0;  // ring bytes the writer will use: header + payload per frame
    for (std::uint64_t s = 0; s < kFrames; ++s)
        written += sizeof(netbsd::FrameHeader) + payload_len(kWriterId, s, kMin, kMax);
    ASSERT_GT(written, 2 * netbsd::kDataSize);
    ASSERT_NO_FATAL_FAILURE(run_writer(path, kFrames, kMin, kMax, dir.file("report")));

    const BusInfo info = bus->info();
    ASSERT_GT(info.frames_held, 0U);
    ASSERT_LT(info.frames_held, kFrames / 2);

    const Drained got = drain(stalled, bus->max_frame());
    const CursorStats& s = stalled.stats();
    EXPECT_EQ(got.bad, 0U);
    EXPECT_GE(s.overruns, 1U);
    EXPECT_GT(s.lost_bytes, 0U);
    // The cursor started at the write position of a fresh bus and resumed at the oldest frame
    // held, so it skipped exactly what was written minus what the ring still holds.
    EXPECT_EQ(s.lost_bytes, written - info.bytes_held);
    EXPECT_EQ(got.seqs.size(), info.frames_held);
    EXPECT_EQ(s.corrupt, 0U);
    expect_tail(got.seqs, kFrames);
    std::printf(
        "[ stalled netbsd ] sent %llu, held %llu, received %zu, lost %llu bytes, "
        "overruns %llu\n",
        static_cast<unsigned long long>(kFrames), static_cast<unsigned long long>(info.frames_held),
        got.seqs.size(), static_cast<unsigned long long>(s.lost_bytes),
        static_cast<unsigned long long>(s.overruns));
}

}  // namespace
}  // namespace shmif::test
