#include "shmif/writer.hpp"

#include <cstddef>
#include <cstring>

#include "bus_impl.hpp"
#include "header_rules.hpp"
#include "lock.hpp"
#include "native_ring.hpp"
#include "netbsd_ring.hpp"

namespace shmif {

namespace {

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

Writer::Writer(const Bus& bus, WriterOptions opts) : bus_(&bus.impl()), opts_(opts) {
    if (opts_.sender == 0) opts_.sender = random_sender_id();
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
    LockAttempt got = bus.format == Format::native
                          ? native_lock(*bus.nh, opts_.lock_timeout)
                          : netbsd_lock(*bus.bh, opts_.lock_timeout, opts_.netbsd_steal_after);
    if (got.contended) ++stats_.lock_contended;
    if (got.outcome == LockOutcome::timeout || got.outcome == LockOutcome::unusable) {
        batch.writer_ = nullptr;
        return std::unexpected(
            Error{got.outcome == LockOutcome::timeout ? Errc::lock_timeout : Errc::corrupt_header});
    }
    if (bus.format == Format::native) {
        native::repair_positions(bus);
        if (got.outcome == LockOutcome::recovered) {
            ++bus.nh->stats.lock_recoveries;
            ++stats_.lock_recoveries;
            native_mark_consistent(*bus.nh);
        }
        batch.write_pos_ = bus.nh->pos.committed.load(std::memory_order_relaxed);
        batch.write_off_ = batch.write_pos_ % bus.ring_size;
        batch.seq_ = bus.nh->pos.next_seq.load(std::memory_order_relaxed);
    } else {
        if (got.outcome == LockOutcome::recovered) ++stats_.lock_recoveries;
        if (!netbsd::span(bus)) netbsd::reset(bus);
    }
    batch.time_ns_ = host::now_realtime_ns();
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
      staged_(other.staged_) {
    other.writer_ = nullptr;
}

SendBatch::~SendBatch() {
    commit();
}

std::expected<std::span<std::byte>, Error> SendBatch::acquire(std::size_t len) {
    Bus::Impl& bus = *writer_->bus_;
    if (len == 0 || len > bus.max_frame) {
        ++writer_->stats_.rejected;
        return std::unexpected(Error{len == 0 ? Errc::invalid_argument : Errc::frame_too_large});
    }
    ++frames_;
    bytes_ += len;
    if (bus.format == Format::netbsd) {
        flush_staged();
        writer_->staging_.resize(len);
        staged_ = true;
        last_len_ = len;
        return std::span<std::byte>(writer_->staging_.data(), len);
    }
    const std::uint64_t ring = bus.ring_size;
    const std::uint64_t span = native::record_span(len);
    std::uint64_t off = write_off_;
    if (ring - off < span) {
        // Records never straddle the end of the ring: pad the tail and start over at 0.
        native::reserve(bus, write_pos_ + (ring - off), write_pos_);
        native::write_pad(bus, write_pos_, ring - off);
        write_pos_ += ring - off;
        off = 0;
        ++wraps_;
    }
    native::reserve(bus, write_pos_ + span, write_pos_);
    auto* h = reinterpret_cast<native::RecordHeader*>(bus.ring + off);
    h->span = static_cast<std::uint32_t>(span);
    h->len = static_cast<std::uint32_t>(len);
    h->seq = seq_++;
    h->sender = writer_->opts_.sender;
    h->time_ns = time_ns_;
    write_pos_ += span;
    write_off_ = off + span == ring ? 0 : off + span;
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
    if (bus.format == Format::native) {
        if (frames_ > 0) {
            native::commit(bus, write_pos_, seq_);
            auto& hs = bus.nh->stats;
            hs.frames += frames_;
            hs.bytes += bytes_;
            hs.wraps += wraps_;
        }
        native_unlock(*bus.nh);
        if (frames_ > 0) wake_native(bus, stats);
    } else {
        flush_staged();
        netbsd_unlock(*bus.bh);
        if (frames_ > 0) {
            // NetBSD readers sleep on inotify and have no waiter count: always wake.
            host::pwrite_wake(bus.map.fd, netbsd::kVersionOffset, netbsd::kVersion);
            ++stats.wakeups;
        }
    }
    stats.frames += frames_;
    stats.bytes += bytes_;
    ++stats.batches;
    const std::size_t sent = frames_;
    writer_ = nullptr;
    return sent;
}

std::expected<void, Error> Writer::send(FrameBytes frame) {
    if (frame.empty() || frame.size() > bus_->max_frame) {
        ++stats_.rejected;
        return std::unexpected(
            Error{frame.empty() ? Errc::invalid_argument : Errc::frame_too_large});
    }
    auto batch = begin();
    if (!batch) return std::unexpected(batch.error());
    auto slot = batch->acquire(frame.size());
    if (!slot) return std::unexpected(slot.error());
    std::memcpy(slot->data(), frame.data(), frame.size());
    batch->commit();
    return {};
}

std::expected<std::size_t, Error> Writer::send_batch(std::span<const FrameBytes> frames) {
    auto batch = begin();
    if (!batch) return std::unexpected(batch.error());
    for (const FrameBytes& frame : frames) {
        auto slot = batch->acquire(frame.size());
        if (!slot) continue;  // counted in rejected
        std::memcpy(slot->data(), frame.data(), frame.size());
    }
    return batch->commit();
}

}  // namespace shmif
