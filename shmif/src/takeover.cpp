#include "takeover.hpp"

#include <algorithm>

namespace shmif::native {

namespace {

// Moves `word` on from whatever it holds, by `step(value)`; the value it moved from.
template <class Step>
std::uint64_t move_on(std::atomic<std::uint64_t>& word, Step step) {
    std::uint64_t seen = word.load(std::memory_order_relaxed);
    while (!word.compare_exchange_weak(seen, step(seen), std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
    }
    return seen;
}

// Where our gate can go: the end of the victim's claim, moved on until the gate's 16 bytes
// fit before the ring's end and overlap no hole (the victim's reserve-ahead may reach into
// one, and another stalled writer may write there).
std::uint64_t gate_after(const Bus::Impl& bus, const HoleMap& holes, std::uint64_t end) {
    const std::uint64_t ring = bus.ring_size;
    for (int i = 0; i < 2 * kMaxHoles + 2; ++i) {
        const std::uint64_t off = end % ring;
        if (ring - off < kGate) {
            end += ring - off;
            continue;
        }
        const std::uint64_t more =
            std::max(holes.remaining_inside(off, ring), holes.remaining_inside(off + kAlign, ring));
        if (more == 0) break;
        end += more + (holes.remaining_inside(off, ring) == 0 ? kAlign : 0);
    }
    return end;
}

}  // namespace

TakeoverResult take_over(Bus::Impl& bus, std::uint64_t holder, ThreadState holder_state,
                         HoleMap& holes, HolderView& view) {
    auto& p = bus.nh->pos;
    // Fence bits count nested takeovers (a thief stalled inside its own takeover); seven is
    // the most they can tell apart.
    if ((p.committed.load(std::memory_order_relaxed) & kFenceBits) == kFenceBits)
        return TakeoverResult::no_room;
    const bool dead = holder_state == ThreadState::dead;
    const int slot = prepare_hole(bus, owner_tid(holder), dead, bus.ring_size / 4);
    if (slot < 0) return TakeoverResult::no_room;
    const std::uint64_t mine = native_take_over(*bus.nh, holder);
    if (mine == 0) {
        abandon_hole(bus, slot);
        return TakeoverResult::let_go;
    }
    view.owner = mine;

    // 1. Fence both positions the old holder could still store to. Each moves to a value it
    //    has never held, so the old holder's compare-and-swaps (from the values it saw) fail.
    const std::uint64_t claim_end = move_on(p.reserved, [](std::uint64_t r) { return r + kGate; });
    view.reserved = claim_end + kGate;
    const std::uint64_t fenced = move_on(
        p.committed, [](std::uint64_t c) { return (c & kFenceBits) == kFenceBits ? c : c + 1; });
    view.committed = (fenced & kFenceBits) == kFenceBits ? fenced : fenced + 1;
    const std::uint64_t start = fenced & ~kFenceBits;
    // A holder that died or stopped between its `reserved` and first_pos stores left
    // first_pos behind; settle it over the published records.
    settle_first(bus, view.reserved, start);
    // 2. The gate at `start` (the old holder never writes it) names the first frame the old
    //    holder's batch would have carried: ours carries it instead, as its batch is dropped.
    const std::uint64_t next_seq = gate_seq(bus, start);
    // 3. The hole: from that gate to the end of the old holder's claim, out of every other
    //    hole.
    load_holes(bus, holes);
    const std::uint64_t end = gate_after(bus, holes, claim_end);
    activate_hole(bus, slot, owner_tid(holder), start, end - start);
    // A thief that stalled inside its own takeover may still try to put its shorter pad
    // here: compare-and-swap makes the longest win (ours: our claim is the widest).
    auto gate = first_word(bus, start);
    std::uint64_t word = gate.load(std::memory_order_relaxed);
    while (!gate.compare_exchange_weak(word, pad_word(end - start), std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
    }
    // 4. Our own batch opens at `end`: its gate, then publish the hole.
    if (!reserve(bus, view, end + kGate, end)) return TakeoverResult::fenced;
    write_gate(bus, end, next_seq);
    if (!commit(bus, view, end)) return TakeoverResult::fenced;
    add_stat(bus.nh->stats.lock_recoveries, 1);
    if (!dead) add_stat(bus.nh->stats.stalled_takeovers, 1);
    load_holes(bus, holes);
    return TakeoverResult::taken;
}

}  // namespace shmif::native
