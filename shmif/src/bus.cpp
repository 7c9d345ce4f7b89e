#include "shmif/bus.hpp"

#include <algorithm>
#include <cstring>

#include "bus_impl.hpp"
#include "header_rules.hpp"
#include "lock.hpp"
#include "native_ring.hpp"
#include "netbsd_ring.hpp"
#include "shmif/seqlock_read.hpp"

namespace shmif {

const char* format_name(Format format) {
    return format == Format::native ? "native" : "netbsd";
}

std::optional<Format> parse_format(std::string_view name) {
    if (name == "native") return Format::native;
    if (name == "netbsd") return Format::netbsd;
    return std::nullopt;
}

std::uint64_t random_sender_id() {
    return host::random_u64();
}

namespace {

struct NativeInit {
    std::uint64_t ring_size;
    std::uint32_t max_frame;
};

void init_native(void* base, void* arg) {
    const auto& in = *static_cast<const NativeInit*>(arg);
    header::native_initialise(*static_cast<native::BusHeader*>(base), in.ring_size, in.max_frame);
}

void init_netbsd(void* base, void*) {
    netbsd::initialise(*static_cast<netbsd::BusHeader*>(base));
}

std::expected<void, Error> check_native(Bus::Impl& b) {
    if (b.map.size < native::kHeaderSize) return std::unexpected(Error{Errc::not_a_bus});
    auto* h = static_cast<native::BusHeader*>(b.map.base);
    std::memcpy(&b.identity, &h->id, sizeof b.identity);
    if (auto fault = header::native_identity_fault(b.identity, b.map.size))
        return std::unexpected(Error{fault->code});
    b.nh = h;
    b.ring = static_cast<std::byte*>(b.map.base) + native::kHeaderSize;
    b.ring_size = b.identity.ring_size;
    b.max_frame = b.identity.max_frame;
    return {};
}

std::expected<void, Error> check_netbsd(Bus::Impl& b) {
    if (b.map.size != netbsd::kBusSize) return std::unexpected(Error{Errc::not_a_bus});
    auto* h = static_cast<netbsd::BusHeader*>(b.map.base);
    if (h->magic == 0) {
        // A zeroed file of the right size: NetBSD's driver initialises it under the lock.
        auto got =
            netbsd_lock(*h, std::chrono::milliseconds(1000), std::chrono::milliseconds(1000));
        if (got.outcome == LockOutcome::timeout) return std::unexpected(Error{Errc::lock_timeout});
        if (h->magic == 0) netbsd::initialise(*h);
        netbsd_unlock(*h);
    }
    if (h->version != netbsd::kVersion) return std::unexpected(Error{Errc::unsupported_version});
    b.bh = h;
    b.ring = static_cast<std::byte*>(b.map.base) + netbsd::kHeaderSize;
    b.ring_size = netbsd::kDataSize;
    b.max_frame = 1518;  // Ethernet with a VLAN tag: what NetBSD's own readers accept
    return {};
}

}  // namespace

Bus::Bus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Bus::Bus(Bus&&) noexcept = default;
Bus& Bus::operator=(Bus&&) noexcept = default;
Bus::~Bus() = default;

std::expected<Bus, Error> Bus::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    auto map = host::map_file(path);
    if (!map) return std::unexpected(map.error());
    impl->map = *map;
    if (impl->map.size < sizeof(std::uint32_t)) return std::unexpected(Error{Errc::not_a_bus});
    const std::uint32_t magic = *static_cast<const std::uint32_t*>(impl->map.base);
    std::expected<void, Error> ok;
    if (magic == native::kMagic) {
        impl->format = Format::native;
        ok = check_native(*impl);
    } else if (magic == netbsd::kMagic || (magic == 0 && impl->map.size == netbsd::kBusSize)) {
        impl->format = Format::netbsd;
        ok = check_netbsd(*impl);
    } else {
        ok = std::unexpected(Error{Errc::not_a_bus});
    }
    if (!ok) return std::unexpected(ok.error());
    return Bus(std::move(impl));
}

std::expected<Bus, Error> Bus::create(const std::string& path, const CreateOptions& opts) {
    std::expected<void, Error> made;
    if (opts.format == Format::netbsd) {
        if (opts.size != 0 && opts.size != netbsd::kBusSize)
            return std::unexpected(Error{Errc::invalid_argument});
        made =
            host::create_file_atomically(path, netbsd::kBusSize, opts.mode, init_netbsd, nullptr);
    } else {
        const std::uint64_t size =
            opts.size != 0 ? opts.size : native::kHeaderSize + native::kDefaultRing;
        if (size < native::kHeaderSize + native::kMinRing ||
            size > native::kHeaderSize + native::kMaxRing || size % native::kAlign != 0)
            return std::unexpected(Error{Errc::invalid_argument});
        NativeInit in{size - native::kHeaderSize, 0};
        in.max_frame =
            opts.max_frame != 0 ? opts.max_frame : header::native_default_max_frame(in.ring_size);
        if (!header::native_max_frame_fits(in.max_frame, in.ring_size))
            return std::unexpected(Error{Errc::invalid_argument});
        made = host::create_file_atomically(path, size, opts.mode, init_native, &in);
    }
    if (!made && !(made.error().code == Errc::already_exists && !opts.exclusive))
        return std::unexpected(made.error());
    return open(path);
}

Format Bus::format() const {
    return impl_->format;
}
const std::string& Bus::path() const {
    return impl_->path;
}
std::uint64_t Bus::file_size() const {
    return impl_->map.size;
}
std::uint64_t Bus::data_size() const {
    return impl_->ring_size;
}
std::uint32_t Bus::max_frame() const {
    return impl_->max_frame;
}

namespace {

BusInfo native_info(const Bus::Impl& b) {
    SeqlockReadSection section;  // reads records without the lock, like a cursor
    const auto& h = *b.nh;
    BusInfo info{};
    info.version = std::uint32_t{h.id.version_major} << 16 | h.id.version_minor;
    auto snap = native::read_commit(b);
    info.first = h.pos.first_pos.load(std::memory_order_acquire);
    info.last = snap.committed;
    info.generation = snap.committed / b.ring_size;
    if (info.first <= info.last && info.last - info.first <= b.ring_size) {
        info.bytes_held = info.last - info.first;
        // Frames held = sequence numbers between the oldest record and the commit point;
        // skip pads to find the oldest frame.
        std::uint64_t pos = info.first;
        native::RawRecord rec{};
        while (pos < info.last && native::decode(b, pos, info.last, rec) && rec.pad)
            pos = rec.next;
        if (pos < info.last && native::decode(b, pos, info.last, rec) && !rec.pad) {
            std::uint64_t seq = __atomic_load_n(&rec.header->seq, __ATOMIC_RELAXED);
            if (native::intact(b, pos) && seq <= snap.next_seq)
                info.frames_held = snap.next_seq - seq;
        }
    }
    auto lock = native_lock_state(h);
    info.locked = lock.locked;
    info.lock_owner_tid = lock.owner_tid;
    info.lock_owner_dead = lock.owner_dead;
    if (lock.locked) {
        const ThreadProbe probe = probe_thread(lock.owner_tid);
        info.lock_owner_state = probe.letter;
        info.lock_owner_pid = thread_pid(lock.owner_tid);
        info.lock_owner_dead = probe.state == ThreadState::dead;
        const std::uint64_t since = h.lock.held_since_ns.load(std::memory_order_relaxed);
        const std::uint64_t now = host::now_realtime_ns();
        info.lock_held_ns = since != 0 && now > since ? now - since : 0;
    }
    for (int i = 0; i < native::kMaxHoles; ++i) {
        const std::uint64_t tag = h.hole_tags.tag[i].load(std::memory_order_acquire);
        if (native::hole_state(tag) != native::HoleState::active) continue;
        const native::HoleBody& body = h.holes[i];
        HoleInfo hole{__atomic_load_n(&body.start, __ATOMIC_RELAXED),
                      __atomic_load_n(&body.len, __ATOMIC_RELAXED),
                      __atomic_load_n(&body.since_ns, __ATOMIC_RELAXED),
                      {}};
        const std::uint32_t done = body.done.load(std::memory_order_relaxed);
        for (int v = 0; v < native::kMaxVictims; ++v) {
            const std::uint32_t tid = __atomic_load_n(&body.victims[v], __ATOMIC_RELAXED);
            if (tid != 0 && (done & (1U << v)) == 0 && host::tid_alive(tid))
                hole.waiting_for.push_back(tid);
        }
        info.holes.push_back(std::move(hole));
    }
    info.frames_written = h.stats.frames.load(std::memory_order_relaxed);
    info.bytes_written = h.stats.bytes.load(std::memory_order_relaxed);
    info.lock_recoveries = h.stats.lock_recoveries.load(std::memory_order_relaxed);
    info.stalled_takeovers = h.stats.stalled_takeovers.load(std::memory_order_relaxed);
    info.corrupt_repairs = h.stats.corrupt_repairs.load(std::memory_order_relaxed);
    info.sleeping_readers = h.wake.futex_waiters.load(std::memory_order_relaxed) +
                            h.wake.poll_waiters.load(std::memory_order_relaxed);
    return info;
}

BusInfo netbsd_info(const Bus::Impl& b) {
    const auto& h = *b.bh;
    BusInfo info{};
    info.version = h.version;
    info.generation = h.gen;
    info.first = h.first;
    info.last = h.last;
    info.locked = h.lock.load(std::memory_order_relaxed) != netbsd::kUnlocked;
    // Counting frames means walking the ring, which needs the lock; take it briefly.
    auto got = netbsd_lock(*b.bh, std::chrono::milliseconds(100), std::chrono::hours(1));
    if (got.outcome == LockOutcome::acquired) {
        if (auto s = netbsd::span(b)) {
            info.bytes_held = s->write - s->oldest;
            for (std::uint64_t pos = s->oldest; pos < s->write;) {
                const auto fh = netbsd::header_at(b, pos);
                if (fh.len >= netbsd::kDataSize) break;
                if (fh.len > 0) ++info.frames_held;
                pos += sizeof(netbsd::FrameHeader) + fh.len;
            }
        }
        netbsd_unlock(*b.bh);
    }
    return info;
}

}  // namespace

BusInfo Bus::info() const {
    BusInfo info = impl_->format == Format::native ? native_info(*impl_) : netbsd_info(*impl_);
    info.format = impl_->format;
    info.file_size = impl_->map.size;
    info.data_size = impl_->ring_size;
    info.max_frame = impl_->max_frame;
    info.header_faults = impl_->header_faults.load(std::memory_order_relaxed);
    return info;
}

std::optional<std::string> Bus::header_problem() const {
    return header::attached_fault(*impl_);
}

}  // namespace shmif
