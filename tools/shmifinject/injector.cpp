#include "injector.hpp"

#include <time.h>

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <limits>

#include "shmif/frame.hpp"

namespace shmifinject {
namespace {

constexpr std::size_t kMaxBatch = 64;             // frames per send_batch
constexpr std::size_t kMaxArena = 1024 * 1024;    // bytes held for one send_batch
constexpr std::uint64_t kMaxWarningsPerKind = 5;  // then only counted
constexpr std::int64_t kMaxNs = std::numeric_limits<std::int64_t>::max();

std::int64_t monotonic_ns() {
    ::timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? kMaxNs : sum;
}

// A schedule offset in nanoseconds from a double, clamped (a tiny rate can name a deadline
// centuries away; it must still be a number, and a signal still ends the wait).
std::int64_t to_offset_ns(double ns) {
    if (!(ns < 9.0e18)) return kMaxNs;  // also NaN
    return ns <= 0 ? 0 : static_cast<std::int64_t>(ns);
}

}  // namespace

Injector::Injector(shmif::Writer& writer, std::uint32_t max_frame, PaceOptions pace,
                   std::function<void(const std::string&)> warn)
    : writer_(writer), max_frame_(max_frame), pace_(pace), warn_(std::move(warn)) {
    arena_.reserve(kMaxArena);
    ends_.reserve(kMaxBatch);
    views_.reserve(kMaxBatch);
}

void Injector::warn(std::uint64_t count, const std::string& text) {
    if (!warn_ || count > kMaxWarningsPerKind) return;
    warn_(count < kMaxWarningsPerKind ? text
                                      : text + " (further frames like this are only counted)");
}

// The deadline of the next frame to send, `len` bytes long: where the schedule stands before
// it (frame k of a pps run is due at k/pps, a frame preceded by B bits at B/rate). Realtime
// gaps were added as the frames were read, skipped ones included.
std::int64_t Injector::deadline_for(std::size_t len) {
    if (!started_) {
        started_ = true;
        start_ns_ = monotonic_ns();
    }
    std::int64_t offset = 0;
    switch (pace_.mode) {
        case Pace::realtime:
            offset = gap_sum_ns_;
            break;
        case Pace::pps:
            offset = to_offset_ns(static_cast<double>(scheduled_) * 1e9 / pace_.rate);
            break;
        case Pace::mbps:
            offset = to_offset_ns(static_cast<double>(scheduled_bits_) * 1e3 / pace_.rate);
            break;
        case Pace::topspeed:
            break;
    }
    ++scheduled_;
    scheduled_bits_ += 8 * len;
    return saturating_add(start_ns_, offset);
}

bool Injector::sleep_until(std::int64_t deadline_ns) {
    ::timespec ts{};
    ts.tv_sec = static_cast<::time_t>(deadline_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000);
    for (;;) {
        if (stopped()) return false;
        const int rc = ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
        if (rc == 0) return !stopped();
        if (rc != EINTR) return !stopped();  // cannot sleep (EINVAL): send now
    }
}

void Injector::add(const Packet& packet) {
    const std::size_t len = packet.data.size();
    const auto* bytes = packet.data.data();
    arena_.insert(arena_.end(), bytes, bytes + len);
    ends_.push_back(arena_.size());
}

std::expected<void, Failure> Injector::flush() {
    if (ends_.empty()) return {};
    views_.clear();
    std::size_t begin = 0;
    for (std::size_t end : ends_) {
        views_.emplace_back(arena_.data() + begin, end - begin);
        begin = end;
    }
    auto sent = writer_.send_batch(views_);
    if (!sent) return std::unexpected(Failure{Failure::Where::bus, shmif::describe(sent.error())});
    // Every frame was checked against the bus's limits when read, so none can have been refused.
    stats_.frames += *sent;
    stats_.bytes += arena_.size();
    ++stats_.batches;
    stats_.elapsed_s = static_cast<double>(monotonic_ns() - start_ns_) / 1e9;
    arena_.clear();
    ends_.clear();
    return {};
}

std::expected<void, Failure> Injector::run(PcapReader& reader, const std::atomic<int>* stop) {
    stop_ = stop;
    Packet packet;
    while (!stopped()) {
        // Frames wait in the batch only while more are ready to read: a producer piping frames
        // in slowly must not hold them back.
        if (!ends_.empty() && reader.may_block()) {
            if (auto r = flush(); !r) return r;
        }
        const auto got = reader.next(packet);
        if (got == PcapReader::Next::end) break;
        if (got == PcapReader::Next::error) {
            if (stopped()) break;  // a signal interrupted a read from a pipe
            if (auto r = flush(); !r) return r;
            return std::unexpected(Failure{Failure::Where::capture, reader.error()});
        }
        const std::uint64_t number = reader.frames_read();  // of this pass, from 1

        if (pace_.mode == Pace::realtime) {
            // The capture's gap before this frame; none before a pass's first frame, and none
            // when the timestamps go backwards (then the frame is simply due at once).
            if (number > 1 && packet.ts_ns > prev_ts_ns_) {
                std::int64_t gap = 0;
                if (__builtin_sub_overflow(packet.ts_ns, prev_ts_ns_, &gap)) gap = kMaxNs;
                gap_sum_ns_ = saturating_add(gap_sum_ns_, gap);
            }
            prev_ts_ns_ = packet.ts_ns;
        }

        const std::size_t len = packet.data.size();
        if (len < shmif::kMinFrame) {
            // The bus refuses these (no Ethernet header to read a destination from).
            ++stats_.runt;
            warn(stats_.runt,
                 fmt::format("frame {}: {} bytes is shorter than an Ethernet header ({}), skipped",
                             number, len, shmif::kMinFrame));
            continue;
        }
        if (len > max_frame_) {
            ++stats_.oversize;
            warn(stats_.oversize,
                 fmt::format("frame {}: {} bytes is more than the bus takes ({}), skipped", number,
                             len, max_frame_));
            continue;
        }
        if (len < packet.wire_len) {
            ++stats_.truncated;
            warn(stats_.truncated,
                 fmt::format("frame {}: only {} of its {} bytes were captured, sent as captured",
                             number, len, packet.wire_len));
        }

        bool slept = false;
        if (pace_.mode != Pace::topspeed) {
            const std::int64_t deadline = deadline_for(len);
            if (deadline > monotonic_ns()) {
                // Ahead of schedule: what is pending was due already, send it, then wait.
                if (auto r = flush(); !r) return r;
                if (!sleep_until(deadline)) break;
                slept = true;
            }
        } else if (!started_) {
            (void)deadline_for(len);  // starts the clock for elapsed_s
        }
        if (arena_.size() + len > kMaxArena) {
            if (auto r = flush(); !r) return r;
        }
        add(packet);
        // On schedule: this frame is due now, it goes at once. Behind it (or at top speed):
        // gather until the batch is full or the next frame is not due yet.
        if (slept || ends_.size() == kMaxBatch) {
            if (auto r = flush(); !r) return r;
        }
    }
    return flush();
}

}  // namespace shmifinject
