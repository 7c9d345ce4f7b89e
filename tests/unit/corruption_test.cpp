// Hostile and corrupt buses: scribbled rings, impossible lengths, header fields out of range,
// native positions that contradict each other, a forged gate. Every case must end in
// counted errors and a resynchronised cursor that receives the next good frames; the writer
// repairs what it finds. And every way Bus::open and Bus::create refuse a file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
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
constexpr std::uint64_t kNbData = 1024 * 1024 - 32;
constexpr std::uint64_t kNbDataOff = 32;
// Every batch (here: every send) starts with a 16-byte gate, whose second word is the sequence
// number of the batch's first frame; that frame follows it.
constexpr std::uint64_t kGate = native::kGate;

// File offsets of the native position words.
constexpr std::uint64_t kPos = offsetof(native::BusHeader, pos);
constexpr std::uint64_t kCommitted = kPos + 0;
constexpr std::uint64_t kReserved = kPos + 8;
constexpr std::uint64_t kFirstPos = kPos + 16;
static_assert(offsetof(native::Positions, committed) == 0 &&
              offsetof(native::Positions, reserved) == 8 &&
              offsetof(native::Positions, first_pos) == 16);

// File offset of the sequence word of the gate at `committed` (fence bits ignored), or 0 when
// the gate's 16 bytes would not fit before the ring's end (no writer puts one there).
std::uint64_t gate_seq_word(std::uint64_t committed) {
    const std::uint64_t off = (committed & ~std::uint64_t{native::kAlign - 1}) % kRing;
    return off + kGate <= kRing ? kHeader + off + 8 : 0;
}

void scribble(const std::string& path, std::uint64_t off, std::size_t len, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> junk(len);
    for (auto& b : junk)
        b = static_cast<std::byte>(rng() & 0xff);
    write_bytes(path, off, junk.data(), junk.size());
}

// Sends `n` frames tagged from `tag0` and expects every cursor to receive exactly them.
void send_and_expect(Writer& w, std::initializer_list<Cursor*> cursors, std::uint32_t tag0,
                     std::uint32_t n, std::uint32_t len = 120) {
    for (std::uint32_t i = 0; i < n; ++i)
        ASSERT_TRUE(w.send(payload(len, tag0 + i)).has_value());
    for (Cursor* c : cursors) {
        auto got = drain(*c);
        ASSERT_EQ(got.size(), n);
        for (std::uint32_t i = 0; i < n; ++i)
            EXPECT_EQ(got[i].data, payload(len, tag0 + i)) << i;
    }
}
void send_and_expect(Writer& w, Cursor& c, std::uint32_t tag0, std::uint32_t n,
                     std::uint32_t len = 120) {
    send_and_expect(w, {&c}, tag0, n, len);
}

struct NativeBus {
    TempDir dir;
    std::string path = dir.file("n.bus");
    Bus bus = *Bus::create(path, {.size = kHeader + kRing});
    Writer w{bus, {.sender = 0x77}};
};

// ---- native ----

TEST(NativeCorruption, ScribbledRecordsAreCountedAndSkipped) {
    NativeBus b;
    Cursor c(b.bus, {.start = StartAt::oldest});
    for (std::uint32_t i = 0; i < 10; ++i)
        ASSERT_TRUE(b.w.send(payload(200, i)).has_value());
    // Each send is a gate and a record of span 232: 248 bytes. Record 3 (at 3 * 248 + 16) gets
    // a broken span word, the rest of the records (and their gates) random bytes, up to the
    // commit point (where the next send's gate is).
    constexpr std::uint64_t kRecord3 = 3 * (kGate + 232) + kGate;
    scribble(b.path, kHeader + kRecord3 + 4, 10 * (kGate + 232) - kRecord3 - 4, 1);
    write_value<std::uint32_t>(b.path, kHeader + kRecord3, 0x7);
    auto got = drain(c);
    ASSERT_EQ(got.size(), 3U);  // the three intact records before it
    EXPECT_EQ(got[2].data, payload(200, 2));
    EXPECT_EQ(c.stats().corrupt, 1U);
    send_and_expect(b.w, c, 100, 5);

    // The writer meets the broken chain when it laps the ring, and repairs around it.
    const std::uint64_t repairs_before = b.bus.info().corrupt_repairs;
    EXPECT_EQ(repairs_before, 0U);
    for (std::uint32_t round = 0; round < 40; ++round)
        send_and_expect(b.w, c, 200 + round * 8, 8, 400);
    EXPECT_GE(b.bus.info().corrupt_repairs, 1U);
    EXPECT_EQ(c.stats().corrupt, 1U);
    EXPECT_EQ(c.stats().lost_frames, 0U);
}

TEST(NativeCorruption, SpanPointingPastTheRingEnd) {
    NativeBus b;
    Cursor c(b.bus, {.start = StartAt::oldest});
    for (std::uint32_t i = 0; i < 4; ++i)
        ASSERT_TRUE(b.w.send(payload(100, i)).has_value());
    write_value<std::uint32_t>(b.path, kHeader + 0, 0x7ffffff8U);
    auto got = drain(c);
    EXPECT_EQ(got.size(), 0U);
    EXPECT_EQ(c.stats().corrupt, 1U);
    send_and_expect(b.w, c, 10, 3);
}

TEST(NativeCorruption, LengthBeyondMaxFrameOrNotMatchingSpan) {
    NativeBus b;
    Cursor c1(b.bus, {.start = StartAt::oldest});
    Cursor c2(b.bus, {.start = StartAt::oldest});
    for (std::uint32_t i = 0; i < 4; ++i)
        ASSERT_TRUE(b.w.send(payload(100, i)).has_value());
    // Record 1 (at 16 + 136 + 16: each send is a gate and a record of span 136): len far past
    // max_frame.
    constexpr std::uint64_t kRecord1 = kGate + 136 + kGate;
    write_value<std::uint32_t>(b.path, kHeader + kRecord1 + 4, 0xfffffff0U);
    auto got = drain(c1);
    EXPECT_EQ(got.size(), 1U);
    EXPECT_EQ(c1.stats().corrupt, 1U);
    // Now a len that is plausible but does not match the span.
    write_value<std::uint32_t>(b.path, kHeader + kRecord1 + 4, 50U);
    got = drain(c2);
    EXPECT_EQ(got.size(), 1U);
    EXPECT_EQ(c2.stats().corrupt, 1U);
    send_and_expect(b.w, {&c1, &c2}, 10, 3);
}

TEST(NativeCorruption, PositionsContradictingEachOtherAreRepairedByTheWriter) {
    NativeBus b;
    Cursor c(b.bus);
    send_and_expect(b.w, c, 0, 10);
    // first_pos beyond committed: impossible.
    const auto committed = read_value<std::uint64_t>(b.path, kCommitted);
    write_value<std::uint64_t>(b.path, kFirstPos, committed + 8000);
    EXPECT_TRUE(drain(c).empty());
    Cursor late(b.bus, {.start = StartAt::oldest});  // must not crash or hang on it
    EXPECT_TRUE(drain(late).empty());
    EXPECT_EQ(b.bus.info().frames_held, 0U);

    ASSERT_TRUE(b.w.send(payload(120, 10)).has_value());
    EXPECT_EQ(b.bus.info().corrupt_repairs, 1U);
    // The ring restarted past every old position: readers see an overrun, lose nothing.
    auto got = drain(c);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(120, 10));
    EXPECT_EQ(c.stats().overruns, 1U);
    EXPECT_EQ(c.stats().lost_frames, 0U);
    const BusInfo info = b.bus.info();
    EXPECT_EQ(info.frames_held, 1U);
    EXPECT_GE(info.first, committed + 8000);
    send_and_expect(b.w, c, 11, 4);
    // The cursor that started on the contradiction catches up the same way.
    auto late_got = drain(late);
    ASSERT_EQ(late_got.size(), 5U);
    EXPECT_EQ(late_got[0].data, payload(120, 10));
}

TEST(NativeCorruption, MisalignedAndOverlongPositionsAreRepaired) {
    enum class Kind {
        committed_misaligned,
        reserved_below_committed,
        reserved_past_a_ring,
        first_misaligned
    };
    for (Kind k : {Kind::committed_misaligned, Kind::reserved_below_committed,
                   Kind::reserved_past_a_ring, Kind::first_misaligned}) {
        SCOPED_TRACE(static_cast<int>(k));
        NativeBus b;
        Cursor c(b.bus);
        send_and_expect(b.w, c, 0, 5);
        const auto committed = read_value<std::uint64_t>(b.path, kCommitted);
        const auto first = read_value<std::uint64_t>(b.path, kFirstPos);
        switch (k) {
            case Kind::committed_misaligned:
                write_value<std::uint64_t>(b.path, kCommitted, committed + 3);
                break;
            case Kind::reserved_below_committed:
                write_value<std::uint64_t>(b.path, kReserved, committed - 8);
                break;
            case Kind::reserved_past_a_ring:
                // Just past the most a writer may leave: a ring, its reservation slack (an
                // eighth of this ring) and the next batch's gate.
                write_value<std::uint64_t>(b.path, kReserved,
                                           first + kRing + kRing / 8 + kGate + 8);
                break;
            case Kind::first_misaligned:
                write_value<std::uint64_t>(b.path, kFirstPos, first + 1);
                break;
        }
        drain(c);
        ASSERT_TRUE(b.w.send(payload(120, 50)).has_value());
        EXPECT_EQ(b.bus.info().corrupt_repairs, 1U);
        // The ring restarted two rings on. A reader that resynchronised to the corrupt commit
        // point may step over the repairing batch; it is in step from the next one on.
        auto got = drain(c);
        EXPECT_LE(got.size(), 1U);
        EXPECT_GE(c.stats().overruns + c.stats().corrupt, 1U);
        send_and_expect(b.w, c, 60, 4);
    }
}

TEST(NativeCorruption, CommittedGoingBackwardsIsCountedByTheReader) {
    NativeBus b;
    Cursor c(b.bus);
    send_and_expect(b.w, c, 0, 10);
    write_value<std::uint64_t>(b.path, kCommitted, 0);  // a recreated or tampered bus
    EXPECT_TRUE(drain(c).empty());
    EXPECT_EQ(c.stats().corrupt, 1U);
    send_and_expect(b.w, c, 10, 4);
}

// The header has no commit version or next sequence number any more (commit is one
// compare-and-swap of `committed`, so there is no commit to cut in half): the next frame's
// sequence number is the second word of the gate at `committed`. A forged one is what the
// writer and a newly started reader go by; a reader already reading counts the jump (forward:
// as lost frames, it cannot tell them from frames it missed; backward: as corrupt). Nobody
// hangs, and the frames themselves arrive intact.
TEST(NativeCorruption, ForgedGateSequenceNumber) {
    struct Case {
        const char* what;
        std::uint64_t forged;
        std::uint64_t lost;
        std::uint64_t corrupt;
    };
    for (const Case& k : {Case{"forward", 1003, 1000, 0}, Case{"backward", 1, 0, 1}}) {
        SCOPED_TRACE(k.what);
        NativeBus b;
        Cursor before(b.bus);
        send_and_expect(b.w, before, 0, 3);
        const auto committed = read_value<std::uint64_t>(b.path, kCommitted);
        ASSERT_NE(gate_seq_word(committed), 0U);
        ASSERT_EQ(read_value<std::uint64_t>(b.path, gate_seq_word(committed)), 3U);
        write_value<std::uint64_t>(b.path, gate_seq_word(committed), k.forged);
        Cursor after(b.bus);  // must not hang
        EXPECT_EQ(after.position(), committed);
        ASSERT_TRUE(b.w.send(payload(120, 3)).has_value());
        // The frame carries the gate's number, and the next gate the one after it.
        const auto next = read_value<std::uint64_t>(b.path, kCommitted);
        EXPECT_EQ(read_value<std::uint64_t>(b.path, gate_seq_word(next)), k.forged + 1);
        FrameView view[2];
        ASSERT_EQ(after.peek(view), 1U);
        EXPECT_EQ(view[0].seq, k.forged);
        auto got = drain(before);
        ASSERT_EQ(got.size(), 1U);
        EXPECT_EQ(got[0].data, payload(120, 3));
        EXPECT_EQ(before.stats().lost_frames, k.lost);
        EXPECT_EQ(before.stats().corrupt, k.corrupt);
        got = drain(after);
        ASSERT_EQ(got.size(), 1U);
        EXPECT_EQ(got[0].data, payload(120, 3));
        EXPECT_EQ(after.stats().lost_frames, 0U);
        EXPECT_EQ(after.stats().corrupt, 0U);
        // From there on, both are in step again.
        send_and_expect(b.w, {&before, &after}, 4, 3);
        EXPECT_EQ(before.stats().lost_frames, k.lost);
        EXPECT_EQ(before.stats().corrupt, k.corrupt);
        EXPECT_EQ(after.stats().lost_frames + after.stats().corrupt, 0U);
    }
}

// A hostile first_pos that is not 8-aligned (but otherwise in range) makes decode() fail
// before it fills in the record; a cursor starting at the oldest frame must still only count
// and resynchronise.
TEST(NativeCorruption, OldestCursorOnMisalignedFirstPos) {
    NativeBus b;
    for (std::uint32_t i = 0; i < 5; ++i)
        ASSERT_TRUE(b.w.send(payload(120, i)).has_value());
    write_value<std::uint64_t>(b.path, kFirstPos, 4);
    Cursor c(b.bus, {.start = StartAt::oldest});
    drain(c);
    send_and_expect(b.w, c, 10, 3);
}

// The same with an aligned first_pos whose record has a broken span word (what the fuzzer's
// two-byte input builds: committed 64 over an all-zero ring).
TEST(NativeCorruption, OldestCursorOnUnreadableOldestRecord) {
    NativeBus b;
    for (std::uint32_t i = 0; i < 5; ++i)
        ASSERT_TRUE(b.w.send(payload(120, i)).has_value());
    write_value<std::uint32_t>(b.path, kHeader + 0, 0);
    Cursor c(b.bus, {.start = StartAt::oldest});
    EXPECT_TRUE(drain(c).empty());
    send_and_expect(b.w, c, 10, 3);
}

TEST(NativeCorruption, RandomPositionsAndRingNeverCrash) {
    std::mt19937_64 rng(42);
    std::uint64_t total_corrupt = 0;
    for (int round = 0; round < 60; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        NativeBus b;
        for (std::uint32_t i = 0; i < 20; ++i)
            ASSERT_TRUE(b.w.send(payload(300, i)).has_value());
        Cursor c(b.bus, {.start = StartAt::oldest});
        // Positions: small, near each other, or anywhere below 2^60; forged sequence numbers
        // in the gate at the true commit point and in the one the forged `committed` names.
        const std::uint64_t base = rng() % (1ULL << 60);
        auto pick = [&]() -> std::uint64_t {
            switch (rng() % 4) {
                case 0:
                    return rng() % (4 * kRing);
                case 1:
                    return base + rng() % 64 * 8;
                case 2:
                    return base + rng() % (2 * kRing);
                default:
                    return rng() % (1ULL << 60);
            }
        };
        const std::uint64_t true_gate =
            gate_seq_word(read_value<std::uint64_t>(b.path, kCommitted));
        ASSERT_NE(true_gate, 0U);
        const std::uint64_t committed = pick();
        write_value<std::uint64_t>(b.path, kCommitted, committed);
        write_value<std::uint64_t>(b.path, kReserved, pick());
        write_value<std::uint64_t>(b.path, kFirstPos, pick());
        const std::uint64_t forged_seq = rng() % 1000;
        if (gate_seq_word(committed) != 0)
            write_value<std::uint64_t>(b.path, gate_seq_word(committed), forged_seq);
        write_value<std::uint64_t>(b.path, true_gate, rng() % 1000);
        if (round % 2 == 0) {
            const std::uint64_t off = rng() % kRing;
            scribble(b.path, kHeader + off,
                     static_cast<std::size_t>(std::min<std::uint64_t>(kRing - off, rng() % 8000)),
                     static_cast<std::uint32_t>(round));
        }
        Cursor fresh(b.bus, {.start = StartAt::oldest});
        FrameView views[8];
        for (int i = 0; i < 100 && fresh.peek(views) > 0; ++i)
            fresh.advance(1);
        drain(c);
        (void)b.bus.info();
        // First good write: repairs whatever is wrong. Second: must arrive, exactly.
        ASSERT_TRUE(b.w.send(payload(100, 1000)).has_value());
        drain(c);
        drain(fresh);
        send_and_expect(b.w, {&c, &fresh}, 2000, 3);
        total_corrupt += c.stats().corrupt + fresh.stats().corrupt + b.bus.info().corrupt_repairs;
    }
    EXPECT_GT(total_corrupt, 0U);
}

// ---- NetBSD ----

struct NetbsdBus {
    TempDir dir;
    std::string path = dir.file("b.bus");
    Bus bus = *Bus::create(path, {.format = Format::netbsd});
    Writer w{bus, {.sender = 0x99}};
};

std::uint32_t nb_last(const std::string& path) {
    return read_value<std::uint32_t>(path, 20);
}

TEST(NetbsdCorruption, HugeLenInTheNewestFrame) {
    NetbsdBus b;
    Cursor c(b.bus, {.start = StartAt::oldest});
    for (std::uint32_t i = 0; i < 10; ++i)
        ASSERT_TRUE(b.w.send(payload(100, i)).has_value());
    const auto gen = read_value<std::uint64_t>(b.path, 8);
    write_value<std::uint32_t>(b.path, kNbDataOff + nb_last(b.path), 0xfffffff0U);
    auto got = drain(c);
    EXPECT_EQ(got.size(), 0U);
    EXPECT_GE(c.stats().corrupt, 1U);
    // The reader, holding the lock, restarted the ring two generations on.
    const BusInfo info = b.bus.info();
    EXPECT_EQ(info.generation, gen + 2);
    EXPECT_EQ(info.first, kNbData);
    EXPECT_EQ(info.last, 0U);
    send_and_expect(b.w, c, 10, 4);
}

TEST(NetbsdCorruption, TheWriterResetsABrokenRingBeforeWriting) {
    NetbsdBus b;
    for (std::uint32_t i = 0; i < 10; ++i)
        ASSERT_TRUE(b.w.send(payload(100, i)).has_value());
    write_value<std::uint32_t>(b.path, kNbDataOff + nb_last(b.path), 0x7fffffffU);
    ASSERT_TRUE(b.w.send(payload(100, 10)).has_value());
    Cursor c(b.bus, {.start = StartAt::oldest});
    auto got = drain(c);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(100, 10));
    EXPECT_EQ(c.stats().corrupt, 0U);
}

TEST(NetbsdCorruption, HeaderFieldsOutOfRange) {
    struct Case {
        const char* what;
        std::uint64_t off;
        std::uint64_t value;
        std::size_t size;
    };
    const Case cases[] = {
        {"first past DATASIZE", 16, kNbData + 100, 4},
        {"last past DATASIZE", 20, kNbData + 5, 4},
        {"last == DATASIZE", 20, kNbData, 4},
        {"gen absurd", 8, 1ULL << 50, 8},
        {"gen 0 with first inside the newest frame", 16, 30, 4},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.what);
        NetbsdBus b;
        Cursor c(b.bus);
        send_and_expect(b.w, c, 0, 5);
        if (k.size == 4)
            write_value<std::uint32_t>(b.path, k.off, static_cast<std::uint32_t>(k.value));
        else
            write_value<std::uint64_t>(b.path, k.off, k.value);
        drain(c);
        send_and_expect(b.w, c, 10, 3);
    }
}

TEST(NetbsdCorruption, BrokenChainInTheMiddle) {
    NetbsdBus b;
    Cursor c(b.bus, {.start = StartAt::oldest});
    for (std::uint32_t i = 0; i < 10; ++i)
        ASSERT_TRUE(b.w.send(payload(100, i)).has_value());
    // Frame 3 starts at 24 + 3 * 124; give it a length that runs past the newest frame.
    write_value<std::uint32_t>(b.path, kNbDataOff + 24 + 3 * 124, 500000U);
    auto got = drain(c);
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[2].data, payload(100, 2));
    EXPECT_EQ(c.stats().corrupt, 1U);
    send_and_expect(b.w, c, 10, 4);
    // The writer's walk over the oldest frames meets the broken chain when it laps.
    std::uint32_t tag = 100;
    for (int round = 0; round < 90; ++round, tag += 8)
        send_and_expect(b.w, c, tag, 8, 1500);
    EXPECT_EQ(c.stats().corrupt, 1U);
    EXPECT_EQ(c.stats().overruns, 0U);
}

TEST(NetbsdCorruption, RandomHeaderAndRingNeverCrash) {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 40; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        NetbsdBus b;
        for (std::uint32_t i = 0; i < 20; ++i)
            ASSERT_TRUE(b.w.send(payload(300, i)).has_value());
        Cursor c(b.bus, {.start = StartAt::oldest});
        write_value<std::uint64_t>(b.path, 8, rng() % 4);
        write_value<std::uint32_t>(b.path, 16, static_cast<std::uint32_t>(rng() % (kNbData + 2)));
        write_value<std::uint32_t>(b.path, 20, static_cast<std::uint32_t>(rng() % 8000));
        const std::uint64_t off = rng() % 8000;
        scribble(b.path, kNbDataOff + off, static_cast<std::size_t>(rng() % 4000),
                 static_cast<std::uint32_t>(round));
        Cursor fresh(b.bus, {.start = StartAt::oldest});
        FrameView views[8];
        for (int i = 0; i < 100 && fresh.peek(views) > 0; ++i)
            fresh.advance(1);
        drain(c, 70000, 1000);
        (void)b.bus.info();
        ASSERT_TRUE(b.w.send(payload(100, 1000)).has_value());
        drain(c, 70000, 1000);
        drain(fresh, 70000, 1000);
        send_and_expect(b.w, {&c, &fresh}, 2000, 3);
    }
}

TEST(NetbsdCorruption, AbandonedLockIsStolen) {
    NetbsdBus b;
    Cursor c(b.bus);
    write_value<std::uint32_t>(b.path, 24, 1);  // a writer died holding the lock
    Writer w(b.bus, {.sender = 5,
                     .lock_timeout = std::chrono::milliseconds(5000),
                     .netbsd_steal_after = std::chrono::milliseconds(50)});
    ASSERT_TRUE(w.send(payload(80, 1)).has_value());
    EXPECT_EQ(w.stats().lock_recoveries, 1U);
    EXPECT_EQ(read_value<std::uint32_t>(b.path, 24), 0U);
    auto got = drain(c);
    ASSERT_EQ(got.size(), 1U);
}

// ---- open / create errors ----

TEST(OpenErrors, MissingFile) {
    TempDir dir;
    auto bus = Bus::open(dir.file("nope.bus"));
    ASSERT_FALSE(bus.has_value());
    EXPECT_EQ(bus.error().code, Errc::not_found);
}

TEST(OpenErrors, NotABus) {
    TempDir dir;
    std::vector<std::byte> junk = payload(5000, 3);
    store<std::uint32_t>(junk, 0, 0x12345678);
    write_file(dir.file("junk"), junk);
    auto bus = Bus::open(dir.file("junk"));
    ASSERT_FALSE(bus.has_value());
    EXPECT_EQ(bus.error().code, Errc::not_a_bus);

    write_file(dir.file("empty"), {});
    auto empty = Bus::open(dir.file("empty"));
    ASSERT_FALSE(empty.has_value());
    EXPECT_EQ(empty.error().code, Errc::not_a_bus);

    write_file(dir.file("tiny"), std::vector<std::byte>(2));
    auto tiny = Bus::open(dir.file("tiny"));
    ASSERT_FALSE(tiny.has_value());
    EXPECT_EQ(tiny.error().code, Errc::not_a_bus);

    auto directory = Bus::open(dir.path());
    ASSERT_FALSE(directory.has_value());

    // NetBSD magic but not 1 MiB.
    std::vector<std::byte> short_nb(4096);
    store<std::uint32_t>(short_nb, 0, 0xca11d054);
    store<std::uint32_t>(short_nb, 4, 3);
    write_file(dir.file("short-nb"), short_nb);
    auto snb = Bus::open(dir.file("short-nb"));
    ASSERT_FALSE(snb.has_value());
    EXPECT_EQ(snb.error().code, Errc::not_a_bus);

    // Native magic in a file shorter than the header page.
    std::vector<std::byte> short_native(100);
    store<std::uint32_t>(short_native, 0, native::kMagic);
    write_file(dir.file("short-native"), short_native);
    auto sn = Bus::open(dir.file("short-native"));
    ASSERT_FALSE(sn.has_value());
    EXPECT_EQ(sn.error().code, Errc::not_a_bus);
}

TEST(OpenErrors, UnsupportedVersions) {
    TempDir dir;
    {
        const auto path = dir.file("n.bus");
        ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
        write_value<std::uint16_t>(path, offsetof(native::Identity, version_major),
                                   static_cast<std::uint16_t>(native::kVersionMajor + 1));
        auto bus = Bus::open(path);
        ASSERT_FALSE(bus.has_value());
        EXPECT_EQ(bus.error().code, Errc::unsupported_version);
    }
    {
        const auto path = dir.file("f.bus");
        ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
        write_value<std::uint32_t>(path, offsetof(native::Identity, features), 0x10);
        auto bus = Bus::open(path);
        ASSERT_FALSE(bus.has_value());
        EXPECT_EQ(bus.error().code, Errc::unsupported_version);
    }
    {
        const auto path = dir.file("nb.bus");
        ASSERT_TRUE(Bus::create(path, {.format = Format::netbsd}).has_value());
        write_value<std::uint32_t>(path, 4, 2);
        auto bus = Bus::open(path);
        ASSERT_FALSE(bus.has_value());
        EXPECT_EQ(bus.error().code, Errc::unsupported_version);
    }
}

TEST(OpenErrors, CorruptNativeHeader) {
    TempDir dir;
    struct Case {
        const char* what;
        std::uint64_t off;
        std::uint64_t value;
        std::size_t size;
    };
    const Case cases[] = {
        {"ring_size not the file size", offsetof(native::Identity, ring_size), 2 * kRing, 8},
        {"ring_size below the minimum", offsetof(native::Identity, ring_size), 4096, 8},
        {"ring_size misaligned", offsetof(native::Identity, ring_size), kRing - 4, 8},
        {"header_size", offsetof(native::Identity, header_size), 8192, 4},
        {"max_frame too small", offsetof(native::Identity, max_frame), 10, 4},
        {"max_frame over a quarter ring", offsetof(native::Identity, max_frame), kRing, 4},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.what);
        const auto path = dir.file("c.bus");
        ::unlink(path.c_str());
        ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
        if (k.size == 4)
            write_value<std::uint32_t>(path, k.off, static_cast<std::uint32_t>(k.value));
        else
            write_value<std::uint64_t>(path, k.off, k.value);
        auto bus = Bus::open(path);
        ASSERT_FALSE(bus.has_value());
        EXPECT_EQ(bus.error().code, Errc::corrupt_header);
    }
}

TEST(OpenErrors, PermissionDenied) {
    if (::geteuid() == 0) GTEST_SKIP() << "running as root: file permissions do not apply";
    TempDir dir;
    const auto path = dir.file("p.bus");
    ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
    ASSERT_EQ(::chmod(path.c_str(), 0), 0);
    auto bus = Bus::open(path);
    ASSERT_FALSE(bus.has_value());
    EXPECT_EQ(bus.error().code, Errc::permission_denied);
}

TEST(CreateErrors, ExclusiveOnAnExistingPath) {
    TempDir dir;
    const auto path = dir.file("x.bus");
    ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
    auto again = Bus::create(path, {.size = kHeader + kRing, .exclusive = true});
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, Errc::already_exists);
    // Not exclusive: attaches to what is there (even with other options).
    auto attach = Bus::create(path, {.size = kHeader + 2 * kRing});
    ASSERT_TRUE(attach.has_value());
    EXPECT_EQ(attach->data_size(), kRing);
    auto nb = Bus::create(path, {.format = Format::netbsd, .exclusive = true});
    ASSERT_FALSE(nb.has_value());
    EXPECT_EQ(nb.error().code, Errc::already_exists);
}

TEST(CreateErrors, InvalidSizes) {
    TempDir dir;
    const CreateOptions bad[] = {
        {.size = kHeader + kRing - 8},
        {.size = kHeader + kRing + 4},
        {.size = 4096},
        {.size = 1},
        {.size = kHeader + 4ULL * 1024 * 1024 * 1024 + 8},
        {.format = Format::netbsd, .size = 2 * 1024 * 1024},
        {.format = Format::netbsd, .size = 4096},
        {.size = kHeader + kRing, .max_frame = 59},
        {.size = kHeader + kRing, .max_frame = 20000},
    };
    int i = 0;
    for (const CreateOptions& o : bad) {
        SCOPED_TRACE("case " + std::to_string(i));
        const auto path = dir.file("bad" + std::to_string(i++) + ".bus");
        auto bus = Bus::create(path, o);
        ASSERT_FALSE(bus.has_value());
        EXPECT_EQ(bus.error().code, Errc::invalid_argument);
        EXPECT_NE(::access(path.c_str(), F_OK), 0) << "nothing may be left behind";
    }
}

TEST(CreateErrors, ModeIsAppliedExactly) {
    TempDir dir;
    const auto path = dir.file("m.bus");
    const mode_t old = ::umask(0077);
    auto bus = Bus::create(path, {.size = kHeader + kRing, .mode = 0664});
    ::umask(old);
    ASSERT_TRUE(bus.has_value());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0664U);
    EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), kHeader + kRing);
}

TEST(Errors, DescribeSaysWhat) {
    EXPECT_EQ(describe({Errc::not_found, 0}), "no such bus");
    EXPECT_EQ(describe({Errc::io_error, ENOSPC}), "I/O error (No space left on device)");
    EXPECT_STREQ(errc_name(Errc::frame_too_large), "frame larger than the bus allows");
}

}  // namespace
}  // namespace shmif::test
