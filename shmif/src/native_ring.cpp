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

// The span word of the record at pos if it is a plausible record boundary, else 0. Pads may
// cross the end of the ring; frames may not.
std::uint64_t span_at(const Bus::Impl& bus, std::uint64_t pos) {
    std::uint64_t off = pos % bus.ring_size;
    std::uint32_t word = __atomic_load_n(&header_at(bus, pos)->span, __ATOMIC_RELAXED);
    std::uint64_t span = word & kSpanMask;
    const std::uint64_t room = (word & kPadFlag) != 0 ? bus.ring_size : bus.ring_size - off;
    if (span < kAlign || span % kAlign != 0 || span > room) return 0;
    return span;
}

template <class T>
bool swap_from(std::atomic<T>& word, T& known, T desired,
               std::memory_order order = std::memory_order_relaxed) {
    T expected = known;
    if (!word.compare_exchange_strong(expected, desired, order, std::memory_order_relaxed))
        return false;
    known = desired;
    return true;
}

}  // namespace

std::atomic_ref<std::uint64_t> first_word(Bus::Impl& bus, std::uint64_t pos) {
    return std::atomic_ref<std::uint64_t>(
        *reinterpret_cast<std::uint64_t*>(bus.ring + (pos % bus.ring_size)));
}

void write_gate(Bus::Impl& bus, std::uint64_t pos) {
    first_word(bus, pos).store(gate_word(pos), std::memory_order_relaxed);
}

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
// ring (only ever done to repair after a writer died or stalled inside commit()); `fallback`
// when the ring holds no frame or its chain of records is broken.
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

std::uint64_t newest_seq_after(const Bus::Impl& bus, std::uint64_t fallback) {
    const auto& p = bus.nh->pos;
    const std::uint64_t committed = load_committed(bus, std::memory_order_relaxed);
    const std::uint64_t first = p.first_pos.load(std::memory_order_relaxed);
    if (first > committed || committed - first > bus.ring_size) return fallback;
    return seq_after_last_frame(bus, first, committed, fallback);
}

HolderView load_view(const Bus::Impl& bus, std::uint64_t owner) {
    const auto& p = bus.nh->pos;
    HolderView v;
    v.owner = owner;
    v.committed = p.committed.load(std::memory_order_relaxed);
    v.reserved = p.reserved.load(std::memory_order_relaxed);
    v.next_seq = p.next_seq.load(std::memory_order_relaxed);
    v.commit_ver = p.commit_ver.load(std::memory_order_relaxed);
    return v;
}

bool repair_positions(Bus::Impl& bus, HolderView& view, bool& ok) {
    auto& p = bus.nh->pos;
    ok = true;
    const std::uint64_t ring = bus.ring_size;
    const std::uint64_t committed = view.committed;
    const std::uint64_t reserved = view.reserved;
    const std::uint64_t first = p.first_pos.load(std::memory_order_relaxed);
    const bool aligned = committed % kAlign == 0 && reserved % kAlign == 0 && first % kAlign == 0;
    const bool ordered = first <= committed && committed + kGate <= reserved &&
                         reserved - first <= ring + reserve_ahead(bus) + kGate;
    if (aligned && ordered) {
        if (view.commit_ver % 2 == 0) return false;
        // A commit was cut in half (by a death the takeover did not see, or by a hostile
        // write). Records below `committed` are complete; next_seq must follow the newest.
        const std::uint64_t seq = seq_after_last_frame(bus, first, committed, view.next_seq);
        ok = swap_from(p.next_seq, view.next_seq, seq) &&
             swap_from(p.commit_ver, view.commit_ver, view.commit_ver + 1,
                       std::memory_order_release);
        return true;
    }
    // Nothing here can be trusted: start a fresh, empty ring past every position anyone could
    // hold, so that every reader sees an overrun and resynchronises.
    std::uint64_t highest = std::max({committed & ~kFenceBits, reserved, first});
    std::uint64_t fresh = highest < (1ULL << 62) ? highest + 2 * ring : 0;
    fresh = (fresh + kAlign - 1) & ~std::uint64_t{kAlign - 1};
    const std::uint64_t odd = view.commit_ver | 1;
    ok = swap_from(p.commit_ver, view.commit_ver, odd + 2) &&
         swap_from(p.reserved, view.reserved, fresh + kGate);
    if (!ok) return true;
    write_gate(bus, fresh);
    p.first_pos.store(fresh, std::memory_order_relaxed);
    ok = swap_from(p.committed, view.committed, fresh, std::memory_order_release) &&
         swap_from(p.commit_ver, view.commit_ver, odd + 3, std::memory_order_release);
    ++bus.nh->stats.corrupt_repairs;
    return true;
}

bool reserve(Bus::Impl& bus, HolderView& view, std::uint64_t end, std::uint64_t write_pos) {
    auto& p = bus.nh->pos;
    const std::uint64_t ring = bus.ring_size;
    if (end <= view.reserved) return true;
    const std::uint64_t target = end + reserve_ahead(bus);
    // `reserved` first: only the holder moves it, so failing here means we were taken over,
    // before we wrote a byte past what the thief fenced off.
    if (!swap_from(p.reserved, view.reserved, target)) return false;
    // Invariant kept here: first_pos is the oldest record boundary with
    // first_pos + ring >= reserved, so readers that resync there find an intact record.
    // (A holder that was taken over may still move it forward, to a boundary just as valid.)
    std::uint64_t seen = p.first_pos.load(std::memory_order_relaxed);
    for (int round = 0; round < 4; ++round) {
        std::uint64_t first = seen;
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
        if (first == seen || p.first_pos.compare_exchange_strong(seen, first,
                                                                 std::memory_order_relaxed))
            break;
        if (seen >= first) break;  // moved at least as far by a holder that was taken over
    }
    // Orders the stores above before the ring writes that follow; pairs with the acquire
    // fence in intact(), which readers execute after copying.
    std::atomic_thread_fence(std::memory_order_release);
    return true;
}

Publish commit(Bus::Impl& bus, HolderView& view, std::uint64_t write_pos,
               std::uint64_t next_seq) {
    auto& p = bus.nh->pos;
    const std::uint64_t ver = view.commit_ver;
    if (!swap_from(p.commit_ver, view.commit_ver, ver + 1)) return Publish::fenced;
    std::atomic_thread_fence(std::memory_order_release);
    // release pairs with the acquire load of committed in readers: the records are complete.
    if (!swap_from(p.committed, view.committed, write_pos, std::memory_order_release))
        return Publish::fenced;
    // From here the records are out. A thief that took over between the two stores finds
    // commit_ver odd and sets next_seq itself, from the ring.
    if (!swap_from(p.next_seq, view.next_seq, next_seq)) return Publish::landed_late;
    if (!swap_from(p.commit_ver, view.commit_ver, ver + 2, std::memory_order_release))
        return Publish::landed_late;
    return Publish::landed;
}

Publish publish_takeover(Bus::Impl& bus, HolderView& view, std::uint64_t write_pos) {
    auto& p = bus.nh->pos;
    if (!swap_from(p.committed, view.committed, write_pos, std::memory_order_release))
        return Publish::fenced;
    if (!swap_from(p.commit_ver, view.commit_ver, view.commit_ver + 1, std::memory_order_release))
        return Publish::landed_late;
    return Publish::landed;
}

CommitSnapshot read_commit(const Bus::Impl& bus) {
    const auto& p = bus.nh->pos;
    for (int tries = 0;; ++tries) {
        std::uint64_t v1 = p.commit_ver.load(std::memory_order_acquire);
        std::uint64_t committed = p.committed.load(std::memory_order_acquire) & ~kFenceBits;
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
    if (span < kAlign || span % kAlign != 0 || span > committed - pos) return false;
    out.pos = pos;
    out.next = pos + span;
    out.pad = (word & kPadFlag) != 0;
    out.header = h;
    out.len = 0;
    if (out.pad) {
        // A pad may cross the end of the ring (a hole does): nothing inside it is read.
        if (span > bus.ring_size) return false;
        out.next_off = off + span >= bus.ring_size ? off + span - bus.ring_size : off + span;
        return true;
    }
    if (off + span > bus.ring_size || span < sizeof(RecordHeader)) return false;
    out.next_off = off + span == bus.ring_size ? 0 : off + span;
    out.len = __atomic_load_n(&h->len, __ATOMIC_RELAXED);
    return out.len <= bus.max_frame && record_span(out.len) == span;
}

}  // namespace shmif::native
