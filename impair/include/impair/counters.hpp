// What an impairment did, frame by frame: enough to prove each control acted as configured.
#pragma once

#include <cstdint>

namespace shmif::impair {

// X(name, what) for every counter, in the order tools print them.
#define SHMIF_IMPAIR_COUNTERS(X)                                                       \
    X(frames_in, "frames offered")                                                     \
    X(frames_out, "frames handed on (duplicates included)")                            \
    X(bytes_in, "bytes offered")                                                       \
    X(bytes_out, "bytes handed on")                                                    \
    X(dropped_loss, "frames dropped by the loss model")                                \
    X(dropped_queue, "frames dropped because `limit` frames were waiting (drop-tail)") \
    X(duplicated, "extra copies made")                                                 \
    X(corrupted, "frames with one bit flipped")                                        \
    X(reordered, "frames that skipped the delay")                                      \
    X(delayed, "frames held for a delay or the rate")                                  \
    X(queue_peak, "most frames waiting at once")

struct Counters {
#define SHMIF_IMPAIR_FIELD(name, what) std::uint64_t name = 0;
    SHMIF_IMPAIR_COUNTERS(SHMIF_IMPAIR_FIELD)
#undef SHMIF_IMPAIR_FIELD
    std::uint64_t queued = 0;  // frames waiting now (a gauge, not a count)

    Counters& operator+=(const Counters& o);
};

}  // namespace shmif::impair
