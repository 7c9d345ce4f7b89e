// Two shmifd processes on a bus whose header gets overwritten: pings fail, `if.list` says why,
// the log says it once at error level, `bus.stats` counts it; `shmifbus repair` (the real
// binary) rebuilds the header and both daemons resume without a restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bus_test_util.hpp"
#include "daemon_process.hpp"
#include "layout_native.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

std::size_t lines_with(const std::string& text, const std::string& a, const std::string& b) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
        if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) ++n;
    return n;
}

// 4 KiB of reproducible noise over the header page; true if its lock word happens to name a
// running thread (then repair needs --force).
bool scribble_header(const std::string& bus) {
    std::mt19937 rng(2026);
    std::vector<std::uint8_t> junk(4096);
    for (auto& b : junk)
        b = static_cast<std::uint8_t>(rng() & 0xff);
    shmif::test::write_bytes(bus, 0, junk.data(), junk.size());
    std::uint32_t word = 0;
    std::memcpy(&word, junk.data() + offsetof(shmif::native::BusHeader, lock), sizeof word);
    const auto tid = static_cast<pid_t>(word & 0x3fffffff);
    return tid != 0 && ::kill(tid, 0) == 0;
}

TEST(BusCorruption, DaemonsReportACorruptHeaderOnceAndResumeAfterRepair) {
    shmif::test::TempDir dir;
    const std::string bus = dir.file("lan.bus");
    DaemonProcess a(dir.path(), "a", DaemonProcess::quick(bus, "10.0.0.1/24", 2));
    ASSERT_TRUE(a.wait_ready()) << a.log();
    DaemonProcess b(dir.path(), "b", DaemonProcess::quick(bus, "10.0.0.2/24", 2));
    ASSERT_TRUE(b.wait_ready()) << b.log();
    ASSERT_EQ(a.ping("10.0.0.2", 3, 2000)["received"], 3);
    EXPECT_EQ(a.ok("if.list")["interfaces"][0]["state"], "up");

    const bool lock_names_a_live_thread = scribble_header(bus);
    EXPECT_EQ(a.ping("10.0.0.2", 3, 300)["received"], 0);
    EXPECT_EQ(b.ping("10.0.0.1", 2, 300)["received"], 0);

    const auto iface = a.ok("if.list")["interfaces"][0];
    EXPECT_EQ(iface["state"], "bus-corrupt") << iface.dump();
    EXPECT_NE(iface["problem"].get<std::string>().find("expected 0x424d4853"), std::string::npos)
        << iface.dump();
    const auto stats = a.ok("bus.stats")["buses"][0];
    EXPECT_GT(stats["header_faults"].get<std::uint64_t>(), 0U) << stats.dump();
    EXPECT_TRUE(stats["header_problem"].is_string()) << stats.dump();
    // One error line per daemon, however many frames and workers failed.
    for (DaemonProcess* d : {&a, &b})
        EXPECT_EQ(lines_with(d->log(), "error", "header corrupt: magic"), 1U) << d->log();

#ifdef SHMIFCTL_BIN
    const auto table = dir.file("iflist.out");
    const pid_t ctl = spawn({SHMIFCTL_BIN, "-s", a.socket(), "if", "list"}, table);
    ASSERT_EQ(wait_exit(ctl, 10s), 0);
    const auto shown = read_file(table);
    EXPECT_NE(shown.find("BUS-CORRUPT"), std::string::npos) << shown;
    EXPECT_NE(shown.find("eth0: bus header corrupt: magic"), std::string::npos) << shown;
#endif

    std::vector<std::string> repair{SHMIFBUS_BIN, "repair", bus};
    if (lock_names_a_live_thread) repair.emplace_back("--force");
    const auto repair_log = dir.file("repair.out");
    ASSERT_EQ(wait_exit(spawn(repair, repair_log), 10s), 0) << read_file(repair_log);

    // Both resume by themselves: a ping gets through within a few seconds at most.
    EXPECT_TRUE(wait_until([&] { return a.ping("10.0.0.2", 1, 300)["received"] == 1; }, 10s));
    EXPECT_EQ(a.ping("10.0.0.2", 3, 2000)["received"], 3);
    EXPECT_EQ(b.ping("10.0.0.1", 3, 2000)["received"], 3);
    const auto after = a.ok("if.list")["interfaces"][0];
    EXPECT_EQ(after["state"], "up") << after.dump();
    EXPECT_TRUE(after["problem"].is_null());
    EXPECT_TRUE(wait_until([&] { return lines_with(a.log(), "info", "sending resumed") == 1; }))
        << a.log();
    EXPECT_EQ(lines_with(a.log(), "error", "header corrupt"), 1U);
}

}  // namespace
}  // namespace shmifd::test
