// Route lookup: longest prefix, then metric, skipping unusable interfaces.
#include <gtest/gtest.h>

#include "ip/routing_table.hpp"
#include "test_bytes.hpp"

namespace netstack::ip {
namespace {

using test::ip;

const auto all_up = [](InterfaceId) { return true; };

TEST(RoutingTable, LongestPrefixThenMetric) {
    RoutingTable t;
    ASSERT_TRUE(t.add({.destination = {ip(0, 0, 0, 0), 0},
                       .gateway = ip(10, 0, 0, 254),
                       .interface = 1,
                       .metric = 10}));
    ASSERT_TRUE(t.add({.destination = {ip(10, 0, 0, 0), 8}, .interface = 1}));
    ASSERT_TRUE(t.add({.destination = {ip(10, 1, 0, 0), 16}, .interface = 2, .metric = 5}));
    ASSERT_TRUE(t.add({.destination = {ip(10, 1, 0, 0), 16}, .interface = 3, .metric = 1}));

    EXPECT_EQ(t.lookup(ip(10, 1, 2, 3), all_up)->interface, 3u) << "/16, lowest metric";
    EXPECT_EQ(t.lookup(ip(10, 2, 0, 1), all_up)->interface, 1u);
    EXPECT_EQ(t.lookup(ip(10, 2, 0, 1), all_up)->destination.prefix_len, 8);
    auto def = t.lookup(ip(8, 8, 8, 8), all_up);
    ASSERT_TRUE(def);
    EXPECT_EQ(def->gateway, ip(10, 0, 0, 254));
    // Interface 3 down: the metric-5 route on 2 takes over.
    EXPECT_EQ(t.lookup(ip(10, 1, 2, 3), [](InterfaceId id) { return id != 3; })->interface, 2u);
}

TEST(RoutingTable, NormalisesAndRejectsDuplicates) {
    RoutingTable t;
    ASSERT_TRUE(t.add({.destination = {ip(192, 168, 1, 77), 24}, .interface = 1}));
    EXPECT_EQ(t.routes()[0].destination.address, ip(192, 168, 1, 0));
    EXPECT_EQ(t.add({.destination = {ip(192, 168, 1, 0), 24}, .interface = 1}).error(),
              ConfigError::exists);
    EXPECT_TRUE(t.add({.destination = {ip(192, 168, 1, 0), 24}, .interface = 1, .metric = 2}));
    EXPECT_TRUE(t.remove({.destination = {ip(192, 168, 1, 9), 24}, .interface = 1}));
    EXPECT_EQ(t.remove({.destination = {ip(192, 168, 1, 9), 24}, .interface = 1}).error(),
              ConfigError::not_found);
    t.remove_interface(1);
    EXPECT_TRUE(t.routes().empty());
    EXPECT_FALSE(t.lookup(ip(192, 168, 1, 1), all_up));
}

TEST(RoutingTable, HostRouteBeatsSubnet) {
    RoutingTable t;
    ASSERT_TRUE(t.add({.destination = {ip(10, 0, 0, 0), 24}, .interface = 1}));
    ASSERT_TRUE(t.add({.destination = {ip(10, 0, 0, 9), 32}, .interface = 2, .metric = 100}));
    EXPECT_EQ(t.lookup(ip(10, 0, 0, 9), all_up)->interface, 2u);
    EXPECT_EQ(t.lookup(ip(10, 0, 0, 8), all_up)->interface, 1u);
}

}  // namespace
}  // namespace netstack::ip
