// What a Bus is inside: a mapping plus the format's view of it. Sizes that bound memory
// accesses are copied out of the file once, at open, and never re-read: another process can
// rewrite the header, but not our idea of where the mapping ends.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "host.hpp"
#include "layout_native.hpp"
#include "layout_netbsd.hpp"
#include "shmif/bus.hpp"

namespace shmif {

struct Bus::Impl {
    host::Mapping map;
    std::string path;
    Format format = Format::native;

    // native
    native::BusHeader* nh = nullptr;
    // The identity as validated at open: a writer compares the header with it before it
    // touches the lock, so a header overwritten since is refused instead of trusted.
    native::Identity identity{};
    // netbsd
    netbsd::BusHeader* bh = nullptr;

    std::byte* ring = nullptr;
    std::uint64_t ring_size = 0;
    std::uint32_t max_frame = 0;
    // Sends refused because the header no longer says what it said at open (BusInfo).
    std::atomic<std::uint64_t> header_faults{0};

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() { host::unmap(map); }
};

}  // namespace shmif
