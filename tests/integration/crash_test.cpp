// Writers killed with SIGKILL, over and over, while a reader in the test process reads all
// along. Two ways to die: holding the lock with a half-filled slot (Writer::begin, acquire,
// half a memcpy, raise(SIGKILL)), and at a random moment of a tight send loop.
//
// What is guaranteed, native format: the robust mutex reports the dead owner to the next
// locker at once, so the next send succeeds promptly and BusInfo::lock_recoveries counts
// exactly the kills that held the lock; readers never see a partial frame, because nothing
// is visible before `committed` moves, and the writer that recovers resumes at `committed`.
// With a ring large enough for the reader to keep up, it loses nothing at all.
//
// What is guaranteed, NetBSD format: the lock word names no owner, so a dead holder is only
// presumed dead after netbsd_steal_after (50 ms here); then the next writer breaks the lock
// and the bus works again. Killed holding the lock in acquire(), a writer leaves nothing in
// the ring (the slot is a staging buffer, copied in at the next acquire or commit), so readers
// see no partial frame. What is NOT guaranteed: a writer killed inside the frame copy (the
// random kill) can leave a torn newest frame that NetBSD's header cannot tell from a whole one
// (its `last` is published before the bytes), and one killed between a wrapping copy and the
// `gen` update leaves a write position that jumps back a ring: readers then count a corrupt
// ring, may miss the next frame, and (seen once in many runs) may get a writer's frames out
// of order. Our readers' payload check catches torn frames; the test counts all of this and
// prints it rather than asserting it away, and asserts only that the bus recovers. Nor can a
// steal tell a dead holder from one descheduled for longer than steal_after: breaking into a
// live holder can tear a frame, which is why steal_after should be far longer than a copy.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "checking_reader.hpp"
#include "payload.hpp"
#include "process.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kIterations = 50;

struct Recovery {
    std::chrono::nanoseconds max{0};
    std::chrono::nanoseconds total{0};
    int count = 0;
    void add(std::chrono::nanoseconds d) {
        max = std::max(max, d);
        total += d;
        ++count;
    }
    double max_ms() const { return std::chrono::duration<double, std::milli>(max).count(); }
    double mean_ms() const {
        return count == 0 ? 0 : std::chrono::duration<double, std::milli>(total).count() / count;
    }
};

class Crash : public ::testing::Test {
  protected:
    void SetUp() override { ::alarm(90); }
    void TearDown() override { ::alarm(0); }
};

void kill_holding_lock(const std::string& path, std::uint32_t id) {
    Child c = Child::spawn_peer({"hold", path, std::to_string(id), "1000", "1000"});
    ASSERT_TRUE(c.wait_for(10s));
    ASSERT_TRUE(c.killed_by(SIGKILL)) << "victim status " << c.status();
}

// Starts a flooding victim and SIGKILLs it after a random delay of up to 3 ms.
void kill_while_flooding(const std::string& path, std::uint32_t id, std::mt19937& rng) {
    Pipe ready;
    Child c = Child::spawn_peer({"flood", path, std::to_string(id), "24", "600", "1000"},
                                {{ready.write_end, 3}});
    ready.close_write();
    char byte = 0;
    ASSERT_TRUE(read_exact(ready.read_end, &byte, 1, 10s)) << "flooder never started";
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    c.kill_and_reap();
    ASSERT_TRUE(c.killed_by(SIGKILL)) << "victim status " << c.status();
}

TEST_F(Crash, NativeRecoversFromWritersKilledHoldingTheLock) {
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus =
        Bus::create(path, CreateOptions{.format = Format::native, .size = 4096 + (16 << 20)});
    ASSERT_TRUE(bus) << describe(bus.error());
    CheckingReader reader(*bus, /*contiguous=*/true);
    Writer writer(*bus);
    Recovery rec;
    for (int i = 0; i < kIterations; ++i) {
        const std::uint64_t before = bus->info().lock_recoveries;
        ASSERT_NO_FATAL_FAILURE(kill_holding_lock(path, kHoldBase + static_cast<std::uint32_t>(i)));
        // (BusInfo::locked is false here, see NativeInfoReportsADeadHolderAsLocked.)
        EXPECT_TRUE(bus->info().lock_owner_dead);
        rec.add(send_probe(writer, static_cast<std::uint64_t>(i), 200));
        const BusInfo after = bus->info();
        EXPECT_EQ(after.lock_recoveries, before + 1);
        EXPECT_FALSE(after.locked);
        ASSERT_TRUE(reader.wait_for_probe(static_cast<std::uint64_t>(i), 5s)) << "iteration " << i;
    }
    reader.stop();
    EXPECT_EQ(writer.stats().lock_recoveries, static_cast<std::uint64_t>(kIterations));
    EXPECT_EQ(bus->info().lock_recoveries, static_cast<std::uint64_t>(kIterations));
    EXPECT_EQ(reader.bad, 0U);
    EXPECT_EQ(reader.hold_frames, 0U);  // half-filled slots were never published
    EXPECT_EQ(reader.misordered, 0U);
    EXPECT_EQ(reader.frames, static_cast<std::uint64_t>(kIterations));
    EXPECT_EQ(reader.stats().overruns, 0U);
    EXPECT_EQ(reader.stats().lost_frames, 0U);
    EXPECT_EQ(reader.stats().corrupt, 0U);
    EXPECT_LT(rec.max, 1s);
    std::printf("[ crash native hold ] %d kills, recovery (next send) max %.3f ms, mean %.3f ms\n",
                kIterations, rec.max_ms(), rec.mean_ms());
}

// Library bug (shmif/src/lock.cpp, native_lock_state): when a robust mutex's owner dies,
// the kernel replaces the futex word with FUTEX_OWNER_DIED (| FUTEX_WAITERS), clearing the
// owner's TID, so `locked = tid != 0` reports an abandoned lock as free. It is held: the next
// locker must recover it. Expected to pass once locked also counts the owner-died bit.
TEST_F(Crash, NativeInfoReportsADeadHolderAsLocked) {
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus = Bus::create(path, CreateOptions{.format = Format::native});
    ASSERT_TRUE(bus) << describe(bus.error());
    ASSERT_NO_FATAL_FAILURE(kill_holding_lock(path, kHoldBase));
    const BusInfo dead = bus->info();
    EXPECT_TRUE(dead.lock_owner_dead);
    EXPECT_TRUE(dead.locked);
    Writer writer(*bus);
    send_probe(writer, 0, 200);
    const BusInfo after = bus->info();
    EXPECT_FALSE(after.locked);
    EXPECT_FALSE(after.lock_owner_dead);
    EXPECT_EQ(after.lock_recoveries, 1U);
}

TEST_F(Crash, NativeRecoversFromWritersKilledAtRandom) {
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus =
        Bus::create(path, CreateOptions{.format = Format::native, .size = 4096 + (64 << 20)});
    ASSERT_TRUE(bus) << describe(bus.error());
    CheckingReader reader(*bus, /*contiguous=*/true);
    Writer writer(*bus);
    Recovery rec;
    std::mt19937 rng(20240611);
    std::uint64_t held_at_kill = 0;
    for (int i = 0; i < kIterations; ++i) {
        const std::uint64_t before = bus->info().lock_recoveries;
        ASSERT_NO_FATAL_FAILURE(
            kill_while_flooding(path, kFloodBase + static_cast<std::uint32_t>(i), rng));
        // Our reader takes no lock, so only the victim can hold it now.
        const bool dead_holder = bus->info().lock_owner_dead;
        rec.add(send_probe(writer, static_cast<std::uint64_t>(i), 200));
        const std::uint64_t after = bus->info().lock_recoveries;
        // A recovery happens exactly when the victim died holding the lock.
        EXPECT_EQ(after - before, dead_holder ? 1U : 0U) << "iteration " << i;
        held_at_kill += after - before;
        ASSERT_TRUE(reader.wait_for_probe(static_cast<std::uint64_t>(i), 5s)) << "iteration " << i;
    }
    reader.stop();
    const BusInfo info = bus->info();
    EXPECT_EQ(reader.bad, 0U);  // never a partial frame
    EXPECT_EQ(reader.misordered, 0U);
    EXPECT_EQ(reader.stats().overruns, 0U);
    EXPECT_EQ(reader.stats().lost_frames, 0U);
    EXPECT_EQ(reader.stats().corrupt, 0U);
    // Everything committed was read. (frames_written is bumped just after the commit, so a
    // victim killed between the two leaves up to one batch, 4 frames, uncounted.)
    EXPECT_LE(info.frames_written, reader.frames);
    EXPECT_LE(reader.frames - info.frames_written, 4 * held_at_kill);
    EXPECT_EQ(writer.stats().lock_recoveries, held_at_kill);
    EXPECT_LT(rec.max, 1s);
    std::printf(
        "[ crash native random ] %d kills, %llu holding the lock, %llu frames read, "
        "recovery max %.3f ms, mean %.3f ms\n",
        kIterations, static_cast<unsigned long long>(held_at_kill),
        static_cast<unsigned long long>(reader.frames), rec.max_ms(), rec.mean_ms());
}

TEST_F(Crash, NetbsdStealsTheLockOfAWriterKilledHoldingIt) {
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus = Bus::create(path, CreateOptions{.format = Format::netbsd});
    ASSERT_TRUE(bus) << describe(bus.error());
    CheckingReader reader(*bus, /*contiguous=*/true);
    Writer writer(*bus, WriterOptions{.netbsd_steal_after = 50ms});
    Recovery rec;
    for (int i = 0; i < kIterations; ++i) {
        ASSERT_NO_FATAL_FAILURE(kill_holding_lock(path, kHoldBase + static_cast<std::uint32_t>(i)));
        EXPECT_TRUE(bus->info().locked);
        rec.add(send_probe(writer, static_cast<std::uint64_t>(i), 200));
        EXPECT_EQ(writer.stats().lock_recoveries, static_cast<std::uint64_t>(i) + 1);
        ASSERT_TRUE(reader.wait_for_probe(static_cast<std::uint64_t>(i), 5s)) << "iteration " << i;
    }
    reader.stop();
    EXPECT_FALSE(bus->info().locked);
    EXPECT_EQ(reader.bad, 0U);
    EXPECT_EQ(reader.hold_frames, 0U);  // staged, never copied into the ring
    EXPECT_EQ(reader.misordered, 0U);
    EXPECT_EQ(reader.frames, static_cast<std::uint64_t>(kIterations));
    EXPECT_EQ(reader.stats().overruns, 0U);
    EXPECT_EQ(reader.stats().corrupt, 0U);
    EXPECT_GE(rec.max, 50ms);  // nothing can tell a dead holder sooner
    EXPECT_LT(rec.max, 1s);
    std::printf(
        "[ crash netbsd hold ] %d kills, recovery (steal after 50 ms) max %.3f ms, "
        "mean %.3f ms\n",
        kIterations, rec.max_ms(), rec.mean_ms());
}

TEST_F(Crash, NetbsdRecoversFromWritersKilledAtRandom) {
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus = Bus::create(path, CreateOptions{.format = Format::netbsd});
    ASSERT_TRUE(bus) << describe(bus.error());
    // The 1 MiB ring laps a reader easily here: per-writer order is checked, not completeness.
    CheckingReader reader(*bus, /*contiguous=*/false);
    Writer writer(*bus, WriterOptions{.netbsd_steal_after = 50ms});
    Recovery rec;
    std::mt19937 rng(20240612);
    std::uint64_t stolen = 0;
    std::uint64_t probe = 0;
    std::uint64_t lost_probes = 0;  // probes a reader missed: see the top of this file
    for (int i = 0; i < kIterations; ++i) {
        ASSERT_NO_FATAL_FAILURE(
            kill_while_flooding(path, kFloodBase + static_cast<std::uint32_t>(i), rng));
        // (Whether the victim died holding the lock cannot be read off the word here: our
        // reader takes the same lock.)
        const std::uint64_t before = writer.stats().lock_recoveries;
        rec.add(send_probe(writer, probe, 200));
        const std::uint64_t recovered = writer.stats().lock_recoveries - before;
        EXPECT_LE(recovered, 1U) << "iteration " << i;
        stolen += recovered;
        // A victim killed mid-copy can leave a header that misplaces the write position (it
        // wraps the ring before `gen` says so); the reader then counts a corrupt ring and may
        // skip the first probe. Once the ring is consistent again, probes get through.
        bool seen = reader.wait_for_probe(probe++, 1s);
        for (int retry = 0; retry < 4 && !seen; ++retry) {
            ++lost_probes;
            send_probe(writer, probe, 200);
            seen = reader.wait_for_probe(probe++, 1s);
        }
        ASSERT_TRUE(seen) << "iteration " << i << ": the bus never recovered";
    }
    reader.stop();
    EXPECT_FALSE(bus->info().locked);
    EXPECT_EQ(reader.hold_frames, 0U);
    EXPECT_LT(rec.max, 1s);
    // Torn frames, a corrupt ring and, rarely, a writer's frames replayed out of order after
    // the write position jumped back are all possible here: reported, not asserted.
    std::printf(
        "[ crash netbsd random ] %d kills, %llu lock steals, %llu probes lost, %llu frames read, "
        "%llu torn, %llu misordered, overruns %llu, corrupt %llu, recovery max %.3f ms, "
        "mean %.3f ms\n",
        kIterations, static_cast<unsigned long long>(stolen),
        static_cast<unsigned long long>(lost_probes),
        static_cast<unsigned long long>(reader.frames), static_cast<unsigned long long>(reader.bad),
        static_cast<unsigned long long>(reader.misordered),
        static_cast<unsigned long long>(reader.stats().overruns),
        static_cast<unsigned long long>(reader.stats().corrupt), rec.max_ms(), rec.mean_ms());
}

}  // namespace
}  // namespace shmif::test
