// receive_wait() across processes: readers asleep in other processes (native: a futex on the
// shared file mapping; NetBSD: inotify on the bus file) are woken by a writer process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "payload.hpp"
#include "process.hpp"
#include "shmif/bus.hpp"
#include "temp_dir.hpp"

namespace shmif {
// For readable test names in ctest.
inline void PrintTo(Format f, std::ostream* os) {
    *os << format_name(f);
}
}  // namespace shmif

namespace shmif::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kSleepers = 2;
constexpr auto kWaitTimeout = 20s;  // the sleepers' receive_wait timeout: far beyond a wake-up

class Wake : public ::testing::TestWithParam<Format> {
  protected:
    void SetUp() override { ::alarm(60); }
    void TearDown() override { ::alarm(0); }
};

// True once every pid has been seen in state 'S' on `checks` consecutive probes.
bool all_asleep(const std::vector<pid_t>& pids, int checks) {
    int streak = 0;
    for (int i = 0; i < 10'000 && streak < checks; ++i) {
        bool asleep = true;
        for (pid_t p : pids)
            asleep = asleep && process_state(p) == 'S';
        streak = asleep ? streak + 1 : 0;
        std::this_thread::sleep_for(1ms);
    }
    return streak >= checks;
}

TEST_P(Wake, WriterProcessWakesReadersAsleepInOtherProcesses) {
    const Format format = GetParam();
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus = Bus::create(path, CreateOptions{.format = format});
    ASSERT_TRUE(bus) << describe(bus.error());

    std::vector<Child> sleepers;
    std::vector<pid_t> pids;
    for (std::size_t i = 0; i < kSleepers; ++i) {
        Pipe ready;
        sleepers.push_back(Child::spawn_peer(
            {"wait", path,
             std::to_string(
                 std::chrono::duration_cast<std::chrono::milliseconds>(kWaitTimeout).count()),
             dir.file("sleeper" + std::to_string(i))},
            {{ready.write_end, 3}}));
        ready.close_write();
        char byte = 0;
        ASSERT_TRUE(read_exact(ready.read_end, &byte, 1, 10s)) << "sleeper " << i;
        pids.push_back(sleepers.back().pid());
    }
    if (format == Format::native) {
        // The sleepers registered in the bus header before their futex wait.
        const auto deadline = Clock::now() + 10s;
        while (bus->info().sleeping_readers < kSleepers && Clock::now() < deadline)
            std::this_thread::sleep_for(1ms);
        ASSERT_EQ(bus->info().sleeping_readers, std::uint32_t{kSleepers});
    }
    ASSERT_TRUE(all_asleep(pids, 20)) << "the readers never went to sleep";

    const auto sent_at = Clock::now();
    Child writer = Child::spawn_peer({"send", path, "42", "1", "100", "100", dir.file("writer")});
    ASSERT_TRUE(writer.wait_for(10s));
    ASSERT_TRUE(writer.exited_ok()) << "writer status " << writer.status();
    auto wrep = read_report(dir.file("writer"));
    ASSERT_TRUE(wrep);
    EXPECT_EQ(wrep->report.sent, 1U);
    // One wake-up call for any number of sleepers: a futex wake-all (native), or the pwrite
    // that every NetBSD commit makes.
    EXPECT_EQ(wrep->report.wakeups, 1U);

    for (std::size_t i = 0; i < kSleepers; ++i) {
        ASSERT_TRUE(sleepers[i].wait_for(10s)) << "sleeper " << i << " was never woken";
        EXPECT_TRUE(sleepers[i].exited_ok())
            << "sleeper " << i << " status " << sleepers[i].status();
        auto rep = read_report(dir.file("sleeper" + std::to_string(i)));
        ASSERT_TRUE(rep);
        const PeerReport& r = rep->report;
        EXPECT_EQ(r.complete, 1U);
        EXPECT_EQ(r.frames, 1U);
        EXPECT_EQ(r.bad, 0U);
        EXPECT_GE(r.sleeps, 1U);
        EXPECT_LT(std::chrono::nanoseconds(r.wait_ns), kWaitTimeout / 2);
        ASSERT_EQ(rep->records.size(), 1U);
        EXPECT_EQ(rep->records[0].writer, 42U);
        EXPECT_EQ(rep->records[0].seq, 0U);
    }
    const double woke_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count();
    if (format == Format::native) {
        EXPECT_EQ(bus->info().sleeping_readers, 0U);
    }
    std::printf("[ wake %s ] %zu sleepers woken by a writer process; spawn to all reaped %.1f ms\n",
                format_name(format), kSleepers, woke_ms);
}

// The control: with no writer, the same sleeper sleeps and times out.
TEST_P(Wake, SleeperWithoutWriterTimesOut) {
    const Format format = GetParam();
    TempDir dir;
    const std::string path = dir.file("bus");
    auto bus = Bus::create(path, CreateOptions{.format = format});
    ASSERT_TRUE(bus) << describe(bus.error());
    Pipe ready;
    Child sleeper =
        Child::spawn_peer({"wait", path, "200", dir.file("sleeper")}, {{ready.write_end, 3}});
    ready.close_write();
    char byte = 0;
    ASSERT_TRUE(read_exact(ready.read_end, &byte, 1, 10s));
    ASSERT_TRUE(sleeper.wait_for(10s));
    ASSERT_FALSE(sleeper.exited_ok());
    auto rep = read_report(dir.file("sleeper"));
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->report.complete, 0U);
    EXPECT_EQ(rep->report.frames, 0U);
    EXPECT_GE(rep->report.sleeps, 1U);
    EXPECT_GE(std::chrono::nanoseconds(rep->report.wait_ns), 200ms);
}

INSTANTIATE_TEST_SUITE_P(Formats, Wake, ::testing::Values(Format::native, Format::netbsd),
                         [](const auto& p) { return std::string(format_name(p.param)); });

}  // namespace
}  // namespace shmif::test
