#include "direction.hpp"

#include <linux/futex.h>
#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "shmif/seqlock_read.hpp"

namespace shmiflink {

namespace impair = shmif::impair;
using Clock = std::chrono::steady_clock;

namespace {

timespec to_timespec(std::chrono::nanoseconds d) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(d);
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(secs.count());
    ts.tv_nsec = static_cast<long>((d - secs).count());
    return ts;
}

}  // namespace

Direction::Direction(const shmif::Bus& from, const shmif::Bus& to, DirectionOptions options)
    : options_(std::move(options)),
      cursor_(from, {.skip_sender = options_.skip_sender,
                     .start = shmif::StartAt::next,
                     .spin = options_.spin}),
      writer_(to, {.sender = options_.sender}),
      impairment_(options_.settings, options_.seed),
      max_frame_(to.max_frame()) {
    options_.batch = std::max<std::size_t>(options_.batch, 1);
    const std::size_t capacity = from.max_frame();
    storage_.resize(capacity * options_.batch);
    frames_.resize(options_.batch);
    for (std::size_t i = 0; i < options_.batch; ++i)
        frames_[i] = shmif::Frame{.data = storage_.data() + i * capacity, .capacity = capacity};
    views_.resize(options_.batch);
}

void Direction::configure(const impair::Settings& settings) {
    {
        std::lock_guard lock(pending_mutex_);
        pending_ = settings;
    }
    has_pending_.store(true, std::memory_order_release);
}

void Direction::apply_pending() {
    if (!has_pending_.exchange(false, std::memory_order_acquire)) return;
    std::optional<impair::Settings> next;
    {
        std::lock_guard lock(pending_mutex_);
        next.swap(pending_);
    }
    if (!next) return;
    impairment_.configure(*next);
    if (on_applied_) on_applied_(*next, counters_.frames_read);
}

DirectionStats Direction::stats() const {
    DirectionStats s;
    s.pump = counters_;
    s.pump.overruns = cursor_.stats().overruns;
    s.pump.lost_frames = cursor_.stats().lost_frames;
    s.impair = impairment_.counters();
    s.settings = impair::format_netem(impairment_.settings());
    return s;
}

void Direction::publish_if_asked() {
    if (!snapshot_wanted_.load(std::memory_order_relaxed)) return;
    DirectionStats s = stats();
    {
        std::lock_guard lock(snapshot_mutex_);
        snapshot_ = std::move(s);
        ++snapshot_generation_;
        snapshot_wanted_.store(false, std::memory_order_relaxed);
    }
    snapshot_ready_.notify_all();
}

std::optional<DirectionStats> Direction::snapshot(std::chrono::milliseconds timeout) {
    std::unique_lock lock(snapshot_mutex_);
    const std::uint64_t generation = snapshot_generation_;
    snapshot_wanted_.store(true, std::memory_order_relaxed);
    if (!snapshot_ready_.wait_for(lock, timeout,
                                  [&] { return snapshot_generation_ != generation; }))
        return std::nullopt;
    return snapshot_;
}

// Spins on the ring's commit word, then sleeps on the bus's futex (native) or its inotify
// fd (NetBSD) until a writer commits or `timeout` passes. True when something may be there.
bool Direction::wait_for_frames(std::chrono::nanoseconds timeout) {
    // Spins only while frames flowed lately: the source bus also carries what the opposite
    // direction writes there (skipped), which would otherwise keep an idle direction spinning.
    const auto start = Clock::now();
    const auto spin_until = std::min(last_frame_ + options_.spin, start + timeout);
    for (unsigned i = 0; start < spin_until; ++i) {
        if (cursor_.poll()) return true;
        if ((i & 63) == 63 && Clock::now() >= spin_until) break;
    }
    const auto left = start + timeout - Clock::now();
    if (left <= std::chrono::nanoseconds::zero()) return false;
    shmif::Cursor::WaitSpec spec;
    if (!cursor_.arm(spec)) return true;
    const timespec ts = to_timespec(left);
    if (spec.futex != nullptr) {
        // A shared futex in the bus file (other processes wake it): no FUTEX_PRIVATE_FLAG.
        ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(spec.futex), FUTEX_WAIT,
                  spec.expected, &ts, nullptr, 0);
    } else if (spec.fd >= 0) {
        pollfd p{.fd = spec.fd, .events = POLLIN, .revents = 0};
        ::ppoll(&p, 1, &ts, nullptr);
    }
    cursor_.disarm();
    return cursor_.poll();
}

bool Direction::forward_direct() {
    const std::size_t n = cursor_.peek(views_);
    if (n == 0) return false;
    last_frame_ = Clock::now();
    counters_.frames_read += n;
    auto batch = writer_.begin();
    if (!batch) {
        counters_.send_failures += n;
        cursor_.advance(n);
        return true;
    }
    std::size_t used = n;
    for (std::size_t i = 0; i < n; ++i) {
        const auto& view = views_[i];
        if (view.data.size() > max_frame_) {
            ++counters_.oversize;
            continue;
        }
        auto slot = batch->acquire(view.data.size());
        if (!slot) {
            ++counters_.send_failures;
            continue;
        }
        {
            // The other direction's thread writes this ring: a seqlock read, checked below.
            shmif::SeqlockReadSection in_the_ring;
            std::memcpy(slot->data(), view.data.data(), view.data.size());
        }
        // Copied first, checked after (seqlock style): still valid means the copy is whole.
        // A frame a writer overwrote meanwhile is taken back (never sent) and counted; the
        // next peek sees the overrun.
        if (!cursor_.still_valid(view)) {
            batch->drop_last();
            ++counters_.torn;
            used = i + 1;
            break;
        }
        ++counters_.frames_sent;
    }
    batch->commit();
    if (used < n) counters_.frames_read -= n - used;
    cursor_.advance(used);
    return true;
}

void Direction::release_due(impair::Instant now) {
    const auto due = impairment_.next_due();
    if (!due || *due > now) return;
    std::optional<shmif::SendBatch> batch;
    bool failed = false;
    impairment_.release(now, [&](std::span<const std::byte> frame) {
        if (failed) {
            ++counters_.send_failures;
            return;
        }
        if (!batch) {
            auto begun = writer_.begin();
            if (!begun) {
                failed = true;
                ++counters_.send_failures;
                return;
            }
            batch.emplace(std::move(*begun));
        }
        auto slot = batch->acquire(frame.size());
        if (!slot) {
            ++counters_.send_failures;
            return;
        }
        std::memcpy(slot->data(), frame.data(), frame.size());
        ++counters_.frames_sent;
    });
    if (batch) batch->commit();
}

void Direction::pump_engine(std::chrono::nanoseconds timeout) {
    auto got = cursor_.receive_wait(frames_, timeout);
    const auto now = Clock::now();
    if (got) {
        for (std::size_t i = 0; i < *got; ++i) {
            const auto& f = frames_[i];
            ++counters_.frames_read;
            if (f.orig_len > max_frame_ || f.len < f.orig_len) {
                ++counters_.oversize;
                continue;
            }
            impairment_.offer(std::span<const std::byte>(f.data, f.len), now);
        }
    }
    release_due(now);
}

void Direction::run(const std::atomic<int>& stop) {
    while (stop.load(std::memory_order_relaxed) == 0) {
        apply_pending();
        publish_if_asked();
        const bool direct = impairment_.settings().none() && impairment_.queued() == 0;
        if (direct) {
            if (!forward_direct()) wait_for_frames(options_.stop_check);
            continue;
        }
        std::chrono::nanoseconds timeout = options_.stop_check;
        if (const auto due = impairment_.next_due()) {
            const auto until = *due - Clock::now();
            timeout = std::clamp<std::chrono::nanoseconds>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(until),
                std::chrono::nanoseconds::zero(), timeout);
        }
        pump_engine(timeout);
    }
    apply_pending();
    publish_if_asked();
}

}  // namespace shmiflink
