// Ring logic of the native format. Writer-side functions require the bus lock; reader-side
// ones take no lock and write nothing shared. See layout_native.hpp for the protocol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bus_impl.hpp"
#include "shmif/frame.hpp"

namespace shmif::native {

// ---- writer side (bus lock held) ----

// Checks the positions the header claims and repairs what a dead or hostile writer left: a
// commit cut in half, or positions that contradict each other (then the ring restarts empty,
// past every old position). Returns true if anything had to be repaired.
bool repair_positions(Bus::Impl& bus);

// Makes sure the bytes below `end` may be overwritten: moves first_pos past the records they
// would hit and publishes `reserved` (a little ahead, so this is rarely needed). `write_pos`
// is the next record's position; no record at or after it exists yet.
void reserve(Bus::Impl& bus, std::uint64_t end, std::uint64_t write_pos);

// Writes a pad record covering [pos, pos + len) (len a multiple of 8, within one lap).
void write_pad(Bus::Impl& bus, std::uint64_t pos, std::uint64_t len);

// Publishes everything below write_pos; `next_seq` is the seq the next frame will carry.
void commit(Bus::Impl& bus, std::uint64_t write_pos, std::uint64_t next_seq);

// ---- reader side (no lock) ----

struct CommitSnapshot {
    std::uint64_t committed;
    std::uint64_t next_seq;
};
CommitSnapshot read_commit(const Bus::Impl& bus);

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
// intact()) or the bus is corrupt.
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
