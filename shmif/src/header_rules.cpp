#include "header_rules.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace shmif::header {

std::string say(const char* format, ...) {
    char line[256];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    return line;
}

bool native_max_frame_fits(std::uint32_t max_frame, std::uint64_t ring) {
    return max_frame >= 60 && native::record_span(max_frame) <= ring / 4;
}

std::vector<Fault> native_identity_faults(const native::Identity& id, std::uint64_t file_size) {
    using namespace native;
    std::vector<Fault> faults;
    if (file_size < kHeaderSize) {
        faults.push_back({Errc::not_a_bus, say("file size %" PRIu64 " is below the %u-byte header",
                                               file_size, kHeaderSize)});
        return faults;
    }
    if (id.magic != kMagic)
        faults.push_back({Errc::not_a_bus, say("magic 0x%08x, expected 0x%08x", id.magic, kMagic)});
    if (id.version_major != kVersionMajor)
        faults.push_back({Errc::unsupported_version,
                          say("version %u.%u, expected %u.x", unsigned{id.version_major},
                              unsigned{id.version_minor}, unsigned{kVersionMajor})});
    if ((id.features & ~kFeaturesKnown) != 0)
        faults.push_back({Errc::unsupported_version,
                          say("feature flags 0x%08x, known 0x%08x", id.features, kFeaturesKnown)});
    if (id.header_size != kHeaderSize)
        faults.push_back({Errc::corrupt_header,
                          say("header size %u, expected %u", id.header_size, kHeaderSize)});
    const std::uint64_t ring = file_size - kHeaderSize;
    if (id.ring_size != ring || ring < kMinRing || ring > kMaxRing || ring % kAlign != 0)
        faults.push_back(
            {Errc::corrupt_header,
             say("ring size %" PRIu64 ", expected %" PRIu64 " (file size %" PRIu64
                 " less the %u-byte header, a multiple of %u from %" PRIu64 " to %" PRIu64 ")",
                 id.ring_size, ring, file_size, kHeaderSize, kAlign, kMinRing, kMaxRing)});
    if (!native_max_frame_fits(id.max_frame, ring))
        faults.push_back({Errc::corrupt_header,
                          say("max frame %u, expected 60 to a quarter of the %" PRIu64 "-byte ring",
                              id.max_frame, ring)});
    return faults;
}

std::optional<Fault> native_identity_fault(const native::Identity& id, std::uint64_t file_size) {
    auto faults = native_identity_faults(id, file_size);
    if (faults.empty()) return std::nullopt;
    return std::move(faults.front());
}

std::uint32_t native_default_max_frame(std::uint64_t ring) {
    const std::uint64_t cap = ring / 4 - sizeof(native::RecordHeader);
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(native::kDefaultMaxFrame, cap));
}

std::optional<Fault> netbsd_identity_fault(const netbsd::BusHeader& h, std::uint64_t file_size) {
    if (file_size != netbsd::kBusSize)
        return Fault{Errc::not_a_bus,
                     say("file size %" PRIu64 ", a NetBSD bus is exactly %zu bytes", file_size,
                         netbsd::kBusSize)};
    if (h.magic == 0) return std::nullopt;  // NetBSD's driver initialises it on attach
    if (h.magic != netbsd::kMagic)
        return Fault{Errc::not_a_bus,
                     say("magic 0x%08x, expected 0x%08x", h.magic, netbsd::kMagic)};
    if (h.version != netbsd::kVersion)
        return Fault{Errc::unsupported_version,
                     say("version %u, expected %u", h.version, netbsd::kVersion)};
    return std::nullopt;
}

void native_initialise(native::BusHeader& h, std::uint64_t ring, std::uint32_t max_frame) {
    h.id.version_major = native::kVersionMajor;
    h.id.version_minor = native::kVersionMinor;
    h.id.header_size = native::kHeaderSize;
    h.id.features = 0;
    h.id.ring_size = ring;
    h.id.max_frame = max_frame;
    h.id.created_ns = host::now_realtime_ns();
    // The ring follows the header page in the same mapping: the first batch's gate, and the
    // room for it reserved (layout_native.hpp).
    auto* ring_start =
        reinterpret_cast<std::uint64_t*>(reinterpret_cast<std::byte*>(&h) + native::kHeaderSize);
    __atomic_store_n(ring_start, native::gate_word(0), __ATOMIC_RELAXED);
    __atomic_store_n(ring_start + 1, std::uint64_t{0}, __ATOMIC_RELAXED);  // first seq: 0
    h.pos.reserved.store(native::kGate, std::memory_order_relaxed);
    __atomic_store_n(&h.id.magic, native::kMagic, __ATOMIC_RELEASE);
}

namespace {

// The fields that define the ring's layout. A repaired header rewrites the rest (minor
// version, reserved word, creation time), so an attached Bus must not compare them.
bool same_layout(const native::Identity& a, const native::Identity& b) {
    return a.magic == b.magic && a.version_major == b.version_major &&
           a.header_size == b.header_size && a.features == b.features &&
           a.ring_size == b.ring_size && a.max_frame == b.max_frame;
}

native::Identity snapshot(const native::Identity& shared) {
    native::Identity id{};
    std::memcpy(&id, &shared, sizeof id);
    return id;
}

}  // namespace

bool attached_intact(const Bus::Impl& bus) {
    if (bus.format == Format::netbsd) {
        const auto& h = *bus.bh;
        return __atomic_load_n(&h.magic, __ATOMIC_RELAXED) == netbsd::kMagic &&
               __atomic_load_n(&h.version, __ATOMIC_RELAXED) == netbsd::kVersion;
    }
    return same_layout(snapshot(bus.nh->id), bus.identity);
}

std::optional<std::string> attached_fault(const Bus::Impl& bus) {
    if (attached_intact(bus)) return std::nullopt;
    if (bus.format == Format::netbsd) {
        netbsd::BusHeader h{};
        std::memcpy(static_cast<void*>(&h), bus.bh, sizeof h);
        if (auto fault = netbsd_identity_fault(h, bus.map.size)) return fault->what;
        return std::string("magic 0 (the header was zeroed)");
    }
    const native::Identity id = snapshot(bus.nh->id);
    if (auto fault = native_identity_fault(id, bus.map.size)) return fault->what;
    if (id.max_frame != bus.identity.max_frame)
        return say("max frame %u, attached with %u (the bus was recreated: re-attach)",
                   id.max_frame, bus.identity.max_frame);
    return std::string(
        "identity fields changed since attach (the bus was recreated: "
        "re-attach)");
}

}  // namespace shmif::header
