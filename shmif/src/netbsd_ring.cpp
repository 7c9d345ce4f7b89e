#include "netbsd_ring.hpp"

#include <algorithm>
#include <cstring>

namespace shmif::netbsd {

namespace {

constexpr std::uint64_t D = kDataSize;
constexpr std::uint64_t kFrameHeader = sizeof(FrameHeader);

void ring_write(Bus::Impl& bus, std::uint64_t off, const void* src, std::size_t len) {
    std::size_t chunk = std::min<std::size_t>(len, D - off);
    std::memcpy(bus.ring + off, src, chunk);
    std::memcpy(bus.ring, static_cast<const std::byte*>(src) + chunk, len - chunk);
}

std::uint32_t len_at(const Bus::Impl& bus, std::uint64_t pos) {
    std::uint32_t len = 0;
    ring_read(bus, pos % D, &len, sizeof len);
    return len;
}

}  // namespace

void ring_read(const Bus::Impl& bus, std::uint64_t off, void* dst, std::size_t len) {
    if (len == 0) return;  // dst may be null then (a frame buffer of no bytes)
    std::size_t chunk = std::min<std::size_t>(len, D - off);
    std::memcpy(dst, bus.ring + off, chunk);
    std::memcpy(static_cast<std::byte*>(dst) + chunk, bus.ring, len - chunk);
}

FrameHeader header_at(const Bus::Impl& bus, std::uint64_t pos) {
    FrameHeader h{};
    ring_read(bus, pos % D, &h, sizeof h);
    return h;
}

std::optional<Span> span(const Bus::Impl& bus) {
    const BusHeader& h = *bus.bh;
    if (h.magic != kMagic || h.first > D || h.last >= D || h.gen > (1ULL << 40)) return {};
    const std::uint32_t newest_len = len_at(bus, h.last);
    if (newest_len >= D - kFrameHeader) return {};
    const std::uint64_t newest_end = (h.last + kFrameHeader + newest_len) % D;
    const std::uint64_t write = h.gen * D + newest_end;
    std::uint64_t oldest;
    if (h.first == D) {
        oldest = h.gen * D;
    } else if (h.first < newest_end) {
        oldest = h.gen * D + h.first;
    } else {
        if (h.gen == 0) return {};
        oldest = (h.gen - 1) * D + h.first;
    }
    if (oldest > write || write - oldest > D) return {};
    return Span{oldest, write};
}

void initialise(BusHeader& h) {
    h.magic = kMagic;
    h.version = kVersion;
    h.gen = 0;
    h.first = kDataSize;
    h.last = 0;
    // Data offset 0 holds a zero-length frame header (the file is zeroed): the first frame
    // goes right after it.
}

void reset(Bus::Impl& bus) {
    BusHeader& h = *bus.bh;
    const std::uint64_t gen = h.gen < (1ULL << 40) ? h.gen + 2 : 2;
    std::memset(bus.ring, 0, kFrameHeader);
    h.magic = kMagic;
    h.version = kVersion;
    h.gen = gen;
    h.first = kDataSize;
    h.last = 0;
}

void write_frame(Bus::Impl& bus, const std::byte* payload, std::uint32_t len, std::uint64_t sender,
                 std::uint64_t time_ns) {
    auto current = span(bus);
    if (!current) {
        reset(bus);
        current = span(bus);
    }
    BusHeader& h = *bus.bh;
    const std::uint64_t total = kFrameHeader + len;
    const std::uint64_t write = current->write;
    std::uint64_t oldest = current->oldest;
    // Free the bytes [write, write + total): every frame that starts within one ring of
    // their end goes. The walk stops at `write` at the latest.
    while (oldest + D < write + total) {
        const std::uint32_t l = len_at(bus, oldest);
        if (l >= D - kFrameHeader || oldest + kFrameHeader + l > write) {
            oldest = write;  // a broken chain: nothing older is trustworthy
            break;
        }
        oldest += kFrameHeader + l;
    }
    if (oldest + D < write + total) oldest = write + total - D;  // broken chain, see above

    const std::uint64_t off = write % D;
    FrameHeader fh{};
    fh.len = len;
    fh.sec = static_cast<std::uint32_t>(time_ns / 1'000'000'000);
    fh.usec = static_cast<std::uint32_t>(time_ns % 1'000'000'000 / 1000);
    fh.sender = sender;
    h.last = static_cast<std::uint32_t>(off);
    ring_write(bus, off, &fh, sizeof fh);
    ring_write(bus, (off + kFrameHeader) % D, payload, len);

    const std::uint64_t end = write + total;
    const std::uint64_t gen = end / D;
    h.gen = gen;
    if (gen == 0) {
        h.first = kDataSize;  // never wrapped
    } else {
        h.first = static_cast<std::uint32_t>(oldest >= gen * D ? oldest - gen * D
                                                               : oldest - (gen - 1) * D);
    }
}

}  // namespace shmif::netbsd
