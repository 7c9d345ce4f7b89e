// The link layer: which frames an interface accepts, VLAN policy, up/down, counters.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace nstest {
namespace {

constexpr MacAddress stranger = mac(0x99);

TEST(Ethernet, CountsFramesAndBytesBothWays) {
    Harness h;
    h.learn_peer();
    const auto rx_before = h.stats().ethernet.rx_frames;
    const Bytes request = echo_request_frame(1, 1, pattern(20));
    h.inject(request);
    EXPECT_EQ(h.stats().ethernet.rx_frames, rx_before + 1);
    EXPECT_GE(h.stats().ethernet.rx_bytes, request.size());
    const auto out = h.device().frames();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_GE(h.stats().ethernet.tx_frames, 1u);
    EXPECT_GE(h.stats().ethernet.tx_bytes, out[0].size());
    const auto info = h.stack.interfaces();
    ASSERT_EQ(info.size(), 1u);
    EXPECT_EQ(info[0].stats.rx_frames, h.stats().ethernet.rx_frames);
    EXPECT_EQ(info[0].mac, our_mac);
    EXPECT_EQ(info[0].mtu, 1500u);
}

TEST(Ethernet, RefusedTransmitIsCounted) {
    Harness h;
    h.learn_peer();
    h.device().set_refuse(true);
    h.inject(echo_request_frame(1, 1));
    EXPECT_EQ(h.stats().ethernet.tx_dropped, 1u);
    EXPECT_EQ(h.device().refused(), 1u);
}

TEST(Ethernet, DropsFramesForOtherStations) {
    Harness h;
    h.learn_peer();
    h.inject(echo_request_frame(1, 1, pattern(8), {}, {.dst = stranger}));
    EXPECT_TRUE(h.sent().empty());
    EXPECT_EQ(h.stats().ethernet.drop_not_for_us, 1u);
}

TEST(Ethernet, PromiscuousAcceptsAnyDestination) {
    Harness h;
    h.learn_peer();
    ASSERT_TRUE(h.stack.set_promiscuous(h.eth0, true));
    h.inject(echo_request_frame(1, 1, pattern(8), {}, {.dst = stranger}));
    EXPECT_EQ(icmp_frames(h.sent(), 0).size(), 1u) << "accepted, then IP says it is ours";
    EXPECT_EQ(h.stats().ethernet.drop_not_for_us, 0u);
    EXPECT_TRUE(h.stack.interfaces()[0].promiscuous);
    // Promiscuous does not make the stack answer for other hosts' IP addresses.
    h.inject(echo_request_frame(1, 2, pattern(8), {.dst = ip(10, 0, 0, 77)}, {.dst = stranger}));
    EXPECT_TRUE(h.sent().empty());
}

TEST(Ethernet, DropsOurOwnFramesComingBack) {
    Harness h;
    h.inject(arp_frame(
        {.sender_mac = our_mac, .sender_ip = peer_ip},
        EthernetSpec{.dst = MacAddress::broadcast(), .src = our_mac, .type = ethertype::arp}));
    EXPECT_EQ(h.stats().ethernet.drop_own_source, 1u);
    EXPECT_TRUE(h.sent().empty());
}

TEST(Ethernet, VlanTaggedFramesDroppedByDefault) {
    Harness h;
    h.learn_peer();
    h.inject(echo_request_frame(1, 1, pattern(8), {}, {.vlan_id = 42}));
    EXPECT_TRUE(h.sent().empty());
    EXPECT_EQ(h.stats().ethernet.drop_vlan, 1u);
}

TEST(Ethernet, VlanTagStrippedWhenConfigured) {
    Harness h(StackConfig{}, false);
    InterfaceConfig c = interface_config("eth0", our_mac);
    c.vlan = VlanPolicy::strip;
    h.eth0 = h.add_interface(c, cidr(our_ip, 24));
    h.learn_peer();
    h.inject(echo_request_frame(1, 1, pattern(8), {}, {.vlan_id = 42}));
    const auto out = icmp_frames(h.sent(), 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].vlan_id) << "answered untagged";
    EXPECT_EQ(h.stats().ethernet.drop_vlan, 0u);
}

TEST(Ethernet, ShortAndUnknownFrames) {
    Harness h;
    h.inject(pattern(10));
    EXPECT_EQ(h.stats().ethernet.drop_short, 1u);
    h.inject(ethernet({.type = 0x88b5}, pattern(46)));  // IEEE local experimental
    EXPECT_EQ(h.stats().ethernet.drop_unknown_ethertype, 1u);
    h.inject(ethernet({.type = 0x86dd}, pattern(46)));  // IPv6: not spoken here
    EXPECT_EQ(h.stats().ethernet.drop_unknown_ethertype, 2u);
    EXPECT_TRUE(h.sent().empty());
}

TEST(Ethernet, InterfaceDownDropsEverything) {
    Harness h;
    h.learn_peer();
    ASSERT_TRUE(h.stack.set_up(h.eth0, false, h.now()));
    EXPECT_FALSE(h.stack.interfaces()[0].up);
    h.inject(echo_request_frame(1, 1));
    EXPECT_EQ(h.stats().ethernet.drop_interface_down, 1u);
    EXPECT_TRUE(h.sent().empty());
    ASSERT_TRUE(h.stack.set_up(h.eth0, true, h.now()));
    h.clear_sent();
    h.learn_peer();
    h.inject(echo_request_frame(1, 2));
    EXPECT_EQ(icmp_frames(h.sent(), 0).size(), 1u);
}

TEST(Ethernet, InterfaceConfiguration) {
    Harness h;
    MemoryDevice other;
    const auto duplicate = h.stack.add_interface(interface_config("eth0", mac(5)), other);
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error(), ConfigError::duplicate_name);
    InterfaceConfig derived;
    derived.name = "derived";
    const auto id = h.stack.add_interface(derived, other);
    ASSERT_TRUE(id);
    EXPECT_EQ(h.stack.find_interface("derived"), *id);
    const auto infos = h.stack.interfaces();
    ASSERT_EQ(infos.size(), 2u);
    for (const auto& info : infos) {
        if (info.id != *id) continue;
        EXPECT_FALSE(info.mac.is_zero()) << "derived from seed and name";
        EXPECT_FALSE(info.mac.is_multicast());
    }
    EXPECT_EQ(h.stack.add_address(99, cidr(ip(1, 2, 3, 4), 8), h.now()).error(),
              ConfigError::no_such_interface);
    EXPECT_EQ(h.stack.add_address(h.eth0, cidr(our_ip, 24), h.now()).error(), ConfigError::exists);
    ASSERT_TRUE(h.stack.remove_interface(*id));
    EXPECT_FALSE(h.stack.find_interface("derived"));
}

TEST(Ethernet, RemovingAnAddressStopsAnswering) {
    Harness h;
    h.learn_peer();
    ASSERT_TRUE(h.stack.remove_address(h.eth0, cidr(our_ip, 24)));
    h.inject(arp_frame({.target_ip = our_ip}));
    EXPECT_TRUE(arp_frames(h.sent(), 2).empty());
    EXPECT_EQ(h.stack.remove_address(h.eth0, cidr(our_ip, 24)).error(), ConfigError::not_found);
}

}  // namespace
}  // namespace nstest
