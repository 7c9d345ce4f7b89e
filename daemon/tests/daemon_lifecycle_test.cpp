// shmifd's life as a process: SIGTERM drains requests in flight (bounded, then shutting_down,
// never a bare close), a second daemon on a live socket gives up before touching the bus,
// changes are logged with the client's pid, SIGHUP lets the file win and says what it undid,
// and sd_notify failures name their error. Every wait is bounded.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <future>
#include <memory>
#include <system_error>

#include "daemon_fixture.hpp"
#include "daemon_process.hpp"
#include "shmif/bus.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

class LifecycleTest : public DaemonFixture {
  protected:
    std::string& bus = lan;

    std::unique_ptr<DaemonProcess> start(const std::string& name, const std::string& addr,
                                         std::vector<std::string> extra = {}) {
        return DaemonFixture::start(name, bus, addr, std::move(extra));
    }

    // shmifctl --json ... against `daemon`, its output in NAME.out; returns its pid.
    pid_t shmifctl(const DaemonProcess& daemon, const std::string& name,
                   std::vector<std::string> words) {
        std::vector<std::string> argv = {SHMIFCTL_BIN, "-s", daemon.socket(), "--json"};
        argv.insert(argv.end(), words.begin(), words.end());
        return spawn(argv, dir.file(name + ".out"));
    }

    std::uint64_t frames_on_bus() const {
        auto opened = shmif::Bus::open(bus);
        EXPECT_TRUE(opened.has_value());
        return opened ? opened->info().frames_written : 0;
    }
};

// The case: ping -c 5 -i 1 and SIGTERM after 1.5 s. Within the default 5 s drain the
// ping ends normally, so shmifctl sees all five replies and exits 0.
TEST_F(LifecycleTest, SigtermLetsThePingInFlightFinish) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    const pid_t ping = shmifctl(*a, "ping", {"ping", "-c", "5", "-i", "1", "10.0.0.2"});
    std::this_thread::sleep_for(1500ms);
    a->signal(SIGTERM);
    const auto status = wait_exit(ping, 15s);
    ASSERT_TRUE(status) << "shmifctl did not finish";
    const auto out = read_file(dir.file("ping.out"));
    EXPECT_EQ(*status, 0) << out << a->log();
    const auto result = json::parse(out, nullptr, false);
    ASSERT_FALSE(result.is_discarded()) << out;
    EXPECT_EQ(result["received"], 5) << out;
    EXPECT_EQ(a->stop(SIGTERM, 10s), 0) << a->log();
}

// A drain time shorter than the ping: the ping is answered shutting_down (shmifctl exit 1),
// not cut by a closed connection (exit 3), and the daemon exits 0 soon after the drain.
TEST_F(LifecycleTest, DrainTimeOverAnswersShuttingDown) {
    auto a = start("a", "10.0.0.1/24", {"--drain-time", "1000"});
    auto b = start("b", "10.0.0.2/24");
    const pid_t ping = shmifctl(*a, "ping", {"ping", "-c", "5", "-i", "1", "10.0.0.2"});
    std::this_thread::sleep_for(1500ms);
    const auto sent = std::chrono::steady_clock::now();
    a->signal(SIGTERM);
    const auto status = wait_exit(ping, 15s);
    ASSERT_TRUE(status) << "shmifctl did not finish";
    const auto out = read_file(dir.file("ping.out"));
    EXPECT_EQ(*status, 1) << out << a->log();
    EXPECT_NE(out.find("shutting_down"), std::string::npos) << out;
    EXPECT_EQ(a->stop(SIGTERM, 10s), 0) << a->log();
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 3s);
}

TEST_F(LifecycleTest, SecondSigtermEndsTheDrain) {
    auto a = start("a", "10.0.0.1/24");
    auto in_flight = std::async(std::launch::async, [&] {
        return a->call("ping", {{"addr", "10.0.0.99"}, {"count", 20}, {"interval_ms", 1000}}, 30s);
    });
    std::this_thread::sleep_for(300ms);
    a->signal(SIGTERM);
    std::this_thread::sleep_for(300ms);
    const auto second = std::chrono::steady_clock::now();
    a->signal(SIGTERM);
    ASSERT_EQ(in_flight.wait_for(3s), std::future_status::ready) << a->log();
    auto answer = in_flight.get();
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, "shutting_down") << answer.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - second, 2s);
    EXPECT_EQ(a->stop(SIGTERM, 10s), 0) << a->log();
    EXPECT_NE(a->log().find("ending the drain now"), std::string::npos) << a->log();
}

// The live socket is found before any bus is opened: the bus sees no frame of the second
// daemon (no gratuitous ARP), and the first keeps serving.
TEST_F(LifecycleTest, SecondDaemonOnALiveSocketNeverTouchesTheBus) {
    auto a = start("a", "10.0.0.1/24");
    const auto before = frames_on_bus();
    const auto log = dir.file("second.log");
    const pid_t second = spawn({SHMIFD_BIN, "--bus", bus, "--addr", "10.0.0.5/24", "--socket",
                                a->socket(), "--workers", "1"},
                               log);
    const auto status = wait_exit(second, 10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 1) << read_file(log);
    EXPECT_NE(read_file(log).find("another daemon is listening"), std::string::npos)
        << read_file(log);
    EXPECT_EQ(frames_on_bus(), before) << read_file(log);
    EXPECT_EQ(a->ok("if.list")["interfaces"].size(), 2u);  // eth0 and lo
}

TEST_F(LifecycleTest, ChangesAreLoggedWithTheClientPid) {
    auto a = start("a", "10.0.0.1/24");
    a->ok("addr.add", {{"if", "eth0"}, {"addr", "10.0.9.1/24"}});
    const auto ours = "addr add 10.0.9.1/24 dev eth0 by pid " + std::to_string(::getpid());
    EXPECT_TRUE(wait_until([&] { return a->log().find(ours) != std::string::npos; }))
        << ours << "\n"
        << a->log();
    const pid_t client = shmifctl(*a, "route", {"route", "add", "192.168.7.0/24", "dev", "eth0"});
    ASSERT_EQ(wait_exit(client, 10s), 0) << read_file(dir.file("route.out"));
    const auto theirs = "route add 192.168.7.0/24 by pid " + std::to_string(client);
    EXPECT_TRUE(wait_until([&] {
        const auto text = a->log();
        return text.find("route add ") != std::string::npos &&
               text.find("by pid " + std::to_string(client)) != std::string::npos;
    })) << theirs
        << "\n"
        << a->log();
}

TEST_F(LifecycleTest, SighupLetsTheFileWinAndSaysWhatItUndid) {
    const auto file = dir.file("d.toml");
    write_text_file(file, "[daemon]\nworkers = 2\n\n[[interface]]\nname = \"eth0\"\nbus = \"" +
                              bus + "\"\naddresses = [\"10.0.0.1/24\"]\n");
    DaemonProcess d(dir.path(), "d", {"--config", file});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    d.ok("if.add", {{"name", "eth1"}, {"bus", dir.file("second.bus")}});
    d.ok("addr.add", {{"if", "eth0"}, {"addr", "10.0.9.1/24"}});
    d.ok("stack.set", {{"forwarding", true}});
    d.ok("if.set", {{"name", "eth0"}, {"mtu", 1280}});
    d.signal(SIGHUP);
    json config;
    EXPECT_TRUE(wait_until([&] {
        config = d.ok("config");
        return config["interface"].size() == 1 && config["stack"]["forwarding"] == false &&
               config["interface"][0]["mtu"] == 0 &&
               config["interface"][0]["addresses"] == json({"10.0.0.1/24"});
    })) << config.dump()
        << d.log();
    const auto log = d.log();
    for (const char* undone : {"undoing interface eth1 on ", "undoing address 10.0.9.1/24 on eth0",
                               "undoing forwarding on", "undoing mtu 1280 on eth0"})
        EXPECT_NE(log.find(std::string("reload: the file wins: ") + undone), std::string::npos)
            << undone << "\n"
            << log;
    EXPECT_EQ(d.ok("if.list")["interfaces"][0]["mtu"], 1500);
    // A reload is logged with who asked for it, as changes through the socket are.
    EXPECT_NE(log.find("SIGHUP from pid " + std::to_string(::getpid()) + ": reloading"),
              std::string::npos)
        << log;
    EXPECT_EQ(d.stop(SIGTERM), 0);
}

TEST_F(LifecycleTest, NotifyFailuresNameTheError) {
    // NOTIFY_SOCKET naming a socket nobody made: every sd_notify fails.
    const auto d = std::make_unique<DaemonProcess>(
        dir.path(), "n", DaemonProcess::quick(bus, "10.0.0.1/24", 1),
        std::vector<std::string>{"NOTIFY_SOCKET=" + dir.file("nobody.sock"), "JOURNAL_STREAM=1:1"});
    ASSERT_TRUE(d->wait_ready()) << d->log();
    const auto text = d->log();
    const auto reasons = {std::generic_category().message(ENOENT),
                          std::generic_category().message(ECONNREFUSED)};
    bool named = false;
    for (const auto& reason : reasons)
        named |= text.find("sd_notify(READY=1") != std::string::npos &&
                 text.find("failed: " + reason) != std::string::npos;
    EXPECT_TRUE(named) << text;
}

}  // namespace
}  // namespace shmifd::test
