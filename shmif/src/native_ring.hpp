// Ring logic of the native format. Writer-side functions require the bus lock; reader-side
// ones take no lock and write nothing shared. See layout_native.hpp for the protocol.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "bus_impl.hpp"
#include "shmif/frame.hpp"

namespace shmif::native {

// ---- writer side (bus lock held) ----

// What a lock holder knows of the shared positions: the values it last saw or stored. Every
// store it makes is a compare-and-swap from these, so a holder that was taken over (and the
// thief moved every position) fails instead of overwriting the thief's.
struct HolderView {
    std::uint64_t owner = 0;      // our owner word
    std::uint64_t committed = 0;  // as stored, fence bits included
    std::uint64_t reserved = 0;
};

// Loads the positions for a holder that just took the lock the ordinary way.
HolderView load_view(const Bus::Impl& bus, std::uint64_t owner);

// Checks the positions the header claims and repairs what a hostile write left: positions
// that contradict each other (then the ring restarts empty, past every old position).
// Returns true if anything had to be repaired. Updates `view`; false in `ok` when we were
// taken over meanwhile.
bool repair_positions(Bus::Impl& bus, HolderView& view, bool& ok);

// Makes sure the bytes below `end` may be overwritten: moves first_pos past the records they
// would hit and publishes `reserved` (a little ahead, so this is rarely needed). `write_pos`
// is the next record's position; no record at or after it exists yet. False when we were
// taken over: nothing may be written then.
bool reserve(Bus::Impl& bus, HolderView& view, std::uint64_t end, std::uint64_t write_pos);
// The part of reserve() that moves first_pos on until first_pos + ring >= reserved, walking
// records below write_pos (published ones: at most the committed position), never back. A
// writer killed between the two leaves first_pos behind, by at most reserve_ahead() + a
// gate: the next holder (or the takeover) settles it.
void settle_first(Bus::Impl& bus, std::uint64_t reserved, std::uint64_t write_pos);
// How far ahead of need `reserved` is published.
std::uint64_t reserve_ahead(const Bus::Impl& bus);

// Writes a pad record covering [pos, pos + len) (len a multiple of 8, within one lap).
void write_pad(Bus::Impl& bus, std::uint64_t pos, std::uint64_t len);
// Writes the gate at `pos` (layout_native.hpp): the batch's first frame will be `next_seq`.
void write_gate(Bus::Impl& bus, std::uint64_t pos, std::uint64_t next_seq);
// The sequence number a gate carries (only meaningful at a gate: `committed`, or a batch's
// start).
std::uint64_t gate_seq(const Bus::Impl& bus, std::uint64_t pos);
// The record's first word (span and len) as one 64-bit value, for compare-and-swap.
std::atomic_ref<std::uint64_t> first_word(Bus::Impl& bus, std::uint64_t pos);

// Publishes everything below write_pos, whose gate the caller wrote. False when we were
// taken over: nothing of ours landed.
bool commit(Bus::Impl& bus, HolderView& view, std::uint64_t write_pos);

// ---- reader side (no lock) ----

struct CommitSnapshot {
    std::uint64_t committed;
    std::uint64_t next_seq;
};
CommitSnapshot read_commit(const Bus::Impl& bus);

// `committed` without its fence bits: every record below it is complete.
inline std::uint64_t load_committed(const Bus::Impl& bus,
                                    std::memory_order order = std::memory_order_acquire) {
    return bus.nh->pos.committed.load(order) & ~kFenceBits;
}

// One record decoded from the ring, not yet known to be intact.
struct RawRecord {
    std::uint64_t pos;
    std::uint64_t next;      // position after it
    std::uint64_t next_off;  // ring offset of `next`
    bool pad;
    const RecordHeader* header;  // frames only; in the ring
    // Frames only: the length decode() checked against the span. Use this, never the header
    // again: writers that lap the reader (or a hostile one) may rewrite the word meanwhile,
    // and a second read may say anything, however far past the record and the ring.
    std::uint32_t len;
};

// Decodes the record at `pos` (which must be below `committed`), whose ring offset `off` the
// caller tracks (pos % ring_size, kept incrementally: a division per frame is measurable).
// False when its header is not well-formed: either the reader was lapped (check with
// intact()) or the bus is corrupt. Pads may cross the end of the ring (a hole does).
bool decode(const Bus::Impl& bus, std::uint64_t pos, std::uint64_t off, std::uint64_t committed,
            RawRecord& out);
inline bool decode(const Bus::Impl& bus, std::uint64_t pos, std::uint64_t committed,
                   RawRecord& out) {
    return decode(bus, pos, pos % bus.ring_size, committed, out);
}

// Everything read from a record at `pos` is trustworthy iff this holds after the reads.
inline bool intact(const Bus::Impl& bus, std::uint64_t pos) {
    std::atomic_thread_fence(std::memory_order_acquire);  // pairs with reserve()'s fence
    return bus.nh->pos.reserved.load(std::memory_order_relaxed) <= pos + bus.ring_size;
}

}  // namespace shmif::native
