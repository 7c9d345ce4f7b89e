// config save's TOML: what it writes loads back to the same configuration.
#include <gtest/gtest.h>

#include "config.hpp"
#include "config_json.hpp"
#include "config_toml_writer.hpp"
#include "defaults.hpp"

namespace shmifd {
namespace {

// The same settings, compared in their JSON form (every field, one list of them).
void expect_round_trip(const Config& config) {
    const auto text = to_toml(config);
    Config back;
    try {
        back = parse_config(text, "saved.toml");
    } catch (const ConfigError& e) {
        FAIL() << e.what() << "\n" << text;
    }
    EXPECT_EQ(to_json(back), to_json(config)) << text;
}

TEST(ConfigTomlWriter, ExampleFileRoundTrips) {
    expect_round_trip(load_config_file(SHMIFD_EXAMPLE_CONFIG));
}

TEST(ConfigTomlWriter, EverySettingRoundTrips) {
    Config c = quick_config({.bus = "/tmp/a \"quoted\" \\ bus", .addresses = {"10.0.0.1/24"}});
    c.daemon.socket_group = "shmif";
    c.daemon.workers = 3;
    c.daemon.drain_ms = 0;
    c.daemon.log_level = "debug";
    c.stack.forwarding = true;
    c.stack.default_ttl = 9;
    c.stack.arp.max_retries = 7;
    c.stack.reassembly.max_bytes = 1ull << 32;
    c.stack.icmp.per_second = 0;
    InterfaceSpec rump{
        .name = "rump0",
        .bus = "/tmp/rump.bus",
        .format = shmif::Format::netbsd,
        .create = false,
        .mac = netstack::MacAddress::parse("02:00:00:00:00:09"),
        .mtu = 1280,
        .promisc = true,
        .up = false,
        .addresses = {*netstack::Ipv4Cidr::parse("172.16.0.1/16"),
                      *netstack::Ipv4Cidr::parse("172.17.0.1/16")},
        .impair_egress = *shmif::impair::parse_netem(
            "delay 20ms 5ms 25% distribution normal loss 1% rate 100mbit"),
        .impair_ingress = *shmif::impair::parse_netem("loss gemodel 1% 10% seed 3"),
        .advertise = AdvertiseSpec{.prefixes = {*netstack::Ipv6Cidr::parse("2001:db8:9::/64")},
                                   .router_lifetime = 0,
                                   .min_interval = 30,
                                   .max_interval = 60,
                                   .valid_lifetime = 3600,
                                   .preferred_lifetime = 1800,
                                   .mtu = false}};
    c.interfaces.push_back(rump);
    c.routes.push_back({.dst = *parse_route_destination("default"),
                        .via = netstack::Ipv4Address::parse("172.16.0.254"),
                        .interface = std::nullopt,
                        .metric = 5});
    c.routes.push_back({.dst = *parse_route_destination("192.168.0.0/16"),
                        .via = std::nullopt,
                        .interface = "rump0",
                        .metric = 0});
    c.services.push_back({.kind = services::ServiceKind::http, .port = 8080});
    c.services.push_back(
        {.kind = services::ServiceKind::echo, .port = 7, .transport = services::Transport::both});
    expect_round_trip(c);
}

TEST(ConfigTomlWriter, DefaultMtuAndNoImpairmentsAreLeftOut) {
    const Config c = quick_config({.bus = "/tmp/x.bus", .addresses = {"10.0.0.1/24"}});
    const auto text = to_toml(c);
    EXPECT_EQ(text.find("mtu"), std::string::npos) << text;
    EXPECT_EQ(text.find("impair"), std::string::npos) << text;  // none: left out too
    EXPECT_NE(text.find("[[interface]]"), std::string::npos) << text;
}

}  // namespace
}  // namespace shmifd
