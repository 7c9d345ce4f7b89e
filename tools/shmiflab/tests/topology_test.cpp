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
            "t.toml:16: node b: a second route to 0.0.0.0/0"}),
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
