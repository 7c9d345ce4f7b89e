// The counter lists of stats_fields.hpp name every field of every counter struct: reports,
// JSON and sums over shards are built from them, so a counter missing there would vanish.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "netstack/stats_fields.hpp"

namespace {

template <class S>
void expect_every_field_listed(const char* group) {
    S stats{};
    std::size_t listed = 0;
    std::set<std::string> names;
    netstack::for_each_counter(stats, [&](const char* name, std::uint64_t& value) {
        ++listed;
        names.insert(name);
        value = listed;  // each member written once: distinct values mean distinct members
    });
    // Every member is a 64-bit counter, so the struct's size says how many there are.
    EXPECT_EQ(listed * sizeof(std::uint64_t), sizeof(S)) << group;
    EXPECT_EQ(names.size(), listed) << group << ": a name used twice";
    std::set<std::uint64_t> values;
    netstack::for_each_counter(std::as_const(stats),
                               [&](const char*, const std::uint64_t& v) { values.insert(v); });
    EXPECT_EQ(values.size(), listed) << group << ": a member listed twice";
}

TEST(StatsFields, EveryCounterIsListedOnce) {
    expect_every_field_listed<netstack::EthernetStats>("ethernet");
    expect_every_field_listed<netstack::ArpStats>("arp");
    expect_every_field_listed<netstack::Ipv4Stats>("ipv4");
    expect_every_field_listed<netstack::Ipv6Stats>("ipv6");
    expect_every_field_listed<netstack::IcmpStats>("icmp");
    expect_every_field_listed<netstack::Icmpv6Stats>("icmpv6");
    expect_every_field_listed<netstack::NdpStats>("ndp");
    expect_every_field_listed<netstack::UdpStats>("udp");
    expect_every_field_listed<netstack::TcpStats>("tcp");
}

TEST(StatsFields, GroupsCoverTheStack) {
    netstack::StackStats stats{};
    std::size_t bytes = 0;
    netstack::for_each_group(stats, [&](const char*, auto& group) { bytes += sizeof(group); });
    EXPECT_EQ(bytes, sizeof(netstack::StackStats));
}

}  // namespace
