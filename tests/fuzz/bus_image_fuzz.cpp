// Fuzz target: arbitrary bytes become a bus image, which the library must check, open, read,
// peek, describe and write to without crashing or touching memory it should not (ASan and
// UBSan do the checking; the fuzz build turns them on); a repair must then leave a bus that
// check_bus finds clean.
//
// Input layout (missing bytes read as zero):
//   byte 0            flags: bit 0 format (0 native, 1 NetBSD); bit 1 small receive buffers
//                     (truncation); bits 2-4 frames the writer sends afterwards; bit 5
//                     garbles the header: its first 128 bytes (native: identity and lock;
//                     NetBSD: the whole header) are XORed with the ring bytes
//   native:  bytes 1..24   committed, reserved, first_pos (u64 LE)
//            bytes 25..32  the next sequence number (u64 LE): the second word of the gate at
//                          `committed` (fence bits ignored), written over the ring bytes
//                          where the gate's 16 bytes fit before the ring's end
//            bytes 33..40  unused (version 1 had commit_ver here; the corpus keeps its layout)
//            bytes 41..42  where the ring bytes go: (u16 * 8) % ring
//   NetBSD:  bytes 1..16   gen (u64), first (u32), last (u32)
//            bytes 17..20  where the ring bytes go: u32 % DATASIZE
//   the rest           ring bytes, copied at that offset and wrapping at the end of the ring
// The native header is otherwise valid (64 KiB ring, default max_frame); the NetBSD one has
// the right magic and version and an unlocked lock word.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "layout_native.hpp"
#include "layout_netbsd.hpp"
#include "shmif/bus.hpp"
#include "shmif/check.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"

namespace {

constexpr std::uint64_t kNativeRing = 64 * 1024;
constexpr std::uint64_t kNativeFile = shmif::native::kHeaderSize + kNativeRing;
constexpr int kMaxIterations = 10000;

class Input {
  public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint8_t u8(std::size_t at) const { return at < size_ ? data_[at] : 0; }
    template <class T>
    T le(std::size_t at) const {
        T v = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            v = static_cast<T>(v | static_cast<T>(static_cast<T>(u8(at + i)) << (8 * i)));
        return v;
    }
    const std::uint8_t* rest(std::size_t from) const {
        return from < size_ ? data_ + from : nullptr;
    }
    std::size_t rest_size(std::size_t from) const { return from < size_ ? size_ - from : 0; }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
};

// One scratch file per process, truncated and refilled for every input.
struct Scratch {
    std::string path;
    int fd = -1;
    std::vector<std::byte> native_header;  // a valid header page, free lock word included

    Scratch() {
        const char* base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        path = std::string(base) + "/shmif-fuzz-" + std::to_string(getpid()) + ".bus";
        const std::string tmpl = path + ".tmpl";
        unlink(tmpl.c_str());
        {
            auto bus = shmif::Bus::create(tmpl, {.size = kNativeFile, .exclusive = true});
            if (!bus) std::abort();
        }
        native_header.resize(shmif::native::kHeaderSize);
        int t = open(tmpl.c_str(), O_RDONLY | O_CLOEXEC);
        if (t < 0 || pread(t, native_header.data(), native_header.size(), 0) !=
                         static_cast<ssize_t>(native_header.size()))
            std::abort();
        close(t);
        unlink(tmpl.c_str());
        fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) std::abort();
    }
    ~Scratch() {
        close(fd);
        unlink(path.c_str());
    }
    void reset(std::uint64_t size) {
        if (ftruncate(fd, 0) != 0 || ftruncate(fd, static_cast<off_t>(size)) != 0) std::abort();
    }
    void put(std::uint64_t off, const void* data, std::size_t len) {
        if (len == 0) return;
        if (pwrite(fd, data, len, static_cast<off_t>(off)) != static_cast<ssize_t>(len))
            std::abort();
    }
    // Copies `len` bytes into the ring [ring_off, ring_off + ring) at `at`, wrapping.
    void put_ring(std::uint64_t ring_off, std::uint64_t ring, std::uint64_t at,
                  const std::uint8_t* data, std::size_t len) {
        len = static_cast<std::size_t>(std::min<std::uint64_t>(len, ring));
        const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(len, ring - at));
        put(ring_off + at, data, first);
        put(ring_off, data + first, len - first);
    }
};

Scratch& scratch() {
    static Scratch s;
    return s;
}

void build_native(const Input& in) {
    Scratch& s = scratch();
    s.reset(kNativeFile);
    std::vector<std::byte> header = s.native_header;
    constexpr std::size_t kPos = offsetof(shmif::native::BusHeader, pos);
    for (std::size_t i = 0; i < 3; ++i) {  // committed, reserved, first_pos
        const std::uint64_t v = in.le<std::uint64_t>(1 + 8 * i);
        std::memcpy(header.data() + kPos + 8 * i, &v, sizeof v);
    }
    s.put(0, header.data(), header.size());
    const std::uint64_t at = (std::uint64_t{in.le<std::uint16_t>(41)} * 8) % kNativeRing;
    s.put_ring(shmif::native::kHeaderSize, kNativeRing, at, in.rest(43), in.rest_size(43));
    // The next sequence number lives in the gate at `committed`, not in the header.
    const std::uint64_t gate = (in.le<std::uint64_t>(1) & ~shmif::native::kFenceBits) % kNativeRing;
    if (gate + shmif::native::kGate <= kNativeRing) {
        const std::uint64_t seq = in.le<std::uint64_t>(25);
        s.put(shmif::native::kHeaderSize + gate + 8, &seq, sizeof seq);
    }
}

void build_netbsd(const Input& in) {
    Scratch& s = scratch();
    s.reset(shmif::netbsd::kBusSize);
    std::array<std::uint8_t, shmif::netbsd::kHeaderSize> h{};
    const std::uint32_t magic = shmif::netbsd::kMagic, version = shmif::netbsd::kVersion;
    const std::uint64_t gen = in.le<std::uint64_t>(1);
    const std::uint32_t first = in.le<std::uint32_t>(9), last = in.le<std::uint32_t>(13);
    std::memcpy(h.data() + 0, &magic, 4);
    std::memcpy(h.data() + 4, &version, 4);
    std::memcpy(h.data() + 8, &gen, 8);
    std::memcpy(h.data() + 16, &first, 4);
    std::memcpy(h.data() + 20, &last, 4);
    s.put(0, h.data(), h.size());
    const std::uint64_t at = in.le<std::uint32_t>(17) % shmif::netbsd::kDataSize;
    s.put_ring(shmif::netbsd::kHeaderSize, shmif::netbsd::kDataSize, at, in.rest(21),
               in.rest_size(21));
}

// Bit 5: the header as a stray write would leave it.
void garble_header(const Input& in, std::size_t ring_bytes_at, std::size_t header_len) {
    Scratch& s = scratch();
    std::array<std::uint8_t, 128> h{};
    const std::size_t len = std::min(h.size(), header_len);
    if (pread(s.fd, h.data(), len, 0) != static_cast<ssize_t>(len)) std::abort();
    for (std::size_t i = 0; i < len; ++i)
        h[i] = static_cast<std::uint8_t>(h[i] ^ in.u8(ring_bytes_at + i));
    s.put(0, h.data(), len);
}

// Whatever the image became, a forced repair leaves a bus the checker finds clean.
void repair_and_recheck(shmif::Format format) {
    if (!shmif::repair_bus(scratch().path, {.format = format, .force = true})) std::abort();
    const auto after = shmif::check_bus(scratch().path);
    if (!after || !after->clean()) std::abort();
}

// Reads and touches every byte of what a cursor hands out.
struct Sink {
    std::vector<std::byte> storage;
    std::vector<shmif::Frame> frames;
    volatile std::uint8_t sum = 0;

    Sink(std::size_t n, std::size_t cap) : storage(n * cap), frames(n) {
        for (std::size_t i = 0; i < n; ++i)
            frames[i] = {storage.data() + i * cap, cap};
    }
    void drain(shmif::Cursor& c) {
        for (int i = 0; i < kMaxIterations; ++i) {
            const std::size_t n = c.receive(frames);
            if (n == 0) return;
            for (std::size_t k = 0; k < n; ++k) {
                if (frames[k].len > frames[k].capacity) std::abort();
                for (std::size_t b = 0; b < frames[k].len; ++b)
                    sum = static_cast<std::uint8_t>(
                        sum + std::to_integer<std::uint8_t>(frames[k].data[b]));
            }
        }
    }
};

void peek_walk(shmif::Cursor& c) {
    std::array<shmif::FrameView, 4> views{};
    volatile std::uint8_t sum = 0;
    for (int i = 0; i < kMaxIterations; ++i) {
        const std::size_t n = c.peek(views);
        if (n == 0) return;
        for (std::size_t k = 0; k < n; ++k) {
            for (std::byte b : views[k].data)
                sum = static_cast<std::uint8_t>(sum + std::to_integer<std::uint8_t>(b));
            (void)c.still_valid(views[k]);
        }
        c.advance(i % 2 == 0 ? n : 1);  // all of them, or just the first
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in(data, size);
    const std::uint8_t flags = in.u8(0);
    if ((flags & 1) == 0)
        build_native(in);
    else
        build_netbsd(in);
    if ((flags & 32) != 0)
        garble_header(in, (flags & 1) == 0 ? 43 : 21,
                      (flags & 1) == 0 ? 128 : shmif::netbsd::kHeaderSize);

    // The checker reads any image, even one Bus::open refuses.
    const shmif::Format format = (flags & 1) == 0 ? shmif::Format::native : shmif::Format::netbsd;
    (void)shmif::check_bus(scratch().path);
    auto bus = shmif::Bus::open(scratch().path);
    if (!bus) {
        repair_and_recheck(format);
        return 0;
    }
    (void)bus->header_problem();
    (void)bus->info();

    Sink sink(4, (flags & 2) != 0 ? 16 : 70000);
    shmif::Cursor oldest(*bus, {.start = shmif::StartAt::oldest});
    shmif::Cursor next(*bus, {.start = shmif::StartAt::next});
    shmif::Cursor peeker(
        *bus, {.skip_sender = in.le<std::uint64_t>(21) | 1, .start = shmif::StartAt::oldest});
    sink.drain(oldest);
    sink.drain(next);
    (void)oldest.poll();
    peek_walk(peeker);
    (void)bus->info();

    // Then a writer takes over: whatever the image was, it must repair and send.
    // (An owner word from the image names some thread: take it over at once, whatever its
    // state, instead of watching it for the default bounds.)
    shmif::Writer w(*bus, {.sender = 0x0123456789abcdefULL,
                           .lock_timeout = std::chrono::milliseconds(2),
                           .stall_bound = std::chrono::milliseconds(0),
                           .busy_bound = std::chrono::milliseconds(0),
                           .netbsd_steal_after = std::chrono::milliseconds(10)});
    const unsigned count = (flags >> 2) & 7;
    std::vector<std::byte> frame(bus->max_frame());
    for (unsigned i = 0; i < count; ++i) {
        const std::size_t len = 1 + (std::size_t{in.u8(1 + i)} * 97 + i * 331) % bus->max_frame();
        for (std::size_t b = 0; b < len; ++b)
            frame[b] = static_cast<std::byte>(b + i);
        (void)w.send(std::span<const std::byte>(frame.data(), len));
    }
    sink.drain(oldest);
    sink.drain(next);
    peek_walk(peeker);
    shmif::Cursor late(*bus, {.start = shmif::StartAt::oldest});
    sink.drain(late);
    (void)bus->info();
    (void)shmif::check_bus(scratch().path);
    repair_and_recheck(format);
    // The attached Bus trusts the rebuilt header again (it kept the max frame it opened with).
    if (bus->header_problem()) std::abort();
    return 0;
}
