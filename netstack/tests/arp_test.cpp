// ARP (RFC 826): answering, resolving, retrying, queueing, ageing, announcing. NUD and RFC 5227
// have their own files (neighbour_test.cpp, address_conflict_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"

namespace nstest {
namespace {

std::optional<NeighbourEntry> neighbour(const Stack& stack, Ipv4Address address) {
    for (const auto& n : stack.neighbours())
        if (n.address == address) return n;
    return std::nullopt;
}

// Opens a socket and sends one datagram to `to` (which the stack must resolve first).
SocketId send_udp(Harness& h, Ipv4Address to, std::size_t count = 1) {
    auto s = h.stack.udp_open();
    EXPECT_TRUE(s.has_value());
    for (std::size_t i = 0; i < count; ++i) {
        const Bytes payload = pattern(10, static_cast<std::uint8_t>(i));
        auto sent = h.stack.udp_send_to(*s, payload, {to, 9999}, h.now());
        EXPECT_TRUE(sent.has_value()) << (sent ? "" : describe(sent.error()));
    }
    return *s;
}

TEST(Arp, RepliesToRequestForOurAddress) {
    Harness h;
    h.inject(arp_frame({.op = 1, .target_ip = our_ip}));
    const auto out = h.sent();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].arp);
    EXPECT_EQ(out[0].dst, peer_mac);
    EXPECT_EQ(out[0].src, our_mac);
    EXPECT_EQ(out[0].arp->op, 2);
    EXPECT_EQ(out[0].arp->sender_mac, our_mac);
    EXPECT_EQ(out[0].arp->sender_ip, our_ip);
    EXPECT_EQ(out[0].arp->target_mac, peer_mac);
    EXPECT_EQ(out[0].arp->target_ip, peer_ip);
    EXPECT_EQ(h.stats().arp.rx_requests, 1u);
    EXPECT_EQ(h.stats().arp.tx_replies, 1u);
    // RFC 826: being the target, we also learned the sender; unconfirmed (a request is no
    // proof that the MAC reaches it: Linux's NUD), so stale until used or confirmed.
    const auto n = neighbour(h.stack, peer_ip);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->mac, peer_mac);
    EXPECT_EQ(n->state, NeighbourState::stale);
}

TEST(Arp, IgnoresRequestForAnotherAddress) {
    Harness h;
    h.inject(arp_frame({.op = 1, .target_ip = ip(10, 0, 0, 99)}));
    EXPECT_TRUE(h.sent().empty());
    EXPECT_EQ(h.stats().arp.drop_not_for_us, 1u);
    EXPECT_EQ(h.stats().arp.tx_replies, 0u);
}

TEST(Arp, DropsMalformedAndBadSenders) {
    Harness h;
    h.inject(arp_frame({.htype = 6}));
    h.inject(arp_frame({.plen = 6}));
    Bytes short_arp = arp_frame();
    short_arp.resize(14 + 20);
    h.inject(short_arp);
    EXPECT_EQ(h.stats().arp.drop_malformed, 3u);

    h.inject(arp_frame(
        {.sender_mac = MacAddress::broadcast()},
        EthernetSpec{.dst = MacAddress::broadcast(), .src = peer_mac, .type = ethertype::arp}));
    h.inject(arp_frame(
        {.sender_mac = MacAddress{}},
        EthernetSpec{.dst = MacAddress::broadcast(), .src = peer_mac, .type = ethertype::arp}));
    EXPECT_EQ(h.stats().arp.drop_bad_sender, 2u);
    h.inject(arp_frame({.sender_ip = our_ip, .target_ip = our_ip}));  // someone claims our address
    EXPECT_EQ(h.stats().arp.drop_bad_sender, 2u) << "a conflict (address_conflict_test.cpp)";
    EXPECT_EQ(h.stats().arp.address_conflicts, 1u);
    EXPECT_TRUE(arp_frames(h.sent(), 2).empty());
    EXPECT_TRUE(h.stack.neighbours().empty());
}

TEST(Arp, ResolvesAndSendsQueuedPacket) {
    Harness h;
    send_udp(h, peer_ip);
    auto out = h.sent();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].arp);
    EXPECT_EQ(out[0].dst, MacAddress::broadcast());
    EXPECT_EQ(out[0].arp->op, 1);
    EXPECT_EQ(out[0].arp->sender_ip, our_ip);
    EXPECT_EQ(out[0].arp->sender_mac, our_mac);
    EXPECT_EQ(out[0].arp->target_ip, peer_ip);
    EXPECT_EQ(h.stats().arp.tx_requests, 1u);
    auto n = neighbour(h.stack, peer_ip);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->state, NeighbourState::incomplete);
    EXPECT_EQ(n->pending, 1u);

    h.inject(arp_frame({.op = 2, .target_mac = our_mac, .target_ip = our_ip}));
    EXPECT_EQ(h.stats().arp.rx_replies, 1u);
    out = h.sent();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].udp);
    EXPECT_EQ(out[0].dst, peer_mac);
    EXPECT_EQ(out[0].ip->dst, peer_ip);
    n = neighbour(h.stack, peer_ip);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->state, NeighbourState::reachable);
    EXPECT_EQ(n->pending, 0u);
}

TEST(Arp, RetriesThenFailsAndDropsPending) {
    StackConfig config;
    config.arp.retry_interval = 1s;
    config.arp.max_retries = 3;
    Harness h(config);
    send_udp(h, peer_ip, 2);
    EXPECT_EQ(arp_frames(h.sent(), 1).size(), 1u);
    ASSERT_TRUE(h.stack.poll_at());
    EXPECT_LE(*h.stack.poll_at(), h.now() + 1s);
    for (int i = 0; i < 10; ++i)
        h.advance(1s);
    const auto requests = arp_frames(h.sent(), 1);
    EXPECT_EQ(requests.size() + 1, 3u) << "max_retries requests in all";
    EXPECT_EQ(h.stats().arp.tx_requests, 3u);
    EXPECT_EQ(h.stats().arp.resolve_failed, 1u);
    EXPECT_EQ(h.stats().arp.pending_dropped, 2u);
    const auto n = neighbour(h.stack, peer_ip);
    if (n) {
        EXPECT_EQ(n->state, NeighbourState::failed);
        EXPECT_EQ(n->pending, 0u);
    }
    EXPECT_TRUE(ip_frames(h.sent()).empty());
    // Linux: the next packet to a failed neighbour starts a new resolution at once.
    send_udp(h, peer_ip);
    EXPECT_EQ(arp_frames(h.sent(), 1).size(), 1u);
    EXPECT_EQ(neighbour(h.stack, peer_ip)->state, NeighbourState::incomplete);
}

TEST(Arp, PendingQueueIsBounded) {
    StackConfig config;
    config.arp.max_pending_per_entry = 2;
    Harness h(config);
    send_udp(h, peer_ip, 5);
    auto n = neighbour(h.stack, peer_ip);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->pending, 2u);
    EXPECT_EQ(h.stats().arp.pending_dropped, 3u);
    h.sent();
    h.inject(arp_frame({.op = 2, .target_mac = our_mac, .target_ip = our_ip}));
    EXPECT_EQ(ip_frames(h.sent(), proto::udp).size(), 2u);
}

TEST(Arp, DefaultPendingQueueHoldsA64KiBDatagram) {
    // 65,507 UDP bytes leave as 45 fragments at MTU 1500, all queued behind one resolution.
    Harness h;
    auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    const Bytes payload = pattern(65507);
    ASSERT_TRUE(h.stack.udp_send_to(*s, payload, {peer_ip, 9999}, h.now()));
    EXPECT_EQ(h.stats().arp.pending_dropped, 0u);
    h.sent();
    h.inject(arp_frame({.op = 2, .target_mac = our_mac, .target_ip = our_ip}));
    EXPECT_EQ(ip_frames(h.sent(), proto::udp).size(), 45u);
}

TEST(Arp, PendingTotalIsBounded) {
    StackConfig config;
    config.arp.max_pending_total = 3;
    Harness h(config);
    for (std::uint8_t last = 10; last < 15; ++last)
        send_udp(h, ip(10, 0, 0, last));
    std::size_t pending = 0;
    for (const auto& n : h.stack.neighbours())
        pending += n.pending;
    EXPECT_EQ(pending, 3u);
    EXPECT_EQ(h.stats().arp.pending_dropped, 2u);
}

TEST(Arp, EntriesAgeReachableStaleRemoved) {
    StackConfig config;
    config.arp.reachable_time = 10s;
    config.arp.stale_time = 20s;
    Harness h(config);
    h.learn_peer();
    h.inject(arp_frame({.op = 2, .target_mac = our_mac, .target_ip = our_ip}));  // confirmed
    ASSERT_TRUE(neighbour(h.stack, peer_ip));
    EXPECT_EQ(neighbour(h.stack, peer_ip)->state, NeighbourState::reachable);
    h.advance(11s);
    ASSERT_TRUE(neighbour(h.stack, peer_ip));
    EXPECT_EQ(neighbour(h.stack, peer_ip)->state, NeighbourState::stale);
    h.advance(21s);
    EXPECT_FALSE(neighbour(h.stack, peer_ip)) << "a stale entry is removed after stale_time";
}

TEST(Arp, StaleEntryStillCarriesTraffic) {
    StackConfig config;
    config.arp.reachable_time = 10s;
    config.arp.stale_time = 60s;
    Harness h(config);
    h.learn_peer();
    h.advance(11s);
    send_udp(h, peer_ip);
    const auto out = h.sent();
    EXPECT_EQ(ip_frames(out, proto::udp).size(), 1u) << "stale entries are used (RFC 1122 2.3.2.1)";
}

TEST(Arp, GratuitousAnnouncementOnAddAddress) {
    Harness h;
    ASSERT_TRUE(h.stack.add_address(h.eth0, cidr(ip(10, 0, 0, 5), 24), h.now()));
    const auto out = arp_frames(h.sent());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst, MacAddress::broadcast());
    EXPECT_EQ(out[0].arp->sender_mac, our_mac);
    EXPECT_EQ(out[0].arp->sender_ip, ip(10, 0, 0, 5));
    EXPECT_EQ(out[0].arp->target_ip, ip(10, 0, 0, 5));  // RFC 5227 2.3
    EXPECT_EQ(h.stats().arp.tx_gratuitous, 2u);         // 10.0.0.1 at setup, then this
}

TEST(Arp, OnlyShardZeroAnswers) {
    StackConfig config;
    config.shard = {1, 2};
    Harness h(config);
    h.inject(arp_frame({.op = 1, .target_ip = our_ip}));
    EXPECT_TRUE(h.sent().empty());
    const auto n = neighbour(h.stack, peer_ip);
    ASSERT_TRUE(n) << "every shard learns from ARP";
    EXPECT_EQ(n->mac, peer_mac);
}

TEST(Arp, CacheIsBounded) {
    StackConfig config;
    config.arp.max_entries = 2;
    Harness h(config);
    for (std::uint8_t last = 2; last < 6; ++last)
        h.learn(mac(last), ip(10, 0, 0, last), h.eth0);
    EXPECT_LE(h.stack.neighbours().size(), 2u);
    EXPECT_GE(h.stats().arp.cache_full, 2u);
}

TEST(Arp, FlushForgetsNeighbours) {
    Harness h;
    h.learn_peer();
    ASSERT_FALSE(h.stack.neighbours().empty());
    h.stack.flush_neighbours();
    EXPECT_TRUE(h.stack.neighbours().empty());
}

}  // namespace
}  // namespace nstest
