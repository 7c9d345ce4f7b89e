// check_bus: every rule of the header, the lock and the chain of records, read from the raw
// file (without the lock: a snapshot, like `shmifbus info`).
#include <linux/futex.h>

#include <cinttypes>
#include <cstring>

#include "bus_impl.hpp"
#include "header_rules.hpp"
#include "lock.hpp"
#include "native_ring.hpp"
#include "netbsd_ring.hpp"
#include "shmif/check.hpp"

namespace shmif {

using header::say;

namespace {

std::optional<Format> guess_format(const Bus::Impl& b, std::optional<Format> given) {
    const auto* words = static_cast<const std::uint32_t*>(b.map.base);
    const std::uint32_t magic = b.map.size >= 4 ? words[0] : 0;
    if (magic == native::kMagic) return Format::native;
    if (magic == netbsd::kMagic) return Format::netbsd;
    if (given) return given;
    // A NetBSD bus is always exactly 1 MiB; anything else can only be native.
    if (b.map.size != netbsd::kBusSize) return Format::native;
    if (magic == 0) return Format::netbsd;  // NetBSD's "not initialised yet"
    // Both formats fit 1 MiB: what is left of the version fields may still tell.
    const auto* h = static_cast<const native::BusHeader*>(b.map.base);
    if (words[1] == netbsd::kVersion) return Format::netbsd;
    if (h->id.version_major == native::kVersionMajor && h->id.header_size == native::kHeaderSize)
        return Format::native;
    return std::nullopt;
}

std::string native_lock_text(const native::BusHeader& h) {
    const LockState lock = native_lock_state(h);
    if (!lock.locked) return "free";
    const ThreadProbe probe = probe_thread(lock.owner_tid);
    if (probe.state == ThreadState::dead)
        return say("held by tid %u, which is dead (the next writer takes it over)", lock.owner_tid);
    const std::uint64_t since = h.lock.held_since_ns.load(std::memory_order_relaxed);
    const std::uint64_t now = host::now_realtime_ns();
    const double ms = since != 0 && now > since ? static_cast<double>(now - since) / 1e6 : 0.0;
    return say("held by tid %u (state %c, %s) for %.1f ms", lock.owner_tid, probe.letter,
               probe.state == ThreadState::running ? "running" : "not running", ms);
}

// Positions and the records between first_pos and committed.
void check_native_ring(const Bus::Impl& b, CheckReport& report) {
    const auto& p = b.nh->pos;
    const std::uint64_t committed =
        p.committed.load(std::memory_order_acquire) & ~native::kFenceBits;
    const std::uint64_t reserved = p.reserved.load(std::memory_order_relaxed);
    const std::uint64_t first = p.first_pos.load(std::memory_order_relaxed);
    if (committed % native::kAlign != 0 || reserved % native::kAlign != 0 ||
        first % native::kAlign != 0 || first > committed || committed > reserved ||
        reserved - first > b.ring_size + native::reserve_ahead(b) + native::kGate) {
        report.findings.push_back(say("positions contradict each other: first %" PRIu64
                                      ", committed %" PRIu64 ", reserved %" PRIu64 " (ring %" PRIu64
                                      ")",
                                      first, committed, reserved, b.ring_size));
        return;
    }
    native::RawRecord rec{};
    std::uint64_t expected_seq = 0;
    bool seq_known = false;
    for (std::uint64_t pos = first; pos < committed; pos = rec.next) {
        if (!native::decode(b, pos, committed, rec)) {
            report.findings.push_back(say("record at position %" PRIu64 " (ring offset %" PRIu64
                                          ") does not decode",
                                          pos, pos % b.ring_size));
            return;
        }
        if (rec.pad) continue;
        const std::uint64_t seq = rec.header->seq;
        if (seq_known && seq != expected_seq) {
            report.findings.push_back(say("record at position %" PRIu64 " has sequence %" PRIu64
                                          ", expected %" PRIu64,
                                          pos, seq, expected_seq));
            return;
        }
        expected_seq = seq + 1;
        seq_known = true;
        ++report.frames;
    }
}

void check_native(Bus::Impl& b, CheckReport& report) {
    auto* h = static_cast<native::BusHeader*>(b.map.base);
    if (b.map.size < native::kHeaderSize) {
        report.findings.push_back(say("file size %" PRIu64 " is below the %u-byte native header",
                                      b.map.size, native::kHeaderSize));
        return;
    }
    native::Identity id{};
    std::memcpy(&id, &h->id, sizeof id);
    for (auto& fault : header::native_identity_faults(id, b.map.size))
        report.findings.push_back(std::move(fault.what));
    report.lock = native_lock_text(*h);
    if (!report.findings.empty()) return;  // the ring's bounds come from the header
    b.nh = h;
    b.ring = static_cast<std::byte*>(b.map.base) + native::kHeaderSize;
    b.ring_size = id.ring_size;
    b.max_frame = id.max_frame;
    check_native_ring(b, report);
}

void check_netbsd(Bus::Impl& b, CheckReport& report) {
    netbsd::BusHeader h{};
    if (b.map.size >= sizeof h) std::memcpy(static_cast<void*>(&h), b.map.base, sizeof h);
    if (auto fault = header::netbsd_identity_fault(h, b.map.size)) {
        report.findings.push_back(std::move(fault->what));
        if (fault->code == Errc::not_a_bus && b.map.size != netbsd::kBusSize) return;
    }
    const std::uint32_t word = h.lock.load(std::memory_order_relaxed);
    if (word != netbsd::kUnlocked && word != netbsd::kLocked)
        report.findings.push_back(say("lock word 0x%08x, expected 0 or 1", word));
    report.lock = word == netbsd::kUnlocked ? "free" : "held (NetBSD buses do not record by whom)";
    if (h.magic == 0) return;  // uninitialised: NetBSD's driver makes it on attach
    b.bh = static_cast<netbsd::BusHeader*>(b.map.base);
    b.ring = static_cast<std::byte*>(b.map.base) + netbsd::kHeaderSize;
    b.ring_size = netbsd::kDataSize;
    const auto span = netbsd::span(b);
    if (!span) {
        report.findings.push_back(say("positions contradict each other: gen %" PRIu64
                                      ", first %u, last %u",
                                      h.gen, h.first, h.last));
        return;
    }
    for (std::uint64_t pos = span->oldest; pos < span->write;) {
        const auto fh = netbsd::header_at(b, pos);
        const std::uint64_t total = sizeof fh + std::uint64_t{fh.len};
        if (fh.len >= netbsd::kDataSize || pos + total > span->write) {
            report.findings.push_back(say("frame at ring offset %" PRIu64
                                          " has length %u, which does not chain up to the "
                                          "newest frame",
                                          pos % netbsd::kDataSize, fh.len));
            return;
        }
        if (fh.len > 0) ++report.frames;
        pos += total;
    }
}

}  // namespace

std::expected<CheckReport, Error> check_bus(const std::string& path, std::optional<Format> format) {
    auto map = host::map_file(path);
    if (!map) return std::unexpected(map.error());
    Bus::Impl b;
    b.map = *map;
    b.path = path;
    CheckReport report;
    report.file_size = b.map.size;
    report.format = guess_format(b, format);
    if (!report.format) {
        const std::uint32_t magic =
            b.map.size >= 4 ? *static_cast<const std::uint32_t*>(b.map.base) : 0;
        report.findings.push_back(
            say("magic 0x%08x is neither native (0x%08x) nor NetBSD "
                "(0x%08x), and a 1 MiB file may be either: give the "
                "format",
                magic, native::kMagic, netbsd::kMagic));
        return report;
    }
    b.format = *report.format;
    if (b.format == Format::native)
        check_native(b, report);
    else
        check_netbsd(b, report);
    return report;
}

}  // namespace shmif
