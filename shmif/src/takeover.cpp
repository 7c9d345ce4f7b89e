#include "takeover.hpp"

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

// The end of the victim's claim, moved past any hole it ends inside (its reserve-ahead may
// reach into one): our gate must not sit where another stalled writer may write.
std::uint64_t end_outside_holes(const Bus::Impl& bus, const HoleMap& holes, std::uint64_t end) {
    for (int i = 0; i < kMaxHoles; ++i) {
        const std::uint64_t more = holes.remaining_inside(end % bus.ring_size, bus.ring_size);
        if (more == 0) break;
        end += more;
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
    bus.nh->lock.held_since_ns.store(host::now_realtime_ns(), std::memory_order_relaxed);

    // 1. Fence every word the old holder could still store to. Each moves to a value it has
    //    never held, so the old holder's compare-and-swaps (from the values it saw) all fail.
    const std::uint64_t claim_end = move_on(p.reserved, [](std::uint64_t r) { return r + kGate; });
    view.reserved = claim_end + kGate;
    const std::uint64_t ver =
        move_on(p.commit_ver, [](std::uint64_t v) { return v % 2 == 0 ? v + 1 : v + 2; });
    view.commit_ver = ver % 2 == 0 ? ver + 1 : ver + 2;  // odd: readers wait for our commit
    const std::uint64_t fenced = move_on(p.committed, [](std::uint64_t c) {
        return (c & kFenceBits) == kFenceBits ? c : c + 1;
    });
    view.committed = (fenced & kFenceBits) == kFenceBits ? fenced : fenced + 1;
    const std::uint64_t start = fenced & ~kFenceBits;
    // 2. next_seq: a holder stopped inside commit() (commit_ver odd) may have published its
    //    records without next_seq; then it follows the newest frame in the ring.
    view.next_seq = p.next_seq.load(std::memory_order_relaxed);
    if (ver % 2 == 1) {
        const std::uint64_t seq = newest_seq_after(bus, view.next_seq);
        // The old holder's own store, if it comes, is the same value: it cannot disagree.
        while (view.next_seq != seq &&
               !p.next_seq.compare_exchange_weak(view.next_seq, seq, std::memory_order_seq_cst,
                                                 std::memory_order_relaxed)) {
        }
        view.next_seq = seq;
    }
    // 3. The hole: from the gate at `start` (the old holder never writes it) to the end of
    //    its claim, out of every other hole.
    load_holes(bus, holes);
    const std::uint64_t end = end_outside_holes(bus, holes, claim_end);
    activate_hole(bus, slot, owner_tid(holder), start, end - start);
    // A thief that stalled inside its own takeover may still try to put its shorter pad
    // here: compare-and-swap makes the longest win (ours: our claim is the widest).
    auto gate = first_word(bus, start);
    std::uint64_t word = gate.load(std::memory_order_relaxed);
    while (!gate.compare_exchange_weak(word, pad_word(end - start), std::memory_order_seq_cst,
                                       std::memory_order_relaxed)) {
    }
    // 4. Our own batch starts at `end`: its gate, then publish the hole.
    if (!reserve(bus, view, end + kGate, end)) return TakeoverResult::fenced;
    write_gate(bus, end);
    const Publish published = publish_takeover(bus, view, end);
    if (published == Publish::fenced) return TakeoverResult::fenced;
    ++bus.nh->stats.lock_recoveries;
    if (!dead) ++bus.nh->stats.stalled_takeovers;
    load_holes(bus, holes);
    return published == Publish::landed ? TakeoverResult::taken : TakeoverResult::fenced;
}

}  // namespace shmif::native
