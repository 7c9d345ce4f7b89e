// Taking the native lock over from a holder that died or stalled holding it (see the top of
// layout_native.hpp): fence every position it could still store to, turn its claim into a
// hole, and publish the hole, so the thief starts a batch of its own right after it.
#pragma once

#include <cstdint>

#include "bus_impl.hpp"
#include "holes.hpp"
#include "lock.hpp"
#include "native_ring.hpp"

namespace shmif::native {

enum class TakeoverResult : std::uint8_t {
    taken,    // `view` is ours; the batch starts at its committed position
    let_go,   // the holder released (or someone else took it): wait again
    no_room,  // the hole table is full or too much ring is quarantined: wait again, later
    fenced,   // we were taken over ourselves while taking over
};

TakeoverResult take_over(Bus::Impl& bus, std::uint64_t holder, ThreadState holder_state,
                         HoleMap& holes, HolderView& view);

}  // namespace shmif::native
