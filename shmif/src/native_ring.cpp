#include "native_ring.hpp"

#include <algorithm>
#include <cstring>

namespace shmif::native {

std::uint64_t reserve_ahead(const Bus::Impl& bus) {
    // Publishing `reserved` a little ahead of need saves a shared store per frame; the price
    // is that readers treat that much more of the oldest data as possibly overwritten.
    // With max_frame <= ring/4 this keeps reserved - ring below the write position.
    return std::min<std::uint64_t>(bus.ring_size / 8, 32 * 1024);
}

namespace {

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

namespace {

// The gate's second word. Writers never put a gate in the ring's last 8 bytes; a hostile
// `committed` may point there, and then the word wraps to offset 0 instead of leaving the
// mapping.
std::uint64_t* gate_seq_word(const Bus::Impl& bus, std::uint64_t pos) {
    return reinterpret_cast<std::uint64_t*>(bus.ring + (pos + kAlign) % bus.ring_size);
}

}  // namespace

void write_gate(Bus::Impl& bus, std::uint64_t pos, std::uint64_t next_seq) {
    std::atomic_ref<std::uint64_t>(*gate_seq_word(bus, pos))
        .store(next_seq, std::memory_order_relaxed);
    first_word(bus, pos).store(gate_word(pos), std::memory_order_relaxed);
}

std::uint64_t gate_seq(const Bus::Impl& bus, std::uint64_t pos) {
    return __atomic_load_n(gate_seq_word(bus, pos), __ATOMIC_RELAXED);
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

HolderView load_view(const Bus::Impl& bus, std::uint64_t owner) {
    const auto& p = bus.nh->pos;
    HolderView v;
    v.owner = owner;
    v.committed = p.committed.load(std::memory_order_relaxed);
    v.reserved = p.reserved.load(std::memory_order_relaxed);
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
                         reserved - first <= ring + reserve_ahead(bus) + kGate &&
                         committed % ring + kGate <= ring;  // room for the gate
    if (aligned && ordered) return false;
    // Nothing here can be trusted: start a fresh, empty ring past every position anyone could
    // hold, so that every reader sees an overrun and resynchronises.
    std::uint64_t highest = std::max({committed & ~kFenceBits, reserved, first});
    std::uint64_t fresh = highest < (1ULL << 62) ? highest + 2 * ring : 0;
    fresh += (ring - fresh % ring) % ring;  // a lap's start: room for the gate
    const std::uint64_t seq = gate_seq(bus, committed & ~std::uint64_t{kAlign - 1});
    ok = swap_from(p.reserved, view.reserved, fresh + kGate);
    if (!ok) return true;
    write_gate(bus, fresh, seq);
    p.first_pos.store(fresh, std::memory_order_relaxed);
    ok = swap_from(p.committed, view.committed, fresh, std::memory_order_release);
    add_stat(bus.nh->stats.corrupt_repairs, 1);
    return true;
}

bool reserve(Bus::Impl& bus, HolderView& view, std::uint64_t end, std::uint64_t write_pos) {
    if (end <= view.reserved) return true;
    // `reserved` first: only the holder moves it, so failing here means we were taken over,
    // before we wrote a byte past what the thief fenced off.
    if (!swap_from(bus.nh->pos.reserved, view.reserved, end + reserve_ahead(bus))) return false;
    // Walk only published records: a holder taken over right here walks later, and must not
    // leave first_pos inside its own claim, which is a hole by then.
    settle_first(bus, view.reserved, std::min(write_pos, view.committed & ~kFenceBits));
    // Orders the stores above before the ring writes that follow; pairs with the acquire
    // fence in intact(), which readers execute after copying.
    std::atomic_thread_fence(std::memory_order_release);
    return true;
}

void settle_first(Bus::Impl& bus, std::uint64_t reserved, std::uint64_t write_pos) {
    auto& p = bus.nh->pos;
    const std::uint64_t ring = bus.ring_size;
    // Invariant kept here: first_pos is the oldest record boundary with
    // first_pos + ring >= reserved, so readers that resync there find an intact record.
    // (A holder that was taken over after its `reserved` store may still walk, over records
    // a thief may have overwritten since: whatever boundary it finds, readers accept a
    // record there only if it is intact, which rules out anything it read overwritten.)
    std::uint64_t seen = p.first_pos.load(std::memory_order_relaxed);
    for (int round = 0; round < 4; ++round) {
        // Never backwards: a holder that was taken over may find first_pos already past the
        // records it knows (even past its own claim), and must leave it there.
        if (seen + ring >= reserved || seen >= write_pos) return;
        std::uint64_t first = seen;
        while (first + ring < reserved) {
            std::uint64_t span = first < write_pos ? span_at(bus, first) : 0;
            if (span == 0 || first + span > write_pos) {
                // The chain of records is broken (a hostile write): drop everything older.
                first = write_pos;
                add_stat(bus.nh->stats.corrupt_repairs, 1);
                break;
            }
            first += span;
        }
        if (p.first_pos.compare_exchange_strong(seen, first, std::memory_order_relaxed)) return;
    }
}

bool commit(Bus::Impl& bus, HolderView& view, std::uint64_t write_pos) {
    // release pairs with the acquire load of committed in readers: the records are complete.
    return swap_from(bus.nh->pos.committed, view.committed, write_pos, std::memory_order_release);
}

CommitSnapshot read_commit(const Bus::Impl& bus) {
    CommitSnapshot snap{};
    for (int tries = 0; tries < 8; ++tries) {
        snap.committed = load_committed(bus);
        snap.next_seq = gate_seq(bus, snap.committed);
        // The gate stays in the ring until writers lap it: intact, it was the one we wanted.
        if (intact(bus, snap.committed)) break;
    }
    return snap;
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
