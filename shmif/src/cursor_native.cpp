// Cursor on the native format: lock-free reads validated after the copy (see
// layout_native.hpp). Nothing here writes to shared memory.
#include <algorithm>
#include <cstring>

#include "bus_impl.hpp"
#include "native_ring.hpp"
#include "shmif/cursor.hpp"
#include "shmif/seqlock_read.hpp"

namespace shmif {

namespace {

// A lapped reader retries from the oldest record; each retry makes progress unless writers
// lap it again, so a small bound only ever costs a return of 0 under a flood.
constexpr int kAttempts = 8;

enum class ScanEnd { done, corrupt };

struct Scan {
    std::uint64_t pos;
    std::uint64_t expected_seq;
    bool seq_known;
    CursorStats stats;
    std::size_t count = 0;
};

// Walks records from scan.pos below `committed`, up to `max` delivered frames, accounting for
// sequence gaps and own frames; on_frame(header, payload, len, record) delivers one.
template <class OnFrame>
ScanEnd scan_records(const Bus::Impl& bus, std::uint64_t committed, std::size_t max,
                     std::uint64_t skip_sender, Scan& scan, OnFrame&& on_frame) {
    native::RawRecord rec{};
    std::uint64_t off = scan.pos % bus.ring_size;
    while (scan.pos < committed && scan.count < max) {
        if (!native::decode(bus, scan.pos, off, committed, rec)) return ScanEnd::corrupt;
        if (!rec.pad) {
            const native::RecordHeader* h = rec.header;
            const std::uint64_t seq = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
            if (scan.seq_known && seq != scan.expected_seq) {
                if (seq > scan.expected_seq)
                    scan.stats.lost_frames += seq - scan.expected_seq;
                else
                    ++scan.stats.corrupt;
            }
            scan.expected_seq = seq + 1;
            scan.seq_known = true;
            if (skip_sender != 0 && __atomic_load_n(&h->sender, __ATOMIC_RELAXED) == skip_sender) {
                ++scan.stats.skipped_own;
            } else {
                // rec.len, as validated: the payload then lies within the record's span.
                on_frame(h, reinterpret_cast<const std::byte*>(h + 1), rec.len, rec);
                ++scan.count;
                ++scan.stats.frames;
                scan.stats.bytes += rec.len;
            }
        }
        scan.pos = rec.next;
        off = rec.next_off;
    }
    return ScanEnd::done;
}

}  // namespace

void Cursor::start_at_oldest_native() {
    // The oldest frame's sequence number anchors the loss count from the very first read.
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        SeqlockReadSection section;
        const auto snap = native::read_commit(*bus_);
        std::uint64_t pos = bus_->nh->pos.first_pos.load(std::memory_order_acquire);
        if (pos > snap.committed || snap.committed - pos > bus_->ring_size) continue;
        const std::uint64_t start = pos;
        native::RawRecord rec{};
        bool decoded = true;
        while (pos < snap.committed &&
               (decoded = native::decode(*bus_, pos, snap.committed, rec)) && rec.pad)
            pos = rec.next;
        std::uint64_t seq = snap.next_seq;
        // A record that does not decode is left for the first receive() to count and skip.
        if (pos < snap.committed && decoded && !rec.pad)
            seq = __atomic_load_n(&rec.header->seq, __ATOMIC_RELAXED);
        if (!native::intact(*bus_, start) || seq > snap.next_seq) continue;
        pos_ = start;
        expected_seq_ = seq;
        seq_known_ = true;
        return;
    }
    resync_to_commit();
}

void Cursor::overrun_native() {
    ++stats_.overruns;
    // first_pos is the oldest record boundary still intact; the next frame's sequence number
    // tells exactly how many were lost on the way.
    const std::uint64_t first = bus_->nh->pos.first_pos.load(std::memory_order_acquire);
    if (first > pos_) pos_ = first;
}

std::size_t Cursor::receive_native(std::span<Frame> out) {
    const Bus::Impl& bus = *bus_;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        SeqlockReadSection section;
        const std::uint64_t committed = native::load_committed(bus);
        if (committed == pos_) return 0;
        if (committed < pos_ || pos_ % native::kAlign != 0) {
            ++stats_.corrupt;  // the bus went backwards: recreated or tampered with
            resync_to_commit();
            return 0;
        }
        if (committed - pos_ > bus.ring_size) {
            overrun_native();
            continue;
        }
        const std::uint64_t start = pos_;
        Scan scan{pos_, expected_seq_, seq_known_, stats_};
        std::size_t i = 0;
        const ScanEnd end =
            scan_records(bus, committed, out.size(), opts_.skip_sender, scan,
                         [&](const native::RecordHeader* h, const std::byte* payload,
                             std::uint32_t len, const native::RawRecord&) {
                             Frame& f = out[i++];
                             const std::size_t n = std::min<std::size_t>(len, f.capacity);
                             if (n != 0) std::memcpy(f.data, payload, n);  // data may be null
                             f.len = n;
                             f.orig_len = len;
                             f.sender = __atomic_load_n(&h->sender, __ATOMIC_RELAXED);
                             f.time_ns = __atomic_load_n(&h->time_ns, __ATOMIC_RELAXED);
                             if (n < len) ++scan.stats.truncated;
                         });
        if (!native::intact(bus, start)) {
            overrun_native();  // what we copied may be torn: drop it and start again
            continue;
        }
        pos_ = scan.pos;
        expected_seq_ = scan.expected_seq;
        seq_known_ = scan.seq_known;
        stats_ = scan.stats;
        if (end == ScanEnd::corrupt) {
            ++stats_.corrupt;
            resync_to_commit();
        }
        if (scan.count > 0 || end == ScanEnd::corrupt || pos_ == committed) return scan.count;
    }
    return 0;
}

std::size_t Cursor::peek_native(std::span<FrameView> out) {
    const Bus::Impl& bus = *bus_;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        SeqlockReadSection section;
        const std::uint64_t committed = native::load_committed(bus);
        if (committed == pos_) return 0;
        if (committed < pos_ || committed - pos_ > bus.ring_size || pos_ % native::kAlign != 0) {
            if (committed < pos_ || pos_ % native::kAlign != 0) {
                ++stats_.corrupt;
                resync_to_commit();
                return 0;
            }
            overrun_native();
            continue;
        }
        const std::uint64_t start = pos_;
        Scan scan{pos_, expected_seq_, seq_known_, stats_};
        peek_marks_.clear();
        std::size_t i = 0;
        const ScanEnd end =
            scan_records(bus, committed, out.size(), opts_.skip_sender, scan,
                         [&](const native::RecordHeader* h, const std::byte* payload,
                             std::uint32_t len, const native::RawRecord& rec) {
                             FrameView& v = out[i++];
                             v.data = std::span<const std::byte>(payload, len);
                             v.sender = __atomic_load_n(&h->sender, __ATOMIC_RELAXED);
                             v.time_ns = __atomic_load_n(&h->time_ns, __ATOMIC_RELAXED);
                             v.seq = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
                             v.pos = rec.pos;
                             CursorStats after = scan.stats;
                             ++after.frames;
                             after.bytes += len;
                             peek_marks_.push_back({rec.next, v.seq + 1, after});
                         });
        if (!native::intact(bus, start)) {
            overrun_native();
            continue;
        }
        peek_resync_ = end == ScanEnd::corrupt;
        if (scan.count == 0) {
            // Only pads or own frames: move past them now.
            pos_ = scan.pos;
            expected_seq_ = scan.expected_seq;
            seq_known_ = scan.seq_known;
            stats_ = scan.stats;
            if (peek_resync_) {
                ++stats_.corrupt;
                resync_to_commit();
                peek_resync_ = false;
            }
            if (pos_ == committed || end == ScanEnd::corrupt) return 0;
            continue;
        }
        if (peek_resync_) ++peek_marks_.back().stats.corrupt;
        return scan.count;
    }
    return 0;
}

}  // namespace shmif
