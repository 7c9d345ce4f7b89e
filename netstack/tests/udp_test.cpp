// UDP (RFC 768): demultiplexing, queues, truncation, readiness, ports, sending, bad input.
#include <gtest/gtest.h>

#include <set>

#include "harness.hpp"

namespace nstest {
namespace {

SocketId open_bound(Stack& stack, Endpoint local) {
    const auto s = stack.udp_open();
    EXPECT_TRUE(s);
    const auto bound = stack.udp_bind(*s, local);
    EXPECT_TRUE(bound) << (bound ? "" : describe(bound.error()));
    return *s;
}

std::optional<std::pair<Datagram, Bytes>> take(Stack& stack, SocketId s,
                                               std::size_t capacity = 2048) {
    Bytes buffer(capacity);
    auto d = stack.udp_receive(s, buffer);
    if (!d) return std::nullopt;
    buffer.resize(d->size);
    return std::pair{*d, buffer};
}

TEST(Udp, DeliversToBoundSocket) {
    Harness h;
    const SocketId s = open_bound(h.stack, {Ipv4Address::any(), 5000});
    h.inject(udp_frame(text("hello")));
    const auto got = take(h.stack, s);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->second, text("hello"));
    EXPECT_EQ(got->first.full_size, 5u);
    EXPECT_EQ(got->first.from, (Endpoint{peer_ip, 40000}));
    EXPECT_EQ(got->first.to, (Endpoint{our_ip, 5000}));
    EXPECT_EQ(got->first.interface, h.eth0);
    EXPECT_EQ(h.stats().udp.rx_datagrams, 1u);
    const auto empty = h.stack.udp_receive(s, std::span<std::byte>{});
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error(), SocketError::would_block);
    EXPECT_EQ(h.stack.udp_info(s)->received, 1u);
}

// Two local addresses, 10.0.0.1 and 10.0.0.3, on eth0.
struct TwoAddresses : Harness {
    static constexpr Ipv4Address second = ip(10, 0, 0, 3);
    TwoAddresses() { EXPECT_TRUE(stack.add_address(eth0, cidr(second, 24), now())); }
};

TEST(Udp, SpecificAddressHearsOnlyItsAddress) {
    TwoAddresses h;
    const SocketId specific = open_bound(h.stack, {our_ip, 5000});
    h.inject(udp_frame(text("three"), {}, {.dst = TwoAddresses::second}));
    EXPECT_FALSE(take(h.stack, specific));
    EXPECT_EQ(h.stats().udp.drop_no_socket, 1u);
    h.inject(udp_frame(text("one")));
    const auto got = take(h.stack, specific);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->second, text("one"));
}

TEST(Udp, AnyAddressHearsEveryAddress) {
    TwoAddresses h;
    const SocketId any = open_bound(h.stack, {Ipv4Address::any(), 5000});
    h.inject(udp_frame(text("one")));
    h.inject(udp_frame(text("three"), {}, {.dst = TwoAddresses::second}));
    auto got = take(h.stack, any);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first.to.address, our_ip);
    got = take(h.stack, any);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first.to.address, TwoAddresses::second);
}

TEST(Udp, SpecificAndAnyOnOnePortConflict) {
    // As BSD and Linux without SO_REUSEADDR: a wildcard bind overlaps every specific one.
    TwoAddresses h;
    open_bound(h.stack, {our_ip, 5000});
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    EXPECT_EQ(h.stack.udp_bind(*s, {Ipv4Address::any(), 5000}).error(),
              SocketError::address_in_use);
    ASSERT_TRUE(h.stack.udp_bind(*s, {TwoAddresses::second, 5000})) << "other addresses are free";
}

TEST(Udp, BindConflictsAndErrors) {
    Harness h;
    open_bound(h.stack, {our_ip, 5000});
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    const auto again = h.stack.udp_bind(*s, {our_ip, 5000});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), SocketError::address_in_use);
    const auto unconnected = h.stack.udp_send(*s, text("x"), h.now());
    ASSERT_FALSE(unconnected);
    EXPECT_EQ(unconnected.error(), SocketError::not_connected);
    const auto port0 = h.stack.udp_send_to(*s, text("x"), {peer_ip, 0}, h.now());
    ASSERT_FALSE(port0);
    EXPECT_EQ(port0.error(), SocketError::invalid);
    EXPECT_EQ(h.stack.udp_bind(999, {our_ip, 1}).error(), SocketError::bad_socket);
    ASSERT_TRUE(h.stack.close(*s));
    EXPECT_EQ(h.stack.udp_local(*s).error(), SocketError::bad_socket);
    EXPECT_EQ(h.stack.close(*s).error(), SocketError::bad_socket);
}

TEST(Udp, CloseReleasesThePort) {
    Harness h;
    const SocketId s = open_bound(h.stack, {our_ip, 5000});
    ASSERT_TRUE(h.stack.close(s));
    open_bound(h.stack, {our_ip, 5000});
}

TEST(Udp, ConnectedSocketOnlyHearsItsPeer) {
    Harness h;
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(h.stack.udp_connect(*s, {peer_ip, 7000}));
    const auto local = h.stack.udp_local(*s);
    ASSERT_TRUE(local);
    EXPECT_NE(local->port, 0) << "connect binds first";
    h.inject(udp_frame(text("right"), {.src_port = 7000, .dst_port = local->port}));
    h.inject(udp_frame(text("wrong port"), {.src_port = 7001, .dst_port = local->port}));
    h.inject(udp_frame(text("wrong host"), {.src_port = 7000, .dst_port = local->port},
                       {.src = ip(10, 0, 0, 3)}, {.src = mac(3)}));
    auto got = take(h.stack, *s);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->second, text("right"));
    EXPECT_FALSE(take(h.stack, *s));
    EXPECT_EQ(h.stats().udp.drop_no_socket, 2u);
    const auto info = h.stack.udp_info(*s);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->remote, (Endpoint{peer_ip, 7000}));
}

TEST(Udp, BroadcastReachesWildcardSockets) {
    Harness h;
    const SocketId s = open_bound(h.stack, {Ipv4Address::any(), 5000});
    const EthernetSpec to_all{.dst = MacAddress::broadcast()};
    h.inject(udp_frame(text("all"), {}, {.dst = Ipv4Address::broadcast()}, to_all));
    h.inject(udp_frame(text("subnet"), {}, {.dst = ip(10, 0, 0, 255)}, to_all));
    auto got = take(h.stack, s);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->second, text("all"));
    EXPECT_EQ(got->first.to.address, Ipv4Address::broadcast());
    got = take(h.stack, s);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first.to.address, ip(10, 0, 0, 255));
}

TEST(Udp, QueueOverflowIsCounted) {
    Harness h;
    const SocketId s = open_bound(h.stack, {Ipv4Address::any(), 5000});
    h.stack.udp_set_queue_limits(s, 2, 1 << 20);
    for (int i = 0; i < 3; ++i)
        h.inject(udp_frame(text("x")));
    EXPECT_EQ(h.stats().udp.drop_queue_full, 1u);
    auto info = h.stack.udp_info(s);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->queued_datagrams, 2u);
    EXPECT_EQ(info->queued_bytes, 2u);
    EXPECT_EQ(info->dropped_queue_full, 1u);

    h.stack.udp_set_queue_limits(s, 100, 10);  // now a byte limit
    while (take(h.stack, s)) {
    }
    h.inject(udp_frame(pattern(8)));
    h.inject(udp_frame(pattern(8)));
    EXPECT_EQ(h.stats().udp.drop_queue_full, 2u);
}

TEST(Udp, TruncatesToTheCallersBuffer) {
    Harness h;
    const SocketId s = open_bound(h.stack, {Ipv4Address::any(), 5000});
    h.inject(udp_frame(pattern(10)));
    const auto got = take(h.stack, s, 4);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first.size, 4u);
    EXPECT_EQ(got->first.full_size, 10u);
    EXPECT_EQ(got->second, pattern(4));
    EXPECT_FALSE(take(h.stack, s)) << "the rest is discarded";
}

TEST(Udp, ReadinessIsReportedOnEdges) {
    Harness h;
    const SocketId s = open_bound(h.stack, {Ipv4Address::any(), 5000});
    std::vector<SocketEvent> events;
    h.stack.take_events(events);
    EXPECT_TRUE(events.empty());
    h.inject(udp_frame(text("1")));
    h.inject(udp_frame(text("2")));
    h.stack.take_events(events);
    ASSERT_EQ(events.size(), 1u) << "empty -> non-empty once";
    EXPECT_EQ(events[0].socket, s);
    EXPECT_TRUE(events[0].bits & socket_readable);
    h.inject(udp_frame(text("3")));
    h.stack.take_events(events);
    EXPECT_TRUE(events.empty()) << "still non-empty: no new edge";
    while (take(h.stack, s)) {
    }
    h.inject(udp_frame(text("4")));
    h.stack.take_events(events);
    ASSERT_EQ(events.size(), 1u);
}

TEST(Udp, EphemeralPortsBelongToTheShard) {
    StackConfig config;
    config.shard = {1, 4};
    Harness h(config);
    std::set<std::uint16_t> ports;
    for (int i = 0; i < 50; ++i) {
        const auto s = h.stack.udp_open();
        ASSERT_TRUE(s);
        const auto local = h.stack.udp_bind(*s, {Ipv4Address::any(), 0});
        ASSERT_TRUE(local);
        EXPECT_NE(local->port, 0);
        EXPECT_EQ(local->port % 4, 1) << "port " << local->port;
        ports.insert(local->port);
    }
    EXPECT_EQ(ports.size(), 50u);
    for (int i = 0; i < 10; ++i) {
        const auto p = h.stack.ping_open();
        ASSERT_TRUE(p);
        EXPECT_EQ(*h.stack.ping_id(*p) % 4, 1);
    }
}

TEST(Udp, OtherShardsDatagramsAreNotOurs) {
    StackConfig config;
    config.shard = {1, 2};
    Harness h(config);
    h.learn_peer();
    h.inject(udp_frame(text("x"), {.dst_port = 5000}));  // 5000 % 2 == 0: shard 0's
    EXPECT_EQ(h.stats().ipv4.drop_not_owner, 1u);
    EXPECT_TRUE(h.sent().empty()) << "no port unreachable for another shard's port";
}

TEST(Udp, SendsWellFormedDatagrams) {
    Harness h;
    h.learn_peer();
    const SocketId s = open_bound(h.stack, {Ipv4Address::any(), 6000});
    ASSERT_TRUE(h.stack.udp_send_to(s, text("payload"), {peer_ip, 7000}, h.now()));
    const auto out = ip_frames(h.sent(), proto::udp);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst, peer_mac);
    EXPECT_EQ(out[0].src, our_mac);
    EXPECT_EQ(out[0].ip->src, our_ip) << "source chosen from the outgoing interface";
    EXPECT_EQ(out[0].ip->ttl, 64);
    EXPECT_TRUE(out[0].ip->checksum_ok);
    EXPECT_EQ(out[0].udp->src_port, 6000);
    EXPECT_EQ(out[0].udp->dst_port, 7000);
    EXPECT_EQ(out[0].udp->length, 8 + 7);
    EXPECT_TRUE(out[0].udp->checksum_ok);
    EXPECT_EQ(out[0].udp->payload, text("payload"));
    EXPECT_EQ(h.stats().udp.tx_datagrams, 1u);
    EXPECT_EQ(h.stack.udp_info(s)->sent, 1u);
}

TEST(Udp, BadDatagramsAreCounted) {
    Harness h;
    h.learn_peer();
    const SocketId s = open_bound(h.stack, {Ipv4Address::any(), 5000});
    h.inject(ethernet({}, ipv4({}, pattern(4))));
    EXPECT_EQ(h.stats().udp.drop_short, 1u);
    h.inject(udp_frame(text("abc"), {.length = 40}));
    h.inject(udp_frame(text("abc"), {.length = 6}));
    EXPECT_EQ(h.stats().udp.drop_bad_length, 2u);
    h.inject(udp_frame(text("abc"), {.bad_checksum = true}));
    EXPECT_EQ(h.stats().udp.drop_bad_checksum, 1u);
    EXPECT_FALSE(take(h.stack, s));
    h.inject(udp_frame(text("no sum"), {.checksum = false}));  // RFC 768: zero = none
    EXPECT_TRUE(take(h.stack, s));
    EXPECT_TRUE(icmp_frames(h.sent(), 3).empty());
}

}  // namespace
}  // namespace nstest
