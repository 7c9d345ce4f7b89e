#include "native_ring.hpp"

#include <algorithm>
#include <cstring>

namespace shmif::native {

namespace {

std::uint64_t reserve_ahead(const Bus::Impl& bus) {
    // Publishing `reserved` a little ahead of need saves a shared store per frame; the price
    // is that readers treat that much more of the oldest data as possibly overwritten.
    // With max_frame <= ring/4 this keeps reserved - ring below the write position.
    return std::min<std::uint64_t>(bus.ring_size / 8, 32 * 1024);
}

RecordHeader* header_at(const Bus::Impl& bus, std::uint64_t pos) {
    return reinterpret_cast<RecordHeader*>(bus.ring + (pos % bus.ring_size));
}

// The span word of the record at pos if it is a plausible record boundary, else 0.
std::uint64_t span_at(const Bus::Impl& bus, std::uint64_t pos) {
    std::uint64_t off = pos % bus.ring_size;
    std::uint32_t word = __atomic_load_n(&header_at(bus, pos)->span, __ATOMIC_RELAXED);
    std::uint64_t span = word & kSpanMask;
    if (span < kAlign || span % kAlign != 0 || off + span > bus.ring_size) return 0;
    return span;
}

}  // namespace

void write_pad(Bus::Impl& bus, std::uint64_t pos, std::uint64_t len) {
    while (len > 0) {
        std::uint64_t off = pos % bus.ring_size;
        std::uint64_t chunk = std::min({len, bus.ring_size - off, std::uint64_t{kSpanMask & ~7U}});
        header_at(bus, pos)->span = static_cast<std::uint32_t>(chunk) | kPadFlag;
        pos += chunk;
        len -= chunk;
    }
}

namespace {

// The sequence number after the newest frame in [first, committed), found by walking the
// ring (only ever done to repair after a writer died inside commit()); `fallback` when the
// ring holds no frame or its chain of records is broken.
std::uint64_t seq_after_last_frame(const Bus::Impl& bus, std::uint64_t first,
                                   std::uint64_t committed, std::uint64_t fallback) {
    std::uint64_t next = fallback;
    bool any = false;
    RawRecord rec{};
    for (std::uint64_t pos = first; pos < committed; pos = rec.next) {
        if (!decode(bus, pos, committed, rec)) return fallback;
        if (!rec.pad) {
            next = rec.header->seq + 1;
            any = true;
        }
    }
    return any ? next : fallback;
}

}  // namespace

bool repair_positions(Bus::Impl& bus) {
    auto& p = bus.nh->pos;
    const std::uint64_t ring = bus.ring_size;
    std::uint64_t committed = p.committed.load(std::memory_order_relaxed);
    std::uint64_t reserved = p.reserved.load(std::memory_order_relaxed);
    std::uint64_t first = p.first_pos.load(std::memory_order_relaxed);
    std::uint64_t ver = p.commit_ver.load(std::memory_order_relaxed);
    const bool aligned = committed % kAlign == 0 && reserved % kAlign == 0 && first % kAlign == 0;
    const bool ordered = first <= committed && committed <= reserved && reserved - first <= ring;
    if (aligned && ordered) {
        if (ver % 2 == 0) return false;
        // A writer died inside commit(), between storing next_seq and committed (or after
        // both). Records below `committed` are complete either way; next_seq must follow the
        // newest of them, or readers would count the dead batch's numbers as lost frames.
        p.next_seq.store(
            seq_after_last_frame(bus, first, committed, p.next_seq.load(std::memory_order_relaxed)),
            std::memory_order_relaxed);
        p.commit_ver.store(ver + 1, std::memory_order_release);
        return true;
    }
    // Nothing here can be trusted: start a fresh, empty ring past every position anyone could
    // hold, so that every reader sees an overrun and resynchronises. (Records a dead writer
    // left half-written above `committed` need no repair: they were never published, and the
    // next writer writes over them.)
    std::uint64_t highest = std::max({committed, reserved, first});
    std::uint64_t fresh = highest < (1ULL << 62) ? highest + 2 * ring : 0;
    fresh = (fresh + kAlign - 1) & ~std::uint64_t{kAlign - 1};
    p.commit_ver.store(ver | 1, std::memory_order_relaxed);
    p.reserved.store(fresh, std::memory_order_relaxed);
    p.first_pos.store(fresh, std::memory_order_relaxed);
    p.committed.store(fresh, std::memory_order_release);
    p.commit_ver.store((ver | 1) + 1, std::memory_order_release);
    ++bus.nh->stats.corrupt_repairs;
    return true;
}

void reserve(Bus::Impl& bus, std::uint64_t end, std::uint64_t write_pos) {
    auto& p = bus.nh->pos;
    const std::uint64_t ring = bus.ring_size;
    if (end <= p.reserved.load(std::memory_order_relaxed)) return;
    const std::uint64_t target = end + reserve_ahead(bus);
    std::uint64_t first = p.first_pos.load(std::memory_order_relaxed);
    // Invariant kept here: first_pos is the oldest record boundary with
    // first_pos + ring >= reserved, so readers that resync there find an intact record.
    while (first + ring < target) {
        std::uint64_t span = first < write_pos ? span_at(bus, first) : 0;
        if (span == 0 || first + span > write_pos) {
            // The chain of records is broken (a hostile write): drop everything older.
            first = write_pos;
            ++bus.nh->stats.corrupt_repairs;
            break;
        }
        first += span;
    }
    p.first_pos.store(first, std::memory_order_relaxed);
    p.reserved.store(target, std::memory_order_relaxed);
    // Orders the two stores above before the ring writes that follow; pairs with the acquire
    // fence in intact(), which readers execute after copying.
    std::atomic_thread_fence(std::memory_order_release);
}

void commit(Bus::Impl& bus, std::uint64_t write_pos, std::uint64_t next_seq) {
    auto& p = bus.nh->pos;
    std::uint64_t ver = p.commit_ver.load(std::memory_order_relaxed);
    p.commit_ver.store(ver + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    p.next_seq.store(next_seq, std::memory_order_relaxed);
    // release pairs with the acquire load of committed in readers: the records are complete.
    p.committed.store(write_pos, std::memory_order_release);
    p.commit_ver.store(ver + 2, std::memory_order_release);
}

CommitSnapshot read_commit(const Bus::Impl& bus) {
    const auto& p = bus.nh->pos;
    for (int tries = 0;; ++tries) {
        std::uint64_t v1 = p.commit_ver.load(std::memory_order_acquire);
        std::uint64_t committed = p.committed.load(std::memory_order_acquire);
        std::uint64_t seq = p.next_seq.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        std::uint64_t v2 = p.commit_ver.load(std::memory_order_relaxed);
        // A writer that died between the two version stores leaves it odd until the next
        // writer repairs it; a live one is there for a few stores. After ~50 us take the
        // pair as it is: both halves were written under the lock, at worst one batch apart.
        if ((v1 == v2 && v1 % 2 == 0) || tries > 1000) return {committed, seq};
        host::cpu_relax();
    }
}

bool decode(const Bus::Impl& bus, std::uint64_t pos, std::uint64_t off, std::uint64_t committed,
            RawRecord& out) {
    if (pos % kAlign != 0) return false;
    const auto* h = reinterpret_cast<const RecordHeader*>(bus.ring + off);
    const std::uint32_t word = __atomic_load_n(&h->span, __ATOMIC_RELAXED);
    const std::uint64_t span = word & kSpanMask;
    if (span < kAlign || span % kAlign != 0 || off + span > bus.ring_size || span > committed - pos)
        return false;
    out.pos = pos;
    out.next = pos + span;
    out.next_off = off + span == bus.ring_size ? 0 : off + span;
    out.pad = (word & kPadFlag) != 0;
    out.header = h;
    out.len = 0;
    if (out.pad) return true;
    if (span < sizeof(RecordHeader)) return false;
    out.len = __atomic_load_n(&h->len, __ATOMIC_RELAXED);
    return out.len <= bus.max_frame && record_span(out.len) == span;
}

}  // namespace shmif::native
