#include "holes.hpp"

#include <algorithm>

#include "host.hpp"

namespace shmif::native {

namespace {

std::atomic<std::uint64_t>& tag_of(const Bus::Impl& bus, int i) {
    return bus.nh->hole_tags.tag[i];
}

HoleBody& body_of(const Bus::Impl& bus, int i) {
    return bus.nh->holes[i];
}

std::uint32_t victim_at(const HoleBody& b, int v) {
    return __atomic_load_n(&b.victims[v], __ATOMIC_RELAXED);
}

// Bit mask of the victim slots that are in use.
std::uint32_t listed(const HoleBody& b) {
    std::uint32_t mask = 0;
    for (int v = 0; v < kMaxVictims; ++v)
        if (victim_at(b, v) != 0) mask |= 1U << v;
    return mask;
}

bool free_entry(const Bus::Impl& bus, int i, std::uint64_t tag) {
    return tag_of(bus, i).compare_exchange_strong(
        tag, hole_tag(hole_gen(tag) + 1, 0, HoleState::free), std::memory_order_acq_rel,
        std::memory_order_relaxed);
}

// Entries a thread that no longer exists was writing are nobody's: free them.
void sweep_dead_writers(const Bus::Impl& bus) {
    for (int i = 0; i < kMaxHoles; ++i) {
        const std::uint64_t tag = tag_of(bus, i).load(std::memory_order_acquire);
        if (hole_state(tag) == HoleState::writing && !host::tid_alive(hole_creator(tag)))
            free_entry(bus, i, tag);
    }
}

}  // namespace

std::uint64_t HoleMap::limit(std::uint64_t off, std::uint64_t ring) const {
    std::uint64_t best = ring;
    for (int i = 0; i < count; ++i)
        if (entries[i].off >= off && entries[i].off < best) best = entries[i].off;
    return best;
}

const HoleMap::Entry* HoleMap::at(std::uint64_t off) const {
    const Entry* best = nullptr;
    for (int i = 0; i < count; ++i)
        if (entries[i].off == off && (best == nullptr || entries[i].len > best->len))
            best = &entries[i];
    return best;
}

std::uint64_t HoleMap::remaining_inside(std::uint64_t off, std::uint64_t ring) const {
    std::uint64_t most = 0;
    for (int i = 0; i < count; ++i) {
        // Distance from the hole's start to off, going forward around the ring.
        const std::uint64_t into =
            off >= entries[i].off ? off - entries[i].off : off + ring - entries[i].off;
        if (into < entries[i].len) most = std::max(most, entries[i].len - into);
    }
    return most;
}

void HoleMap::remove(int index) {
    for (int i = 0; i < count; ++i)
        if (entries[i].index == index) {
            entries[i] = entries[count - 1];
            --count;
            return;
        }
}

void load_holes(const Bus::Impl& bus, HoleMap& map) {
    map.count = 0;
    for (int i = 0; i < kMaxHoles; ++i) {
        const std::uint64_t tag = tag_of(bus, i).load(std::memory_order_acquire);
        if (hole_state(tag) != HoleState::active) continue;
        const HoleBody& b = body_of(bus, i);
        map.entries[map.count++] = {__atomic_load_n(&b.start, __ATOMIC_RELAXED) % bus.ring_size,
                                    __atomic_load_n(&b.len, __ATOMIC_RELAXED), i, tag};
    }
}

bool release_if_done(Bus::Impl& bus, int index, std::uint64_t tag) {
    HoleBody& b = body_of(bus, index);
    std::uint32_t done = b.done.load(std::memory_order_acquire);
    for (int v = 0; v < kMaxVictims; ++v) {
        const std::uint32_t tid = victim_at(b, v);
        if (tid == 0 || (done & (1U << v)) != 0) continue;
        if (host::tid_alive(tid)) return false;
        done = b.done.fetch_or(1U << v, std::memory_order_acq_rel) | (1U << v);
    }
    return free_entry(bus, index, tag);
}

int prepare_hole(Bus::Impl& bus, std::uint32_t holder_tid, bool holder_dead,
                 std::uint64_t len_bound) {
    sweep_dead_writers(bus);
    std::uint64_t held = 0;
    int slot = -1;
    for (int i = 0; i < kMaxHoles; ++i) {
        const std::uint64_t tag = tag_of(bus, i).load(std::memory_order_acquire);
        if (hole_state(tag) == HoleState::active && release_if_done(bus, i, tag)) continue;
        if (hole_state(tag) == HoleState::active) held += body_of(bus, i).len;
        if (hole_state(tag) == HoleState::free && slot < 0) {
            std::uint64_t expected = tag;
            const std::uint64_t mine =
                hole_tag(hole_gen(tag) + 1, host::current_tid(), HoleState::writing);
            if (tag_of(bus, i).compare_exchange_strong(expected, mine, std::memory_order_acq_rel,
                                                       std::memory_order_relaxed))
                slot = i;
        }
    }
    if (slot < 0) return -1;
    if (held >= len_bound) {
        abandon_hole(bus, slot);
        return -1;
    }
    HoleBody& b = body_of(bus, slot);
    std::uint32_t victims[kMaxVictims] = {holder_tid, 0, 0, 0};
    std::uint32_t done = holder_dead ? 1U : 0U;
    int n = 1;
    // The holder may have been taking over someone itself: its unfinished entries name the
    // writers whose claims our hole must now cover too.
    for (int i = 0; i < kMaxHoles && n < kMaxVictims; ++i) {
        const std::uint64_t tag = tag_of(bus, i).load(std::memory_order_acquire);
        if (i == slot || hole_state(tag) != HoleState::writing || hole_creator(tag) != holder_tid)
            continue;
        const HoleBody& theirs = body_of(bus, i);
        const std::uint32_t their_done = theirs.done.load(std::memory_order_acquire);
        for (int v = 0; v < kMaxVictims && n < kMaxVictims; ++v) {
            const std::uint32_t tid = victim_at(theirs, v);
            if (tid == 0 || (their_done & (1U << v)) != 0) continue;
            victims[n++] = tid;
        }
    }
    for (int v = 0; v < kMaxVictims; ++v)
        __atomic_store_n(&b.victims[v], victims[v], __ATOMIC_RELAXED);
    b.done.store(done, std::memory_order_seq_cst);
    __atomic_store_n(&b.start, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&b.len, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&b.since_ns, host::now_realtime_ns(), __ATOMIC_RELAXED);
    return slot;
}

void activate_hole(Bus::Impl& bus, int index, std::uint32_t holder_tid, std::uint64_t start,
                   std::uint64_t len) {
    HoleBody& b = body_of(bus, index);
    // Atomic stores only because `shmifbus info` may read an entry that is being reused.
    __atomic_store_n(&b.start, start, __ATOMIC_RELAXED);
    __atomic_store_n(&b.len, len, __ATOMIC_RELAXED);
    std::uint64_t tag = tag_of(bus, index).load(std::memory_order_relaxed);
    tag_of(bus, index)
        .compare_exchange_strong(tag,
                                 hole_tag(hole_gen(tag), host::current_tid(), HoleState::active),
                                 std::memory_order_seq_cst, std::memory_order_relaxed);
    // A victim we inherited may have said it was done before we listed it: it marked the
    // holder's entry then, not ours. Carry that over now (both sides are seq_cst).
    const std::uint32_t mask = listed(b);
    for (int i = 0; i < kMaxHoles; ++i) {
        const std::uint64_t other = tag_of(bus, i).load(std::memory_order_seq_cst);
        if (i == index || hole_state(other) != HoleState::writing ||
            hole_creator(other) != holder_tid)
            continue;
        const HoleBody& theirs = body_of(bus, i);
        const std::uint32_t their_done = theirs.done.load(std::memory_order_seq_cst);
        for (int v = 0; v < kMaxVictims; ++v) {
            if ((mask & (1U << v)) == 0) continue;
            for (int w = 0; w < kMaxVictims; ++w)
                if ((their_done & (1U << w)) != 0 && victim_at(theirs, w) == victim_at(b, v))
                    b.done.fetch_or(1U << v, std::memory_order_seq_cst);
        }
    }
}

void abandon_hole(Bus::Impl& bus, int index) {
    const std::uint64_t tag = tag_of(bus, index).load(std::memory_order_relaxed);
    free_entry(bus, index, tag);
}

void release_holes_of(Bus::Impl& bus, std::uint32_t tid) {
    for (int i = 0; i < kMaxHoles; ++i) {
        const std::uint64_t tag = tag_of(bus, i).load(std::memory_order_seq_cst);
        const HoleState state = hole_state(tag);
        if (state == HoleState::free) continue;
        if (state == HoleState::writing && hole_creator(tag) == tid) {
            free_entry(bus, i, tag);  // our own takeover, cut short: it covers nothing
            continue;
        }
        HoleBody& b = body_of(bus, i);
        for (int v = 0; v < kMaxVictims; ++v)
            if (victim_at(b, v) == tid) b.done.fetch_or(1U << v, std::memory_order_seq_cst);
    }
}

}  // namespace shmif::native
