// Ring logic of the NetBSD format (SHMIF_VERSION 3). Every function here requires the bus
// lock: NetBSD's writers publish `last` before they write the frame, so nothing can be read
// safely without it.
//
// Positions are made linear for arithmetic: a byte at ring offset `off` written during
// generation `gen` has position gen * kDataSize + off. The write position W (where the next
// frame goes) is gen * D + end-of-newest-frame; the oldest valid position F is `first` taken
// in this generation if it lies below the end of the newest frame, else in the previous one
// (and 0 into this generation while first == D, the never-wrapped mark). A reader cursor is
// valid iff F <= R <= W.
#pragma once

#include <cstdint>
#include <optional>

#include "bus_impl.hpp"

namespace shmif::netbsd {

struct Span {
    std::uint64_t oldest;  // F
    std::uint64_t write;   // W
};

// F and W, or nullopt when the header contradicts itself.
std::optional<Span> span(const Bus::Impl& bus);

// Starts the ring over, empty, two generations on (so every cursor is overrun). Used when a
// lock holder finds the ring inconsistent (a writer killed mid-frame, a hostile write).
void reset(Bus::Impl& bus);

// Initialises a zeroed bus the way NetBSD's driver does.
void initialise(netbsd::BusHeader& h);

// Writes one frame at the write position: frees the space (advancing first), writes header
// and payload (either may wrap), bumps gen when the end of the ring is reached.
// The caller checked 0 < len and sizeof(FrameHeader) + len < kDataSize.
void write_frame(Bus::Impl& bus, const std::byte* payload, std::uint32_t len, std::uint64_t sender,
                 std::uint64_t time_ns);

// Copies `len` bytes from ring offset `off`, wrapping at the end.
void ring_read(const Bus::Impl& bus, std::uint64_t off, void* dst, std::size_t len);
FrameHeader header_at(const Bus::Impl& bus, std::uint64_t pos);

}  // namespace shmif::netbsd
