// Reconfiguration under load: a writer pumps sequence-numbered frames into a real bus file;
// every worker reads all of them through its own BusSource; meanwhile 1,000 stop_machine
// cycles rewrite a table the workers read on every frame without any lock. Every worker gets
// every frame exactly once and in order (the bus buffers while workers are stopped), and no
// worker ever sees a half-written table. Under ThreadSanitizer this is also the proof that a
// stop orders the table's writes before the workers' next reads.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "engine_test_util.hpp"
#include "shmif/bus.hpp"
#include "shmif/writer.hpp"
#include "shmifd/engine/bus_source.hpp"
#include "shmifd/engine/worker_pool.hpp"
#include "temp_dir.hpp"

namespace shmifd::engine::test {
namespace {

const HangGuard guard(120);

constexpr std::size_t kEntries = 16;
constexpr int kCycles = 1000;
constexpr std::uint64_t kFrames = 120'000;
constexpr std::size_t kBatch = 16;
constexpr auto kBatchPeriod = 400us;  // 16 frames / 400 us = 40,000 frames/s
constexpr std::size_t kFrameLen = 64;
constexpr std::uint64_t kRing = 64ULL << 20;

// Written only inside stop functions, read by workers on every frame, with no lock.
struct Table {
    std::uint64_t v[kEntries];
};
Table table{};

// One worker's view; touched only by that worker's thread (read by the test once the worker
// has stopped, through stop_one, or after the pool is gone).
struct Seen {
    std::uint64_t next_seq = 0;
    std::uint64_t frames = 0;
    std::uint64_t out_of_order = 0;
    std::uint64_t bad_len = 0;
    std::uint64_t torn = 0;
    std::uint64_t went_back = 0;
    std::uint64_t last_version = 0;
    std::atomic<std::uint64_t> progress{0};  // for the test's wait only
};

TEST(ReconfigUnderLoad, ThousandStopsLoseNoFrameAndTearNoTable) {
    shmif::test::TempDir dir;
    auto bus = shmif::Bus::create(dir.file("bus"), shmif::CreateOptions{.size = kRing});
    ASSERT_TRUE(bus) << shmif::describe(bus.error());
    LogSink log;
    PoolOptions opts = quiet_options(2, log);
    opts.watchdog = 10s;
    WorkerPool pool(opts);
    const auto ids = pool.workers();
    std::array<Seen, 8> seen;
    std::vector<const BusSource*> sources(ids.size());
    for (WorkerId id : ids) {
        Seen& s = seen[id];
        auto handler = [&s](std::span<const shmif::Frame> frames) {
            for (const auto& f : frames) {
                if (f.len != kFrameLen) ++s.bad_len;
                std::uint64_t seq = 0;
                std::memcpy(&seq, f.data, sizeof seq);
                if (seq != s.next_seq) ++s.out_of_order;
                s.next_seq = seq + 1;
                ++s.frames;
                const std::uint64_t v0 = table.v[0];
                for (std::size_t i = 1; i < kEntries; ++i)
                    if (table.v[i] != v0) ++s.torn;
                if (v0 < s.last_version) ++s.went_back;
                s.last_version = v0;
            }
            s.progress.store(s.frames, std::memory_order_relaxed);
        };
        // The cursor starts at `next` now, before the writer exists: it sees every frame.
        auto src = std::make_unique<BusSource>(*bus, shmif::CursorOptions{}, handler);
        sources[id] = src.get();
        ASSERT_TRUE(pool.add_source(id, std::move(src)));
    }

    std::atomic<std::uint64_t> sent{0};
    std::atomic<bool> writer_failed{false};
    std::thread writer([&] {
        shmif::Writer w(*bus);
        std::vector<std::array<std::byte, kFrameLen>> bufs(kBatch);
        std::vector<shmif::FrameBytes> frames(kBatch);
        std::uint64_t seq = 0;
        auto next = Clock::now();
        while (seq < kFrames) {
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(kBatch, kFrames - seq));
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint64_t s = seq + i;
                bufs[i].fill(std::byte{0x5a});
                std::memcpy(bufs[i].data(), &s, sizeof s);
                frames[i] = bufs[i];
            }
            auto r = w.send_batch(std::span(frames.data(), n));
            if (!r || *r != n) {
                writer_failed.store(true);
                return;
            }
            seq += n;
            sent.store(seq);
            next += kBatchPeriod;
            std::this_thread::sleep_until(next);
        }
    });

    int stop_failures = 0;
    std::uint64_t version = 0;
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        auto r = pool.stop_machine([&](WorkerId) {
            ++version;
            for (std::size_t i = 0; i < kEntries; ++i)
                table.v[i] = version;
            return 0;
        });
        if (!r) ++stop_failures;
        std::this_thread::sleep_for(std::chrono::microseconds(500 + cycle % 7 * 300));
    }
    writer.join();
    ASSERT_FALSE(writer_failed.load());
    ASSERT_EQ(sent.load(), kFrames);
    for (WorkerId id : ids)
        ASSERT_TRUE(wait_for([&] { return seen[id].progress.load() >= kFrames; }, 30s))
            << "worker " << id << " got " << seen[id].progress.load() << " of " << kFrames;
    // Read each worker's view on its own thread (the stop orders it after its handler runs).
    for (WorkerId id : ids) {
        shmif::CursorStats cs;
        std::uint64_t frames = 0, ooo = 0, torn = 0, back = 0, bad = 0, last = 0;
        ASSERT_TRUE(pool.stop_one(id, [&](WorkerId) {
            cs = sources[id]->cursor().stats();
            const Seen& s = seen[id];
            frames = s.frames;
            ooo = s.out_of_order;
            torn = s.torn;
            back = s.went_back;
            bad = s.bad_len;
            last = s.last_version;
            return 0;
        }));
        EXPECT_EQ(frames, kFrames) << "worker " << id;
        EXPECT_EQ(cs.frames, kFrames) << "worker " << id;
        EXPECT_EQ(cs.lost_frames, 0U) << "worker " << id;
        EXPECT_EQ(cs.overruns, 0U) << "worker " << id;
        EXPECT_EQ(ooo, 0U) << "worker " << id;
        EXPECT_EQ(bad, 0U) << "worker " << id;
        EXPECT_EQ(torn, 0U) << "worker " << id;
        EXPECT_EQ(back, 0U) << "worker " << id;
        EXPECT_LE(last, static_cast<std::uint64_t>(kCycles));
    }
    EXPECT_EQ(stop_failures, 0);
    EXPECT_EQ(version, static_cast<std::uint64_t>(kCycles));
    for (std::size_t i = 0; i < kEntries; ++i)
        EXPECT_EQ(table.v[i], version);
}

}  // namespace
}  // namespace shmifd::engine::test
