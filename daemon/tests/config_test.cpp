// The configuration file: what it accepts, and errors that name the file and the line.
#include <gtest/gtest.h>

#include "config.hpp"
#include "config_apply.hpp"
#include "config_json.hpp"
#include "defaults.hpp"

namespace shmifd {
namespace {

std::string error_of(const std::string& text) {
    try {
        parse_config(text, "t.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(Config, FullFileParses) {
    auto c = parse_config(R"(
[daemon]
socket = "/run/shmif/lab.sock"
socket_group = "shmif"
workers = 2
log_level = "debug"

[stack]
forwarding = true
ttl = 32
[stack.arp]
retry_ms = 500
max_retries = 5
[stack.icmp]
per_second = 0

[[interface]]
name = "eth0"
bus = "/run/shmif/lab.bus"
format = "netbsd"
mac = "02:00:00:00:00:01"
mtu = 1500
promisc = true
addresses = ["10.0.0.1/24", "10.0.1.1/24"]

[[interface]]
name = "eth1"
bus = "/run/shmif/wan.bus"
create = false

[[route]]
dst = "default"
via = "10.0.0.254"

[[route]]
dst = "192.168.0.0/16"
if = "eth1"
metric = 10
)",
                          "t.toml");
    EXPECT_EQ(c.daemon.socket, "/run/shmif/lab.sock");
    EXPECT_EQ(c.daemon.socket_group, "shmif");
    EXPECT_EQ(c.daemon.workers, 2u);
    EXPECT_TRUE(c.stack.forwarding);
    EXPECT_EQ(c.stack.default_ttl, 32);
    EXPECT_EQ(c.stack.arp.retry_interval, std::chrono::milliseconds(500));
    EXPECT_EQ(c.stack.icmp.per_second, 0u);
    ASSERT_EQ(c.interfaces.size(), 2u);
    EXPECT_EQ(c.interfaces[0].format, shmif::Format::netbsd);
    EXPECT_EQ(c.interfaces[0].mac->to_string(), "02:00:00:00:00:01");
    EXPECT_EQ(c.interfaces[0].addresses.size(), 2u);
    EXPECT_FALSE(c.interfaces[1].create);
    ASSERT_EQ(c.routes.size(), 2u);
    EXPECT_EQ(c.routes[0].dst.prefix_len, 0);
    EXPECT_FALSE(c.routes[0].interface);
    EXPECT_EQ(c.routes[1].metric, 10u);
    // The JSON form has the file's shape.
    auto j = to_json(c);
    EXPECT_EQ(j["route"][0]["dst"], "default");
    EXPECT_EQ(j["interface"][1]["name"], "eth1");
    EXPECT_EQ(j["stack"]["arp"]["retry_ms"], 500);
}

TEST(Config, ArpNudAndConflictDetectionKeys) {
    auto c = parse_config(R"(
[stack.arp]
delay_first_probe_ms = 300
ucast_probes = 0
probe_wait_ms = 0
probe_count = 5
defend_interval_ms = 2000
)",
                          "t.toml");
    EXPECT_EQ(c.stack.arp.delay_first_probe, std::chrono::milliseconds(300));
    EXPECT_EQ(c.stack.arp.ucast_probes, 0u);
    EXPECT_EQ(c.stack.arp.probe_wait, std::chrono::milliseconds(0)) << "0: no probing";
    EXPECT_EQ(c.stack.arp.probe_count, 5u);
    EXPECT_EQ(c.stack.arp.defend_interval, std::chrono::milliseconds(2000));
    const netstack::ArpConfig defaults;
    EXPECT_EQ(defaults.probe_wait, std::chrono::milliseconds(100));
    EXPECT_EQ(defaults.delay_first_probe, std::chrono::seconds(5));
    EXPECT_EQ(defaults.ucast_probes, 3u);
}

// A reload applies interfaces, addresses, routes, forwarding and the log level; every other
// setting that differs is named, so the log can say it waits for the next start.
TEST(Config, ReloadNamesEverySettingThatWaitsForTheNextStart) {
    const Config running = parse_config("", "t.toml");
    EXPECT_TRUE(restart_only_differences(running, running).empty());
    const Config next = parse_config(R"([daemon]
socket = "/run/shmif/other.sock"
socket_group = "shmif"
workers = 3
pin_workers = false
drain_ms = 100
loopback = false
forward_max_connections = 7
log_level = "debug"
[stack]
ttl = 9
forwarding = true
)",
                                     "t.toml");
    EXPECT_EQ(restart_only_differences(running, next),
              (std::vector<std::string>{"daemon.socket", "daemon.socket_group", "daemon.workers",
                                        "daemon.pin_workers", "daemon.drain_ms", "daemon.loopback",
                                        "daemon.forward_max_connections", "stack"}));
}

TEST(Config, EmptyFileIsValid) {
    auto c = parse_config("", "t.toml");
    EXPECT_TRUE(c.interfaces.empty());
    EXPECT_TRUE(c.daemon.pin_workers) << "workers are pinned unless the file says otherwise";
}

TEST(Config, ErrorsNameTheLine) {
    EXPECT_EQ(error_of("[daemon]\nworkers = \"two\"\n"),
              "t.toml:2: daemon.workers must be an integer");
    EXPECT_EQ(error_of("[daemon]\n\nsokket = \"x\"\n"), "t.toml:3: unknown key daemon.sokket");
    EXPECT_EQ(error_of("[[interface]]\nname = \"e\"\nbus = \"b\"\nmtu = 10\n"),
              "t.toml:4: interface.mtu must be in 68..65535, not 10");
    EXPECT_EQ(error_of("[[interface]]\nname = \"e\"\nbus = \"b\"\naddresses = [\"10.0.0.1/33\"]\n"),
              "t.toml:4: interface e: addresses must be \"a.b.c.d/n\" or \"x:x::x/n\" strings");
    EXPECT_EQ(error_of("\n[[interface]]\nname = \"e\"\n"),
              "t.toml:2: interface e: bus is required");
    EXPECT_EQ(error_of("[[interface]]\nname = \"e\"\nbus = \"b\"\n[[interface]]\nname = \"e\"\n"
                       "bus = \"c\"\n"),
              "t.toml:4: interface e is defined twice");
    EXPECT_EQ(error_of("[[route]]\ndst = \"10.0.0.1/24\"\nif = \"x\"\n"),
              "t.toml:2: route: dst must be a network a.b.c.d/n or x:x::x/n (host bits clear) or "
              "\"default\", not 10.0.0.1/24");
    EXPECT_EQ(error_of("[[route]]\ndst = \"10.0.0.0/24\"\nif = \"x\"\n"),
              "t.toml:1: route to 10.0.0.0/24: no interface x");
    EXPECT_EQ(error_of("[[route]]\ndst = \"default\"\n"),
              "t.toml:1: route: needs via, if, or both");
    // Both used to pass parsing and fail halfway through applying the file.
    EXPECT_EQ(error_of("[[interface]]\nname = \"e\"\nbus = \"b\"\naddresses = [\"10.0.0.1/24\",\n"
                       "  \"10.0.0.1/24\"]\n"),
              "t.toml:5: interface e: address 10.0.0.1/24 is given twice");
    EXPECT_EQ(error_of("[[interface]]\nname = \"e\"\nbus = \"b\"\naddresses = [\"10.0.0.1/24\"]\n"
                       "\n[[route]]\ndst = \"default\"\nvia = \"10.9.0.1\"\n"),
              "t.toml:6: route to 0.0.0.0/0: gateway 10.9.0.1 is not on the network of any "
              "interface address");
    EXPECT_EQ(error_of("[stack.arp]\nmax_retries = 0\n"),
              "t.toml:2: stack.arp.max_retries must be in 1..100, not 0");
    // Syntax errors come from the TOML parser, with the line too.
    EXPECT_EQ(error_of("[daemon]\nworkers = = 2\n").rfind("t.toml:2: ", 0), 0u);
}

TEST(Config, GatewayOnAnyInterfaceAddressNetworkIsValid) {
    auto c = parse_config(
        "[[interface]]\nname = \"e\"\nbus = \"b\"\naddresses = [\"10.0.0.1/24\", "
        "\"10.1.0.1/16\"]\n[[route]]\ndst = \"default\"\nvia = \"10.1.2.3\"\n",
        "t.toml");
    ASSERT_EQ(c.routes.size(), 1u);
    EXPECT_EQ(c.interfaces[0].addresses.size(), 2u);
}

TEST(Config, QuickForm) {
    auto c = quick_config(
        {.bus = "/tmp/b.bus", .addresses = {"10.1.0.5/16"}, .name = "lan", .gateway = "10.1.0.1"});
    ASSERT_EQ(c.interfaces.size(), 1u);
    EXPECT_EQ(c.interfaces[0].name, "lan");
    EXPECT_EQ(c.interfaces[0].addresses[0].to_string(), "10.1.0.5/16");
    ASSERT_EQ(c.routes.size(), 1u);
    EXPECT_EQ(c.routes[0].via->to_string(), "10.1.0.1");
    EXPECT_THROW(quick_config({.bus = "b", .addresses = {"10.1.0.5"}}), ConfigError);
    EXPECT_THROW(quick_config({.bus = "b", .addresses = {"10.1.0.5/24"}, .gateway = "10.2.0.1"}),
                 ConfigError);
    // No bus: the default one, with the default address.
    auto d = quick_config({});
    EXPECT_EQ(d.interfaces[0].bus, default_runtime_dir() + "/default.bus");
    EXPECT_EQ(d.interfaces[0].addresses[0].to_string(), "10.0.0.1/24");
}

TEST(Config, QuickFormDualStack) {
    auto c = quick_config({.bus = "/tmp/b.bus",
                           .addresses = {"10.1.0.5/16", "2001:db8::5/64"},
                           .gateway = "fe80::1"});
    ASSERT_EQ(c.interfaces[0].addresses.size(), 2u);
    EXPECT_EQ(c.interfaces[0].addresses[1].to_string(), "2001:db8::5/64");
    ASSERT_EQ(c.routes.size(), 1u);
    EXPECT_EQ(c.routes[0].dst.to_string(), "::/0") << "the gateway's family picks the default";
    EXPECT_EQ(c.routes[0].via->to_string(), "fe80::1");
    EXPECT_NO_THROW(
        quick_config({.bus = "b", .addresses = {"2001:db8::5/64"}, .gateway = "2001:db8::1"}));
    EXPECT_THROW(
        quick_config({.bus = "b", .addresses = {"2001:db8::5/64"}, .gateway = "2001:db9::1"}),
        ConfigError);
    EXPECT_THROW(quick_config({.bus = "b", .addresses = {"2001:db8::5/64", "2001:db8::5/64"}}),
                 ConfigError);
    EXPECT_THROW(quick_config({.bus = "b", .addresses = {"2001:db8::5"}}), ConfigError);
}

TEST(Config, Ipv6AddressesAndRoutesInTheFile) {
    auto c = parse_config(R"(
[[interface]]
name = "eth0"
bus = "/tmp/v6.bus"
addresses = ["10.0.0.1/24", "2001:db8::1/64"]

[[route]]
dst = "default"
via = "fe80::1"

[[route]]
dst = "2001:db8:1::/48"
via = "2001:db8::ff"
)",
                          "test.toml");
    ASSERT_EQ(c.interfaces[0].addresses.size(), 2u);
    ASSERT_EQ(c.routes.size(), 2u);
    EXPECT_EQ(c.routes[0].dst.to_string(), "::/0");
    EXPECT_EQ(c.routes[1].dst.to_string(), "2001:db8:1::/48");
    EXPECT_THROW(parse_config(R"(
[[interface]]
name = "eth0"
bus = "/tmp/v6.bus"
addresses = ["2001:db8::1/64"]
[[route]]
dst = "2001:db8:1::/48"
via = "10.0.0.1"
)",
                              "test.toml"),
                 ConfigError)
        << "a gateway of the other family";
}

TEST(Config, RouterAdvertisementsInTheFileAndTheQuickForm) {
    auto c = parse_config(R"(
[stack]
accept_ra = false

[[interface]]
name = "eth0"
bus = "/tmp/ra.bus"
addresses = ["2001:db8:1::1/64"]
[interface.advertise]
prefixes = ["2001:db8:1::1/64", "2001:db8:2::/56"]
max_interval = 30
min_interval = 10
)",
                          "test.toml");
    EXPECT_FALSE(c.stack.ipv6.accept_ra);
    ASSERT_TRUE(c.interfaces[0].advertise);
    const AdvertiseSpec& a = *c.interfaces[0].advertise;
    ASSERT_EQ(a.prefixes.size(), 2u);
    EXPECT_EQ(a.prefixes[0].to_string(), "2001:db8:1::/64") << "host bits cleared";
    EXPECT_EQ(a.prefixes[1].to_string(), "2001:db8:2::/56");
    EXPECT_FALSE(a.router_lifetime);
    // The router lifetime follows forwarding unless the file says.
    EXPECT_EQ(router_advert_config(a, false).router_lifetime.count(), 0);
    EXPECT_EQ(router_advert_config(a, true).router_lifetime.count(), 1800);
    EXPECT_EQ(router_advert_config(a, true).max_interval, std::chrono::seconds(30));

    auto q = quick_config({.bus = "b", .advertise = {"2001:db8:7::/64"}});
    ASSERT_TRUE(q.interfaces[0].advertise);
    EXPECT_EQ(q.interfaces[0].advertise->prefixes.at(0).to_string(), "2001:db8:7::/64");
    EXPECT_THROW(quick_config({.bus = "b", .advertise = {"2001:db8:7::/80"}}), ConfigError);
    EXPECT_THROW(quick_config({.bus = "b", .advertise = {"fe80::/64"}}), ConfigError);
    EXPECT_THROW(quick_config({.bus = "b", .advertise = {"10.0.0.0/24"}}), ConfigError);
}

TEST(Config, RouterAdvertisementErrorsNameTheLine) {
    const std::string head = "[[interface]]\nname = \"e\"\nbus = \"b\"\n[interface.advertise]\n";
    EXPECT_EQ(error_of(head + "max_interval = 600\n"),
              "t.toml:4: interface e: advertise: prefixes is required ([\"2001:db8:1::/64\"])");
    EXPECT_EQ(error_of(head + "prefixes = [\"2001:db8::/96\"]\n"),
              "t.toml:5: interface e: advertise: 2001:db8::/96: hosts form addresses in a /64 "
              "(RFC 4862 5.5.3), so at most 64");
    EXPECT_EQ(error_of(head + "prefixes = [\"2001:db8::/64\"]\nmin_interval = 500\n"),
              "t.toml:4: interface e: advertise: min_interval must be from 3 seconds to 0.75 x "
              "max_interval (RFC 4861 6.2.1)");
    EXPECT_EQ(error_of(head + "prefixes = [\"2001:db8::/64\"]\nrouter_lifetime = 100\n"),
              "t.toml:4: interface e: advertise: router_lifetime must be 0 or from max_interval "
              "to 9000 seconds (RFC 4861 6.2.1)");
    EXPECT_EQ(error_of(head + "prefixes = [\"2001:db8::/64\"]\nlifetime = 1\n"),
              "t.toml:6: unknown key interface.advertise.lifetime");
}

TEST(Config, ExampleFileParses) {
    auto c = load_config_file(SHMIFD_EXAMPLE_CONFIG);
    EXPECT_FALSE(c.interfaces.empty());
    EXPECT_EQ(c.forwards.size(), 3u);
}

}  // namespace
}  // namespace shmifd
