// NetBSD SHMIF_VERSION 3 conformance, checked against the layout facts of DESIGN.md ("NetBSD-
// compatible format") by reading and writing raw file bytes, never through the library's own
// structs: a fresh bus, frames our Writer writes, and images built byte by byte the way a
// NetBSD rump kernel leaves them (never wrapped, wrapped with the frame header or the payload
// split across the end of the ring, a frame that ends exactly at the end).
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <vector>

#include "bus_test_util.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

// The facts, spelled out here rather than taken from layout_netbsd.hpp.
constexpr std::uint64_t kFileSize = 1024 * 1024;
constexpr std::uint32_t kMagic = 0xca11d054;
constexpr std::uint32_t kData = 1024 * 1024 - 32;  // DATASIZE
constexpr std::uint64_t kDataOff = 32;             // file offset of ring offset 0
constexpr std::uint32_t kHdr = 24;                 // frame header bytes

struct RawHeader {
    std::uint32_t magic, version;
    std::uint64_t gen;
    std::uint32_t first, last, lock, spare;
};

RawHeader read_header(const std::string& path) {
    auto b = read_bytes(path, 0, 32);
    return {load<std::uint32_t>(b, 0),  load<std::uint32_t>(b, 4),  load<std::uint64_t>(b, 8),
            load<std::uint32_t>(b, 16), load<std::uint32_t>(b, 20), load<std::uint32_t>(b, 24),
            load<std::uint32_t>(b, 28)};
}

// Reads `len` ring bytes starting at ring offset `off`, wrapping at DATASIZE.
std::vector<std::byte> ring_bytes(const std::vector<std::byte>& file, std::uint64_t off,
                                  std::size_t len) {
    std::vector<std::byte> out(len);
    for (std::size_t i = 0; i < len; ++i)
        out[i] = file[kDataOff + (off + i) % kData];
    return out;
}

struct RawFrame {
    std::uint32_t len, sec, usec, pad;
    std::uint64_t sender;
    std::vector<std::byte> data;
};

RawFrame frame_at(const std::vector<std::byte>& file, std::uint64_t off) {
    auto h = ring_bytes(file, off, kHdr);
    RawFrame f{load<std::uint32_t>(h, 0),  load<std::uint32_t>(h, 4),  load<std::uint32_t>(h, 8),
               load<std::uint32_t>(h, 12), load<std::uint64_t>(h, 16), {}};
    f.data = ring_bytes(file, (off + kHdr) % kData, f.len);
    return f;
}

// A bus image written byte by byte, as a NetBSD kernel would have left it.
class Image {
  public:
    Image() : bytes_(kFileSize) {}
    void header(std::uint64_t gen, std::uint32_t first, std::uint32_t last) {
        store<std::uint32_t>(bytes_, 0, kMagic);
        store<std::uint32_t>(bytes_, 4, 3);
        store<std::uint64_t>(bytes_, 8, gen);
        store<std::uint32_t>(bytes_, 16, first);
        store<std::uint32_t>(bytes_, 20, last);
        store<std::uint32_t>(bytes_, 24, 0);
    }
    // Writes a frame at ring offset `off`; returns the offset after it.
    std::uint32_t frame(std::uint32_t off, std::uint32_t len, std::uint64_t sender,
                        std::uint32_t tag) {
        std::vector<std::byte> h(kHdr);
        store<std::uint32_t>(h, 0, len);
        store<std::uint32_t>(h, 4, 1000 + tag);  // sec: a NetBSD kernel's uptime
        store<std::uint32_t>(h, 8, 5 * tag);     // usec
        store<std::uint64_t>(h, 16, sender);
        put(off, h);
        put((off + kHdr) % kData, payload(len, tag));
        return static_cast<std::uint32_t>((off + kHdr + len) % kData);
    }
    void put(std::uint64_t off, const std::vector<std::byte>& data) {
        for (std::size_t i = 0; i < data.size(); ++i)
            bytes_[kDataOff + (off + i) % kData] = data[i];
    }
    void save(const std::string& path) const { write_file(path, bytes_); }

  private:
    std::vector<std::byte> bytes_;
};

struct Expect {
    std::uint32_t len;
    std::uint64_t sender;
    std::uint32_t tag;
};

void expect_frames(const std::vector<Got>& got, const std::vector<Expect>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i));
        EXPECT_EQ(got[i].orig_len, want[i].len);
        EXPECT_EQ(got[i].sender, want[i].sender);
        EXPECT_EQ(got[i].data, payload(want[i].len, want[i].tag));
        EXPECT_EQ(got[i].time_ns,
                  (1000ULL + want[i].tag) * 1'000'000'000ULL + 5ULL * want[i].tag * 1000ULL);
    }
}

std::vector<Got> read_oldest(const std::string& path) {
    auto bus = Bus::open(path);
    EXPECT_TRUE(bus.has_value());
    if (!bus) return {};
    EXPECT_EQ(bus->format(), Format::netbsd);
    Cursor c(*bus, {.start = StartAt::oldest});
    auto got = drain(c);
    EXPECT_EQ(c.stats().corrupt, 0U);
    EXPECT_EQ(c.stats().overruns, 0U);
    return got;
}

TEST(NetbsdFormat, FreshBusIsExactlyTheV3Layout) {
    TempDir dir;
    const auto path = dir.file("fresh.bus");
    auto bus = Bus::create(path, {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value()) << describe(bus.error());
    EXPECT_EQ(bus->file_size(), kFileSize);
    EXPECT_EQ(bus->data_size(), kData);

    const auto file = read_bytes(path, 0, kFileSize);
    EXPECT_EQ(load<std::uint32_t>(file, 0), kMagic);
    EXPECT_EQ(load<std::uint32_t>(file, 4), 3U);
    EXPECT_EQ(load<std::uint64_t>(file, 8), 0U);
    EXPECT_EQ(load<std::uint32_t>(file, 16), kData);  // first == DATASIZE: never wrapped
    EXPECT_EQ(load<std::uint32_t>(file, 20), 0U);     // last
    EXPECT_EQ(load<std::uint32_t>(file, 24), 0U);     // lock
    // Everything else is zero, so data offset 0 holds a zero-length frame header.
    std::size_t nonzero = 0;
    for (std::size_t i = 28; i < file.size(); ++i)
        nonzero += file[i] != std::byte{0};
    EXPECT_EQ(nonzero, 0U);

    const BusInfo info = bus->info();
    EXPECT_EQ(info.format, Format::netbsd);
    EXPECT_EQ(info.version, 3U);
    EXPECT_EQ(info.generation, 0U);
    EXPECT_EQ(info.first, kData);
    EXPECT_EQ(info.last, 0U);
    EXPECT_EQ(info.frames_held, 0U);
    EXPECT_FALSE(info.locked);
}

TEST(NetbsdFormat, WriterFramesDecodeFieldByField) {
    TempDir dir;
    const auto path = dir.file("w.bus");
    auto bus = Bus::create(path, {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 0x1122334455667788ULL});
    const auto a = payload(100, 1);
    const auto b = payload(60, 2);
    const auto before = static_cast<std::uint64_t>(std::time(nullptr));
    ASSERT_TRUE(w.send(a).has_value());
    ASSERT_TRUE(w.send(b).has_value());
    const auto after = static_cast<std::uint64_t>(std::time(nullptr));

    const auto file = read_bytes(path, 0, kFileSize);
    const RawHeader h = read_header(path);
    EXPECT_EQ(h.magic, kMagic);
    EXPECT_EQ(h.version, 3U);
    EXPECT_EQ(h.gen, 0U);
    EXPECT_EQ(h.first, kData);
    EXPECT_EQ(h.last, kHdr + kHdr + 100);  // the second frame, right after the first
    EXPECT_EQ(h.lock, 0U);

    // The zero-length header at data offset 0 is left alone; frame one starts 24 bytes in.
    EXPECT_EQ(load<std::uint32_t>(file, kDataOff), 0U);
    const RawFrame f1 = frame_at(file, kHdr);
    EXPECT_EQ(f1.len, 100U);
    EXPECT_GE(f1.sec, before);
    EXPECT_LE(f1.sec, after + 1);
    EXPECT_LT(f1.usec, 1'000'000U);
    EXPECT_EQ(f1.pad, 0U);
    EXPECT_EQ(f1.sender, 0x1122334455667788ULL);
    EXPECT_EQ(f1.data, a);
    // sender sits at byte 16 of the 24-byte header
    EXPECT_EQ(load<std::uint64_t>(file, kDataOff + kHdr + 16), 0x1122334455667788ULL);

    const RawFrame f2 = frame_at(file, kHdr + kHdr + 100);
    EXPECT_EQ(f2.len, 60U);
    EXPECT_EQ(f2.sender, 0x1122334455667788ULL);
    EXPECT_EQ(f2.data, b);
    // Nothing was written past the second frame.
    EXPECT_EQ(load<std::uint32_t>(file, kDataOff + 3 * kHdr + 160), 0U);

    // Our own reader agrees, and the timestamps are the header's sec/usec.
    Cursor c(*bus, {.start = StartAt::oldest});
    auto got = drain(c);
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].data, a);
    EXPECT_EQ(got[1].data, b);
    EXPECT_EQ(got[0].time_ns, f1.sec * 1'000'000'000ULL + f1.usec * 1000ULL);
    EXPECT_EQ(bus->info().frames_held, 2U);
}

TEST(NetbsdFormat, ZeroFileOfOneMiBIsInitialisedOnOpen) {
    TempDir dir;
    const auto path = dir.file("zero.bus");
    write_file(path, std::vector<std::byte>(kFileSize));
    auto bus = Bus::open(path);
    ASSERT_TRUE(bus.has_value()) << describe(bus.error());
    EXPECT_EQ(bus->format(), Format::netbsd);
    const RawHeader h = read_header(path);
    EXPECT_EQ(h.magic, kMagic);
    EXPECT_EQ(h.version, 3U);
    EXPECT_EQ(h.gen, 0U);
    EXPECT_EQ(h.first, kData);
    EXPECT_EQ(h.last, 0U);
    EXPECT_EQ(h.lock, 0U);
    // And it is usable: a frame goes 24 bytes in.
    Writer w(*bus, {.sender = 7});
    ASSERT_TRUE(w.send(payload(64, 9)).has_value());
    const auto file = read_bytes(path, 0, kFileSize);
    EXPECT_EQ(frame_at(file, kHdr).len, 64U);
    EXPECT_EQ(read_header(path).last, kHdr);
}

TEST(NetbsdFormat, ZeroFileOfAnotherSizeIsNotABus) {
    TempDir dir;
    const auto path = dir.file("zero-small.bus");
    write_file(path, std::vector<std::byte>(kFileSize / 2));
    auto bus = Bus::open(path);
    ASSERT_FALSE(bus.has_value());
    EXPECT_EQ(bus.error().code, Errc::not_a_bus);
}

TEST(NetbsdFormat, HandBuiltNeverWrapped) {
    TempDir dir;
    const auto path = dir.file("img.bus");
    Image img;
    std::uint32_t off = kHdr;  // after the zero-length frame at 0
    off = img.frame(off, 60, 0xA, 1);
    off = img.frame(off, 1514, 0xB, 2);
    const std::uint32_t f2 = off;
    off = img.frame(off, 42, 0xA, 3);
    img.header(0, kData, f2);
    img.save(path);

    expect_frames(read_oldest(path), {{60, 0xA, 1}, {1514, 0xB, 2}, {42, 0xA, 3}});
    auto bus = Bus::open(path);
    ASSERT_TRUE(bus.has_value());
    EXPECT_EQ(bus->info().frames_held, 3U);
    EXPECT_EQ(bus->info().bytes_held, off);

    // A cursor starting at `next` sees nothing old, then exactly what is appended after.
    Cursor next(*bus);
    EXPECT_TRUE(drain(next).empty());
    Writer w(*bus, {.sender = 0xC});
    ASSERT_TRUE(w.send(payload(80, 4)).has_value());
    auto got = drain(next);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(80, 4));
    EXPECT_EQ(read_header(path).last, off);  // appended right after the newest frame
}

TEST(NetbsdFormat, HandBuiltWrappedWithHeaderSplitAcrossTheEnd) {
    TempDir dir;
    const auto path = dir.file("img.bus");
    Image img;
    // Oldest frame P ends 10 bytes before the end; X's header is split 10 + 14.
    const std::uint32_t p = kData - 10 - kHdr - 100;
    std::uint32_t off = img.frame(p, 100, 0xA, 1);
    ASSERT_EQ(off, kData - 10);
    off = img.frame(off, 50, 0xB, 2);
    ASSERT_EQ(off, 14U + 50U);
    const std::uint32_t y = off;
    off = img.frame(off, 30, 0xA, 3);
    img.header(1, p, y);
    img.save(path);
    expect_frames(read_oldest(path), {{100, 0xA, 1}, {50, 0xB, 2}, {30, 0xA, 3}});
}

TEST(NetbsdFormat, HandBuiltWrappedWithPayloadSplitAcrossTheEnd) {
    TempDir dir;
    const auto path = dir.file("img.bus");
    Image img;
    // X's header ends 16 bytes before the end; its 50-byte payload is split 16 + 34.
    const std::uint32_t x = kData - 40;
    const std::uint32_t p = x - kHdr - 200;
    std::uint32_t off = img.frame(p, 200, 0xA, 1);
    ASSERT_EQ(off, x);
    off = img.frame(off, 50, 0xB, 2);
    ASSERT_EQ(off, 34U);
    const std::uint32_t y = off;
    img.frame(off, 30, 0xA, 3);
    img.header(1, p, y);
    img.save(path);
    expect_frames(read_oldest(path), {{200, 0xA, 1}, {50, 0xB, 2}, {30, 0xA, 3}});
}

TEST(NetbsdFormat, HandBuiltExactFitAtTheEnd) {
    TempDir dir;
    // X ends exactly at the end of the ring: gen was incremented, the next frame is at 0.
    const std::uint32_t x = kData - kHdr - 50;
    const std::uint32_t p = x - kHdr - 300;
    {
        SCOPED_TRACE("newest frame is the exact fit");
        const auto path = dir.file("fit1.bus");
        Image img;
        std::uint32_t off = img.frame(p, 300, 0xA, 1);
        off = img.frame(off, 50, 0xB, 2);
        ASSERT_EQ(off, 0U);
        img.header(1, p, x);
        img.save(path);
        expect_frames(read_oldest(path), {{300, 0xA, 1}, {50, 0xB, 2}});

        // Our writer continues the ring at offset 0, in the same generation.
        auto bus = Bus::open(path);
        ASSERT_TRUE(bus.has_value());
        Cursor next(*bus);
        Writer w(*bus, {.sender = 0xC});
        ASSERT_TRUE(w.send(payload(70, 4)).has_value());
        const RawHeader h = read_header(path);
        EXPECT_EQ(h.last, 0U);
        EXPECT_EQ(h.gen, 1U);
        EXPECT_EQ(h.first, p);
        const RawFrame f = frame_at(read_bytes(path, 0, kFileSize), 0);
        EXPECT_EQ(f.len, 70U);
        EXPECT_EQ(f.sender, 0xCU);
        EXPECT_EQ(f.data, payload(70, 4));
        auto got = drain(next);
        ASSERT_EQ(got.size(), 1U);
        EXPECT_EQ(got[0].data, payload(70, 4));
    }
    {
        SCOPED_TRACE("a frame after the exact fit, at offset 0");
        const auto path = dir.file("fit2.bus");
        Image img;
        std::uint32_t off = img.frame(p, 300, 0xA, 1);
        off = img.frame(off, 50, 0xB, 2);
        off = img.frame(off, 30, 0xA, 3);
        img.header(1, p, 0);
        img.save(path);
        expect_frames(read_oldest(path), {{300, 0xA, 1}, {50, 0xB, 2}, {30, 0xA, 3}});
    }
}

TEST(NetbsdFormat, HandBuiltSkipsZeroLengthFramesAndOwnSender) {
    TempDir dir;
    const auto path = dir.file("img.bus");
    Image img;
    std::uint32_t off = img.frame(kHdr, 60, 0xA, 1);
    off += kHdr;  // a zero-length frame (the image is zero there)
    off = img.frame(off, 70, 0xB, 2);
    const std::uint32_t c = off;
    img.frame(off, 80, 0xA, 3);
    img.header(0, kData, c);
    img.save(path);
    auto bus = Bus::open(path);
    ASSERT_TRUE(bus.has_value());
    Cursor all(*bus, {.start = StartAt::oldest});
    expect_frames(drain(all), {{60, 0xA, 1}, {70, 0xB, 2}, {80, 0xA, 3}});
    Cursor not_a(*bus, {.skip_sender = 0xA, .start = StartAt::oldest});
    expect_frames(drain(not_a), {{70, 0xB, 2}});
    EXPECT_EQ(not_a.stats().skipped_own, 2U);
}

}  // namespace
}  // namespace shmif::test
