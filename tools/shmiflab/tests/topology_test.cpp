// The topology parser (topology.hpp): the examples and good files read as written, every
// kind of mistake refused with the line that holds it.
#include <gtest/gtest.h>

#include <string>

#include "reachability.hpp"
#include "topology.hpp"

namespace shmiflab {
namespace {

Topology parse_ok(const std::string& text) {
    auto lab = parse_topology(text, "t.toml", "stem");
    EXPECT_TRUE(lab.has_value()) << (lab ? "" : lab.error());
    return lab ? *lab : Topology{};
}

std::string parse_error(const std::string& text) {
    auto lab = parse_topology(text, "t.toml", "stem");
    EXPECT_FALSE(lab.has_value());
    return lab ? "" : lab.error();
}

constexpr const char* kTwoNodes = R"([[bus]]
name = "lan"
[[node]]
name = "a"
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.1/24"]
[[node]]
name = "b"
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.2/24"]
)";

TEST(Topology, ExamplesLoad) {
    auto two = load_topology(SHMIFLAB_EXAMPLES "/two-hosts.toml");
    ASSERT_TRUE(two.has_value()) << two.error();
    EXPECT_EQ(two->name, "two-hosts");
    EXPECT_EQ(two->nodes.size(), 2u);
    auto routers = load_topology(SHMIFLAB_EXAMPLES "/two-routers.toml");
    ASSERT_TRUE(routers.has_value()) << routers.error();
    EXPECT_EQ(routers->buses.size(), 3u);
    EXPECT_EQ(routers->buses[1].format, shmif::Format::netbsd);
    EXPECT_EQ(routers->buses[2].size, 4u << 20);
    EXPECT_TRUE(routers->nodes[0].forwarding);
    EXPECT_EQ(routers->nodes[1].workers, 2u);
    EXPECT_EQ(routers->nodes[4].interfaces[0].mtu, 1400u);
}

TEST(Topology, DefaultsAndNames) {
    auto lab = parse_ok(kTwoNodes);
    EXPECT_EQ(lab.name, "stem");  // no [lab]: the file's stem
    EXPECT_EQ(lab.buses[0].format, shmif::Format::native);
    EXPECT_EQ(lab.buses[0].size, 0u);
    EXPECT_EQ(lab.nodes[0].workers, 1u);
    EXPECT_FALSE(lab.nodes[0].forwarding);
    EXPECT_EQ(lab.nodes[1].interfaces[0].addresses[0].to_string(), "10.0.0.2/24");
    EXPECT_EQ(parse_ok(std::string("[lab]\nname = \"x-1\"\n") + kTwoNodes).name, "x-1");
    EXPECT_EQ(
        parse_ok(std::string("[[bus]]\nname = \"big\"\nsize = 65536\n") + kTwoNodes).buses[0].size,
        65536u);
}

TEST(Topology, Routes) {
    auto lab = parse_ok(std::string(kTwoNodes) + R"([[node.route]]
dst = "default"
via = "10.0.0.1"
[[node.route]]
dst = "192.168.0.0/16"
via = "10.0.0.1"
)");
    ASSERT_EQ(lab.nodes[1].routes.size(), 2u);
    EXPECT_EQ(lab.nodes[1].routes[0].dst.prefix_len, 0);
    EXPECT_EQ(lab.nodes[1].routes[1].dst.to_string(), "192.168.0.0/16");
    EXPECT_EQ(lab.nodes[1].routes[1].via.to_string(), "10.0.0.1");
}

// Two buses, a node on each: what links and captures are added to.
constexpr const char* kTwoBuses = R"([[bus]]
name = "east"
[[bus]]
name = "west"
[[node]]
name = "a"
[[node.interface]]
bus = "east"
addresses = ["10.0.0.1/24"]
[[node]]
name = "b"
[[node.interface]]
bus = "west"
addresses = ["10.0.0.2/24"]
)";

// kTwoNodes and a third node "c" on lan with `keys` (its line 15 on) before its interface.
std::string with_node_c(const std::string& keys) {
    return std::string(kTwoNodes) + "[[node]]\nname = \"c\"\n" + keys +
           "[[node.interface]]\nbus = \"lan\"\naddresses = [\"10.0.0.3/24\"]\n";
}

TEST(Topology, KernelNodesServicesAndForwards) {
    auto lab = parse_ok(with_node_c("kind = \"kernel\"\nforwarding = true\n"));
    EXPECT_FALSE(parse_ok(kTwoNodes).has_kernel_nodes());
    ASSERT_EQ(lab.nodes.size(), 3u);
    EXPECT_EQ(lab.nodes[0].kind, NodeKind::shmifd);
    EXPECT_EQ(lab.nodes[2].kind, NodeKind::kernel);
    EXPECT_TRUE(lab.nodes[2].forwarding);
    EXPECT_TRUE(lab.has_kernel_nodes());

    auto served = parse_ok(with_node_c(R"(services = ["http:8080", "echo:7/udp"]
forward = ["tcp:18080=10.0.0.3:8080"]
expose = ["udp:10.0.0.3:53=127.0.0.1:5353"]
)"));
    const auto& b = served.nodes[2];
    ASSERT_EQ(b.services.size(), 2u);
    EXPECT_EQ(b.services[0].kind, services::ServiceKind::http);
    EXPECT_EQ(b.services[0].port, 8080);
    EXPECT_EQ(b.services[1].transport, services::Transport::udp);
    ASSERT_EQ(b.forwards.size(), 2u);
    EXPECT_EQ(b.forwards[0].direction, shmifd::forward::Direction::inbound);
    EXPECT_EQ(b.forwards[0].host_port, 18080);
    EXPECT_EQ(b.forwards[1].direction, shmifd::forward::Direction::outbound);
    EXPECT_EQ(b.forwards[1].protocol, shmifd::forward::Protocol::udp);
}

TEST(Topology, LinksAndCaptures) {
    auto lab = parse_ok(std::string(kTwoBuses) + R"([[link]]
a = "east"
b = "west"
both = "delay 20ms 2ms loss 1%"
b_to_a = "rate 10mbit"
seed = 7
[[capture]]
bus = "east"
[[capture]]
bus = "west"
format = "pcapng"
filter = "icmp or arp"
[[capture]]
bus = "west"
file = "west-tcp.pcap"
filter = "tcp port 80"
)");
    ASSERT_EQ(lab.links.size(), 1u);
    EXPECT_EQ(lab.links[0].a, "east");
    EXPECT_EQ(lab.links[0].a_to_b, "delay 20ms 2ms loss 1%");  // from both
    EXPECT_EQ(lab.links[0].b_to_a, "rate 10mbit");             // its own wins
    EXPECT_EQ(lab.links[0].seed, 7u);
    ASSERT_EQ(lab.captures.size(), 3u);
    EXPECT_EQ(lab.captures[0].file, "east.pcap");
    EXPECT_EQ(lab.captures[0].format, CaptureFormat::pcap);
    EXPECT_EQ(lab.captures[1].file, "west.pcapng");
    EXPECT_EQ(lab.captures[1].filter, "icmp or arp");
    EXPECT_EQ(lab.captures[2].file, "west-tcp.pcap");

    auto plain = parse_ok(std::string(kTwoBuses) + "[[link]]\na = \"east\"\nb = \"west\"\n");
    EXPECT_TRUE(plain.links[0].a_to_b.empty());
    EXPECT_TRUE(plain.links[0].b_to_a.empty());
    EXPECT_FALSE(plain.links[0].seed.has_value());
}

// Three buses in a chain are fine; closing the ring is refused.
TEST(Topology, LinksMayNotMakeALoop) {
    const std::string three = std::string("[[bus]]\nname = \"c\"\n") + kTwoBuses +
                              "[[link]]\na = \"east\"\nb = \"west\"\n"
                              "[[link]]\na = \"west\"\nb = \"c\"\n";
    parse_ok(three);
    const auto error = parse_error(three + "[[link]]\na = \"c\"\nb = \"east\"\n");
    EXPECT_NE(error.find("t.toml:23: link c - east: the two buses are joined already"),
              std::string::npos)
        << error;
}

struct Bad {
    const char* what;
    std::string text;
    std::string error;  // what the message must hold, "t.toml:LINE: ..." included
};

class TopologyErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(TopologyErrors, NamesTheLine) {
    const std::string error = parse_error(GetParam().text);
    EXPECT_NE(error.find(GetParam().error), std::string::npos) << GetParam().what << ": " << error;
}

const std::string kNodeB = "[[node]]\nname = \"b\"\n[[node.interface]]\nbus = \"lan\"\n";

INSTANTIATE_TEST_SUITE_P(
    All, TopologyErrors,
    ::testing::Values(
        Bad{"syntax", "[[bus]\nname = 1\n", "t.toml:1: "},
        Bad{"unknown top key", std::string(kTwoNodes) + "colour = 3\n", "unknown key"},
        Bad{"unknown bus key", "[[bus]]\nname = \"lan\"\nspeed = 1\n",
            "t.toml:3: unknown key bus.speed"},
        Bad{"unknown node key", "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\ncpu = 1\n",
            "t.toml:5: unknown key node.cpu"},
        Bad{"unknown interface key",
            "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n[[node.interface]]\nbus = "
            "\"lan\"\nmac = \"x\"\n",
            "t.toml:7: unknown key node.interface.mac"},
        Bad{"bad format", "[[bus]]\nname = \"lan\"\nformat = \"vde\"\n",
            "t.toml:3: bus lan: format must be native or netbsd"},
        Bad{"bad size", "[[bus]]\nname = \"lan\"\nsize = \"lots\"\n", "t.toml:3: bus lan: size"},
        Bad{"bus without name", "[[bus]]\nformat = \"native\"\n",
            "t.toml:1: bus: name is required"},
        Bad{"bad name", "[[bus]]\nname = \"a/b\"\n", "t.toml:2: bus name \"a/b\""},
        Bad{"bad lab name", std::string("[lab]\nname = \"\"\n") + kTwoNodes, "t.toml:2: lab name"},
        Bad{"no nodes", "[[bus]]\nname = \"lan\"\n", "no [[node]]"},
        Bad{"node without interface", "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n",
            "t.toml:3: node a: no [[node.interface]]"},
        Bad{"workers", "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\nworkers = 0\n",
            "t.toml:5: node.workers must be in 1..64"},
        Bad{"forwarding type", "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\nforwarding = 1\n",
            "t.toml:5: node.forwarding must be true or false"},
        Bad{"duplicate bus", "[[bus]]\nname = \"lan\"\n[[bus]]\nname = \"lan\"\n" + kNodeB,
            "t.toml:3: bus lan is defined twice"},
        Bad{"duplicate node", std::string(kTwoNodes) + kNodeB + kNodeB,
            "t.toml:13: node b is defined twice"},
        Bad{"unknown bus",
            "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n[[node.interface]]\nbus = \"wan\"\n",
            "t.toml:5: node a: no bus wan"},
        Bad{"two interfaces on one bus",
            "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n[[node.interface]]\nbus = "
            "\"lan\"\n[[node.interface]]\nbus = \"lan\"\n",
            "t.toml:7: node a: two interfaces on bus lan"},
        Bad{"bad CIDR",
            "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n[[node.interface]]\nbus = "
            "\"lan\"\naddresses = [\"10.0.0.300/24\"]\n",
            "t.toml:7: node a: addresses must be"},
        Bad{"no prefix",
            "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n[[node.interface]]\nbus = "
            "\"lan\"\naddresses = [\"10.0.0.3\"]\n",
            "t.toml:7: node a: addresses must be"},
        Bad{"network address",
            "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n[[node.interface]]\nbus = "
            "\"lan\"\naddresses = [\"10.0.0.0/24\"]\n",
            "t.toml:7: node a: 10.0.0.0/24 is not a host address"},
        Bad{"duplicate address",
            std::string(kTwoNodes) +
                "[[node]]\nname = \"c\"\n[[node.interface]]\nbus = \"lan\"\naddresses = "
                "[\"10.0.0.1/24\"]\n",
            "t.toml:15: node c: address 10.0.0.1 is also a's"},
        Bad{"bad mtu",
            "[[bus]]\nname = \"lan\"\n[[node]]\nname = \"a\"\n[[node.interface]]\nbus = "
            "\"lan\"\nmtu = 20\n",
            "t.toml:7: node.interface.mtu must be in 68..65535"},
        Bad{"route dst",
            std::string(kTwoNodes) + "[[node.route]]\ndst = \"10.0.1.1/24\"\nvia = \"10.0.0.1\"\n",
            "t.toml:14: node b: route: dst must be"},
        Bad{"route without via", std::string(kTwoNodes) + "[[node.route]]\ndst = \"default\"\n",
            "t.toml:13: node b: route: via is required"},
        Bad{"gateway off-subnet",
            std::string(kTwoNodes) + "[[node.route]]\ndst = \"default\"\nvia = \"10.9.0.1\"\n",
            "t.toml:13: node b: gateway 10.9.0.1 is not on any of the node's subnets"},
        Bad{"gateway is self",
            std::string(kTwoNodes) + "[[node.route]]\ndst = \"default\"\nvia = \"10.0.0.2\"\n",
            "t.toml:13: node b: gateway 10.0.0.2 is the node's own address"},
        Bad{"route twice",
            std::string(kTwoNodes) +
                "[[node.route]]\ndst = \"default\"\nvia = \"10.0.0.1\"\n[[node.route]]\ndst = "
                "\"default\"\nvia = \"10.0.0.1\"\n",
            "t.toml:16: node b: a second route to 0.0.0.0/0"},
        Bad{"bad kind", with_node_c("kind = \"vm\"\n"),
            "t.toml:15: node c: kind must be shmifd or kernel"},
        Bad{"kernel with workers", with_node_c("kind = \"kernel\"\nworkers = 2\n"),
            "t.toml:16: node c: workers is for shmifd nodes, not kernel"},
        Bad{"kernel with services", with_node_c("kind = \"kernel\"\nservices = [\"echo\"]\n"),
            "t.toml:16: node c: services is for shmifd nodes, not kernel"},
        Bad{"bad service", with_node_c("services = [\"gopher\"]\n"),
            "t.toml:15: node c: service \"gopher\""},
        Bad{"services on one port", with_node_c("services = [\"http\", \"echo:80\"]\n"),
            "t.toml:15: node c: services http:80 and echo:80 need the same port"},
        Bad{"bad forward", with_node_c("forward = [\"tcp:x\"]\n"),
            "t.toml:15: node c: forward \"tcp:x\""},
        Bad{"service not a string", with_node_c("services = [80]\n"),
            "t.toml:15: node c: services must be strings"},
        Bad{"link without b", std::string(kTwoBuses) + "[[link]]\na = \"east\"\n",
            "t.toml:15: link: a and b are required"},
        Bad{"link to unknown bus", std::string(kTwoBuses) + "[[link]]\na = \"east\"\nb = \"x\"\n",
            "t.toml:15: link: no bus x"},
        Bad{"link to itself", std::string(kTwoBuses) + "[[link]]\na = \"east\"\nb = \"east\"\n",
            "t.toml:15: link: joins bus east to itself"},
        Bad{"link netem",
            std::string(kTwoBuses) + "[[link]]\na = \"east\"\nb = \"west\"\nboth = \"loss lots\"\n",
            "t.toml:18: link east - west: both: "},
        Bad{"link twice",
            std::string(kTwoBuses) +
                "[[link]]\na = \"east\"\nb = \"west\"\n[[link]]\na = \"west\"\nb = \"east\"\n",
            "t.toml:18: link west - east: the two buses are joined already"},
        Bad{"unknown link key",
            std::string(kTwoBuses) + "[[link]]\na = \"east\"\nb = \"west\"\nloss = 1\n",
            "t.toml:18: unknown key link.loss"},
        Bad{"capture of unknown bus", std::string(kTwoBuses) + "[[capture]]\nbus = \"x\"\n",
            "t.toml:15: capture: no bus x"},
        Bad{"capture format",
            std::string(kTwoBuses) + "[[capture]]\nbus = \"east\"\nformat = \"erf\"\n",
            "t.toml:17: capture of east: format must be pcap or pcapng"},
        Bad{"capture filter",
            std::string(kTwoBuses) + "[[capture]]\nbus = \"east\"\nfilter = \"icmp and and\"\n",
            "t.toml:17: capture of east: filter: "},
        Bad{"capture file path",
            std::string(kTwoBuses) + "[[capture]]\nbus = \"east\"\nfile = \"../x.pcap\"\n",
            "t.toml:17: capture of east: file must be a plain file name"},
        Bad{"capture file twice",
            std::string(kTwoBuses) + "[[capture]]\nbus = \"east\"\n[[capture]]\nbus = "
                                     "\"west\"\nfile = \"east.pcap\"\n",
            "t.toml:17: capture of west: file east.pcap is another capture's too"},
        Bad{"capture over a lab file",
            std::string(kTwoBuses) + "[[capture]]\nbus = \"east\"\nfile = \"a.log\"\n",
            "t.toml:15: capture of east: file a.log is one of the lab's own files"}),
    [](const ::testing::TestParamInfo<Bad>& param) {
        std::string name = param.param.what;
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

TEST(Reachability, SubnetsAndRoutes) {
    auto lab = load_topology(SHMIFLAB_EXAMPLES "/two-routers.toml");
    ASSERT_TRUE(lab.has_value()) << lab.error();
    // h1 (index 2) has a default route: every other node's every address (2+2+1+1).
    EXPECT_EQ(expected_probes(*lab, 2).size(), 6u);
    // r1 (0): its subnets 10.0.1/24, 10.0.2/24 and a route to 10.0.3/24: all but none.
    EXPECT_EQ(expected_probes(*lab, 0).size(), 5u);
    // Two hosts without routes on different subnets expect nothing of each other.
    auto isolated = parse_topology(R"([[bus]]
name = "lan"
[[node]]
name = "a"
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.1/24"]
[[node]]
name = "b"
[[node.interface]]
bus = "lan"
addresses = ["10.0.1.1/24"]
)",
                                   "t", "t");
    ASSERT_TRUE(isolated.has_value());
    EXPECT_TRUE(expected_probes(*isolated, 0).empty());
}

}  // namespace
}  // namespace shmiflab
