// A bus header overwritten under attached processes: native writers refuse to send (fast,
// counted, with a sentence saying what is wrong), cursors stay in bounds, check_bus reports
// every broken field, and repair_bus rebuilds the header so that the same Bus, Writer and
// Cursor objects carry on. Repair refuses while a live thread holds the native lock.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bus_test_util.hpp"
#include "layout_native.hpp"
#include "shmif/bus.hpp"
#include "shmif/check.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

constexpr std::uint64_t kHeader = 4096;
constexpr std::uint64_t kRing = 65536;

void scribble(const std::string& path, std::uint64_t off, std::size_t len, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> junk(len);
    for (auto& b : junk)
        b = static_cast<std::byte>(rng() & 0xff);
    write_bytes(path, off, junk.data(), junk.size());
}

bool any_contains(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& line : lines)
        if (line.find(text) != std::string::npos) return true;
    return false;
}

struct Attached {
    TempDir dir;
    std::string path = dir.file("h.bus");
    Bus bus = *Bus::create(path, {.size = kHeader + kRing});
    Writer w{bus, {.sender = 0x51, .lock_timeout = std::chrono::milliseconds(2000)}};
    Cursor c{bus, {.skip_sender = 0x51}};
    Writer other{bus, {.sender = 0x52}};
};

TEST(HeaderCorruption, RandomHeaderRefusesSendsFastAndCounts) {
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        Attached b;
        ASSERT_TRUE(b.w.send(payload(100, 0)).has_value());
        EXPECT_FALSE(b.bus.header_problem().has_value());
        scribble(b.path, 0, kHeader, seed);
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 3; ++i) {
            auto sent = b.w.send(payload(100, 1));
            ASSERT_FALSE(sent.has_value());
            EXPECT_EQ(sent.error().code, Errc::corrupt_header);
        }
        // Refused before the (garbage) lock is touched: no lock timeout is waited out.
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
        EXPECT_EQ(b.bus.info().header_faults, 3U);
        const auto problem = b.bus.header_problem();
        ASSERT_TRUE(problem.has_value());
        EXPECT_NE(problem->find("magic 0x"), std::string::npos) << *problem;
        EXPECT_NE(problem->find("expected 0x424d4853"), std::string::npos) << *problem;
        // Cursors read garbage positions: counted, never out of bounds.
        drain(b.c, 70000, 1000);
        Cursor late(b.bus, {.start = StartAt::oldest});
        drain(late, 70000, 1000);
        (void)b.bus.info();
    }
}

TEST(HeaderCorruption, OnlyTheIdentityOverwrittenIsRefusedToo) {
    // The lock and positions intact, so the ring would still "work": the header would not.
    Attached b;
    write_value<std::uint32_t>(b.path, offsetof(native::Identity, max_frame), 9000);
    auto sent = b.w.send(payload(100, 1));
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error().code, Errc::corrupt_header);
    EXPECT_EQ(b.bus.info().header_faults, 1U);
    EXPECT_NE(b.bus.header_problem()->find("max frame 9000"), std::string::npos);
}

TEST(HeaderCorruption, CheckFindsEveryFieldAndRepairResumesTheAttachedObjects) {
    Attached b;
    for (std::uint32_t i = 0; i < 5; ++i)
        ASSERT_TRUE(b.other.send(payload(100, i)).has_value());
    ASSERT_EQ(drain(b.c).size(), 5U);
    auto clean = check_bus(b.path);
    ASSERT_TRUE(clean.has_value());
    EXPECT_TRUE(clean->clean());
    EXPECT_EQ(clean->frames, 5U);
    EXPECT_EQ(clean->lock, "free");

    scribble(b.path, 0, kHeader, 99);
    ASSERT_FALSE(b.w.send(payload(100, 9)).has_value());
    auto found = check_bus(b.path);
    ASSERT_TRUE(found.has_value());
    EXPECT_FALSE(found->clean());
    EXPECT_EQ(found->format, Format::native);  // not 1 MiB: only native fits
    EXPECT_TRUE(any_contains(found->findings, "magic 0x")) << found->findings.front();
    EXPECT_TRUE(any_contains(found->findings, "ring size"));
    // Every owner word is a possible lock holder (the lock has no type field to find broken
    // any more): the report names the holder the garbled word claims.
    const auto owner = read_value<std::uint64_t>(b.path, offsetof(native::BusHeader, lock));
    ASSERT_NE(native::owner_tid(owner), 0U);
    EXPECT_NE(found->lock.find("held by tid " + std::to_string(native::owner_tid(owner))),
              std::string::npos)
        << found->lock;
    EXPECT_FALSE(Bus::open(b.path).has_value());

    auto repaired = repair_bus(b.path, {});
    ASSERT_TRUE(repaired.has_value()) << repaired.error().why;
    EXPECT_EQ(repaired->format, Format::native);
    EXPECT_EQ(repaired->ring_size, kRing);
    EXPECT_EQ(repaired->max_frame, b.bus.max_frame());
    EXPECT_FALSE(repaired->findings.empty());
    EXPECT_TRUE(check_bus(b.path)->clean());
    EXPECT_EQ(check_bus(b.path)->lock, "free");
    EXPECT_TRUE(Bus::open(b.path).has_value());

    // The objects attached before the damage carry on: the cursor resynchronises to the
    // empty ring, then receives exactly what is sent.
    EXPECT_FALSE(b.bus.header_problem().has_value());
    drain(b.c);
    for (std::uint32_t i = 0; i < 4; ++i)
        ASSERT_TRUE(b.w.send(payload(100, 100 + i)).has_value());
    Cursor mine(b.bus, {.start = StartAt::oldest});
    ASSERT_EQ(drain(mine).size(), 4U);
    ASSERT_TRUE(b.other.send(payload(100, 200)).has_value());
    auto got = drain(b.c);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(100, 200));
}

TEST(HeaderCorruption, ABusOpenedWithANonzeroReservedWordTrustsItsRepairedHeader) {
    // Open tolerates a newer minor version and a nonzero reserved word; a repair writes its
    // own, and the attached Bus must not take that for a recreated bus (found by the fuzzer).
    TempDir dir;
    const std::string path = dir.file("r.bus");
    ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
    write_value<std::uint32_t>(path, offsetof(native::Identity, reserved0), 0xe00000);
    write_value<std::uint16_t>(path, offsetof(native::Identity, version_minor), 7);
    auto bus = Bus::open(path);
    ASSERT_TRUE(bus.has_value());
    EXPECT_FALSE(bus->header_problem().has_value());
    ASSERT_TRUE(repair_bus(path, {.force = true}).has_value());
    EXPECT_FALSE(bus->header_problem().has_value()) << *bus->header_problem();
    Writer w(*bus, {.sender = 0x61});
    EXPECT_TRUE(w.send(payload(100, 1)).has_value());
    EXPECT_EQ(bus->info().header_faults, 0U);
}

TEST(HeaderCorruption, CheckFindsABrokenRecordChain) {
    Attached b;
    for (std::uint32_t i = 0; i < 5; ++i)
        ASSERT_TRUE(b.w.send(payload(200, i)).has_value());
    // Each send is a 16-byte gate and a record of span 232: record 2 is at 2 * 248 + 16.
    write_value<std::uint32_t>(b.path, kHeader + 2 * (native::kGate + 232) + native::kGate,
                               13);  // record 2's span
    auto found = check_bus(b.path);
    ASSERT_TRUE(found.has_value());
    ASSERT_EQ(found->findings.size(), 1U);
    EXPECT_NE(found->findings[0].find("does not decode"), std::string::npos);
}

TEST(HeaderCorruption, RepairKeepsAPlausibleMaxFrameWhenTheMagicSurvived) {
    TempDir dir;
    const auto path = dir.file("m.bus");
    ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing, .max_frame = 9216}).has_value());
    scribble(path, offsetof(native::BusHeader, lock), kHeader - 64, 5);
    auto repaired = repair_bus(path, {});
    ASSERT_TRUE(repaired.has_value()) << repaired.error().why;
    EXPECT_EQ(repaired->max_frame, 9216U);
    // Given one, the caller's wins; an impossible one is refused.
    ASSERT_TRUE(repair_bus(path, {.max_frame = 4000}).has_value());
    EXPECT_EQ(Bus::open(path)->max_frame(), 4000U);
    auto bad = repair_bus(path, {.max_frame = 40000});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().error.code, Errc::invalid_argument);
}

// A child that takes the bus lock and then either waits to be killed or exits holding it.
pid_t child_holding_lock(const std::string& path, bool exit_holding) {
    int ready[2];
    if (::pipe(ready) != 0) return -1;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ready[0]);
        auto bus = Bus::open(path);
        if (!bus) ::_exit(2);
        Writer w(*bus);
        auto batch = w.begin();
        if (!batch) ::_exit(3);
        char c = 'L';
        if (::write(ready[1], &c, 1) != 1) ::_exit(4);
        if (exit_holding) ::_exit(0);  // the owner word goes on naming the dead thread
        for (int i = 0; i < 600; ++i)  // bounded: the parent kills it long before
            ::usleep(100000);
        ::_exit(0);
    }
    ::close(ready[1]);
    char c = 0;
    const bool got = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    return got ? pid : -1;
}

TEST(HeaderCorruption, RepairRefusesALiveLockHolderUnlessForced) {
    TempDir dir;
    const auto path = dir.file("l.bus");
    ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
    const pid_t child = child_holding_lock(path, false);
    ASSERT_GT(child, 0);
    // Damage the identity only: the lock still names its (live) holder.
    scribble(path, 0, 32, 3);
    auto refused = repair_bus(path, {});
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().why.find(std::to_string(child)), std::string::npos)
        << refused.error().why;
    EXPECT_NE(refused.error().why.find("--force"), std::string::npos);
    EXPECT_FALSE(check_bus(path)->clean());  // nothing was written

    auto forced = repair_bus(path, {.force = true});
    ASSERT_TRUE(forced.has_value()) << forced.error().why;
    EXPECT_TRUE(check_bus(path)->clean());
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
}

TEST(HeaderCorruption, RepairGoesAheadOverADeadLockHolder) {
    TempDir dir;
    const auto path = dir.file("d.bus");
    ASSERT_TRUE(Bus::create(path, {.size = kHeader + kRing}).has_value());
    const pid_t child = child_holding_lock(path, true);
    ASSERT_GT(child, 0);
    ::waitpid(child, nullptr, 0);
    scribble(path, 0, 32, 4);
    auto report = check_bus(path);
    ASSERT_TRUE(report.has_value());
    EXPECT_NE(report->lock.find("dead"), std::string::npos) << report->lock;
    auto repaired = repair_bus(path, {});
    ASSERT_TRUE(repaired.has_value()) << repaired.error().why;
    auto bus = Bus::open(path);
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus);
    ASSERT_TRUE(w.send(payload(60, 1)).has_value());
    EXPECT_EQ(bus->info().lock_recoveries, 0U);  // a fresh owner word: nothing to recover
}

TEST(HeaderCorruption, NetbsdRandomHeaderIsFoundAndRepaired) {
    TempDir dir;
    const auto path = dir.file("n.bus");
    auto bus = Bus::create(path, {.format = Format::netbsd});
    ASSERT_TRUE(bus.has_value());
    Writer w(*bus, {.sender = 0x61});
    Cursor c(*bus);
    ASSERT_TRUE(w.send(payload(100, 0)).has_value());
    scribble(path, 0, kHeader, 11);
    // 1 MiB fits both formats: a garbled magic leaves the format to the caller.
    auto unknown = check_bus(path);
    ASSERT_TRUE(unknown.has_value());
    EXPECT_FALSE(unknown->format.has_value());
    EXPECT_FALSE(unknown->clean());
    EXPECT_FALSE(repair_bus(path, {}).has_value());

    auto found = check_bus(path, Format::netbsd);
    ASSERT_TRUE(found.has_value());
    EXPECT_TRUE(any_contains(found->findings, "magic 0x"));
    EXPECT_TRUE(bus->header_problem().has_value());
    auto repaired = repair_bus(path, {.format = Format::netbsd, .force = true});
    ASSERT_TRUE(repaired.has_value()) << repaired.error().why;
    EXPECT_EQ(repaired->file_size, 1024U * 1024U);
    EXPECT_TRUE(check_bus(path)->clean());
    EXPECT_FALSE(bus->header_problem().has_value());
    drain(c);
    ASSERT_TRUE(w.send(payload(100, 1)).has_value());
    Cursor fresh(*bus, {.start = StartAt::oldest});
    auto got = drain(fresh);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(100, 1));
}

TEST(HeaderCorruption, ARepairUnderASleepingReaderLeavesNoPhantomSleepers) {
    Attached b;
    Cursor::WaitSpec spec;
    ASSERT_TRUE(b.c.arm(spec));  // registered as a sleeper in the old header
    EXPECT_EQ(b.bus.info().sleeping_readers, 1U);
    scribble(b.path, 0, kHeader, 21);
    ASSERT_TRUE(repair_bus(b.path, {.force = true}).has_value());
    EXPECT_NE(spec.futex->load(), spec.expected);  // the sleeper's futex word moved on
    b.c.disarm();
    EXPECT_EQ(b.bus.info().sleeping_readers, 0U);  // not 4 billion
}

TEST(HeaderCorruption, CheckOnFilesThatCannotBeBuses) {
    TempDir dir;
    EXPECT_EQ(check_bus(dir.file("missing")).error().code, Errc::not_found);
    const auto tiny = dir.file("tiny");
    write_file(tiny, std::vector<std::byte>(100, std::byte{0x41}));
    auto report = check_bus(tiny);
    ASSERT_TRUE(report.has_value());
    EXPECT_FALSE(report->clean());
    auto repaired = repair_bus(tiny, {});
    ASSERT_FALSE(repaired.has_value());
    EXPECT_NE(repaired.error().why.find("cannot hold a native bus"), std::string::npos);
}

}  // namespace
}  // namespace shmif::test
