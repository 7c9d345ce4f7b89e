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

TEST(Address, Ipv6TextFormsFollowRfc5952) {
    const auto a = Ipv6Address::parse("2001:DB8:0:0:0:0:0:1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->to_string(), "2001:db8::1") << "lower case, longest zero run as ::";
    EXPECT_EQ(Ipv6Address::parse("::")->to_string(), "::");
    EXPECT_EQ(Ipv6Address::parse("::ffff:10.0.0.1")->to_string(), "::ffff:10.0.0.1");
    EXPECT_EQ(Ipv6Address::parse("2001:db8:0:0:1:0:0:1")->to_string(), "2001:db8::1:0:0:1")
        << "the first of two equal runs";
    for (const char* bad : {"2001:db8::1::2", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0",
                            "12345::", "", "10.0.0.1", "::g"})
        EXPECT_FALSE(Ipv6Address::parse(bad)) << bad;
}

TEST(Address, Ipv6DerivedAddresses) {
    const MacAddress mac{{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}};
    // RFC 4291 appendix A: the U/L bit flipped, ff:fe in the middle.
    EXPECT_EQ(Ipv6Address::link_local_from(mac).to_string(), "fe80::5eff:fe10:2030");
    const auto a = *Ipv6Address::parse("2001:db8::abcd:1234");
    EXPECT_EQ(a.solicited_node().to_string(), "ff02::1:ffcd:1234");
    EXPECT_EQ(a.solicited_node().multicast_mac().to_string(), "33:33:ff:cd:12:34");
    EXPECT_TRUE(Ipv6Address::all_nodes().is_multicast());
    EXPECT_TRUE(Ipv6Address::parse("fe80::1")->is_link_local());
    EXPECT_TRUE(Ipv6Address::parse("febf::1")->is_link_local());
    EXPECT_FALSE(Ipv6Address::parse("fec0::1")->is_link_local());
    EXPECT_TRUE(Ipv6Address::v4_mapped(Ipv4Address::from_octets(10, 0, 0, 1)).is_v4_mapped());
}

TEST(Address, Ipv6PrefixesMatchBitByBit) {
    const auto c = *Ipv6Cidr::parse("2001:db8:abcd:12ff::1/52");
    EXPECT_EQ(c.network().to_string(), "2001:db8:abcd:1000::");
    EXPECT_TRUE(c.contains(*Ipv6Address::parse("2001:db8:abcd:1fff::9")));
    EXPECT_FALSE(c.contains(*Ipv6Address::parse("2001:db8:abcd:2000::")));
    EXPECT_TRUE(Ipv6Cidr::parse("::/0")->contains(*Ipv6Address::parse("ff02::1")));
    EXPECT_EQ(Ipv6Cidr::parse("::1")->prefix_len, 128);
    EXPECT_TRUE(Ipv6Cidr::parse("::1")->contains(Ipv6Address::loopback()));
    EXPECT_FALSE(Ipv6Cidr::parse("2001:db8::/129"));
    // Every prefix length agrees with a bit-by-bit reading.
    const auto x = *Ipv6Address::parse("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    const auto y = *Ipv6Address::parse("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe");
    for (int len = 0; len <= 128; ++len)
        EXPECT_EQ((Ipv6Cidr{x, static_cast<std::uint8_t>(len)}.contains(y)), len <= 127) << len;
    // Addresses that differ in bit `bit` alone (0 the most significant): inside every prefix
    // that stops before it, outside every one that covers it (both halves, every byte).
    for (int bit = 0; bit < 128; ++bit) {
        Ipv6Address z = x;
        z.bytes[static_cast<std::size_t>(bit / 8)] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
        for (int len = 0; len <= 128; ++len)
            ASSERT_EQ((Ipv6Cidr{x, static_cast<std::uint8_t>(len)}.contains(z)), len <= bit)
                << "bit " << bit << " len " << len;
    }
}

TEST(Address, EitherFamilyAndEndpoints) {
    const IpAddress v4 = Ipv4Address::from_octets(10, 0, 0, 1);
    const IpAddress mapped = Ipv6Address::v4_mapped(Ipv4Address::from_octets(10, 0, 0, 1));
    EXPECT_TRUE(v4.is_v4());
    EXPECT_NE(v4, mapped) << "::ffff:10.0.0.1 of family v6 is another address";
    EXPECT_EQ(IpAddress{}, IpAddress(Ipv4Address::any()));
    EXPECT_EQ(IpAddress::parse("10.0.0.1"), v4);
    EXPECT_EQ(IpAddress::parse("2001:db8::1")->to_string(), "2001:db8::1");
    EXPECT_EQ(v4.fold32(), 0x0a000001u) << "IPv4 hashes as it always did";
    EXPECT_NE(IpAddress(*Ipv6Address::parse("2001:db8::1")).fold32(),
              IpAddress(*Ipv6Address::parse("2001:db8::2")).fold32());

    const auto e = Endpoint::parse("[2001:db8::1]:443");
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->address.is_v6());
    EXPECT_EQ(e->port, 443);
    EXPECT_EQ(e->to_string(), "[2001:db8::1]:443");
    EXPECT_FALSE(Endpoint::parse("2001:db8::1:443")) << "brackets required";
    EXPECT_FALSE(Endpoint::parse("[10.0.0.1]:80"));

    const auto c = IpCidr::parse("2001:db8::7/64");
    ASSERT_TRUE(c && c->is_v6());
    EXPECT_EQ(c->network().to_string(), "2001:db8::");
    EXPECT_FALSE(c->contains(v4)) << "another family";
    EXPECT_TRUE(IpCidr::parse("10.0.0.7/24")->contains(v4));
}

TEST(Address, BindingRulesAreLinuxsDualStackOnes) {
    const Binding any4{Ipv4Address::any()}, any6{Ipv6Address::any()};
    const Binding a4{Ipv4Address::from_octets(10, 0, 0, 1)};
    const Binding a6{*Ipv6Address::parse("2001:db8::1")};
    EXPECT_TRUE(binding_accepts(any4, a4.address));
    EXPECT_FALSE(binding_accepts(any4, a6.address)) << "0.0.0.0 is IPv4 only";
    EXPECT_TRUE(binding_accepts(any6, a4.address)) << ":: takes both families";
    EXPECT_TRUE(binding_accepts(any6, a6.address));
    EXPECT_TRUE(binding_accepts(a6, a6.address));
    EXPECT_FALSE(binding_accepts(a6, a4.address));
    EXPECT_TRUE(bindings_overlap(any4, any6)) << "EADDRINUSE, as Linux with bindv6only=0";
    EXPECT_TRUE(bindings_overlap(any6, a4));
    EXPECT_FALSE(bindings_overlap(any4, a6));
    EXPECT_FALSE(bindings_overlap(a4, a6));
}

// IPV6_V6ONLY (man 7 ipv6): a v6-only :: takes IPv6 only, so it shares its port with 0.0.0.0
// and with IPv4 addresses, never with another :: or an IPv6 address.
TEST(Address, AV6OnlyWildcardLeavesIpv4Alone) {
    const Binding any4{Ipv4Address::any()}, any6{Ipv6Address::any()};
    const Binding only6{Ipv6Address::any(), true};
    const Binding a4{Ipv4Address::from_octets(10, 0, 0, 1)};
    const Binding a6{*Ipv6Address::parse("2001:db8::1")};
    EXPECT_FALSE(binding_accepts(only6, a4.address));
    EXPECT_TRUE(binding_accepts(only6, a6.address));
    EXPECT_FALSE(bindings_overlap(only6, any4)) << "as Linux: [::] v6-only beside 0.0.0.0";
    EXPECT_FALSE(bindings_overlap(any4, only6));
    EXPECT_FALSE(bindings_overlap(only6, a4));
    EXPECT_TRUE(bindings_overlap(only6, any6));
    EXPECT_TRUE(bindings_overlap(only6, a6));
    EXPECT_TRUE(bindings_overlap(only6, only6));
    const Binding a6_only{a6.address, true};
    EXPECT_TRUE(binding_accepts(a6_only, a6.address)) << "v6_only changes nothing off the wildcard";
    EXPECT_TRUE(bindings_overlap(any6, a6_only));
}

}  // namespace
}  // namespace netstack
