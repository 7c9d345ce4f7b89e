// What the writer and reader APIs pass around.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shmif {

// The shortest frame a writer accepts: an Ethernet header. Shorter is no frame any stack on
// the bus could parse, and was always a bug in the sender.
inline constexpr std::size_t kMinFrame = 14;

// A frame to send: borrowed bytes.
using FrameBytes = std::span<const std::byte>;

// A received frame, copied out into caller-owned storage.
struct Frame {
    std::byte* data = nullptr;  // caller-owned, capacity bytes
    std::size_t capacity = 0;
    std::size_t len = 0;  // bytes received (truncated to capacity; see orig_len)
    std::size_t orig_len = 0;
    std::uint64_t sender = 0;
    std::uint64_t time_ns = 0;  // wall clock (CLOCK_REALTIME) of the send
};

// A received frame seen in place, in the ring. Anything read from `data` may be torn if a
// writer lapped the reader: confirm with Cursor::still_valid() before acting on it.
struct FrameView {
    std::span<const std::byte> data;
    std::uint64_t sender = 0;
    std::uint64_t time_ns = 0;
    std::uint64_t seq = 0;
    std::uint64_t pos = 0;  // ring position of the record (native)
};

}  // namespace shmif
