// Threads in one process hammering one bus: several writers (send, send_batch and SendBatch
// acquire, in turn) and several readers (receive, receive_wait and, outside ThreadSanitizer,
// zero-copy peek), for a bounded time per format. The ring is small, so readers are lapped
// again and again while they copy: exactly the path the native seqlock protocol must get
// right. Every delivered frame must be intact and each writer's frames must arrive in order;
// on the native format the loss count must be exact.
//
// Built with -DSHMIFD_SANITIZE=thread this is the data-race test. tests/tsan.supp suppresses
// only the by-design races of the native reader's copy (named functions); a report anywhere
// else fails the run (halt_on_error=1).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "payload.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

#if defined(__SANITIZE_THREAD__)
#define SHMIF_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SHMIF_TEST_TSAN 1
#endif
#endif

namespace shmif::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kWriters = 3;
constexpr auto kDuration = 2s;
constexpr std::size_t kMaxLen = 1500;

enum class ReadWay { receive, receive_wait, peek };

const char* way_name(ReadWay w) {
    switch (w) {
        case ReadWay::receive:
            return "receive";
        case ReadWay::receive_wait:
            return "receive_wait";
        case ReadWay::peek:
            return "peek";
    }
    return "?";
}

struct WriterResult {
    std::uint64_t sent = 0;
    std::uint64_t failures = 0;
};

// One writer thread: frames [0, n) of writer `id`, in groups sent each of the three ways.
void write_loop(const Bus& bus, std::uint32_t id, const std::atomic<bool>& stop,
                WriterResult& out) {
    Writer w(bus, WriterOptions{.lock_timeout = 5000ms});
    std::vector<std::vector<std::byte>> bufs(8);
    std::vector<FrameBytes> frames;
    std::uint64_t seq = 0;
    for (std::uint64_t round = 0; round < 100'000'000 && !stop.load(std::memory_order_relaxed);
         ++round) {
        const std::size_t group = 1 + round % 6;
        switch (round % 3) {
            case 0:
                for (std::size_t i = 0; i < group; ++i) {
                    bufs[0].resize(payload_len(id, seq, kMinPayload, kMaxLen));
                    fill_payload(bufs[0], id, seq);
                    if (w.send(bufs[0])) {
                        ++seq;
                    } else {
                        ++out.failures;
                    }
                }
                break;
            case 1: {
                frames.clear();
                for (std::size_t i = 0; i < group; ++i) {
                    bufs[i].resize(payload_len(id, seq + i, kMinPayload, kMaxLen));
                    fill_payload(bufs[i], id, seq + i);
                    frames.emplace_back(bufs[i]);
                }
                auto sent = w.send_batch(frames);
                if (sent && *sent == group) {
                    seq += group;
                } else {
                    ++out.failures;
                }
                break;
            }
            default: {
                auto batch = w.begin();
                if (!batch) {
                    ++out.failures;
                    break;
                }
                std::size_t filled = 0;
                for (std::size_t i = 0; i < group; ++i) {
                    auto slot = batch->acquire(payload_len(id, seq + i, kMinPayload, kMaxLen));
                    if (!slot) break;
                    fill_payload(*slot, id, seq + i);
                    ++filled;
                }
                if (batch->commit() != filled || filled != group) ++out.failures;
                seq += filled;
                break;
            }
        }
    }
    out.sent = seq;
    EXPECT_EQ(w.stats().frames, seq);
}

struct ReaderResult {
    std::uint64_t frames = 0;
    std::uint64_t bad = 0;          // failed the payload check
    std::uint64_t misordered = 0;   // a writer's seq not above its previous one
    std::uint64_t invalidated = 0;  // peek views found overwritten by still_valid()
    std::vector<std::uint64_t> per_writer = std::vector<std::uint64_t>(kWriters, 0);
    CursorStats stats;
};

class Checker {
  public:
    explicit Checker(ReaderResult& r) : r_(r), next_(kWriters, 0) {}
    void take(std::span<const std::byte> data) {
        ++r_.frames;
        const Decoded d = check_payload(data);
        if (!d.ok || d.writer >= kWriters) {
            ++r_.bad;
            return;
        }
        if (d.seq < next_[d.writer]) ++r_.misordered;
        next_[d.writer] = d.seq + 1;
        ++r_.per_writer[d.writer];
    }

  private:
    ReaderResult& r_;
    std::vector<std::uint64_t> next_;
};

void read_loop(Cursor& cursor, std::size_t cap, ReadWay way, const std::atomic<bool>& stop,
               ReaderResult& out) {
    Checker check(out);
    std::vector<std::vector<std::byte>> storage(16, std::vector<std::byte>(cap));
    std::vector<Frame> frames(16);
    for (std::size_t i = 0; i < frames.size(); ++i)
        frames[i] = Frame{storage[i].data(), cap};
    std::vector<FrameView> views(16);
    std::vector<std::byte> copy;
    // After stop (writers joined), drain until the cursor has nothing left.
    for (std::uint64_t round = 0; round < 1'000'000'000; ++round) {
        const bool final = stop.load(std::memory_order_acquire);
        std::size_t n = 0;
        if (way == ReadWay::receive) {
            n = cursor.receive(frames);
        } else if (way == ReadWay::receive_wait) {
            auto got = cursor.receive_wait(frames, 1ms);
            n = got ? *got : 0;
        } else {
            n = cursor.peek(views);
            std::size_t ok = 0;
            for (; ok < n; ++ok) {
                copy.assign(views[ok].data.begin(), views[ok].data.end());
                if (!cursor.still_valid(views[ok])) {
                    ++out.invalidated;  // lapped while we looked: the next peek resyncs
                    break;
                }
                check.take(copy);
            }
            cursor.advance(ok);
            if (n > 0 || !final) continue;
        }
        for (std::size_t i = 0; i < n; ++i)
            check.take({frames[i].data, frames[i].len});
        if (final && n == 0 && !cursor.poll()) break;
    }
    out.stats = cursor.stats();
}

void stress(Format format) {
    ::alarm(60);
    TempDir dir;
    // The smallest native ring (64 KiB) and the fixed NetBSD one: overruns all the time.
    auto bus = Bus::create(
        dir.file("bus"),
        CreateOptions{.format = format,
                      .size = format == Format::native ? std::uint64_t{4096 + (64 << 10)} : 0});
    ASSERT_TRUE(bus) << describe(bus.error());

    std::vector<ReadWay> ways{ReadWay::receive, ReadWay::receive_wait};
#if !defined(SHMIF_TEST_TSAN)
    // Zero-copy views are read in place while writers may overwrite them; still_valid() makes
    // that safe, but ThreadSanitizer rightly reports the read itself, in this file.
    if (format == Format::native) ways.push_back(ReadWay::peek);
#endif
    // Every cursor exists before the first frame, so each writer's frames start at seq 0.
    std::vector<std::unique_ptr<Cursor>> cursors;
    for (std::size_t i = 0; i < ways.size(); ++i)
        cursors.push_back(std::make_unique<Cursor>(*bus));

    std::atomic<bool> stop_writers{false};
    std::atomic<bool> stop_readers{false};
    std::vector<WriterResult> wres(kWriters);
    std::vector<ReaderResult> rres(ways.size());
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < ways.size(); ++i)
        readers.emplace_back(read_loop, std::ref(*cursors[i]), std::size_t{kMaxLen}, ways[i],
                             std::cref(stop_readers), std::ref(rres[i]));
    std::vector<std::thread> writers;
    for (std::uint32_t w = 0; w < kWriters; ++w)
        writers.emplace_back(write_loop, std::cref(*bus), w, std::cref(stop_writers),
                             std::ref(wres[w]));
    std::this_thread::sleep_for(kDuration);
    stop_writers.store(true);
    for (auto& t : writers)
        t.join();
    stop_readers.store(true, std::memory_order_release);
    for (auto& t : readers)
        t.join();

    std::uint64_t sent = 0;
    for (std::uint32_t w = 0; w < kWriters; ++w) {
        EXPECT_EQ(wres[w].failures, 0U) << "writer " << w;
        EXPECT_GT(wres[w].sent, 0U) << "writer " << w;
        sent += wres[w].sent;
    }
    const BusInfo info = bus->info();
    if (format == Format::native) {
        EXPECT_EQ(info.frames_written, sent);
    }

    std::printf("[ stress %s ] %u writers sent %llu frames in %.1f s\n", format_name(format),
                kWriters, static_cast<unsigned long long>(sent),
                std::chrono::duration<double>(kDuration).count());
    for (std::size_t i = 0; i < ways.size(); ++i) {
        const ReaderResult& r = rres[i];
        const std::string who = std::string("reader ") + way_name(ways[i]);
        EXPECT_EQ(r.bad, 0U) << who;
        EXPECT_EQ(r.misordered, 0U) << who;
        EXPECT_EQ(r.stats.corrupt, 0U) << who;
        EXPECT_EQ(r.stats.truncated, 0U) << who;
        EXPECT_EQ(r.stats.frames, r.frames) << who;
        EXPECT_GT(r.frames, 0U) << who;
        EXPECT_LE(r.frames, sent) << who;
        for (std::uint32_t w = 0; w < kWriters; ++w)
            EXPECT_LE(r.per_writer[w], wres[w].sent) << who;
        if (format == Format::native) {
            // Exact: every frame sent after the cursor began was delivered or counted lost.
            EXPECT_EQ(r.stats.lost_frames, sent - r.frames) << who;
        } else if (r.stats.overruns == 0) {
            EXPECT_EQ(r.frames, sent) << who;
        } else {
            EXPECT_GT(r.stats.lost_bytes, 0U) << who;
        }
        std::printf(
            "  %-13s frames %llu, overruns %llu, lost frames %llu, lost bytes %llu, "
            "sleeps %llu, peeks invalidated %llu\n",
            way_name(ways[i]), static_cast<unsigned long long>(r.frames),
            static_cast<unsigned long long>(r.stats.overruns),
            static_cast<unsigned long long>(r.stats.lost_frames),
            static_cast<unsigned long long>(r.stats.lost_bytes),
            static_cast<unsigned long long>(r.stats.sleeps),
            static_cast<unsigned long long>(r.invalidated));
    }
    ::alarm(0);
}

TEST(Stress, NativeThreadsWritersAndReaders) {
    stress(Format::native);
}
TEST(Stress, NetbsdThreadsWritersAndReaders) {
    stress(Format::netbsd);
}

}  // namespace
}  // namespace shmif::test
