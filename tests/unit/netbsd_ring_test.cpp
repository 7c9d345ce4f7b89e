// The NetBSD ring at its wrap edges, written by our Writer: a frame whose header is split
// across the end of the ring, one whose payload is split, one that ends exactly at the end;
// and a reader that is overrun, with the bytes it lost counted exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "bus_test_util.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

constexpr std::uint64_t kFileSize = 1024 * 1024;
constexpr std::uint64_t kData = 1024 * 1024 - 32;
constexpr std::uint64_t kDataOff = 32;
constexpr std::uint64_t kHdr = 24;
constexpr std::uint32_t kMaxFrame = 1518;

struct Sent {
    std::uint32_t len;
    std::uint32_t tag;
};

// Sends frames, checking each against a reader that drains as it goes (so it is never
// overrun), and tracks the ring offset the next frame goes to.
class Harness {
  public:
    explicit Harness(const std::string& path)
        : bus_(*Bus::create(path, {.format = Format::netbsd})),
          writer_(bus_, {.sender = 0x5e11de5}),
          reader_(bus_) {}

    void send(std::uint32_t len) {
        const std::uint32_t tag = static_cast<std::uint32_t>(sent_.size());
        ASSERT_TRUE(writer_.send(payload(len, tag)).has_value());
        sent_.push_back({len, tag});
        offset_ = (offset_ + kHdr + len) % kData;
        if (sent_.size() % 64 == 0) collect();
    }
    // Fills up to ring offset `target` (never wrapping) with frames of legal sizes.
    void fill_to(std::uint64_t target) {
        ASSERT_GE(target, offset_ + 25);
        for (int i = 0; i < 10000 && offset_ < target; ++i) {
            const std::uint64_t rem = target - offset_;
            const std::uint64_t total =
                rem > kHdr + kMaxFrame ? std::min<std::uint64_t>(kHdr + kMaxFrame, rem - 25) : rem;
            send(static_cast<std::uint32_t>(total - kHdr));
        }
        ASSERT_EQ(offset_, target);
    }
    void collect() {
        for (auto& g : drain(reader_))
            got_.push_back(std::move(g));
    }
    void check_all_received() {
        collect();
        ASSERT_EQ(got_.size(), sent_.size());
        for (std::size_t i = 0; i < sent_.size(); ++i) {
            ASSERT_EQ(got_[i].orig_len, sent_[i].len) << "frame " << i;
            ASSERT_EQ(got_[i].data, payload(sent_[i].len, sent_[i].tag)) << "frame " << i;
            ASSERT_EQ(got_[i].sender, 0x5e11de5U);
        }
        EXPECT_EQ(reader_.stats().corrupt, 0U);
        EXPECT_EQ(reader_.stats().overruns, 0U);
        EXPECT_EQ(reader_.stats().lost_bytes, 0U);
    }
    std::uint64_t offset() const { return offset_; }
    std::uint32_t last_tag() const { return sent_.back().tag; }
    const Bus& bus() const { return bus_; }

  private:
    Bus bus_;
    Writer writer_;
    Cursor reader_;
    std::vector<Sent> sent_;
    std::vector<Got> got_;
    std::uint64_t offset_ = kHdr;  // after the zero-length frame of a fresh bus
};

std::uint32_t header_u32(const std::string& path, std::uint64_t off) {
    return read_value<std::uint32_t>(path, off);
}
std::uint64_t header_gen(const std::string& path) {
    return read_value<std::uint64_t>(path, 8);
}

// The 24 header bytes of the frame at ring offset `off`, reassembled across the end.
std::vector<std::byte> frame_header(const std::vector<std::byte>& file, std::uint64_t off) {
    std::vector<std::byte> h(kHdr);
    for (std::size_t i = 0; i < kHdr; ++i)
        h[i] = file[kDataOff + (off + i) % kData];
    return h;
}

TEST(NetbsdRing, HeaderSplitAcrossTheEnd) {
    TempDir dir;
    const auto path = dir.file("b.bus");
    Harness h(path);
    h.fill_to(kData - 10);
    EXPECT_EQ(header_gen(path), 0U);
    h.send(50);  // header: 10 bytes at the end, 14 at the start; payload at 14
    EXPECT_EQ(header_u32(path, 20), kData - 10);  // last
    EXPECT_EQ(header_gen(path), 1U);
    const auto file = read_bytes(path, 0, kFileSize);
    const auto fh = frame_header(file, kData - 10);
    EXPECT_EQ(load<std::uint32_t>(fh, 0), 50U);
    EXPECT_EQ(load<std::uint64_t>(fh, 16), 0x5e11de5U);
    // The payload starts at ring offset 14.
    EXPECT_EQ(std::vector<std::byte>(file.begin() + kDataOff + 14, file.begin() + kDataOff + 64),
              payload(50, h.last_tag()));
    h.send(30);
    EXPECT_EQ(header_u32(path, 20), 64U);
    EXPECT_EQ(header_gen(path), 1U);
    h.check_all_received();
}

TEST(NetbsdRing, PayloadSplitAcrossTheEnd) {
    TempDir dir;
    const auto path = dir.file("b.bus");
    Harness h(path);
    h.fill_to(kData - 40);
    h.send(50);  // header fits (ends 16 before the end); payload 16 + 34
    EXPECT_EQ(header_u32(path, 20), kData - 40);
    EXPECT_EQ(header_gen(path), 1U);
    EXPECT_EQ(h.offset(), 34U);
    h.send(30);
    EXPECT_EQ(header_u32(path, 20), 34U);
    h.check_all_received();
}

TEST(NetbsdRing, ExactFitAtTheEnd) {
    TempDir dir;
    const auto path = dir.file("b.bus");
    Harness h(path);
    h.fill_to(kData - kHdr - 50);
    EXPECT_EQ(header_gen(path), 0U);
    h.send(50);  // ends exactly at the end of the ring
    EXPECT_EQ(header_u32(path, 20), kData - kHdr - 50);
    EXPECT_EQ(header_gen(path), 1U);  // reaching the end counts as a wrap
    EXPECT_EQ(h.offset(), 0U);
    h.send(30);  // the next frame starts at offset 0
    EXPECT_EQ(header_u32(path, 20), 0U);
    EXPECT_EQ(header_gen(path), 1U);
    const auto file = read_bytes(path, 0, kFileSize);
    EXPECT_EQ(load<std::uint32_t>(file, kDataOff), 30U);
    h.check_all_received();
}

TEST(NetbsdRing, ManyLapsEveryFrameInOrder) {
    TempDir dir;
    const auto path = dir.file("b.bus");
    Harness h(path);
    // Odd sizes so that wraps land on every kind of split over three laps.
    constexpr auto kShortest = static_cast<std::uint32_t>(kMinFrame);
    for (std::uint32_t i = 0; i < 3 * 1024 * 1024 / 800; ++i)
        h.send(kShortest + (i * 7919) % (kMaxFrame - kShortest + 1));
    EXPECT_EQ(header_gen(path), h.bus().info().generation);
    EXPECT_GE(header_gen(path), 2U);
    h.check_all_received();
}

TEST(NetbsdRing, OverrunCountsLostBytesExactly) {
    TempDir dir;
    const auto path = dir.file("b.bus");
    auto bus = Bus::create(path, {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value());
    Cursor stalled(*bus);  // at the write position of a fresh bus: linear position 24
    EXPECT_EQ(stalled.position(), kHdr);
    Writer w(*bus, {.sender = 1});
    constexpr std::uint64_t kLen = 1000, kTotal = kHdr + kLen, kN = 1200;
    for (std::uint32_t i = 0; i < kN; ++i)
        ASSERT_TRUE(w.send(payload(kLen, i)).has_value());

    // Independently: frame i occupies [24 + i*T, 24 + (i+1)*T). After the last write W, the
    // oldest frame kept is the first whose start b satisfies b + DATASIZE >= W.
    const std::uint64_t write = kHdr + kN * kTotal;
    const std::uint64_t lost = (write - kData - kHdr + kTotal - 1) / kTotal;
    const std::uint64_t oldest = kHdr + lost * kTotal;
    ASSERT_EQ(lost, 177U);

    const BusInfo info = bus->info();
    EXPECT_EQ(info.generation, write / kData);
    EXPECT_EQ(info.first, oldest % kData);
    EXPECT_EQ(info.last, (write - kTotal) % kData);
    EXPECT_EQ(info.frames_held, kN - lost);
    EXPECT_EQ(info.bytes_held, write - oldest);

    auto got = drain(stalled);
    EXPECT_EQ(stalled.stats().overruns, 1U);
    EXPECT_EQ(stalled.stats().lost_bytes, oldest - kHdr);
    EXPECT_EQ(stalled.stats().corrupt, 0U);
    ASSERT_EQ(got.size(), kN - lost);
    for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].data, payload(kLen, static_cast<std::uint32_t>(lost + i))) << i;
    }
    EXPECT_EQ(stalled.stats().frames, kN - lost);

    // A second overrun is counted again, cumulatively.
    for (std::uint32_t i = 0; i < kN; ++i)
        ASSERT_TRUE(w.send(payload(kLen, i)).has_value());
    drain(stalled);
    EXPECT_EQ(stalled.stats().overruns, 2U);
    EXPECT_GT(stalled.stats().lost_bytes, oldest - kHdr);
}

TEST(NetbsdRing, LargestFrameAndRejections) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value());
    EXPECT_EQ(bus->max_frame(), kMaxFrame);
    Writer w(*bus);
    Cursor c(*bus);
    EXPECT_TRUE(w.send(payload(kMaxFrame, 1)).has_value());
    auto too_big = w.send(payload(kMaxFrame + 1, 2));
    ASSERT_FALSE(too_big.has_value());
    EXPECT_EQ(too_big.error().code, Errc::frame_too_large);
    auto empty = w.send({});
    ASSERT_FALSE(empty.has_value());
    EXPECT_EQ(empty.error().code, Errc::frame_too_short);
    EXPECT_EQ(w.stats().rejected, 2U);
    EXPECT_EQ(w.stats().frames, 1U);
    auto got = drain(c);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(kMaxFrame, 1));
}

TEST(NetbsdRing, BatchAndTruncation) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 3});
    Cursor c(*bus);
    const auto a = payload(100, 1), b = payload(2000, 2), d = payload(300, 3);
    const FrameBytes frames[] = {a, b, d};
    auto sent = w.send_batch(frames);
    ASSERT_TRUE(sent.has_value());
    EXPECT_EQ(*sent, 2U);  // the 2000-byte one is skipped
    EXPECT_EQ(w.stats().rejected, 1U);
    RecvBufs bufs(4, 64);
    ASSERT_EQ(c.receive(bufs.frames()), 2U);
    const Frame& f0 = bufs.frames()[0];
    EXPECT_EQ(f0.len, 64U);
    EXPECT_EQ(f0.orig_len, 100U);
    EXPECT_EQ(std::vector<std::byte>(f0.data, f0.data + 64),
              std::vector<std::byte>(a.begin(), a.begin() + 64));
    EXPECT_EQ(bufs.frames()[1].orig_len, 300U);
    EXPECT_EQ(c.stats().truncated, 2U);
    EXPECT_EQ(c.stats().bytes, 400U);
}

TEST(NetbsdRing, DropLastTakesBackTheStagedFrame) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 3});
    Cursor c(*bus);
    auto batch = w.begin();
    ASSERT_TRUE(batch.has_value());
    for (std::uint32_t i = 0; i < 3; ++i) {
        auto slot = batch->acquire(100 + i);
        ASSERT_TRUE(slot.has_value());
        auto p = payload(100 + i, i);
        std::copy(p.begin(), p.end(), slot->begin());
        if (i == 1) batch->drop_last();
    }
    EXPECT_EQ(batch->commit(), 2U);
    auto got = drain(c);
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].data, payload(100, 0));
    EXPECT_EQ(got[1].data, payload(102, 2));
}

TEST(NetbsdRing, PeekCopiesAndAdvance) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 3});
    Cursor c(*bus);
    for (std::uint32_t i = 0; i < 3; ++i)
        ASSERT_TRUE(w.send(payload(100 + i, i)).has_value());
    FrameView views[8];
    ASSERT_EQ(c.peek(views), 3U);
    for (std::uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(std::vector<std::byte>(views[i].data.begin(), views[i].data.end()),
                  payload(100 + i, i));
        EXPECT_TRUE(c.still_valid(views[i]));
        EXPECT_EQ(views[i].sender, 3U);
    }
    c.advance(2);
    auto got = drain(c);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(102, 2));
    EXPECT_EQ(c.stats().frames, 3U);
}

}  // namespace
}  // namespace shmif::test
