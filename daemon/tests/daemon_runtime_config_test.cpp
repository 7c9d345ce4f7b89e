// Run-time configuration of real shmifd processes: forwarding (--forwarding, stack set/show),
// an interface's MTU (if set), and config save, whose file starts a daemon in the same state.
#include <gtest/gtest.h>

#include <memory>

#include "daemon_fixture.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

using RuntimeConfigTest = DaemonFixture;

// a (10.0.1.1) -- lan -- r (10.0.1.254 | 10.0.2.254) -- wan -- b (10.0.2.1)
TEST_F(RuntimeConfigTest, ForwardingFromTheCommandLineAndSwitchedAtRunTime) {
    auto r = start("r", lan, "10.0.1.254/24", {"--forwarding"});
    r->ok("if.add", {{"name", "eth1"}, {"bus", wan}});
    r->ok("addr.add", {{"if", "eth1"}, {"addr", "10.0.2.254/24"}});
    auto a = start("a", lan, "10.0.1.1/24", {"--gateway", "10.0.1.254"});
    auto b = start("b", wan, "10.0.2.1/24", {"--gateway", "10.0.2.254"});
    EXPECT_EQ(r->ok("stack.show")["forwarding"], true);
    EXPECT_EQ(received(*a, "10.0.2.1"), 2u) << r->log();

    std::string out;
    EXPECT_EQ(shmifctl(*r, {"stack", "set", "forwarding", "off"}, out), 0) << out;
    EXPECT_EQ(shmifctl(*r, {"--json", "stack", "show"}, out), 0) << out;
    EXPECT_EQ(json::parse(out, nullptr, false)["forwarding"], false) << out;
    EXPECT_EQ(r->ok("config")["stack"]["forwarding"], false);
    EXPECT_EQ(received(*a, "10.0.2.1", 56, 300), 0u);

    EXPECT_EQ(shmifctl(*r, {"stack", "set", "forwarding", "on"}, out), 0) << out;
    EXPECT_EQ(received(*a, "10.0.2.1"), 2u) << r->log();
    EXPECT_EQ(shmifctl(*r, {"stack", "set", "forwarding", "maybe"}, out), 2) << out;
}

TEST_F(RuntimeConfigTest, MtuSetAtRunTimeFragmentsAndRefusesTooLarge) {
    auto a = start("a", lan, "10.0.0.1/24");
    auto b = start("b", lan, "10.0.0.2/24");
    ASSERT_EQ(received(*a, "10.0.0.2", 1400), 2u);
    const auto whole = fragments_sent(*a);
    EXPECT_EQ(whole, 0u);

    std::string out;
    ASSERT_EQ(shmifctl(*a, {"if", "set", "eth0", "mtu", "576"}, out), 0) << out;
    EXPECT_EQ(a->ok("if.list")["interfaces"][0]["mtu"], 576);
    EXPECT_EQ(a->ok("config")["interface"][0]["mtu"], 576);
    ASSERT_EQ(received(*a, "10.0.0.2", 1400), 2u);
    // 1,408 bytes of ICMP in 552-byte pieces: 3 fragments per request.
    EXPECT_EQ(fragments_sent(*a) - whole, 6u);

    // A NetBSD bus carries 1,518-byte frames: an MTU of 1,504 at most.
    a->ok("if.add", {{"name", "eth1"}, {"bus", dir.file("rump.bus")}, {"format", "netbsd"}});
    auto refused = a->call("if.set", {{"name", "eth1"}, {"mtu", 9000}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "invalid_args");
    EXPECT_NE(refused.error().message.find("from 68 to 1504"), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(shmifctl(*a, {"if", "set", "eth1", "mtu", "9000"}, out), 1) << out;
    EXPECT_NE(out.find("invalid_args"), std::string::npos) << out;
    EXPECT_EQ(shmifctl(*a, {"if", "set", "eth1", "mtu", "67"}, out), 1) << out;
    EXPECT_EQ(shmifctl(*a, {"if", "set", "eth9", "mtu", "1000"}, out), 1) << out;
    EXPECT_NE(out.find("not_found"), std::string::npos) << out;
    EXPECT_EQ(shmifctl(*a, {"if", "set", "eth1", "speed", "10"}, out), 2) << out;
}

TEST_F(RuntimeConfigTest, ConfigSaveStartsADaemonInTheSameState) {
    auto d = start("d", lan, "10.0.0.1/24", {"--drain-time", "3000"});
    d->ok("if.add", {{"name", "eth1"}, {"bus", wan}, {"mtu", 9000}});
    d->ok("addr.add", {{"if", "eth1"}, {"addr", "172.16.0.1/16"}});
    d->ok("addr.add", {{"if", "eth0"}, {"addr", "10.0.5.1/24"}});
    d->ok("route.add", {{"dst", "192.168.0.0/16"}, {"via", "172.16.0.254"}, {"metric", 7}});
    d->ok("route.add", {{"dst", "default"}, {"via", "10.0.0.254"}});
    d->ok("if.set", {{"name", "eth0"}, {"mtu", 1280}});
    d->ok("if.down", {{"name", "eth1"}});
    d->ok("stack.set", {{"forwarding", true}});
    d->ok("impair.set",
          {{"name", "eth1"}, {"direction", "egress"}, {"netem", "delay 1ms 100us loss 1% seed 9"}});
    auto before = d->ok("config");

    const auto file = dir.file("saved.toml");
    std::string out;
    ASSERT_EQ(shmifctl(*d, {"config", "save", file}, out), 0) << out;
    ASSERT_TRUE(std::filesystem::exists(file));
    // Without FILE: the same text on stdout.
    ASSERT_EQ(shmifctl(*d, {"config", "save"}, out), 0) << out;
    EXPECT_EQ(out, read_file(file));
    ASSERT_EQ(d->stop(SIGTERM), 0) << d->log();

    // Same name: the same socket, which the saved file names too.
    DaemonProcess again(dir.path(), "d", {"--config", file});
    ASSERT_TRUE(again.wait_ready()) << again.log() << read_file(file);
    auto after = again.ok("config");
    before.erase("file");
    EXPECT_EQ(after["file"], file);
    after.erase("file");
    EXPECT_EQ(after, before) << read_file(file);
    EXPECT_EQ(before["daemon"]["drain_ms"], 3000);
    EXPECT_EQ(before["interface"][1]["up"], false);
    EXPECT_EQ(again.ok("if.list")["interfaces"][1]["up"], false);
    EXPECT_EQ(before["interface"][1]["impair_egress"], "delay 1ms 100us loss 1% seed 9");
}

}  // namespace
}  // namespace shmifd::test
