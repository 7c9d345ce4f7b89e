// The NetBSD rump shmif bus, SHMIF_VERSION 3, byte for byte (see DESIGN.md "The bus").
// This header is the single owner of that ABI inside the project.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmif::netbsd {

inline constexpr std::uint32_t kMagic = 0xca11d054;
inline constexpr std::uint32_t kVersion = 3;
inline constexpr std::size_t kBusSize = 1024 * 1024;
inline constexpr std::size_t kHeaderSize = 32;
inline constexpr std::uint32_t kDataSize = kBusSize - kHeaderSize;
inline constexpr std::size_t kVersionOffset = 4;  // the word pwrite()n to wake file watchers
inline constexpr std::uint32_t kUnlocked = 0;
inline constexpr std::uint32_t kLocked = 1;

// The bus header. The lock word is the only field touched outside the lock; the others are
// read and written only by the lock holder (NetBSD readers take the lock too).
struct BusHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint64_t gen;    // +1 each time a write reaches or crosses the end of the ring
    std::uint32_t first;  // oldest valid frame; kDataSize while the ring never wrapped
    std::uint32_t last;   // newest frame
    std::atomic<std::uint32_t> lock;
    std::uint32_t spare;
};
static_assert(sizeof(BusHeader) == kHeaderSize);
static_assert(offsetof(BusHeader, gen) == 8);
static_assert(offsetof(BusHeader, first) == 16);
static_assert(offsetof(BusHeader, last) == 20);
static_assert(offsetof(BusHeader, lock) == 24);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// Frame header in the ring, possibly split across the end of the ring like its payload.
struct FrameHeader {
    std::uint32_t len;
    std::uint32_t sec;
    std::uint32_t usec;
    std::uint32_t pad;
    std::uint64_t sender;
};
static_assert(sizeof(FrameHeader) == 24);
static_assert(offsetof(FrameHeader, sender) == 16);

}  // namespace shmif::netbsd
