// Text forms of the address types.
#include <gtest/gtest.h>

#include "netstack/address.hpp"

namespace netstack {
namespace {

TEST(Address, Mac) {
    auto mac = MacAddress::parse("02-0A-bc:00:ff:10");
    ASSERT_TRUE(mac);
    EXPECT_EQ(mac->to_string(), "02:0a:bc:00:ff:10");
    EXPECT_FALSE(MacAddress::parse("02:0a:bc:00:ff"));
    EXPECT_FALSE(MacAddress::parse("02:0a:bc:00:ff:1g"));
    EXPECT_FALSE(MacAddress::parse("02:0a:bc:00:ff:100"));
    const auto local = MacAddress::local_from(7);
    EXPECT_EQ(local.bytes[0], 0x02);
    EXPECT_EQ(local, MacAddress::local_from(7));
    EXPECT_NE(local, MacAddress::local_from(8));
}

TEST(Address, Ipv4) {
    EXPECT_EQ(Ipv4Address::parse("10.1.2.3")->value, 0x0a010203u);
    EXPECT_EQ(Ipv4Address::from_octets(255, 0, 0, 1).to_string(), "255.0.0.1");
    for (const char* bad :
         {"10.1.2", "10.1.2.3.4", "10.1.2.256", "10..2.3", "a.b.c.d", "", "1.2.3.4 "})
        EXPECT_FALSE(Ipv4Address::parse(bad)) << bad;
}

TEST(Address, CidrAndEndpoint) {
    auto c = Ipv4Cidr::parse("10.0.0.7/24");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->network().to_string(), "10.0.0.0");
    EXPECT_EQ(c->directed_broadcast().to_string(), "10.0.0.255");
    EXPECT_EQ(c->to_string(), "10.0.0.7/24");
    EXPECT_EQ(Ipv4Cidr::parse("10.0.0.7")->prefix_len, 32);
    EXPECT_TRUE(c->has_broadcast());
    EXPECT_TRUE(Ipv4Cidr::parse("10.0.0.7/30")->has_broadcast());
    EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.7/31")->has_broadcast()) << "RFC 3021";
    EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.7/32")->has_broadcast());
    EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.7/33"));
    EXPECT_EQ(Ipv4Cidr::parse("0.0.0.0/0")->mask(), 0u);
    auto e = Endpoint::parse("1.2.3.4:53");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->port, 53);
    EXPECT_EQ(e->to_string(), "1.2.3.4:53");
    EXPECT_FALSE(Endpoint::parse("1.2.3.4:65536"));
    EXPECT_FALSE(Endpoint::parse("1.2.3.4"));
}

}  // namespace
}  // namespace netstack
