// A cursor that reads a bus in its own thread for a whole test and checks every frame it
// gets: payload (torn or partial frames fail it), and each writer's order. Writer ids follow
// one scheme across the tests: the test's own probes, victims that hold the lock, flooders.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <thread>
#include <vector>

#include "payload.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"

namespace shmif::test {

constexpr std::uint32_t kProbeWriter = 1;   // the test process's own frames
constexpr std::uint32_t kHoldBase = 100;    // writer ids of the lock-holding victims
constexpr std::uint32_t kFloodBase = 1000;  // writer ids of the flooding victims

// A cursor read in its own thread for the whole test, checking every frame.
class CheckingReader {
  public:
    CheckingReader(const Bus& bus, bool contiguous)
        : cursor_(bus), cap_(bus.max_frame()), contiguous_(contiguous) {
        thread_ = std::thread([this] { run(); });
    }
    ~CheckingReader() { stop(); }

    void stop() {
        stop_.store(true);
        if (thread_.joinable()) thread_.join();
    }
    // Waits until the probe frame with this seq has been read.
    bool wait_for_probe(std::uint64_t seq, std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (probes_.load() <= seq) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        return true;
    }

    // Valid after stop().
    std::uint64_t bad = 0;         // failed the payload check: torn or partial
    std::uint64_t misordered = 0;  // a writer's frames out of order (or, when contiguous, gaps)
    std::uint64_t frames = 0;
    std::uint64_t hold_frames = 0;  // frames from the lock-holding victims (never committed)
    std::map<std::uint32_t, std::uint64_t> next;  // writer -> next expected seq
    const CursorStats& stats() const { return cursor_.stats(); }

  private:
    void run() {
        std::vector<std::vector<std::byte>> storage(32, std::vector<std::byte>(cap_));
        std::vector<Frame> batch(32);
        for (std::size_t i = 0; i < batch.size(); ++i)
            batch[i] = Frame{storage[i].data(), cap_};
        // Bounded by the test's alarm(); each round waits at most 5 ms.
        bool draining = false;
        for (;;) {
            auto n = cursor_.receive_wait(batch, std::chrono::milliseconds(5));
            if (!n) {
                if (draining) break;
                if (stop_.load()) draining = true;  // one more empty wait after stop
                continue;
            }
            for (std::size_t i = 0; i < *n; ++i)
                take(batch[i]);
        }
    }

    void take(const Frame& f) {
        ++frames;
        const Decoded d = check_payload({f.data, f.len});
        if (!d.ok) {
            ++bad;
            return;
        }
        if (d.writer >= kHoldBase && d.writer < kFloodBase) ++hold_frames;
        auto it = next.find(d.writer);
        if (it == next.end()) {
            // A writer's first frame: with no loss, it is its seq 0.
            if (contiguous_ && d.seq != 0) ++misordered;
            next[d.writer] = d.seq + 1;
        } else {
            if (contiguous_ ? d.seq != it->second : d.seq < it->second) ++misordered;
            it->second = d.seq + 1;
        }
        if (d.writer == kProbeWriter) probes_.store(d.seq + 1);
    }

    Cursor cursor_;
    std::size_t cap_;
    bool contiguous_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> probes_{0};
    std::thread thread_;
};

// Sends probe `seq` (writer kProbeWriter, up to `max_len` bytes) and returns how long send()
// took: the time to get the bus, after a kill or a stop.
inline std::chrono::nanoseconds send_probe(Writer& w, std::uint64_t seq, std::size_t max_len) {
    std::vector<std::byte> payload(payload_len(kProbeWriter, seq, kMinPayload, max_len));
    fill_payload(payload, kProbeWriter, seq);
    const auto t0 = std::chrono::steady_clock::now();
    auto sent = w.send(payload);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(sent) << "probe " << seq << ": " << describe(sent.error());
    return took;
}

}  // namespace shmif::test
