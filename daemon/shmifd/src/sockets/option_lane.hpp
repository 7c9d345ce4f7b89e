// Lanes (sock.lane, daemon/PROTOCOL.md; shmifsock/wire.h): a client's SOCK_SEQPACKET
// descriptor that a shard reads itself, for option changes nobody waits for. Servers set
// TCP_NODELAY on every connection they accept (asyncio on every connection): as a request on
// the control socket each one woke the control thread, which on two CPUs cost a fifth of the
// connection rate through a forward; on a lane the shard, awake anyway, takes it in one read.
// No reply, not even an error: a message that is malformed or names no socket is counted and
// dropped.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace shmifd::sockets {

struct LaneChange {
    std::uint64_t sock = 0;
    bool no_delay = false;  // TCP_NODELAY, the only option a lane carries so far
};

// One message as it came off a lane: the change it asks for, or none when it is not one
// (size, option, value). Lanes come from any process that can open the control socket:
// tests/fuzz/sock_request_fuzz.cpp feeds this arbitrary input too.
std::optional<LaneChange> decode_lane_change(std::span<const std::byte> message);

struct LaneCounters {
    std::atomic<std::uint64_t> open{0};                 // lanes whose client end may still write
    std::atomic<std::uint64_t> changes{0};              // applied to a socket
    std::atomic<std::uint64_t> rejected{0};             // malformed, or naming no TCP socket
    std::vector<std::atomic<std::uint64_t>> by_worker;  // open lanes each worker reads
};

enum class LaneState : std::uint8_t {
    drained,  // nothing more until the next edge
    more,     // the bound was reached with messages left: drain again soon
    gone,     // the client's end is closed: the caller closes ours
};

// Reads what waits on lane `fd`, at most a bound of messages (a client that writes without
// end must not hold the shard), handing each change to `apply`, which says whether it found
// the socket.
LaneState drain_lane(int fd, LaneCounters& counters,
                     const std::function<bool(const LaneChange&)>& apply);

}  // namespace shmifd::sockets
