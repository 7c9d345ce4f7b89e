// The format-independent half of Cursor: construction, waiting, event-loop integration.
#include "shmif/cursor.hpp"

#include <algorithm>

#include "bus_impl.hpp"
#include "lock.hpp"
#include "native_ring.hpp"
#include "netbsd_ring.hpp"

namespace shmif {

namespace {

// Waiter counts are statistics. A header rebuilt (shmifbus repair) while we slept starts
// them at 0: stay there rather than wrap to 4 billion sleepers.
void leave_waiters(std::atomic<std::uint32_t>& count) {
    std::uint32_t seen = count.load(std::memory_order_relaxed);
    while (seen != 0 && !count.compare_exchange_weak(seen, seen - 1, std::memory_order_relaxed)) {
    }
}

}  // namespace

Cursor::Cursor(const Bus& bus, CursorOptions opts) : bus_(&bus.impl()), opts_(opts) {
    if (bus_->format == Format::native) {
        if (opts_.start == StartAt::next) {
            resync_to_commit();
        } else {
            start_at_oldest_native();
        }
        return;
    }
    wake_fd_ = host::make_event_fd();  // -1: wake() works in kWakeSlice steps instead
    if (!lock_netbsd()) return;        // pos_ 0: the first receive counts an overrun and resyncs
    auto s = netbsd::span(*bus_);
    if (!s) {
        netbsd::reset(*bus_);
        s = netbsd::span(*bus_);
    }
    pos_ = opts_.start == StartAt::next ? s->write : s->oldest;
    netbsd_unlock(*bus_->bh);
}

Cursor::~Cursor() {
    disarm();
    finish_wait();
    host::close_fd(inotify_fd_);
    host::close_fd(wake_fd_);
}

Cursor::Cursor(Cursor&& o) noexcept
    : bus_(o.bus_),
      opts_(o.opts_),
      stats_(o.stats_),
      pos_(o.pos_),
      expected_seq_(o.expected_seq_),
      seq_known_(o.seq_known_),
      inotify_fd_(o.inotify_fd_),
      wake_pending_(o.wake_pending_.load()),
      wake_word_(o.wake_word_.load()),
      wake_fd_(o.wake_fd_),
      waiting_(o.waiting_),
      armed_futex_(o.armed_futex_),
      peek_marks_(std::move(o.peek_marks_)),
      peek_buf_(std::move(o.peek_buf_)),
      peek_resync_(o.peek_resync_) {
    o.inotify_fd_ = -1;
    o.wake_fd_ = -1;
    o.waiting_ = false;
    o.armed_futex_ = false;
}

bool Cursor::lock_netbsd() const {
    // Readers hold the lock only to copy; a holder that keeps it for a second is dead.
    auto got =
        netbsd_lock(*bus_->bh, std::chrono::milliseconds(1000), std::chrono::milliseconds(1000));
    return got.outcome == LockOutcome::acquired || got.outcome == LockOutcome::recovered;
}

void Cursor::resync_to_commit() {
    auto snap = native::read_commit(*bus_);
    pos_ = snap.committed;
    expected_seq_ = snap.next_seq;
    seq_known_ = true;
}

std::size_t Cursor::receive(std::span<Frame> out) {
    if (out.empty()) return 0;
    return bus_->format == Format::native ? receive_native(out) : receive_netbsd(out);
}

std::size_t Cursor::peek(std::span<FrameView> out) {
    peek_marks_.clear();
    if (out.empty()) return 0;
    return bus_->format == Format::native ? peek_native(out) : peek_netbsd(out);
}

void Cursor::advance(std::size_t count) {
    if (count == 0 || peek_marks_.empty()) return;
    const PeekMark& mark = peek_marks_[std::min(count, peek_marks_.size()) - 1];
    pos_ = mark.next_pos;
    expected_seq_ = mark.expected_seq;
    seq_known_ = bus_->format == Format::native;
    stats_ = mark.stats;
    if (peek_resync_ && count >= peek_marks_.size()) resync_to_commit();
    peek_marks_.clear();
    peek_resync_ = false;
}

bool Cursor::still_valid(const FrameView& view) const {
    return bus_->format != Format::native || native::intact(*bus_, view.pos);
}

bool Cursor::poll() const {
    if (bus_->format == Format::native)
        return native::load_committed(*bus_, std::memory_order_seq_cst) != pos_;
    if (!lock_netbsd()) return false;
    auto s = netbsd::span(*bus_);
    netbsd_unlock(*bus_->bh);
    return !s || s->write != pos_;
}

std::uint64_t Cursor::headroom() const {
    const std::uint64_t ring = bus_->ring_size;
    std::uint64_t taken = 0;  // ring bytes from the cursor to the furthest a writer may write
    if (bus_->format == Format::native) {
        // Native: a record is intact while `reserved` stays within a ring of it, and the
        // next send may publish `reserved` as far as reserve_ahead() past what it writes.
        const std::uint64_t reserved = bus_->nh->pos.reserved.load(std::memory_order_acquire);
        const std::uint64_t next = native::load_committed(*bus_) + native::reserve_ahead(*bus_);
        const std::uint64_t furthest = std::max(reserved, next);
        taken = furthest > pos_ ? furthest - pos_ : 0;
    } else {
        if (!lock_netbsd()) return 0;
        auto s = netbsd::span(*bus_);
        netbsd_unlock(*bus_->bh);
        if (!s) return 0;
        taken = s->write > pos_ ? s->write - pos_ : 0;
    }
    return taken < ring ? ring - taken : 0;
}

template <class Ready>
std::expected<std::size_t, Error> Cursor::wait_for(Ready&& ready,
                                                   std::chrono::nanoseconds timeout) {
    using clock = std::chrono::steady_clock;
    // A wake() that came before this wait ends it unseen by any other: latched. (A plain
    // load first: this runs on every receive, the exchange only when a wake is pending.)
    if (wake_pending_.load(std::memory_order_relaxed) &&
        wake_pending_.exchange(false, std::memory_order_acquire))
        return std::unexpected(Error{Errc::interrupted});
    const auto start = clock::now();
    const auto deadline = start + timeout;
    const auto spin_until = start + std::min(opts_.spin, timeout);
    // Spin phase: while traffic flows this is where frames are found, in well under a
    // microsecond after their commit.
    for (int i = 0;; ++i) {
        if (std::size_t n = ready()) return n;
        if ((i & 63) == 63 && clock::now() >= spin_until) break;
        // Now and then let a thread that shares our CPU run: it may be the very writer we
        // wait for (a same-core ping-pong would otherwise wait out the whole spin).
        if ((i & 255) == 255) host::yield_cpu();
        host::cpu_relax();
    }
    for (;;) {
        if (std::size_t n = ready()) return n;
        const auto now = clock::now();
        if (now >= deadline) return std::unexpected(Error{Errc::timed_out});
        ++stats_.sleeps;
        auto slept = sleep_once(
            std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count());
        if (!slept) return std::unexpected(slept.error());
    }
}

std::expected<void, Error> Cursor::sleep_once(std::int64_t left_ns) {
    // Read before the latch: a wake() after this moves the word and the sleep does not start.
    const std::uint32_t wake_seen = wake_word_.load(std::memory_order_acquire);
    if (wake_pending_.exchange(false, std::memory_order_acquire))
        return std::unexpected(Error{Errc::interrupted});
    const std::int64_t slice = std::chrono::nanoseconds(kWakeSlice).count();
    host::WaitEnd end = host::WaitEnd::event;
    if (bus_->format == Format::native) {
        auto& w = bus_->nh->wake;
        const std::uint32_t seen = w.wake_seq.load(std::memory_order_acquire);
        w.futex_waiters.fetch_add(1, std::memory_order_relaxed);
        w.need_futex_wake.store(1, std::memory_order_seq_cst);  // see wake_native()
        if (!poll())
            end =
                host::futex_wait_pair({&w.wake_seq, seen, &wake_word_, wake_seen}, left_ns, slice);
        leave_waiters(w.futex_waiters);
    } else {
        // Without an inotify fd (out of watches) this is a sleep of a slice, re-checked.
        const bool armed = prepare_wait();
        if (armed || (inotify_fd_ < 0 && !poll())) {
            const bool wakeable = wake_fd_ >= 0 && inotify_fd_ >= 0;
            end = host::wait_readable_or_woken(inotify_fd_, wake_fd_,
                                               wakeable ? left_ns : std::min(left_ns, slice));
        }
        finish_wait();
        if (wake_fd_ >= 0) host::drain_fd(wake_fd_);
    }
    if (end == host::WaitEnd::interrupted) return std::unexpected(Error{Errc::interrupted});
    return {};
}

std::expected<std::size_t, Error> Cursor::receive_wait(std::span<Frame> out,
                                                       std::chrono::nanoseconds timeout) {
    return wait_for([&] { return receive(out); }, timeout);
}

std::expected<void, Error> Cursor::wait(std::chrono::nanoseconds timeout) {
    auto r = wait_for([&] { return poll() ? std::size_t{1} : std::size_t{0}; }, timeout);
    if (!r) return std::unexpected(r.error());
    return {};
}

void Cursor::wake() {
    // Async-signal-safe: lock-free atomics and two system calls.
    wake_pending_.store(true, std::memory_order_release);
    wake_word_.fetch_add(1, std::memory_order_release);
    if (bus_->format == Format::native) {
        host::futex_wake_private(wake_word_);
    } else if (wake_fd_ >= 0) {
        host::signal_event_fd(wake_fd_);
    }
}

bool Cursor::arm(WaitSpec& spec) {
    spec = {};
    if (bus_->format != Format::native) {
        if (!prepare_wait()) return false;
        spec.fd = inotify_fd_;
        return true;
    }
    auto& w = bus_->nh->wake;
    spec.futex = &w.wake_seq;
    spec.expected = w.wake_seq.load(std::memory_order_acquire);
    if (!armed_futex_) {
        w.futex_waiters.fetch_add(1, std::memory_order_relaxed);
        armed_futex_ = true;
    }
    w.need_futex_wake.store(1, std::memory_order_seq_cst);  // see wake_native()
    if (poll()) {
        disarm();
        return false;
    }
    return true;
}

void Cursor::disarm() {
    if (armed_futex_) {
        leave_waiters(bus_->nh->wake.futex_waiters);
        armed_futex_ = false;
    }
    if (bus_->format != Format::native) finish_wait();
}

int Cursor::wait_fd() {
    if (inotify_fd_ < 0) inotify_fd_ = host::watch_file(bus_->path);
    return inotify_fd_;
}

bool Cursor::prepare_wait() {
    if (wait_fd() < 0) return false;
    host::drain_fd(inotify_fd_);
    if (bus_->format == Format::native) {
        if (!waiting_) {
            bus_->nh->wake.poll_waiters.fetch_add(1, std::memory_order_relaxed);
            waiting_ = true;
        }
        bus_->nh->wake.need_poll_wake.store(1, std::memory_order_seq_cst);  // see wake_native()
    }
    // After registering (native) or draining (NetBSD, whose writers always wake): anything
    // committed from here on will make the fd readable.
    if (poll()) {
        finish_wait();
        return false;
    }
    return true;
}

void Cursor::finish_wait() {
    if (waiting_) {
        leave_waiters(bus_->nh->wake.poll_waiters);
        waiting_ = false;
    }
    if (inotify_fd_ >= 0) host::drain_fd(inotify_fd_);
}

}  // namespace shmif
