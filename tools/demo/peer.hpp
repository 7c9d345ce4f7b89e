// One demo process: attaches to the bus by path, sends its frames, reads everyone else's.
//
// The parent forks each peer, hands it a pipe set, and learns what it saw through `result_fd`
// (a PeerReport followed by one PeerSeen per process). Both structs are plain bytes between
// a parent and a child of the same binary, never stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>

#include "shmif/bus.hpp"

namespace demo {

inline constexpr unsigned kMaxProcs = 64;

struct PeerConfig {
    std::string bus_path;
    unsigned index = 0;
    unsigned procs = 0;
    std::uint64_t frames = 0;  // to send, and to expect from each other peer
    std::size_t frame_len = 0;
    std::chrono::milliseconds timeout{0};  // whole exchange, from the start signal
    std::chrono::milliseconds idle{0};     // silence after our last send that ends reading
    int ready_fd = -1;                     // write one byte once attached and following
    int go_fd = -1;                        // becomes readable (EOF) when every peer may start
    int result_fd = -1;                    // PeerReport + procs x PeerSeen
};

// What one peer saw from one other peer.
struct PeerSeen {
    std::uint32_t peer = 0;
    std::uint32_t pid = 0;       // as the peer's frames said
    std::uint64_t received = 0;  // frames, duplicates included
    std::uint64_t distinct = 0;  // different sequence numbers
    std::uint64_t first = 0;     // first and last sequence number received (if any)
    std::uint64_t last = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t reordered = 0;     // arrived with a lower seq than one seen before
    std::uint64_t bad_seq = 0;       // seq >= frames
    std::uint64_t wrong_sender = 0;  // shmif sender id or src MAC not the peer's
};

struct PeerReport {
    std::uint32_t index = 0;
    std::uint32_t pid = 0;
    bool attached = false;
    bool started = false;   // the start signal came
    bool complete = false;  // the last frame of every other peer arrived
    bool timed_out = false;
    std::uint64_t sent = 0;
    std::uint64_t send_errors = 0;
    std::uint64_t received = 0;  // frames delivered by the cursor
    std::uint64_t own_seen = 0;  // our own frames, which skip_sender should have hidden
    std::uint64_t foreign = 0;   // not demo frames, or from an index out of range
    std::uint64_t torn = 0;      // demo frames whose filler was wrong
    std::uint64_t overruns = 0;
    std::uint64_t lost_frames = 0;  // native
    std::uint64_t lost_bytes = 0;   // netbsd
    std::uint64_t skipped_own = 0;
    std::uint64_t corrupt = 0;
    double seconds = 0;  // from the start signal to the end of reading
    char error[120] = {};
};

static_assert(std::is_trivially_copyable_v<PeerSeen>);
static_assert(std::is_trivially_copyable_v<PeerReport>);

// Runs in the child; returns its exit status (0 when it saw everything it expected).
int run_peer(const PeerConfig& cfg);

}  // namespace demo
