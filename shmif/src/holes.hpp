// Holes: ring regions quarantined for stalled writers (see layout_native.hpp). A lock holder
// lays its records around them; a takeover makes one; a stalled writer that learns it was
// taken over says it is done; a hole whose writers are all done or dead is freed.
#pragma once

#include <cstdint>

#include "bus_impl.hpp"

namespace shmif::native {

// The holes a holder lays records around, as of its begin(): the active entries.
struct HoleMap {
    struct Entry {
        std::uint64_t off;  // ring offset of its gate
        std::uint64_t len;
        int index;
        std::uint64_t tag;
    };
    Entry entries[kMaxHoles] = {};
    int count = 0;

    // The first hole start at or after ring offset `off`, or `ring` (the end) when none.
    std::uint64_t limit(std::uint64_t off, std::uint64_t ring) const;
    // The hole that starts at `off` (the longest if several), or nullptr.
    const Entry* at(std::uint64_t off) const;
    // Bytes from ring offset `off` to the end of the hole it lies in (0: in none).
    std::uint64_t remaining_inside(std::uint64_t off, std::uint64_t ring) const;
    void remove(int index);
};

// The active holes, for a holder (one cache line when there are none).
void load_holes(const Bus::Impl& bus, HoleMap& map);

// Frees the hole if every writer it names is done or dead; true when it was freed. Holder
// only (it probes the victims' threads: once per lap per hole).
bool release_if_done(Bus::Impl& bus, int index, std::uint64_t tag);

// Before a takeover of `holder_tid`: claims a free entry and lists the holder, plus the
// victims of a takeover the holder had itself begun and not finished. -1 when the table is
// full or `len_bound` bytes are already quarantined.
int prepare_hole(Bus::Impl& bus, std::uint32_t holder_tid, bool holder_dead,
                 std::uint64_t len_bound);
// After it: the hole's place; the entry goes active (before the takeover publishes it).
void activate_hole(Bus::Impl& bus, int index, std::uint32_t holder_tid, std::uint64_t start,
                   std::uint64_t len);
// The takeover did not happen after all (the holder let go).
void abandon_hole(Bus::Impl& bus, int index);

// A writer that learnt it was taken over, and will not write to the ring again: marks
// itself done in every hole that names it, and frees an entry it was still writing.
void release_holes_of(Bus::Impl& bus, std::uint32_t tid);

}  // namespace shmif::native
