// Reading frames from a bus. Each Cursor has its own position and never slows writers: a
// cursor that falls more than a ring behind is overrun, counts what it lost, and resumes at
// the oldest frame still held.
//
// Native format: the fast path takes no lock and writes nothing shared. NetBSD format:
// readers take the bus lock, as NetBSD's own readers do.
//
// A Cursor is used by one thread at a time; only wake() may be called from any thread (or a
// signal handler) meanwhile. Many cursors on one bus, in any threads, are independent.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/frame.hpp"

namespace shmif {

enum class StartAt : std::uint8_t {
    next,    // only frames sent from now on
    oldest,  // everything the ring still holds
};

struct CursorOptions {
    std::uint64_t skip_sender = 0;  // frames from this sender id are skipped (0 = none)
    StartAt start = StartAt::next;
    // receive_wait() polls this long before it sleeps; spinning is what makes a wake-up
    // cheap while traffic flows, sleeping is what keeps an idle reader off the CPU.
    std::chrono::nanoseconds spin{std::chrono::microseconds(50)};
};

struct CursorStats {
    std::uint64_t frames = 0;  // delivered to the caller
    std::uint64_t bytes = 0;
    std::uint64_t skipped_own = 0;  // frames from skip_sender
    std::uint64_t overruns = 0;     // times the cursor was lapped
    std::uint64_t lost_frames = 0;  // native: exactly the frames overwritten unread
    std::uint64_t lost_bytes = 0;   // netbsd: ring bytes skipped (frame counts are not kept)
    std::uint64_t corrupt = 0;      // records that failed validation for no overrun
    std::uint64_t truncated = 0;    // frames longer than the caller's buffer
    std::uint64_t sleeps = 0;       // times receive_wait went to sleep
};

class Cursor {
  public:
    Cursor(const Bus& bus, CursorOptions opts = {});
    ~Cursor();
    Cursor(Cursor&&) noexcept;
    Cursor& operator=(Cursor&&) = delete;

    // Copies out up to out.size() frames; never blocks. Returns how many.
    std::size_t receive(std::span<Frame> out);
    // As receive(), but waits up to `timeout` for the first frame (spin, then sleep).
    // timed_out when nothing came; interrupted when wake() was called or a signal handler ran
    // while it slept (one installed with SA_RESTART may let the sleep go on instead, as for
    // read(2)). A wake() is latched: it ends the current wait, or the next one at its start.
    std::expected<std::size_t, Error> receive_wait(std::span<Frame> out,
                                                   std::chrono::nanoseconds timeout);
    // Waits as receive_wait() does until poll() is true, without receiving: for peek().
    std::expected<void, Error> wait(std::chrono::nanoseconds timeout);
    // Is there anything past the cursor (own frames included)? Cheap: one shared load.
    bool poll() const;
    // How many more ring bytes writers may take (frames, record headers, what they reserve
    // ahead) before this cursor is overrun; 0 when it is, or is about to be. A writer that
    // also reads the bus checks it before a burst, so that the burst cannot overwrite what it
    // has not read. Native: one shared load; NetBSD: under the bus lock (0 if not taken).
    std::uint64_t headroom() const;
    // Ends a receive_wait() or wait() sleeping in another thread with `interrupted`, or the
    // next one to start. Safe from any thread and from a signal handler.
    void wake();

    // Zero copy: views of the next frames without advancing. Native: the views point into
    // the ring; check still_valid() on a view after using what it showed and before acting on
    // it. NetBSD: copies into the cursor's own buffer (always valid until the next peek).
    std::size_t peek(std::span<FrameView> out);
    bool still_valid(const FrameView& view) const;
    // Moves past the first `count` views of the last peek, with full accounting.
    void advance(std::size_t count);

    // Event-loop integration: an fd that turns readable when a writer has committed frames,
    // valid while the cursor lives. Call prepare_wait() before waiting on it (false means
    // frames are already there: do not wait), and finish_wait() after.
    int wait_fd();
    bool prepare_wait();
    void finish_wait();

    // For loops that sleep on many things at once (futex_waitv, ppoll): registers this cursor
    // as a sleeper and says what to wait on, a futex word in the bus (native) or the inotify
    // fd (NetBSD). false = frames are already waiting: do not sleep. disarm() afterwards.
    struct WaitSpec {
        std::atomic<std::uint32_t>* futex = nullptr;  // shared (not process-private) futex
        std::uint32_t expected = 0;
        int fd = -1;
    };
    bool arm(WaitSpec& spec);
    void disarm();

    const CursorStats& stats() const { return stats_; }
    // Where a wake() cannot end a sleep at once (Linux before 5.16 has no futex_waitv; a
    // NetBSD-format cursor that got no eventfd), sleeps last at most this long, so a wake()
    // takes effect within it.
    static constexpr std::chrono::milliseconds kWakeSlice{10};
    std::uint64_t position() const { return pos_; }
    void set_spin(std::chrono::nanoseconds spin) { opts_.spin = spin; }

  private:
    Bus::Impl* bus_;
    CursorOptions opts_;
    CursorStats stats_;
    std::uint64_t pos_ = 0;           // native: position; netbsd: gen * data_size + offset
    std::uint64_t expected_seq_ = 0;  // native: seq the next frame should carry
    bool seq_known_ = false;
    int inotify_fd_ = -1;
    // wake(): the latch, the word a native sleep also waits on, the fd a NetBSD one polls.
    std::atomic<bool> wake_pending_{false};
    std::atomic<std::uint32_t> wake_word_{0};
    int wake_fd_ = -1;
    bool waiting_ = false;      // registered in poll_waiters
    bool armed_futex_ = false;  // registered in futex_waiters
    // What advance(i + 1) applies after peek(): the cursor state just past view i.
    struct PeekMark {
        std::uint64_t next_pos;
        std::uint64_t expected_seq;
        CursorStats stats;
    };
    std::vector<PeekMark> peek_marks_;
    std::vector<std::byte> peek_buf_;  // netbsd: peeked frames are copies
    bool peek_resync_ = false;         // native: the peek ended on a corrupt record

    std::size_t receive_native(std::span<Frame> out);
    std::size_t receive_netbsd(std::span<Frame> out);
    std::size_t peek_native(std::span<FrameView> out);
    std::size_t peek_netbsd(std::span<FrameView> out);
    // Spins, then sleeps until ready() returns non-zero; that value, or why not.
    template <class Ready>
    std::expected<std::size_t, Error> wait_for(Ready&& ready, std::chrono::nanoseconds timeout);
    std::expected<void, Error> sleep_once(std::int64_t left_ns);
    void overrun_native();
    void start_at_oldest_native();
    void resync_to_commit();
    bool lock_netbsd() const;
};

}  // namespace shmif
