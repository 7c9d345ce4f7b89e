// The configuration file's man page (man/shmifd.toml.5.in, written by hand) against the
// parser: it documents every key parse_config reads and no other.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "config.hpp"

namespace shmifd {
namespace {

// Every table and every key the parser reads, each with a valid value. When the parser learns
// a key, config_keys() lists it as absent from this document: add it here and to the page.
constexpr const char* kEveryKey = R"(
[daemon]
socket = "/run/shmif/keys.sock"
socket_group = "shmif"
workers = 2
pin_workers = false
log_level = "debug"
drain_ms = 1000
loopback = true
forward_max_connections = 100

[stack]
forwarding = true
ttl = 32
ipv6 = true
accept_ra = true
hop_limit = 64
dad_transmits = 1
udp_queue_datagrams = 16
udp_queue_bytes = 65536

[stack.arp]
reachable_ms = 30000
stale_ms = 60000
retry_ms = 1000
max_retries = 3
delay_first_probe_ms = 5000
ucast_probes = 3
probe_wait_ms = 0
probe_count = 3
defend_interval_ms = 10000
max_entries = 64
max_pending_per_entry = 8
max_pending_total = 64

[stack.reassembly]
timeout_ms = 1000
max_bytes = 65536
max_datagrams = 4

[stack.icmp]
per_second = 100
burst = 10

[[interface]]
name = "eth0"
bus = "/dev/shm/keys.bus"
format = "netbsd"
create = false
mac = "02:00:00:00:00:01"
mtu = 1400
promisc = true
up = false
addresses = ["10.0.0.1/24"]
impair_egress = "delay 1ms"
impair_ingress = "loss 1%"

[interface.advertise]
prefixes = ["2001:db8:1::/64"]
router_lifetime = 1800
min_interval = 200
max_interval = 600
valid_lifetime = 86400
preferred_lifetime = 14400
mtu = true

[[route]]
dst = "10.1.0.0/16"
via = "10.0.0.254"
if = "eth0"
metric = 5

[[service]]
kind = "echo"
port = 7007
proto = "udp"

[[forward]]
spec = "udp:5353=10.0.0.2:53"
max_connections = 10
udp_timeout_ms = 1000

[[expose]]
spec = "udp:10.0.0.1:5354=5354"
max_connections = 10
udp_timeout_ms = 1000
)";

std::string joined(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& key : keys)
        out += (out.empty() ? "" : ", ") + key;
    return out;
}

// The page's tables (the bracketed names in a .SH or .SS heading: "[stack.arp]",
// "[[forward]] and [[expose]]") and keys ("stack.arp.retry_ms": the first word of a .B or .BR
// line right after a .TP, under such a heading).
std::set<std::string> documented_keys(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in) << "cannot read " << path;
    const std::regex heading(R"(^\.S[HS] )");
    const std::regex table(R"(\[\[?([a-z][a-z0-9_.]*)\]\]?)");
    const std::regex key(R"(^\.BR? ([a-z][a-z0-9_]*)\b)");
    std::set<std::string> found;
    std::vector<std::string> tables;  // of the current heading
    bool after_tp = false;
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, heading)) {
            tables.clear();
            for (std::sregex_iterator it(line.begin(), line.end(), table), end; it != end; ++it)
                tables.push_back((*it)[1].str());
            found.insert(tables.begin(), tables.end());
        } else if (after_tp && std::regex_search(line, m, key)) {
            for (const auto& t : tables)
                found.insert(t + "." + m[1].str());
        }
        after_tp = line == ".TP";
    }
    return found;
}

TEST(ConfigKeys, TheTestDocumentHasEveryKeyTheParserAsksFor) {
    const auto keys = config_keys(kEveryKey);
    EXPECT_TRUE(keys.absent.empty())
        << "add to kEveryKey (and to man/shmifd.toml.5.in): " << joined(keys.absent);
    EXPECT_GT(keys.read.size(), 60u);
}

TEST(ConfigManPage, DocumentsEveryKeyOfTheParser) {
    const auto documented = documented_keys(SHMIFD_CONFIG_MAN_PAGE);
    std::vector<std::string> missing;
    for (const auto& key : config_keys(kEveryKey).read)
        if (!documented.contains(key)) missing.push_back(key);
    EXPECT_TRUE(missing.empty()) << "not in man/shmifd.toml.5.in: " << joined(missing);
}

TEST(ConfigManPage, DocumentsNoKeyTheParserRefuses) {
    const auto read = config_keys(kEveryKey).read;
    const std::set<std::string> known(read.begin(), read.end());
    std::vector<std::string> unknown;
    for (const auto& key : documented_keys(SHMIFD_CONFIG_MAN_PAGE))
        if (!known.contains(key)) unknown.push_back(key);
    EXPECT_TRUE(unknown.empty()) << "in man/shmifd.toml.5.in but not read by the parser: "
                                 << joined(unknown);
}

// The page's own example parses.
TEST(ConfigManPage, ExampleParses) {
    std::ifstream in(SHMIFD_CONFIG_MAN_PAGE);
    std::string text, line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line == ".EE") break;
        if (inside) text += line + "\n";
        if (line == ".EX") inside = true;
    }
    ASSERT_FALSE(text.empty());
    const auto config = parse_config(text, "example");
    EXPECT_EQ(config.interfaces.size(), 2u);
}

}  // namespace
}  // namespace shmifd
