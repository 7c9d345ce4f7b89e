// The fixture in use, as a project's test would use it: labs from the builder and from a
// topology file, pings, the nodes' control clients, the lab's files.
#include <gtest/gtest-spi.h>
#include <sys/stat.h>

#include <filesystem>

#include "in_tree_lab.hpp"

namespace shmif::testing::test {
namespace {

namespace fs = std::filesystem;
using LabFixture = InTreeLab;

TEST_F(LabFixture, BuilderLabPingsAndAnswersOnControlSockets) {
    LabBuilder lab("pair");
    lab.bus({.name = "lan", .size = "1M"})
        .host("a", "lan", "10.0.0.1/24")
        .node({.name = "b",
               .workers = 2,
               .interfaces = {
                   {.bus = "lan", .addresses = {"10.0.0.2/24", "10.0.0.3/24"}, .mtu = 1400}}});
    ASSERT_TRUE(up(lab));

    EXPECT_TRUE(lab_name().starts_with("pair-")) << lab_name();
    EXPECT_EQ(lab_dir(), base_dir() + "/" + lab_name());
    EXPECT_EQ(addresses("a"), (std::vector<std::string>{"10.0.0.1/24"}));
    EXPECT_EQ(addresses("b"), (std::vector<std::string>{"10.0.0.2/24", "10.0.0.3/24"}));
    EXPECT_EQ(address("b"), "10.0.0.2");

    // A socket path a test can give shmifctl -s or shmifrun -s.
    const auto sock = socket("a");
    EXPECT_EQ(sock, lab_dir() + "/a.sock");
    struct stat st {};
    ASSERT_EQ(::stat(sock.c_str(), &st), 0) << sock;
    EXPECT_TRUE(S_ISSOCK(st.st_mode));

    EXPECT_TRUE(ping("a", "10.0.0.2/24", 3));
    EXPECT_TRUE(ping("a", address("b")));
    EXPECT_TRUE(ping("b", "10.0.0.1"));
    // Nothing answers .9: the ping says so instead of passing.
    EXPECT_FALSE(ping("a", "10.0.0.9"));

    const auto interfaces = node("b").call("if.list");
    ASSERT_TRUE(interfaces) << interfaces.error;
    bool found = false;
    for (const auto& itf : interfaces.result["interfaces"])
        if (itf["name"] == "eth0") {
            found = true;
            EXPECT_EQ(itf["mtu"], 1400);
            EXPECT_EQ(itf["bus"], lab_dir() + "/lan.bus");
        }
    EXPECT_TRUE(found) << interfaces.result.dump();

    // The daemon's own errors come back as errors, not results.
    const auto missing = node("a").call("if.del", {{"name", "eth9"}});
    EXPECT_FALSE(missing);
    EXPECT_NE(missing.error.find("not_found"), std::string::npos) << missing.error;

    const auto state = status();
    ASSERT_TRUE(state.is_object());
    EXPECT_EQ(state["lab"], lab_name());
    ASSERT_EQ(state["nodes"].size(), 2u);
    for (const auto& n : state["nodes"])
        EXPECT_TRUE(n["alive"].get<bool>()) << n.dump();
}

TEST_F(LabFixture, FileLabGetsANameOfItsOwn) {
    ASSERT_TRUE(up_file(SHMIFLAB_EXAMPLES "/two-hosts.toml"));
    EXPECT_TRUE(lab_name().starts_with("two-hosts-")) << lab_name();
    EXPECT_TRUE(ping("a", address("b"), 2));
    EXPECT_TRUE(ping_all());
    const auto stats = node("b").call("stats");
    ASSERT_TRUE(stats) << stats.error;
    EXPECT_EQ(stats.result["workers"].size(), 2u);  // workers = 2 in the file
}

// testing/README.md's example, as it is written there.
TEST_F(LabFixture, ReadmeRouterExample) {
    LabBuilder lab("routed");
    lab.bus({.name = "lan1"})
        .bus({.name = "lan2"})
        .node({.name = "r",
               .forwarding = true,
               .interfaces = {{.bus = "lan1", .addresses = {"10.0.1.1/24"}},
                              {.bus = "lan2", .addresses = {"10.0.2.1/24"}}}})
        .node({.name = "h1",
               .interfaces = {{.bus = "lan1", .addresses = {"10.0.1.10/24"}}},
               .routes = {{.dst = "default", .via = "10.0.1.1"}}})
        .node({.name = "h2",
               .interfaces = {{.bus = "lan2", .addresses = {"10.0.2.10/24"}}},
               .routes = {{.dst = "default", .via = "10.0.2.1"}}})
        .capture({.bus = "lan2", .filter = "icmp or udp"});
    ASSERT_TRUE(up(lab));

    EXPECT_TRUE(ping("h1", address("h2"), 3));
    EXPECT_TRUE(ping_all());

    auto sent = node("h1").call("udp.send", {{"to", "10.0.2.10:9000"}, {"data", "hello"}});
    ASSERT_TRUE(sent) << sent.error;
    EXPECT_EQ(sent.result["sent"], 5);
    auto routes = node("h1").call("route.list");
    ASSERT_TRUE(routes) << routes.error;
    bool via_router = false;
    for (const auto& route : routes.result["routes"])
        via_router = via_router || route.value("via", "") == "10.0.1.1";
    EXPECT_TRUE(via_router) << routes.result.dump(2);
}

TEST_F(LabFixture, DownEarlyKeepsTheLogsUntilTheEnd) {
    ASSERT_TRUE(up(two_hosts("early")));
    const auto b = node("b");
    ASSERT_TRUE(down());
    EXPECT_FALSE(b.call("version", {}, std::chrono::seconds(2)));
    EXPECT_TRUE(fs::exists(path("a.log")));
    EXPECT_FALSE(fs::exists(path("lan.bus")));
    EXPECT_TRUE(down());  // twice: nothing more to do
}

TEST_F(LabFixture, BadTopologyIsRefusedWithItsLine) {
    LabBuilder lab("bad");
    lab.bus({.name = "lan"}).host("a", "wan", "10.0.0.1/24");
    const auto result = up(lab);
    ASSERT_FALSE(result);
    const std::string message = result.message();
    EXPECT_NE(message.find("no bus wan"), std::string::npos) << message;
    EXPECT_NE(message.find("The topology:"), std::string::npos) << message;
}

TEST_F(LabFixture, UnknownNodeIsAFailure) {
    ASSERT_TRUE(up(two_hosts("nodes")));
    ::testing::TestPartResultArray failures;
    {
        ::testing::ScopedFakeTestPartResultReporter reporter(
            ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
        EXPECT_FALSE(node("c").call("version"));
    }
    ASSERT_EQ(failures.size(), 1);
    EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find("has no node c"),
              std::string::npos);
}

TEST_F(LabFixture, OneLabPerTest) {
    ASSERT_TRUE(up(two_hosts("one")));
    EXPECT_FALSE(up(two_hosts("two")));
}

}  // namespace
}  // namespace shmif::testing::test
