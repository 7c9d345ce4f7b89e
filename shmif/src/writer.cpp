#include "shmif/writer.hpp"

#include <cstddef>
#include <cstring>
#include <optional>

#include "bus_impl.hpp"
#include "header_rules.hpp"
#include "lock.hpp"
#include "native_ring.hpp"
#include "netbsd_ring.hpp"
#include "takeover.hpp"

namespace shmif {

namespace {

// Why a frame of `len` bytes cannot go on this bus, if it cannot.
std::optional<Errc> refuse_length(std::size_t len, std::uint32_t max_frame) {
    if (len < kMinFrame) return Errc::frame_too_short;
    if (len > max_frame) return Errc::frame_too_large;
    return std::nullopt;
}

void wake_native(Bus::Impl& bus, WriterStats& stats) {
    auto& w = bus.nh->wake;
    // Dekker-style pairing with Cursor::prepare_wait(): we stored `committed`, then look for
    // sleepers; a sleeper registers, then looks at `committed`. The full fences on both sides
    // guarantee that at least one of us sees the other, so no wake-up is lost.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (w.need_futex_wake.load(std::memory_order_relaxed) != 0 &&
        w.need_futex_wake.exchange(0, std::memory_order_acq_rel) != 0) {
        w.wake_seq.fetch_add(1, std::memory_order_release);
        host::futex_wake_all(w.wake_seq);
        ++stats.wakeups;
    }
    if (w.need_poll_wake.load(std::memory_order_relaxed) != 0 &&
        w.need_poll_wake.exchange(0, std::memory_order_acq_rel) != 0) {
        host::pwrite_wake(bus.map.fd, offsetof(native::BusHeader, wake.poll_word), 0);
        ++stats.wakeups;
    }
}

}  // namespace

struct WriterNative {
    native::HolderView view;
    native::HoleMap holes;
};

Writer::Writer(const Bus& bus, WriterOptions opts) : bus_(&bus.impl()), opts_(opts) {
    if (opts_.sender == 0) opts_.sender = random_sender_id();
    if (bus_->format == Format::native) native_ = std::make_unique<WriterNative>();
}

Writer::~Writer() = default;
Writer::Writer(Writer&&) noexcept = default;
Writer& Writer::operator=(Writer&&) noexcept = default;

std::expected<void, Error> Writer::lock_native(SendBatch& batch) {
    Bus::Impl& bus = *bus_;
    native::HolderView& view = native_->view;
    NativeLockWait wait(*bus.nh, {opts_.lock_timeout, opts_.stall_bound, opts_.busy_bound});
    for (;;) {
        const auto step = wait.next();
        if (step == NativeLockWait::Step::timeout)
            return std::unexpected(Error{Errc::lock_timeout});
        if (step == NativeLockWait::Step::acquired) {
            view = native::load_view(bus, wait.mine());
            bool ours = true;
            native::repair_positions(bus, view, ours);
            if (!ours) break;  // taken over already: begin() fails below
            native::load_holes(bus, native_->holes);
            break;
        }
        const auto got =
            native::take_over(bus, wait.holder(), wait.holder_state(), native_->holes, view);
        if (got == native::TakeoverResult::no_room) wait.defer();
        if (got == native::TakeoverResult::taken) {
            ++stats_.lock_recoveries;
            if (wait.holder_state() != ThreadState::dead) ++stats_.stalled_takeovers;
            break;
        }
        if (got == native::TakeoverResult::fenced) break;
    }
    if (wait.contended()) ++stats_.lock_contended;
    if (!native_still_held(*bus.nh, view.owner)) {
        // Taken over before the batch began (while we took over ourselves, or repaired).
        ++stats_.fenced_batches;
        native::release_holes_of(bus, host::current_tid());
        return std::unexpected(Error{Errc::fenced});
    }
    const std::uint64_t ring = bus.ring_size;
    batch.gate_ = view.committed & ~native::kFenceBits;
    batch.write_pos_ = batch.gate_ + native::kGate;
    batch.write_off_ = batch.write_pos_ % ring;
    batch.limit_off_ = native_->holes.limit(batch.write_off_, ring);
    batch.seq_ = native::gate_seq(bus, batch.gate_);
    return {};
}

std::expected<SendBatch, Error> Writer::begin() {
    Bus::Impl& bus = *bus_;
    SendBatch batch(*this);
    // A native header overwritten since open must not be trusted, its lock least of all.
    // (NetBSD's header carries no more than the ring's state, which lock holders repair.)
    if (bus.format == Format::native && !header::attached_intact(bus)) {
        batch.writer_ = nullptr;
        bus.header_faults.fetch_add(1, std::memory_order_relaxed);
        return std::unexpected(Error{Errc::corrupt_header});
    }
    if (bus.format == Format::native) {
        if (auto locked = lock_native(batch); !locked) {
            batch.writer_ = nullptr;
            return std::unexpected(locked.error());
        }
    } else {
        LockAttempt got = netbsd_lock(*bus.bh, opts_.lock_timeout, opts_.netbsd_steal_after);
        if (got.contended) ++stats_.lock_contended;
        if (got.outcome == LockOutcome::timeout) {
            batch.writer_ = nullptr;
            return std::unexpected(Error{Errc::lock_timeout});
        }
        if (got.outcome == LockOutcome::recovered) ++stats_.lock_recoveries;
        if (!netbsd::span(bus)) netbsd::reset(bus);
    }
    batch.time_ns_ = host::now_realtime_ns();
    // For `shmifbus info` ("held for"): the batch's own timestamp, not another clock read.
    if (bus.format == Format::native)
        bus.nh->lock.held_since_ns.store(batch.time_ns_, std::memory_order_relaxed);
    return batch;
}

SendBatch::SendBatch(SendBatch&& other) noexcept
    : writer_(other.writer_),
      frames_(other.frames_),
      bytes_(other.bytes_),
      write_pos_(other.write_pos_),
      write_off_(other.write_off_),
      seq_(other.seq_),
      wraps_(other.wraps_),
      time_ns_(other.time_ns_),
      gate_(other.gate_),
      limit_off_(other.limit_off_),
      published_(other.published_),
      published_bytes_(other.published_bytes_),
      failure_(other.failure_),
      staged_(other.staged_) {
    other.writer_ = nullptr;
}

SendBatch::~SendBatch() {
    commit();
}

namespace {
// A batch whose claim (its gate to its write position) passes this publishes what it has:
// a takeover must be able to quarantine any claim, and first_pos must never reach it.
std::uint64_t claim_limit(const Bus::Impl& bus) {
    return bus.ring_size / 4;
}
}  // namespace

void SendBatch::fail(Errc code) {
    if (failure_) return;
    failure_ = Error{code};
    WriterStats& stats = writer_->stats_;
    ++stats.fenced_batches;
    stats.fenced_frames += frames_ - published_;
    // We write nothing more: holes that quarantine our claim may be freed.
    native::release_holes_of(*writer_->bus_, host::current_tid());
}

bool SendBatch::fence_check() {
    if (failure_) return false;
    if (native_still_held(*writer_->bus_->nh, writer_->native_->view.owner)) return true;
    fail(Errc::fenced);
    return false;
}

bool SendBatch::skip_obstacle() {
    Bus::Impl& bus = *writer_->bus_;
    auto& holes = writer_->native_->holes;
    native::HolderView& view = writer_->native_->view;
    const std::uint64_t ring = bus.ring_size;
    std::uint64_t off = write_off_;
    if (limit_off_ == ring) {
        // Records never straddle the end of the ring: pad the tail and start over at 0.
        if (!native::reserve(bus, view, write_pos_ + (ring - off), write_pos_)) return false;
        native::write_pad(bus, write_pos_, ring - off);
        write_pos_ += ring - off;
        off = 0;
        ++wraps_;
    } else if (off < limit_off_) {
        if (!native::reserve(bus, view, write_pos_ + (limit_off_ - off), write_pos_)) return false;
        native::write_pad(bus, write_pos_, limit_off_ - off);
        write_pos_ += limit_off_ - off;
        off = limit_off_;
    } else if (const auto* hole = holes.at(off); hole != nullptr) {
        const int index = hole->index;
        if (native::release_if_done(bus, index, hole->tag)) {
            holes.remove(index);  // its writers are gone: the space is ours again
        } else {
            // Skip it (and any hole it runs into) with one pad at its gate, which its stalled
            // writers never touch.
            std::uint64_t len = hole->len;
            for (int i = 0; i < native::kMaxHoles; ++i) {
                const std::uint64_t more = holes.remaining_inside((off + len) % ring, ring);
                if (more == 0) break;
                len += more;
            }
            if (len > ring / 2 || !native::reserve(bus, view, write_pos_ + len, write_pos_))
                return false;
            native::first_word(bus, write_pos_)
                .store(native::pad_word(len), std::memory_order_relaxed);
            write_pos_ += len;
            off = (off + len) % ring;
        }
    }
    write_off_ = off;
    limit_off_ = holes.limit(off, ring);
    return true;
}

bool SendBatch::close_claim() {
    Bus::Impl& bus = *writer_->bus_;
    native::HolderView& view = writer_->native_->view;
    // The next gate needs its 16 bytes before the ring's end or a hole (whose stalled writer
    // may still write there): pad up to the obstacle and pass it first.
    for (int i = 0; i < 2 * native::kMaxHoles + 2 && limit_off_ - write_off_ < native::kGate; ++i)
        if (!skip_obstacle()) return false;
    if (!native::reserve(bus, view, write_pos_ + native::kGate, write_pos_)) return false;
    native::write_gate(bus, write_pos_, seq_);
    if (!native::commit(bus, view, write_pos_)) return false;
    count_published();
    return true;
}

void SendBatch::count_published() {
    auto& hs = writer_->bus_->nh->stats;
    native::add_stat(hs.frames, frames_ - published_);
    native::add_stat(hs.bytes, bytes_ - published_bytes_);
    native::add_stat(hs.wraps, wraps_);
    wraps_ = 0;
    published_ = frames_;
    published_bytes_ = bytes_;
}

bool SendBatch::publish_so_far() {
    Bus::Impl& bus = *writer_->bus_;
    if (!close_claim()) return false;
    wake_native(bus, writer_->stats_);
    gate_ = write_pos_;
    write_pos_ += native::kGate;
    write_off_ = write_pos_ % bus.ring_size;
    limit_off_ = writer_->native_->holes.limit(write_off_, bus.ring_size);
    return true;
}

std::expected<std::span<std::byte>, Error> SendBatch::acquire(std::size_t len) {
    Bus::Impl& bus = *writer_->bus_;
    if (auto refused = refuse_length(len, bus.max_frame)) {
        ++writer_->stats_.rejected;
        return std::unexpected(Error{*refused});
    }
    if (bus.format == Format::netbsd) {
        ++frames_;
        bytes_ += len;
        flush_staged();
        writer_->staging_.resize(len);
        staged_ = true;
        last_len_ = len;
        return std::span<std::byte>(writer_->staging_.data(), len);
    }
    if (!fence_check()) return std::unexpected(*failure_);
    const std::uint64_t span = native::record_span(len);
    const auto fenced = [this]() -> std::unexpected<Error> {
        fail(Errc::fenced);
        return std::unexpected(*failure_);
    };
    // Bounded: each step passes the ring's end or a hole, and holes are a bounded part of it.
    for (int step = 0;; ++step) {
        if (frames_ > published_ && write_pos_ + span - gate_ > claim_limit(bus) &&
            !publish_so_far())
            return fenced();
        if (limit_off_ - write_off_ >= span) break;
        if (step > 2 * native::kMaxHoles + 2) {
            ++writer_->stats_.rejected;  // no gap between holes is long enough
            return std::unexpected(Error{Errc::frame_too_large});
        }
        if (!skip_obstacle()) return fenced();
    }
    native::HolderView& view = writer_->native_->view;
    if (!native::reserve(bus, view, write_pos_ + span, write_pos_)) return fenced();
    const std::uint64_t off = write_off_;
    auto* h = reinterpret_cast<native::RecordHeader*>(bus.ring + off);
    h->span = static_cast<std::uint32_t>(span);
    h->len = static_cast<std::uint32_t>(len);
    h->seq = seq_++;
    h->sender = writer_->opts_.sender;
    h->time_ns = time_ns_;
    ++frames_;
    bytes_ += len;
    write_pos_ += span;
    write_off_ = off + span == bus.ring_size ? 0 : off + span;
    if (write_off_ == 0) limit_off_ = writer_->native_->holes.limit(0, bus.ring_size);
    last_span_ = span;
    last_len_ = len;
    return std::span<std::byte>(bus.ring + off + sizeof(native::RecordHeader), len);
}

void SendBatch::drop_last() {
    if (writer_ == nullptr || last_len_ == 0) return;
    if (writer_->bus_->format == Format::native) {
        // Still unpublished (commit moves `committed` past it): readers never saw it.
        native::write_pad(*writer_->bus_, write_pos_ - last_span_, last_span_);
        --seq_;
    } else {
        staged_ = false;
    }
    --frames_;
    bytes_ -= last_len_;
    last_len_ = 0;
}

void SendBatch::flush_staged() {
    if (!staged_) return;
    const auto& staging = writer_->staging_;
    netbsd::write_frame(*writer_->bus_, staging.data(), static_cast<std::uint32_t>(staging.size()),
                        writer_->opts_.sender, time_ns_);
    staged_ = false;
}

std::size_t SendBatch::commit() {
    if (writer_ == nullptr) return 0;
    Bus::Impl& bus = *writer_->bus_;
    WriterStats& stats = writer_->stats_;
    std::size_t sent = frames_;
    if (bus.format == Format::native) {
        const std::uint64_t before = published_;
        if (frames_ > published_ && !failure_ && !close_claim()) fail(Errc::fenced);
        if (!native_release(*bus.nh, writer_->native_->view.owner)) {
            // Taken over after everything had landed: nothing is lost, but the thief still
            // quarantines what we might have written, until we say we are done.
            if (failure_ || published_ < frames_)
                fail(Errc::fenced);
            else
                native::release_holes_of(bus, host::current_tid());
        }
        if (published_ > before) wake_native(bus, stats);
        sent = published_;
        stats.bytes += published_bytes_;
    } else {
        flush_staged();
        netbsd_unlock(*bus.bh);
        if (frames_ > 0) {
            // NetBSD readers sleep on inotify and have no waiter count: always wake.
            host::pwrite_wake(bus.map.fd, netbsd::kVersionOffset, netbsd::kVersion);
            ++stats.wakeups;
        }
    }
    stats.frames += sent;
    if (bus.format == Format::netbsd) stats.bytes += bytes_;
    ++stats.batches;
    writer_ = nullptr;
    return sent;
}

std::expected<void, Error> Writer::send(FrameBytes frame) {
    if (auto refused = refuse_length(frame.size(), bus_->max_frame)) {
        ++stats_.rejected;
        return std::unexpected(Error{*refused});
    }
    auto batch = begin();
    if (!batch) return std::unexpected(batch.error());
    auto slot = batch->acquire(frame.size());
    if (!slot) return std::unexpected(slot.error());
    std::memcpy(slot->data(), frame.data(), frame.size());
    batch->commit();
    if (auto failed = batch->failure()) return std::unexpected(*failed);
    return {};
}

std::expected<std::size_t, Error> Writer::send_batch(std::span<const FrameBytes> frames) {
    auto batch = begin();
    if (!batch) return std::unexpected(batch.error());
    for (const FrameBytes& frame : frames) {
        auto slot = batch->acquire(frame.size());
        if (!slot && batch->failure()) break;
        if (!slot) continue;  // counted in rejected
        std::memcpy(slot->data(), frame.data(), frame.size());
    }
    const std::size_t sent = batch->commit();
    if (auto failed = batch->failure()) return std::unexpected(*failed);
    return sent;
}

}  // namespace shmif
