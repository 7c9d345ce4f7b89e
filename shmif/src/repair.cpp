// repair_bus: a fresh header for the file's size and format, an empty ring, and a wake-up for
// everyone who sleeps on the old header.
#include <cinttypes>
#include <cstring>

#include "bus_impl.hpp"
#include "header_rules.hpp"
#include "lock.hpp"
#include "netbsd_ring.hpp"
#include "shmif/check.hpp"

namespace shmif {

using header::say;

namespace {

std::unexpected<RepairFailure> refuse(Errc code, std::string why) {
    return std::unexpected(RepairFailure{Error{code}, std::move(why)});
}

// The max frame to write: the caller's, else the old one if the header is only partly
// damaged (its magic survived), else the default.
std::expected<std::uint32_t, RepairFailure> native_max_frame(const native::BusHeader& old,
                                                             std::uint64_t ring,
                                                             std::uint32_t wanted) {
    if (wanted != 0) {
        if (!header::native_max_frame_fits(wanted, ring))
            return refuse(Errc::invalid_argument, say("max frame %u does not fit a %" PRIu64
                                                      "-byte ring (60 bytes to a quarter ring)",
                                                      wanted, ring));
        return wanted;
    }
    if (old.id.magic == native::kMagic && header::native_max_frame_fits(old.id.max_frame, ring))
        return old.id.max_frame;
    return header::native_default_max_frame(ring);
}

std::expected<void, RepairFailure> repair_native(Bus::Impl& b, const RepairOptions& options,
                                                 RepairReport& report) {
    const std::uint64_t size = b.map.size;
    if (size < native::kHeaderSize + native::kMinRing ||
        size > native::kHeaderSize + native::kMaxRing || size % native::kAlign != 0)
        return refuse(Errc::invalid_argument,
                      say("file size %" PRIu64 " cannot hold a native bus (4 KiB header + a "
                          "ring of 64 KiB to 4 GiB, a multiple of 8)",
                          size));
    auto* h = static_cast<native::BusHeader*>(b.map.base);
    const LockState lock = native_lock_state(*h);
    if (!options.force && lock.owner_tid != 0 && !lock.owner_dead)
        return refuse(Errc::lock_timeout,
                      say("the bus lock names tid %u, which is alive: a live writer may be "
                          "inside the ring (or the word names it by chance: stop it, or "
                          "repair with --force)",
                          lock.owner_tid));
    const std::uint64_t ring = size - native::kHeaderSize;
    auto max_frame = native_max_frame(*h, ring, options.max_frame);
    if (!max_frame) return std::unexpected(max_frame.error());
    // Sleepers wait for wake_seq to move on from what they saw: it must differ afterwards.
    const std::uint32_t old_wake = h->wake.wake_seq.load(std::memory_order_relaxed);
    // Magic first to zero, so that nobody trusts the header while it is rebuilt.
    __atomic_store_n(&h->id.magic, 0U, __ATOMIC_RELEASE);
    std::memset(static_cast<void*>(h), 0, native::kHeaderSize);
    h->wake.wake_seq.store(old_wake + 1, std::memory_order_relaxed);
    header::native_initialise(*h, ring, *max_frame);
    host::futex_wake_all(h->wake.wake_seq);
    host::pwrite_wake(b.map.fd, offsetof(native::BusHeader, wake.poll_word), 0);
    report.ring_size = ring;
    report.max_frame = *max_frame;
    return {};
}

std::expected<void, RepairFailure> repair_netbsd(Bus::Impl& b, const RepairOptions& options,
                                                 RepairReport& report) {
    if (b.map.size != netbsd::kBusSize)
        return refuse(Errc::invalid_argument,
                      say("file size %" PRIu64 ": a NetBSD bus is exactly %zu bytes", b.map.size,
                          netbsd::kBusSize));
    auto* h = static_cast<netbsd::BusHeader*>(b.map.base);
    b.bh = h;
    b.ring = static_cast<std::byte*>(b.map.base) + netbsd::kHeaderSize;
    b.ring_size = netbsd::kDataSize;
    // NetBSD writers hold the word for a frame copy; one held for a second is abandoned.
    if (options.force) {
        h->lock.exchange(netbsd::kLocked, std::memory_order_acquire);
    } else {
        const auto got =
            netbsd_lock(*h, std::chrono::milliseconds(2000), std::chrono::milliseconds(1000));
        if (got.outcome == LockOutcome::timeout)
            return refuse(Errc::lock_timeout, "the bus lock stayed busy (repair with --force)");
    }
    std::memset(b.ring, 0, sizeof(netbsd::FrameHeader));  // the fresh ring's empty frame
    h->gen = 0;
    h->first = netbsd::kDataSize;
    h->last = 0;
    h->spare = 0;
    h->version = netbsd::kVersion;
    __atomic_store_n(&h->magic, netbsd::kMagic, __ATOMIC_RELEASE);
    netbsd_unlock(*h);
    host::pwrite_wake(b.map.fd, netbsd::kVersionOffset, netbsd::kVersion);
    report.ring_size = netbsd::kDataSize;
    report.max_frame = 1518;
    return {};
}

}  // namespace

std::expected<RepairReport, RepairFailure> repair_bus(const std::string& path,
                                                      const RepairOptions& options) {
    auto checked = check_bus(path, options.format);
    if (!checked) return refuse(checked.error().code, path + ": " + describe(checked.error()));
    if (!checked->format)
        return refuse(Errc::invalid_argument,
                      "cannot tell the format from the file (give --format native or netbsd)");
    auto map = host::map_file(path);
    if (!map) return refuse(map.error().code, path + ": " + describe(map.error()));
    Bus::Impl b;
    b.map = *map;
    b.path = path;
    b.format = *checked->format;
    RepairReport report{b.format, b.map.size, 0, 0, std::move(checked->findings)};
    auto done = b.format == Format::native ? repair_native(b, options, report)
                                           : repair_netbsd(b, options, report);
    if (!done) return std::unexpected(done.error());
    return report;
}

}  // namespace shmif
