// IPv6 router advertisements between real shmifd processes on one bus (RFC 4861 6, RFC 4862
// 5.5): a daemon started with --advertise is the router of another, which forms an address in
// the prefix, takes the default route and reaches the router through it; a reload that drops
// [interface.advertise] says goodbye (router lifetime 0) and the host drops the route.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <memory>

#include "daemon_fixture.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using RouterAdvertTest = DaemonFixture;

constexpr const char* kRouter = "2001:db8:5::1";

// The address `d` holds in 2001:db8:5::/64 once it is preferred ("" until then).
std::string formed_address(DaemonProcess& d) {
    auto list = d.ok("addr.list");
    for (const auto& a : list["addresses"]) {
        const auto text = a["addr"].get<std::string>();
        if (text.starts_with("2001:db8:5:") && a["state"] == "preferred") return text;
    }
    return "";
}

// The default IPv6 route `d` learnt from an advertisement, as JSON (null when none).
json learnt_default(DaemonProcess& d) {
    auto routes = d.ok("route.list");
    for (const auto& r : routes["routes"])
        if (r["dst"] == "::/0" && r["metric"] == 1024) return r;
    return nullptr;
}

// The link-local address of `d`'s eth0.
std::string link_local(DaemonProcess& d) {
    auto list = d.ok("addr.list");
    for (const auto& a : list["addresses"])
        if (a["if"] == "eth0" && a.value("auto", false) &&
            a["addr"].get<std::string>().starts_with("fe80:"))
            return a["addr"].get<std::string>().substr(0, a["addr"].get<std::string>().find('/'));
    return "";
}

TEST_F(RouterAdvertTest, AHostDaemonFormsAnAddressFromARouterDaemonAndRoutesThroughIt) {
    auto router = start("router", lan, std::string(kRouter) + "/64",
                        {"--advertise", "2001:db8:5::/64", "--forwarding"});
    auto host = start("host", lan, "10.0.0.2/24");
    ASSERT_TRUE(wait_until([&] { return !formed_address(*host).empty(); }, 10s))
        << host->ok("addr.list").dump();
    const auto formed = formed_address(*host);
    EXPECT_TRUE(formed.ends_with("/64")) << formed;
    const auto route = learnt_default(*host);
    ASSERT_TRUE(route.is_object()) << host->ok("route.list").dump();
    EXPECT_EQ(route["via"], link_local(*router)) << "routers are named by link-local addresses";
    EXPECT_EQ(received(*host, kRouter), 2u);
    // The router takes no advertisement (it forwards), the host sends no more solicitations
    // once one came.
    const auto r_ndp = router->ok("stats")["stack"]["ndp"];
    const auto h_ndp = host->ok("stats")["stack"]["ndp"];
    EXPECT_GE(r_ndp["tx_router_advertisements"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(r_ndp["rx_router_advertisements"].get<std::uint64_t>(), 0u);
    EXPECT_GE(h_ndp["rx_router_advertisements"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(h_ndp["slaac_addresses"].get<std::uint64_t>(), 1u);
    EXPECT_LE(h_ndp["tx_router_solicitations"].get<std::uint64_t>(), 3u);
}

TEST_F(RouterAdvertTest, AReloadWithoutAdvertisementsSaysGoodbyeAndConfigSaveKeepsThem) {
    const auto file = dir.file("router.toml");
    const std::string head = "[daemon]\nsocket = \"" + dir.file("router.sock") +
                             "\"\nworkers = 2\n\n[stack]\nforwarding = true\n\n[[interface]]\n"
                             "name = \"eth0\"\nbus = \"" +
                             lan + "\"\naddresses = [\"2001:db8:5::1/64\"]\n";
    std::ofstream(file) << head
                        << "\n[interface.advertise]\nprefixes = [\"2001:db8:5::/64\"]\n"
                           "max_interval = 10\nmin_interval = 5\n";
    DaemonProcess router(dir.path(), "router", {"--config", file});
    ASSERT_TRUE(router.wait_ready()) << router.log();
    auto host = start("host", lan, "10.0.0.2/24");
    ASSERT_TRUE(wait_until(
        [&] { return learnt_default(*host).is_object() && !formed_address(*host).empty(); }, 10s));

    // config save writes [interface.advertise] back, and the file reads as the same config.
    std::string out;
    const auto saved = dir.file("saved.toml");
    ASSERT_EQ(shmifctl(router, {"config", "save", saved}, out), 0) << out;
    EXPECT_NE(read_file(saved).find("[interface.advertise]"), std::string::npos)
        << read_file(saved);
    EXPECT_EQ(router.ok("config")["interface"][0]["advertise"]["max_interval"], 10);

    std::ofstream(file) << head;
    router.signal(SIGHUP);
    EXPECT_TRUE(wait_until([&] { return learnt_default(*host).is_null(); }, 10s))
        << "RFC 4861 6.2.5: a last advertisement with router lifetime 0";
    EXPECT_TRUE(router.ok("config")["interface"][0]["advertise"].is_null());
    EXPECT_FALSE(formed_address(*host).empty()) << "the address lives on its valid lifetime";
}

}  // namespace
}  // namespace shmifd::test
