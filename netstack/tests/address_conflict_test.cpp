// RFC 5227 address conflict detection through the Stack: probing before an address is
// configured (2.1), answering others' probes, and defending a configured address (2.4).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace nstest {
namespace {

const Ipv4Address wanted = ip(10, 0, 0, 5);

// An ARP probe (sender IP 0.0.0.0) from `from` for `address`.
Bytes probe_from(MacAddress from, Ipv4Address address) {
    return arp_frame(
        {.op = 1, .sender_mac = from, .sender_ip = Ipv4Address::any(), .target_ip = address});
}

// `holder`'s reply to our probe for `address`: sender IP the address, to our MAC.
Bytes reply_claiming(MacAddress holder, Ipv4Address address) {
    return arp_frame({.op = 2,
                      .sender_mac = holder,
                      .sender_ip = address,
                      .target_mac = our_mac,
                      .target_ip = Ipv4Address::any()});
}

Bytes announcement_from(MacAddress from, Ipv4Address address) {
    return arp_frame({.op = 1, .sender_mac = from, .sender_ip = address, .target_ip = address});
}

TEST(AddressProbe, SendsProbesSpreadOverTheWait) {
    Harness h;  // probe_wait 100 ms, probe_count 3
    ASSERT_TRUE(h.stack.probe_address(h.eth0, wanted, h.now()));
    auto out = h.sent();
    ASSERT_EQ(out.size(), 1u) << "the first probe at once";
    ASSERT_TRUE(out[0].arp);
    EXPECT_EQ(out[0].dst, MacAddress::broadcast());
    EXPECT_EQ(out[0].arp->op, 1);
    EXPECT_EQ(out[0].arp->sender_mac, our_mac);
    EXPECT_EQ(out[0].arp->sender_ip, Ipv4Address::any()) << "RFC 5227 2.1.1";
    EXPECT_EQ(out[0].arp->target_mac, MacAddress{});
    EXPECT_EQ(out[0].arp->target_ip, wanted);
    auto status = h.stack.address_probe(h.eth0, wanted, h.now());
    ASSERT_TRUE(status);
    EXPECT_FALSE(status->finished);
    EXPECT_FALSE(status->conflict);
    ASSERT_TRUE(h.stack.poll_at());
    EXPECT_LE(*h.stack.poll_at(), h.now() + 34ms);

    for (int i = 0; i < 10; ++i)
        h.advance(10ms);
    EXPECT_EQ(arp_frames(h.sent(), 1).size(), 2u) << "3 probes in all within probe_wait";
    EXPECT_EQ(h.stats().arp.tx_address_probes, 3u);
    EXPECT_EQ(h.stats().arp.tx_requests, 0u);
    status = h.stack.address_probe(h.eth0, wanted, h.now());
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->finished);
    EXPECT_FALSE(status->conflict) << "nobody answered: free";
    h.advance(1s);
    EXPECT_TRUE(h.sent().empty());
    h.stack.end_probe(h.eth0, wanted);
    EXPECT_FALSE(h.stack.address_probe(h.eth0, wanted, h.now()));
}

TEST(AddressProbe, AReplyMeansTaken) {
    Harness h;
    ASSERT_TRUE(h.stack.probe_address(h.eth0, wanted, h.now()));
    h.clear_sent();
    h.advance(1ms);
    h.inject(reply_claiming(mac(0x33), wanted));
    const auto status = h.stack.address_probe(h.eth0, wanted, h.now());
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->finished) << "a conflict ends the probe at once";
    EXPECT_EQ(status->conflict, mac(0x33));
    h.advance(100ms);
    EXPECT_TRUE(h.sent().empty()) << "no more probes after a conflict";
    EXPECT_EQ(h.stats().arp.tx_address_probes, 1u);
}

TEST(AddressProbe, AnnouncementOrAnotherProbeMeansTaken) {
    Harness h;
    ASSERT_TRUE(h.stack.probe_address(h.eth0, wanted, h.now()));
    h.inject(announcement_from(mac(0x44), wanted));
    EXPECT_EQ(h.stack.address_probe(h.eth0, wanted, h.now())->conflict, mac(0x44));

    const Ipv4Address other = ip(10, 0, 0, 6);
    ASSERT_TRUE(h.stack.probe_address(h.eth0, other, h.now()));
    h.inject(probe_from(mac(0x55), other));  // RFC 5227 2.1.1: probing for it at the same time
    EXPECT_EQ(h.stack.address_probe(h.eth0, other, h.now())->conflict, mac(0x55));
    EXPECT_EQ(h.stack.address_probe(h.eth0, wanted, h.now())->conflict, mac(0x44))
        << "each probe keeps its own result";
}

TEST(AddressProbe, UnrelatedArpIsNoConflict) {
    Harness h;
    ASSERT_TRUE(h.stack.probe_address(h.eth0, wanted, h.now()));
    h.inject(arp_frame({.op = 1, .target_ip = wanted}));  // someone asks for it: not a claim
    h.inject(probe_from(mac(0x66), ip(10, 0, 0, 7)));     // a probe for another address
    h.inject(announcement_from(mac(0x66), ip(10, 0, 0, 7)));
    h.inject(arp_frame({.op = 1, .sender_mac = our_mac, .sender_ip = wanted, .target_ip = wanted},
                       EthernetSpec{.dst = MacAddress::broadcast(),
                                    .src = mac(0x66),
                                    .type = ethertype::arp}));  // our own MAC as sender
    h.advance(100ms);
    const auto status = h.stack.address_probe(h.eth0, wanted, h.now());
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->finished);
    EXPECT_FALSE(status->conflict);
}

TEST(AddressProbe, RestartsAndEndsWithAddAddress) {
    Harness h;
    ASSERT_TRUE(h.stack.probe_address(h.eth0, wanted, h.now()));
    h.inject(announcement_from(mac(0x44), wanted));
    ASSERT_TRUE(h.stack.address_probe(h.eth0, wanted, h.now())->conflict);
    ASSERT_TRUE(h.stack.probe_address(h.eth0, wanted, h.now()));
    EXPECT_FALSE(h.stack.address_probe(h.eth0, wanted, h.now())->conflict) << "started over";
    h.advance(100ms);
    ASSERT_TRUE(h.stack.add_address(h.eth0, cidr(wanted, 24), h.now()));
    EXPECT_FALSE(h.stack.address_probe(h.eth0, wanted, h.now())) << "configured: probe over";
}

TEST(AddressProbe, RefusesWhatAddAddressWould) {
    Harness h;
    EXPECT_EQ(h.stack.probe_address(99, wanted, h.now()).error(), ConfigError::no_such_interface);
    EXPECT_EQ(h.stack.probe_address(h.eth0, Ipv4Address::any(), h.now()).error(),
              ConfigError::invalid);
    EXPECT_EQ(h.stack.probe_address(h.eth0, Ipv4Address::broadcast(), h.now()).error(),
              ConfigError::invalid);
    EXPECT_EQ(h.stack.probe_address(h.eth0, our_ip, h.now()).error(), ConfigError::exists);
    EXPECT_TRUE(h.sent().empty());
}

TEST(AddressProbe, ProbesForOurAddressAreAnswered) {
    Harness h;
    h.inject(probe_from(peer_mac, our_ip));
    const auto out = arp_frames(h.sent(), 2);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst, peer_mac);
    EXPECT_EQ(out[0].arp->sender_ip, our_ip) << "the prober sees the address in use";
    EXPECT_EQ(out[0].arp->sender_mac, our_mac);
    EXPECT_EQ(out[0].arp->target_ip, Ipv4Address::any());
    EXPECT_TRUE(h.stack.neighbours().empty()) << "a probe teaches nothing";
    EXPECT_EQ(h.stats().arp.address_conflicts, 0u) << "probing is not claiming";
}

TEST(AddressProbe, TwoStacksOnOneWire) {
    // The holder answers; the newcomer's probe sees the holder's MAC.
    Harness holder;  // 10.0.0.1 on our_mac
    Harness newcomer(StackConfig{}, false);
    const auto id = newcomer.add_interface(interface_config("eth0", peer_mac), std::nullopt);
    ASSERT_TRUE(newcomer.stack.probe_address(id, our_ip, newcomer.now()));
    for (int round = 0; round < 3; ++round) {
        for (const auto& f : newcomer.device(id).take_all())
            holder.inject(f);
        for (const auto& f : holder.device().take_all())
            newcomer.inject(f, id);
    }
    const auto status = newcomer.stack.address_probe(id, our_ip, newcomer.now());
    ASSERT_TRUE(status);
    EXPECT_EQ(status->conflict, our_mac);
    EXPECT_TRUE(holder.stack.neighbours().empty());
}

TEST(AddressDefence, ConflictIsCountedDefendedAndReported) {
    Harness h;
    h.inject(announcement_from(mac(0x77), our_ip));
    EXPECT_EQ(h.stats().arp.address_conflicts, 1u);
    EXPECT_EQ(h.stats().arp.tx_defences, 1u);
    auto out = arp_frames(h.sent());
    ASSERT_EQ(out.size(), 1u) << "one announcement (RFC 5227 2.4 (b))";
    EXPECT_EQ(out[0].dst, MacAddress::broadcast());
    EXPECT_EQ(out[0].arp->op, 1);
    EXPECT_EQ(out[0].arp->sender_mac, our_mac);
    EXPECT_EQ(out[0].arp->sender_ip, our_ip);
    EXPECT_EQ(out[0].arp->target_ip, our_ip);
    std::vector<AddressConflict> conflicts;
    h.stack.take_address_conflicts(conflicts);
    ASSERT_EQ(conflicts.size(), 1u);
    EXPECT_EQ(conflicts[0].interface, h.eth0);
    EXPECT_EQ(conflicts[0].address, our_ip);
    EXPECT_EQ(conflicts[0].mac, mac(0x77));
    EXPECT_EQ(conflicts[0].when, h.now());
    EXPECT_TRUE(conflicts[0].defended);
    h.stack.take_address_conflicts(conflicts);
    EXPECT_TRUE(conflicts.empty()) << "taken once";
    EXPECT_TRUE(h.stack.neighbours().empty()) << "a claim on our address is never learnt";

    // Within DEFEND_INTERVAL (10 s): counted and reported, not defended again.
    h.advance(5s);
    h.inject(reply_claiming(mac(0x77), our_ip));
    EXPECT_EQ(h.stats().arp.address_conflicts, 2u);
    EXPECT_EQ(h.stats().arp.tx_defences, 1u);
    EXPECT_TRUE(arp_frames(h.sent()).empty());
    h.stack.take_address_conflicts(conflicts);
    ASSERT_EQ(conflicts.size(), 1u);
    EXPECT_FALSE(conflicts[0].defended);

    h.advance(5s);
    h.inject(announcement_from(mac(0x77), our_ip));
    EXPECT_EQ(h.stats().arp.tx_defences, 2u) << "DEFEND_INTERVAL over";
    EXPECT_EQ(arp_frames(h.sent()).size(), 1u);
    ASSERT_TRUE(h.stack.interfaces()[0].addresses.size() == 1) << "the address stays ours";
}

TEST(AddressDefence, DefendIntervalIsConfigurableAndPerAddress) {
    StackConfig config;
    config.arp.defend_interval = 1s;
    Harness h(config);
    ASSERT_TRUE(h.stack.add_address(h.eth0, cidr(wanted, 24), h.now()));
    h.clear_sent();
    h.inject(announcement_from(mac(0x77), our_ip));
    h.inject(announcement_from(mac(0x77), wanted));
    EXPECT_EQ(h.stats().arp.tx_defences, 2u) << "each address defended on its own";
    h.advance(1s);
    h.inject(announcement_from(mac(0x77), our_ip));
    EXPECT_EQ(h.stats().arp.tx_defences, 3u);
}

TEST(AddressDefence, OnlyShardZeroDefends) {
    StackConfig config;
    config.shard = {1, 2};
    Harness h(config);
    h.inject(announcement_from(mac(0x77), our_ip));
    EXPECT_TRUE(h.sent().empty());
    EXPECT_EQ(h.stats().arp.address_conflicts, 0u);
    EXPECT_EQ(h.stats().arp.drop_bad_sender, 1u);
    std::vector<AddressConflict> conflicts;
    h.stack.take_address_conflicts(conflicts);
    EXPECT_TRUE(conflicts.empty());
}

TEST(AddressDefence, ConflictReportIsBounded) {
    Harness h;
    for (int i = 0; i < 100; ++i)
        h.inject(announcement_from(mac(0x77), our_ip));
    std::vector<AddressConflict> conflicts;
    h.stack.take_address_conflicts(conflicts);
    EXPECT_EQ(conflicts.size(), 64u);
    EXPECT_EQ(h.stats().arp.address_conflicts, 100u);
}

}  // namespace
}  // namespace nstest
