// The native ring at every wrap edge, on the smallest ring (64 KiB): a record that ends exactly
// at the end of the ring, a pad of exactly 8 bytes (before a frame, and before a gate that
// does not fit), a large pad; BusInfo, sequence numbers, overruns with exact loss counts,
// own-sender skipping, truncation, zero-copy peeks, limits.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bus_test_util.hpp"
#include "layout_native.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

constexpr std::uint64_t kHeader = 4096;
constexpr std::uint64_t kRing = 65536;
constexpr std::uint32_t kPad = 0x80000000U;
// Every batch (here: every send) starts with a 16-byte gate, a pad at the position `committed`
// had before it whose second word is the sequence number of the batch's first frame; that
// frame lands right after it.
constexpr std::uint64_t kGate = native::kGate;
// File offset of `reserved` (the header's positions: committed, reserved, first_pos).
constexpr std::uint64_t kReservedWord = offsetof(native::BusHeader, pos) + sizeof(std::uint64_t);
constexpr std::uint32_t kSmallMaxFrame = kRing / 4 - 32;  // 16,352: a quarter ring less a header

// A record of `span` bytes carries span - 32 bytes of frame (spans are multiples of 8).
constexpr std::uint32_t len_for_span(std::uint32_t span) {
    return span - 32;
}

struct RawRecord {
    std::uint32_t span, len;
    std::uint64_t seq, sender, time_ns;
};

RawRecord record_at(const std::string& path, std::uint64_t ring_off) {
    auto b = read_bytes(path, kHeader + ring_off, 32);
    return {load<std::uint32_t>(b, 0), load<std::uint32_t>(b, 4), load<std::uint64_t>(b, 8),
            load<std::uint64_t>(b, 16), load<std::uint64_t>(b, 24)};
}

std::uint32_t span_word_at(const std::string& path, std::uint64_t ring_off) {
    return read_value<std::uint32_t>(path, kHeader + ring_off);
}

// The gate at a ring offset: its first word and the sequence number it carries.
std::uint64_t gate_word_at(const std::string& path, std::uint64_t ring_off) {
    return read_value<std::uint64_t>(path, kHeader + ring_off);
}
std::uint64_t gate_seq_at(const std::string& path, std::uint64_t ring_off) {
    return read_value<std::uint64_t>(path, kHeader + ring_off + 8);
}

// A small bus with one writer and one reader that drains after every send and checks every
// frame it gets against what was sent.
class Harness {
  public:
    explicit Harness(const std::string& path)
        : path_(path),
          bus_(*Bus::create(path, {.size = kHeader + kRing})),
          writer_(bus_, {.sender = 0xAB}),
          reader_(bus_) {}

    void send(std::uint32_t len) {
        const auto tag = static_cast<std::uint32_t>(sent_.size());
        ASSERT_TRUE(writer_.send(payload(len, tag)).has_value());
        sent_.push_back(len);
        auto got = drain(reader_);
        ASSERT_EQ(got.size(), 1U) << "after frame " << tag;
        ASSERT_EQ(got[0].orig_len, len);
        ASSERT_EQ(got[0].data, payload(len, tag));
        ASSERT_EQ(got[0].sender, 0xABU);
    }
    void send_span(std::uint32_t span) { send(len_for_span(span)); }
    void check_clean() const {
        EXPECT_EQ(reader_.stats().frames, sent_.size());
        EXPECT_EQ(reader_.stats().overruns, 0U);
        EXPECT_EQ(reader_.stats().lost_frames, 0U);
        EXPECT_EQ(reader_.stats().corrupt, 0U);
        EXPECT_EQ(reader_.position(), bus_.info().last);
    }
    const Bus& bus() const { return bus_; }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    Bus bus_;
    Writer writer_;
    Cursor reader_;
    std::vector<std::uint32_t> sent_;
};

TEST(NativeRing, SmallestRingGeometry) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value()) << describe(bus.error());
    EXPECT_EQ(bus->format(), Format::native);
    EXPECT_EQ(bus->file_size(), kHeader + kRing);
    EXPECT_EQ(bus->data_size(), kRing);
    EXPECT_EQ(bus->max_frame(), kSmallMaxFrame);
    const BusInfo info = bus->info();
    EXPECT_EQ(info.version, 0x20000U);
    EXPECT_EQ(info.first, 0U);
    EXPECT_EQ(info.last, 0U);
    EXPECT_EQ(info.generation, 0U);
    EXPECT_EQ(info.frames_held, 0U);
    EXPECT_EQ(info.bytes_held, 0U);
    EXPECT_EQ(info.frames_written, 0U);
    EXPECT_FALSE(info.locked);
    EXPECT_FALSE(info.lock_owner_dead);
    EXPECT_EQ(info.lock_owner_state, 0);
    EXPECT_EQ(info.lock_held_ns, 0U);
    EXPECT_EQ(info.stalled_takeovers, 0U);
    EXPECT_TRUE(info.holes.empty());
    // The first batch's gate is there from the start, at position 0: its first frame will be
    // sequence number 0, and the writer may write up to the gate's end.
    EXPECT_EQ(gate_word_at(dir.file("b.bus"), 0), native::gate_word(0));
    EXPECT_EQ(gate_seq_at(dir.file("b.bus"), 0), 0U);
    EXPECT_EQ(read_value<std::uint64_t>(dir.file("b.bus"), kReservedWord), kGate);
}

TEST(NativeRing, BusInfoCountsExactly) {
    TempDir dir;
    Harness h(dir.file("b.bus"));
    for (int i = 0; i < 3; ++i)
        h.send_span(1024);
    // Each send is a gate and a record: 1040 bytes; the gates count as held bytes.
    const BusInfo info = h.bus().info();
    EXPECT_EQ(info.first, 0U);
    EXPECT_EQ(info.last, 3 * (kGate + 1024));
    EXPECT_EQ(info.frames_held, 3U);
    EXPECT_EQ(info.bytes_held, 3 * (kGate + 1024));
    EXPECT_EQ(info.generation, 0U);
    EXPECT_EQ(info.frames_written, 3U);
    EXPECT_EQ(info.bytes_written, 3U * 992U);
    h.check_clean();
}

TEST(NativeRing, RecordEndsExactlyAtTheRingEnd) {
    TempDir dir;
    Harness h(dir.file("b.bus"));
    // A 16-byte gate and a record of span 1008 take 1024 bytes: 64 sends fill the ring
    // exactly, and the last record (not a gate) ends at the ring end.
    for (int i = 0; i < 64; ++i)
        h.send_span(1008);
    EXPECT_EQ(h.bus().info().last, kRing);
    EXPECT_EQ(h.bus().info().generation, 1U);
    EXPECT_EQ(record_at(h.path(), kRing - 1008).span, 1008U);
    EXPECT_EQ(record_at(h.path(), kRing - 1008).seq, 63U);
    // No pad: the next batch's gate went straight to offset 0.
    EXPECT_EQ(gate_word_at(h.path(), 0), native::gate_word(kRing));
    EXPECT_EQ(gate_seq_at(h.path(), 0), 64U);
    h.send_span(1008);  // its record right after the gate
    EXPECT_EQ(gate_word_at(h.path(), 0), native::gate_word(kRing));
    const RawRecord r = record_at(h.path(), kGate);
    EXPECT_EQ(r.span, 1008U);
    EXPECT_EQ(r.len, 976U);
    EXPECT_EQ(r.seq, 64U);
    EXPECT_EQ(r.sender, 0xABU);
    EXPECT_EQ(h.bus().info().last, kRing + 1024);
    for (int i = 0; i < 70; ++i)
        h.send_span(1008);
    h.check_clean();
}

TEST(NativeRing, PadOfExactlyEightBytes) {
    TempDir dir;
    Harness h(dir.file("b.bus"));
    // 63 sends of 1024 bytes (gate and span 1008), then one of 1000 (gate and span 984): ends
    // at ring - 24, so the next send's 16-byte gate leaves its frame exactly 8.
    for (int i = 0; i < 63; ++i)
        h.send_span(1008);
    h.send_span(984);
    EXPECT_EQ(h.bus().info().last, kRing - 24);
    h.send(100);  // span 136 does not fit in 8 bytes: an 8-byte pad, then offset 0
    EXPECT_EQ(gate_word_at(h.path(), kRing - 24), native::gate_word(kRing - 24));
    EXPECT_EQ(gate_seq_at(h.path(), kRing - 24), 64U);
    EXPECT_EQ(span_word_at(h.path(), kRing - 8), 8U | kPad);
    const RawRecord r = record_at(h.path(), 0);
    EXPECT_EQ(r.span, 136U);
    EXPECT_EQ(r.len, 100U);
    EXPECT_EQ(r.seq, 64U);
    EXPECT_EQ(h.bus().info().last, kRing + 136);
    EXPECT_EQ(h.bus().info().generation, 1U);
    EXPECT_EQ(gate_word_at(h.path(), 136), native::gate_word(kRing + 136));
    EXPECT_EQ(gate_seq_at(h.path(), 136), 65U);
    h.check_clean();
}

TEST(NativeRing, GateThatDoesNotFitBeforeTheRingEnd) {
    TempDir dir;
    Harness h(dir.file("b.bus"));
    // 63 sends of 1024 bytes (gate and span 1008), then one of 1016 (gate and span 1000): the
    // batch ends 8 bytes before the ring's end, too few for the next gate's 16. The writer
    // pads those 8 bytes and puts the gate at offset 0 of the next lap.
    for (int i = 0; i < 63; ++i)
        h.send_span(1008);
    h.send_span(1000);
    EXPECT_EQ(span_word_at(h.path(), kRing - 8), 8U | kPad);
    EXPECT_EQ(gate_word_at(h.path(), 0), native::gate_word(kRing));
    EXPECT_EQ(gate_seq_at(h.path(), 0), 64U);
    EXPECT_EQ(h.bus().info().last, kRing);
    EXPECT_EQ(h.bus().info().generation, 1U);
    h.send(100);  // the frame right after the gate
    const RawRecord r = record_at(h.path(), kGate);
    EXPECT_EQ(r.span, 136U);
    EXPECT_EQ(r.seq, 64U);
    EXPECT_EQ(h.bus().info().last, kRing + kGate + 136);
    for (int i = 0; i < 70; ++i)
        h.send_span(1000);
    h.check_clean();
}

TEST(NativeRing, SmallestFrameWithEightBytesLeft) {
    TempDir dir;
    Harness h(dir.file("b.bus"));
    // As above: the last send's gate at ring - 24, 8 bytes left for its frame.
    for (int i = 0; i < 63; ++i)
        h.send_span(1008);
    h.send_span(984);
    ASSERT_EQ(h.bus().info().last, kRing - 24);
    h.send(kMinFrame);  // span 48: still needs the pad
    EXPECT_EQ(span_word_at(h.path(), kRing - 8), 8U | kPad);
    EXPECT_EQ(record_at(h.path(), 0).span, 48U);
    h.check_clean();
}

TEST(NativeRing, LargePad) {
    TempDir dir;
    Harness h(dir.file("b.bus"));
    // 48 sends of 1024 bytes (gate and span 1008) end at 49,152; the next send's gate takes 16
    // more: 16,368 bytes left for its frame.
    for (int i = 0; i < 48; ++i)
        h.send_span(1008);
    ASSERT_EQ(h.bus().info().last, 49152U);
    h.send(kSmallMaxFrame);  // span 16,384: 16 bytes too many
    EXPECT_EQ(span_word_at(h.path(), 49168), 16368U | kPad);
    const RawRecord r = record_at(h.path(), 0);
    EXPECT_EQ(r.span, 16384U);
    EXPECT_EQ(r.len, kSmallMaxFrame);
    EXPECT_EQ(r.seq, 48U);
    EXPECT_EQ(h.bus().info().last, kRing + 16384);
    // Keep going with maximal frames across several laps.
    for (int i = 0; i < 20; ++i)
        h.send(kSmallMaxFrame - static_cast<std::uint32_t>(i) * 8);
    h.check_clean();
}

TEST(NativeRing, EveryOffsetModuloEightOverManyLaps) {
    TempDir dir;
    Harness h(dir.file("b.bus"));
    for (std::uint32_t i = 0; i < 600; ++i)
        h.send(static_cast<std::uint32_t>(kMinFrame) + (i * 2654435761U) % 5000);
    EXPECT_GE(h.bus().info().generation, 10U);
    h.check_clean();
}

TEST(NativeRing, SequenceNumbersAndBatches) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 5});
    for (std::uint32_t i = 0; i < 5; ++i)
        ASSERT_TRUE(w.send(payload(60, i)).has_value());
    std::vector<std::vector<std::byte>> batch;
    for (std::uint32_t i = 5; i < 9; ++i)
        batch.push_back(payload(60 + i, i));
    std::vector<FrameBytes> spans(batch.begin(), batch.end());
    auto n = w.send_batch(spans);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 4U);
    EXPECT_EQ(w.stats().frames, 9U);
    EXPECT_EQ(w.stats().batches, 6U);

    Cursor c(*bus, {.start = StartAt::oldest});
    FrameView views[16];
    ASSERT_EQ(c.peek(views), 9U);
    for (std::uint32_t i = 0; i < 9; ++i) {
        EXPECT_EQ(views[i].seq, i);
        EXPECT_EQ(views[i].sender, 5U);
    }
    // One batch, one timestamp.
    EXPECT_EQ(views[5].time_ns, views[8].time_ns);
    EXPECT_EQ(bus->info().frames_held, 9U);
}

TEST(NativeRing, ZeroCopyBatchAcquire) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 5});
    Cursor c(*bus);
    {
        auto batch = w.begin();
        ASSERT_TRUE(batch.has_value());
        for (std::uint32_t i = 0; i < 3; ++i) {
            auto slot = batch->acquire(100 + i);
            ASSERT_TRUE(slot.has_value());
            ASSERT_EQ(slot->size(), 100U + i);
            auto p = payload(100 + i, i);
            std::copy(p.begin(), p.end(), slot->begin());
        }
        // Not visible before the commit.
        EXPECT_FALSE(c.poll());
        EXPECT_EQ(batch->commit(), 3U);
        EXPECT_EQ(batch->commit(), 0U);  // idempotent
    }
    auto got = drain(c);
    ASSERT_EQ(got.size(), 3U);
    for (std::uint32_t i = 0; i < 3; ++i)
        EXPECT_EQ(got[i].data, payload(100 + i, i));
}

TEST(NativeRing, DropLastTakesBackATornCopy) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 5});
    Cursor c(*bus);
    // Enough rounds to wrap the ring, so that a dropped frame next to a wrap pad is covered.
    std::uint32_t kept = 0;
    for (std::uint32_t round = 0; round < 200; ++round) {
        auto batch = w.begin();
        ASSERT_TRUE(batch.has_value());
        for (std::uint32_t i = 0; i < 3; ++i) {
            const std::uint32_t len = 100 + (round * 3 + i) % 900;
            auto slot = batch->acquire(len);
            ASSERT_TRUE(slot.has_value());
            auto p = payload(len, round * 3 + i);
            std::copy(p.begin(), p.end(), slot->begin());
            if (i == 1) batch->drop_last();  // the middle one, and ...
        }
        if (round % 2 == 0) {
            batch->drop_last();  // ... in even rounds the last one too,
            batch->drop_last();  // and again: nothing more to take back
        }
        batch->commit();
        auto got = drain(c);
        std::vector<std::uint32_t> want{round * 3};
        if (round % 2 == 1) want.push_back(round * 3 + 2);
        ASSERT_EQ(got.size(), want.size()) << "round " << round;
        for (std::size_t k = 0; k < want.size(); ++k)
            EXPECT_EQ(got[k].data, payload(100 + want[k] % 900, want[k])) << "round " << round;
        kept += static_cast<std::uint32_t>(got.size());
    }
    EXPECT_GE(bus->info().generation, 2U);  // it wrapped
    EXPECT_EQ(c.stats().lost_frames, 0U);
    EXPECT_EQ(c.stats().corrupt, 0U);
    EXPECT_EQ(kept, 300U);
    EXPECT_EQ(w.stats().frames, 300U);
}

TEST(NativeRing, StalledCursorCountsLostFramesExactly) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 9});
    Cursor stalled(*bus);
    // Span 1008, with its 16-byte gate 1024 bytes a send: 64 would fill the ring.
    constexpr std::uint32_t kN = 100, kLen = 976;
    // Read the first 10, then stall while 90 more go by.
    for (std::uint32_t i = 0; i < 10; ++i)
        ASSERT_TRUE(w.send(payload(kLen, i)).has_value());
    ASSERT_EQ(drain(stalled).size(), 10U);
    for (std::uint32_t i = 10; i < kN; ++i)
        ASSERT_TRUE(w.send(payload(kLen, i)).has_value());

    const BusInfo info = bus->info();
    const std::uint64_t held = info.frames_held;
    // What the ring can hold: at most a ring's worth of records, and at least a ring less
    // the writer's reservation slack (at most an eighth of the ring) less one record.
    EXPECT_LE(held, kRing / 1024);
    EXPECT_GE(held, (kRing - kRing / 8) / 1024 - 1);
    // The oldest frame held is at (kN - held) * 1024 + 16. Its gate, 16 bytes before it, lies
    // in the writer's reservation here, so first_pos had to move past the gate onto the
    // frame itself.
    const auto reserved = read_value<std::uint64_t>(dir.file("b.bus"), kReservedWord);
    EXPECT_EQ(info.first, (kN - held) * 1024 + kGate);
    EXPECT_GT(reserved, info.first - kGate + kRing);  // the gate may be overwritten
    EXPECT_LE(reserved, info.first + kRing);          // the frame may not
    EXPECT_EQ(info.bytes_held, held * 1024 - kGate);
    EXPECT_EQ(info.last, kN * 1024);

    auto got = drain(stalled);
    const std::uint64_t missed = kN - 10 - held;
    EXPECT_EQ(stalled.stats().overruns, 1U);
    EXPECT_EQ(stalled.stats().lost_frames, missed);
    ASSERT_EQ(got.size(), held);
    EXPECT_EQ(10 + got.size() + stalled.stats().lost_frames, kN);
    for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i].data, payload(kLen, static_cast<std::uint32_t>(kN - held + i))) << i;
    EXPECT_EQ(stalled.stats().corrupt, 0U);
}

TEST(NativeRing, LostFramesExactWithPadsAndMixedSizes) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 9});
    Cursor oldest(*bus, {.start = StartAt::oldest});
    constexpr std::uint32_t kN = 500;
    for (std::uint32_t i = 0; i < kN; ++i)
        ASSERT_TRUE(w.send(payload(60 + (i * 37) % 3000, i)).has_value());
    const std::uint64_t held = bus->info().frames_held;
    ASSERT_GT(held, 0U);
    ASSERT_LT(held, kN);
    auto got = drain(oldest);
    ASSERT_EQ(got.size(), held);
    EXPECT_EQ(oldest.stats().lost_frames, kN - held);
    EXPECT_EQ(got.size() + oldest.stats().lost_frames, kN);
    for (std::size_t i = 0; i < got.size(); ++i) {
        const auto tag = static_cast<std::uint32_t>(kN - held + i);
        ASSERT_EQ(got[i].data, payload(60 + (tag * 37) % 3000, tag)) << i;
    }
}

TEST(NativeRing, OldestCursorOnAFreshRingLosesNothing) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus);
    for (std::uint32_t i = 0; i < 20; ++i)
        ASSERT_TRUE(w.send(payload(500, i)).has_value());
    Cursor c(*bus, {.start = StartAt::oldest});
    auto got = drain(c);
    ASSERT_EQ(got.size(), 20U);
    EXPECT_EQ(c.stats().lost_frames, 0U);
    EXPECT_EQ(c.stats().overruns, 0U);
}

TEST(NativeRing, StartAtNextVersusOldest) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus);
    for (std::uint32_t i = 0; i < 3; ++i)
        ASSERT_TRUE(w.send(payload(80, i)).has_value());
    Cursor next(*bus);
    Cursor oldest(*bus, {.start = StartAt::oldest});
    EXPECT_FALSE(next.poll());
    EXPECT_TRUE(oldest.poll());
    EXPECT_TRUE(drain(next).empty());
    auto old = drain(oldest);
    ASSERT_EQ(old.size(), 3U);
    EXPECT_EQ(old[0].data, payload(80, 0));
    ASSERT_TRUE(w.send(payload(80, 3)).has_value());
    auto n = drain(next);
    ASSERT_EQ(n.size(), 1U);
    EXPECT_EQ(n[0].data, payload(80, 3));
    EXPECT_EQ(drain(oldest).size(), 1U);
}

TEST(NativeRing, SkipSender) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer a(*bus, {.sender = 0x1111});
    Writer b(*bus, {.sender = 0x2222});
    Cursor c(*bus, {.skip_sender = 0x1111});
    for (std::uint32_t i = 0; i < 6; ++i) {
        Writer& w = i % 3 == 0 ? b : a;
        ASSERT_TRUE(w.send(payload(90, i)).has_value());
    }
    auto got = drain(c);
    ASSERT_EQ(got.size(), 2U);
    EXPECT_EQ(got[0].data, payload(90, 0));
    EXPECT_EQ(got[1].data, payload(90, 3));
    EXPECT_EQ(got[0].sender, 0x2222U);
    EXPECT_EQ(c.stats().skipped_own, 4U);
    EXPECT_EQ(c.stats().frames, 2U);
    EXPECT_EQ(c.stats().lost_frames, 0U);  // skipped frames are not lost
}

TEST(NativeRing, TruncatedFrames) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus);
    Cursor c(*bus);
    const auto big = payload(1000, 1);
    ASSERT_TRUE(w.send(big).has_value());
    ASSERT_TRUE(w.send(payload(14, 2)).has_value());
    RecvBufs bufs(2, 16);
    ASSERT_EQ(c.receive(bufs.frames()), 2U);
    EXPECT_EQ(bufs.frames()[0].len, 16U);
    EXPECT_EQ(bufs.frames()[0].orig_len, 1000U);
    EXPECT_EQ(std::vector<std::byte>(bufs.frames()[0].data, bufs.frames()[0].data + 16),
              std::vector<std::byte>(big.begin(), big.begin() + 16));
    EXPECT_EQ(bufs.frames()[1].len, 14U);
    EXPECT_EQ(c.stats().truncated, 1U);
    EXPECT_EQ(c.stats().bytes, 1014U);  // bytes on the bus, not bytes copied
}

TEST(NativeRing, ReceiveFillsAtMostTheSpan) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus);
    Cursor c(*bus);
    for (std::uint32_t i = 0; i < 5; ++i)
        ASSERT_TRUE(w.send(payload(70, i)).has_value());
    RecvBufs bufs(2, 100);
    EXPECT_EQ(c.receive(bufs.frames()), 2U);
    EXPECT_EQ(c.receive(bufs.frames()), 2U);
    EXPECT_EQ(c.receive(bufs.frames()), 1U);
    EXPECT_EQ(c.receive(bufs.frames()), 0U);
    EXPECT_EQ(c.receive({}), 0U);
}

TEST(NativeRing, PeekStillValidAdvance) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 4});
    Cursor c(*bus);
    for (std::uint32_t i = 0; i < 3; ++i)
        ASSERT_TRUE(w.send(payload(992, i)).has_value());
    FrameView views[8];
    ASSERT_EQ(c.peek(views), 3U);
    for (std::uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(std::vector<std::byte>(views[i].data.begin(), views[i].data.end()),
                  payload(992, i));
        EXPECT_EQ(views[i].seq, i);
        EXPECT_EQ(views[i].pos, kGate + i * (kGate + 1024));  // each send: a gate, a record
        EXPECT_TRUE(c.still_valid(views[i]));
    }
    // Peeking again without advancing shows the same frames.
    FrameView again[8];
    ASSERT_EQ(c.peek(again), 3U);
    EXPECT_EQ(again[0].pos, kGate);
    // Views stay valid while the writer is far from lapping them.
    for (std::uint32_t i = 3; i < 13; ++i)
        ASSERT_TRUE(w.send(payload(992, i)).has_value());
    EXPECT_TRUE(c.still_valid(again[0]));
    c.advance(2);
    EXPECT_EQ(c.stats().frames, 2U);
    EXPECT_EQ(c.position(), 2 * (kGate + 1024));  // at the third send's gate
    auto rest = drain(c);
    ASSERT_EQ(rest.size(), 11U);
    EXPECT_EQ(rest[0].data, payload(992, 2));

    // A view the writer lapped is no longer valid.
    ASSERT_TRUE(w.send(payload(992, 13)).has_value());
    ASSERT_EQ(c.peek(views), 1U);
    const FrameView lapped = views[0];
    EXPECT_TRUE(c.still_valid(lapped));
    for (std::uint32_t i = 14; i < 14 + 70; ++i)
        ASSERT_TRUE(w.send(payload(992, i)).has_value());
    EXPECT_FALSE(c.still_valid(lapped));
    // Advancing past it and reading on counts the overrun and the frames lost.
    c.advance(1);
    auto after = drain(c);
    EXPECT_EQ(c.stats().overruns, 1U);
    EXPECT_EQ(c.stats().frames + c.stats().lost_frames, 14U + 70U);
    EXPECT_EQ(after.size(), bus->info().frames_held);
}

TEST(NativeRing, PeekSkipsOwnFramesAndPads) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer me(*bus, {.sender = 1});
    Writer other(*bus, {.sender = 2});
    Cursor c(*bus, {.skip_sender = 1});
    for (std::uint32_t i = 0; i < 4; ++i)
        ASSERT_TRUE(me.send(payload(100, i)).has_value());
    FrameView views[4];
    EXPECT_EQ(c.peek(views), 0U);
    EXPECT_EQ(c.stats().skipped_own, 4U);
    ASSERT_TRUE(other.send(payload(100, 9)).has_value());
    ASSERT_EQ(c.peek(views), 1U);
    EXPECT_EQ(views[0].sender, 2U);
    c.advance(1);
    EXPECT_EQ(c.stats().frames, 1U);
    EXPECT_FALSE(c.poll());
}

TEST(NativeRing, FrameSizeLimits) {
    TempDir dir;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kRing});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus);
    Cursor c(*bus);
    EXPECT_TRUE(w.send(payload(kSmallMaxFrame, 1)).has_value());
    auto big = w.send(payload(kSmallMaxFrame + 1, 2));
    ASSERT_FALSE(big.has_value());
    EXPECT_EQ(big.error().code, Errc::frame_too_large);
    auto empty = w.send({});
    ASSERT_FALSE(empty.has_value());
    EXPECT_EQ(empty.error().code, Errc::frame_too_short);
    {
        auto batch = w.begin();
        ASSERT_TRUE(batch.has_value());
        auto zero = batch->acquire(0);
        ASSERT_FALSE(zero.has_value());
        EXPECT_EQ(zero.error().code, Errc::frame_too_short);
        auto huge = batch->acquire(kSmallMaxFrame + 1);
        ASSERT_FALSE(huge.has_value());
        EXPECT_EQ(huge.error().code, Errc::frame_too_large);
        EXPECT_EQ(batch->commit(), 0U);
    }
    EXPECT_EQ(w.stats().rejected, 4U);
    EXPECT_EQ(w.stats().frames, 1U);
    auto got = drain(c);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].orig_len, kSmallMaxFrame);
}

TEST(NativeRing, DefaultAndCustomMaxFrame) {
    TempDir dir;
    auto def = Bus::create(dir.file("default.bus"), {});
    ASSERT_TRUE(def.has_value());
    EXPECT_EQ(def->file_size(), kHeader + 2 * 1024 * 1024);
    EXPECT_EQ(def->max_frame(), 65553U);  // 64 KiB payload + a VLAN Ethernet header
    Writer dw(*def);
    Cursor dc(*def);
    ASSERT_TRUE(dw.send(payload(65553, 1)).has_value());
    EXPECT_EQ(dw.send(payload(65554, 1)).error().code, Errc::frame_too_large);
    auto got = drain(dc);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(65553, 1));

    auto custom = Bus::create(dir.file("custom.bus"), {.size = kHeader + kRing, .max_frame = 1500});
    ASSERT_TRUE(custom.has_value());
    EXPECT_EQ(custom->max_frame(), 1500U);
    EXPECT_EQ(custom->info().max_frame, 1500U);
    Writer cw(*custom);
    EXPECT_TRUE(cw.send(payload(1500, 1)).has_value());
    EXPECT_EQ(cw.send(payload(1501, 1)).error().code, Errc::frame_too_large);
    // Reopening reads the limit from the file.
    auto reopened = Bus::open(dir.file("custom.bus"));
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(reopened->max_frame(), 1500U);

    // The largest a 64 KiB ring allows is a quarter ring per record.
    EXPECT_TRUE(
        Bus::create(dir.file("q.bus"), {.size = kHeader + kRing, .max_frame = kSmallMaxFrame})
            .has_value());
    auto over =
        Bus::create(dir.file("q2.bus"), {.size = kHeader + kRing, .max_frame = kSmallMaxFrame + 8});
    ASSERT_FALSE(over.has_value());
    EXPECT_EQ(over.error().code, Errc::invalid_argument);
    auto tiny = Bus::create(dir.file("t.bus"), {.size = kHeader + kRing, .max_frame = 59});
    ASSERT_FALSE(tiny.has_value());
    EXPECT_EQ(tiny.error().code, Errc::invalid_argument);
}

TEST(NativeRing, LargerRingHoldsMore) {
    TempDir dir;
    constexpr std::uint64_t kBig = 1024 * 1024;
    auto bus = Bus::create(dir.file("b.bus"), {.size = kHeader + kBig});
    ASSERT_TRUE(bus.has_value());
    EXPECT_EQ(bus->data_size(), kBig);
    Writer w(*bus);
    Cursor c(*bus, {.start = StartAt::oldest});
    // Span 992: with its 16-byte gate 1008 bytes a send, so that 1000 sends (1,008,000 bytes)
    // and the writer's reservation (32 KiB) still fit in the ring.
    for (std::uint32_t i = 0; i < 1000; ++i)
        ASSERT_TRUE(w.send(payload(960, i)).has_value());
    EXPECT_EQ(bus->info().frames_held, 1000U);
    EXPECT_EQ(drain(c).size(), 1000U);
}

}  // namespace
}  // namespace shmif::test
