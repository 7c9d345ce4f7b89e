// Two shmifd processes on a bus while another process stops holding the bus lock (SIGSTOP
// inside a zero-copy batch, as a breakpoint in its frame-building code would): `shmifbus info`
// (the real binary) shows the stalled holder, the daemons take the lock over within the stall
// bound and keep pinging each other, and the stopped writer, continued, learns that its batch
// was dropped and sends again.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "daemon_process.hpp"
#include "shmif/bus.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

// A forked child: takes the bus lock, half-fills a slot, stops itself. Continued, it finishes
// the slot and commits: exit 0 when the commit said fenced and a next send worked.
pid_t stop_holding_the_lock(const std::string& path) {
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    ::alarm(60);
    auto bus = shmif::Bus::open(path);
    if (!bus) ::_exit(2);
    shmif::Writer writer(*bus);
    std::vector<std::byte> frame(60, std::byte{0xff});  // a broadcast frame of zeroes
    {
        auto batch = writer.begin();
        if (!batch) ::_exit(3);
        auto slot = batch->acquire(frame.size());
        if (!slot) ::_exit(4);
        std::memcpy(slot->data(), frame.data(), 20);
        ::raise(SIGSTOP);
        std::memcpy(slot->data(), frame.data(), frame.size());
        if (batch->commit() != 0 || !batch->failure() ||
            batch->failure()->code != shmif::Errc::fenced)
            ::_exit(5);
    }
    ::_exit(writer.send(frame) ? 0 : 6);
}

bool wait_stopped(pid_t pid) {
    for (int i = 0; i < 5000; ++i) {
        int status = 0;
        if (::waitpid(pid, &status, WUNTRACED | WNOHANG) == pid && WIFSTOPPED(status)) return true;
        ::usleep(1000);
    }
    return false;
}

std::string bus_info(const shmif::test::TempDir& dir, const std::string& bus) {
    const auto out = dir.file("info.out");
    EXPECT_EQ(wait_exit(spawn({SHMIFBUS_BIN, "info", bus}, out), 10s), 0);
    return read_file(out);
}

TEST(BusStall, DaemonsTakeTheBusOverFromAStoppedWriterAndKeepPinging) {
    shmif::test::TempDir dir;
    const std::string bus = dir.file("lan.bus");
    DaemonProcess a(dir.path(), "a", DaemonProcess::quick(bus, "10.0.0.1/24", 2));
    ASSERT_TRUE(a.wait_ready()) << a.log();
    DaemonProcess b(dir.path(), "b", DaemonProcess::quick(bus, "10.0.0.2/24", 2));
    ASSERT_TRUE(b.wait_ready()) << b.log();
    ASSERT_EQ(a.ping("10.0.0.2", 3, 2000)["received"], 3);

    const pid_t stopped = stop_holding_the_lock(bus);
    ASSERT_GT(stopped, 0);
    ASSERT_TRUE(wait_stopped(stopped));
    const std::string held = bus_info(dir, bus);
    const std::string who = std::to_string(stopped);
    EXPECT_NE(
        held.find("held by tid " + who + " of pid " + who + " (state T, not running: STALLED)"),
        std::string::npos)
        << held;

    // The first send takes the lock over after the stall bound; every ping gets through.
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(a.ping("10.0.0.2", 5, 2000)["received"], 5);
    EXPECT_EQ(b.ping("10.0.0.1", 5, 2000)["received"], 5);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    const std::string quarantined = bus_info(dir, bus);
    EXPECT_NE(quarantined.find("waiting for tid " + std::to_string(stopped)), std::string::npos)
        << quarantined;
    EXPECT_NE(quarantined.find("(1 from stalled holders)"), std::string::npos) << quarantined;

    ::kill(stopped, SIGCONT);
    int status = 0;
    ASSERT_EQ(::waitpid(stopped, &status, 0), stopped);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << " (5: its commit landed after the takeover)";
    EXPECT_EQ(a.ping("10.0.0.2", 3, 2000)["received"], 3);
}

}  // namespace
}  // namespace shmifd::test
