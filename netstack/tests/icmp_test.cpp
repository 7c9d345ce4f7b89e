// ICMP (RFC 792, RFC 1122 3.2.2): echo, errors we send and receive, and their rate limit.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace nstest {
namespace {

TEST(Icmp, AnswersEchoRequest) {
    Harness h;
    h.learn_peer();
    h.inject(echo_request_frame(7, 9, pattern(32)));
    const auto out = icmp_frames(h.sent(), 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].dst, peer_mac);
    EXPECT_EQ(out[0].ip->src, our_ip);
    EXPECT_EQ(out[0].ip->dst, peer_ip);
    EXPECT_TRUE(out[0].ip->checksum_ok);
    EXPECT_EQ(out[0].icmp->code, 0);
    EXPECT_EQ(out[0].icmp->id(), 7);
    EXPECT_EQ(out[0].icmp->seq(), 9);
    EXPECT_EQ(out[0].icmp->payload, pattern(32));
    EXPECT_TRUE(out[0].icmp->checksum_ok);
    EXPECT_EQ(h.stats().icmp.rx_echo_requests, 1u);
    EXPECT_EQ(h.stats().icmp.tx_echo_replies, 1u);
    EXPECT_EQ(h.stats().ipv4.rx_delivered, 1u);
    EXPECT_EQ(h.stats().ipv4.tx_packets, 1u);
}

TEST(Icmp, OnlyShardZeroAnswersEcho) {
    StackConfig config;
    config.shard = {1, 2};
    Harness h(config);
    h.learn_peer();
    h.inject(echo_request_frame(7, 9));
    EXPECT_TRUE(icmp_frames(h.sent(), 0).empty());
}

TEST(Icmp, PortUnreachableForUdpWithoutSocket) {
    Harness h;
    h.learn_peer();
    h.inject(udp_frame(text("anyone?"), {.dst_port = 9}, {.id = 0x5151}));
    const auto out = icmp_frames(h.sent(), 3);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->code, 3);
    EXPECT_TRUE(out[0].icmp->checksum_ok);
    EXPECT_EQ(out[0].ip->dst, peer_ip);
    const auto inner = parse_ipv4(out[0].icmp->payload, true);
    ASSERT_TRUE(inner);
    EXPECT_EQ(inner->id, 0x5151);
    EXPECT_EQ(inner->protocol, proto::udp);
    ASSERT_GE(inner->payload.size(), 8u);
    EXPECT_EQ(std::to_integer<int>(inner->payload[3]), 9) << "the UDP header is quoted";
    EXPECT_EQ(h.stats().udp.drop_no_socket, 1u);
    EXPECT_EQ(h.stats().icmp.tx_errors, 1u);
}

TEST(Icmp, ProtocolUnreachable) {
    Harness h;
    h.learn_peer();
    h.inject(ethernet({}, ipv4({.protocol = 99}, pattern(20))));
    const auto out = icmp_frames(h.sent(), 3);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->code, 2);
    EXPECT_EQ(h.stats().ipv4.drop_unknown_protocol, 1u);
}

TEST(Icmp, NoErrorsAboutBroadcastsOrUnspecifiedSources) {
    Harness h;
    h.learn_peer();
    const EthernetSpec to_all{.dst = MacAddress::broadcast()};
    h.inject(udp_frame(text("x"), {.dst_port = 9}, {.dst = Ipv4Address::broadcast()}, to_all));
    h.inject(udp_frame(text("x"), {.dst_port = 9}, {.dst = ip(10, 0, 0, 255)}, to_all));
    h.inject(ethernet(to_all, ipv4({.dst = ip(10, 0, 0, 255), .protocol = 99}, pattern(8))));
    h.inject(udp_frame(text("x"), {.dst_port = 9}, {.src = Ipv4Address::any()}));
    // RFC 1122 3.2.2: no error for a broadcast destination, a link-layer broadcast, or a
    // source that does not name a single host.
    EXPECT_TRUE(icmp_frames(h.sent(), 3).empty());
    EXPECT_EQ(h.stats().icmp.tx_errors, 0u);
}

TEST(Icmp, NoErrorAboutNonFirstFragment) {
    Harness h;
    h.learn_peer();
    // RFC 1122 3.2.2: errors only about fragment zero. A lone non-first fragment of an
    // unknown protocol cannot even be reassembled; after its timeout, nothing is sent.
    h.inject(ethernet({}, ipv4({.protocol = 99, .offset = 8}, pattern(16))));
    h.advance(60s);
    EXPECT_TRUE(h.sent().empty());
}

TEST(Icmp, ErrorsAreRateLimited) {
    StackConfig config;
    config.icmp.per_second = 1;
    config.icmp.burst = 2;
    Harness h(config);
    h.learn_peer();
    for (std::uint16_t i = 0; i < 5; ++i)
        h.inject(udp_frame(text("x"), {.dst_port = static_cast<std::uint16_t>(100 + i)}));
    EXPECT_EQ(icmp_frames(h.sent(), 3).size(), 2u);
    EXPECT_EQ(h.stats().icmp.rate_limited, 3u);
    h.advance(1s);
    h.inject(udp_frame(text("x"), {.dst_port = 200}));
    h.inject(udp_frame(text("x"), {.dst_port = 201}));
    EXPECT_EQ(icmp_frames(h.sent(), 3).size(), 1u) << "one token per second";
    EXPECT_EQ(h.stats().icmp.rate_limited, 4u);
}

TEST(Icmp, EchoRepliesShareTheRateLimit) {
    StackConfig config;
    config.icmp.per_second = 1;
    config.icmp.burst = 3;
    Harness h(config);
    h.learn_peer();
    for (std::uint16_t i = 0; i < 5; ++i)
        h.inject(echo_request_frame(1, i));
    EXPECT_EQ(icmp_frames(h.sent(), 0).size(), 3u);
    EXPECT_EQ(h.stats().icmp.rate_limited, 2u);
    EXPECT_EQ(h.stats().icmp.rx_echo_requests, 5u);
}

TEST(Icmp, PingSocketGetsItsReplies) {
    Harness h;
    h.learn_peer();
    const auto p = h.stack.ping_open();
    ASSERT_TRUE(p);
    const auto id = h.stack.ping_id(*p);
    ASSERT_TRUE(id);
    ASSERT_TRUE(h.stack.ping_send(*p, peer_ip, 1, 56, h.now()));
    const auto out = icmp_frames(h.sent(), 8);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->id(), *id);
    EXPECT_EQ(out[0].icmp->seq(), 1);
    EXPECT_EQ(out[0].icmp->payload.size(), 56u);
    EXPECT_TRUE(out[0].icmp->checksum_ok);
    EXPECT_EQ(h.stats().icmp.tx_echo_requests, 1u);
    EXPECT_FALSE(h.stack.ping_receive(*p));

    h.clock.advance(3ms);
    Ipv4Spec reply_ip{.protocol = proto::icmp, .ttl = 60};
    reply_ip.dst = our_ip;
    h.inject(ethernet({}, ipv4(reply_ip, icmp_echo(false, *id, 1, out[0].icmp->payload))));
    const auto reply = h.stack.ping_receive(*p);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->from, peer_ip);
    EXPECT_EQ(reply->id, *id);
    EXPECT_EQ(reply->seq, 1);
    EXPECT_EQ(reply->payload_size, 56u);
    EXPECT_EQ(reply->ttl, 60);
    EXPECT_EQ(reply->received, h.now());
    EXPECT_TRUE(reply->payload_ok);
    EXPECT_EQ(h.stats().icmp.rx_echo_replies, 1u);

    // A reply with a payload that is not ours is still delivered, flagged.
    h.inject(ethernet({}, ipv4(reply_ip, icmp_echo(false, *id, 2, Bytes(56)))));
    const auto bad = h.stack.ping_receive(*p);
    ASSERT_TRUE(bad);
    EXPECT_FALSE(bad->payload_ok);
}

TEST(Icmp, BroadcastEchoIsIgnored) {
    Harness h;
    h.learn_peer();
    const EthernetSpec to_all{.dst = MacAddress::broadcast()};
    h.inject(echo_request_frame(1, 1, pattern(8), {.dst = Ipv4Address::broadcast()}, to_all));
    h.inject(echo_request_frame(1, 2, pattern(8), {.dst = ip(10, 0, 0, 255)}, to_all));
    EXPECT_TRUE(h.sent().empty()) << "RFC 1122 3.2.2.6 allows silence; we keep it";
    EXPECT_EQ(h.stats().icmp.drop_broadcast_echo, 2u);
}

TEST(Icmp, PingSocketQueueIsBounded) {
    StackConfig config;
    config.udp_rx_queue_datagrams = 2;  // the per-socket default, ping sockets included
    Harness h(config);
    h.learn_peer();
    const auto p = h.stack.ping_open();
    ASSERT_TRUE(p);
    const std::uint16_t id = *h.stack.ping_id(*p);
    for (std::uint16_t seq = 0; seq < 3; ++seq)
        h.inject(ethernet({}, ipv4({.protocol = proto::icmp}, icmp_echo(false, id, seq, {}))));
    EXPECT_EQ(h.stats().icmp.drop_queue_full, 1u);
    EXPECT_TRUE(h.stack.ping_receive(*p));
    EXPECT_TRUE(h.stack.ping_receive(*p));
    EXPECT_FALSE(h.stack.ping_receive(*p));
}

TEST(Icmp, EchoReplyWithoutSocketIsCounted) {
    Harness h;
    h.inject(ethernet({}, ipv4({.protocol = proto::icmp}, icmp_echo(false, 4321, 1, pattern(8)))));
    EXPECT_EQ(h.stats().icmp.drop_no_socket, 1u);
}

TEST(Icmp, ErrorReachesTheUdpSocketThatCausedIt) {
    Harness h;
    h.learn_peer();
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(h.stack.udp_connect(*s, {peer_ip, 9}));
    ASSERT_TRUE(h.stack.udp_send(*s, text("hi"), h.now()));
    const auto sent = ip_frames(h.sent(), proto::udp);
    ASSERT_EQ(sent.size(), 1u);
    // Quote what we sent: IP header and the first 8 bytes of the datagram.
    Bytes quoted =
        ipv4({.src = our_ip, .dst = peer_ip, .id = sent[0].ip->id},
             udp({.src_port = sent[0].udp->src_port, .dst_port = 9}, our_ip, peer_ip, text("hi")));
    quoted.resize(28);
    std::vector<SocketEvent> events;
    h.stack.take_events(events);
    h.inject(ethernet({}, ipv4({.protocol = proto::icmp}, icmp(3, 3, 0, quoted))));
    EXPECT_EQ(h.stats().icmp.rx_errors, 1u);
    const auto error = h.stack.take_error(*s);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->from, peer_ip);
    EXPECT_EQ(error->type, 3);
    EXPECT_EQ(error->code, 3);
    EXPECT_FALSE(h.stack.take_error(*s)) << "cleared by reading";
    h.stack.take_events(events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].socket, *s);
    EXPECT_TRUE(events[0].bits & socket_error);
}

TEST(Icmp, BadMessagesAreCounted) {
    Harness h;
    h.learn_peer();
    h.inject(ethernet({}, ipv4({.protocol = proto::icmp}, pattern(3))));
    EXPECT_EQ(h.stats().icmp.drop_short, 1u);
    Bytes bad_sum = icmp(8, 0, 0x00010001, pattern(8), true);
    h.inject(ethernet({}, ipv4({.protocol = proto::icmp}, bad_sum)));
    EXPECT_EQ(h.stats().icmp.drop_bad_checksum, 1u);
    h.inject(ethernet({}, ipv4({.protocol = proto::icmp}, icmp(42, 0, 0, pattern(8)))));
    EXPECT_EQ(h.stats().icmp.drop_unknown_type, 1u);
    EXPECT_TRUE(h.sent().empty()) << "no reply and no error about bad ICMP";
}

}  // namespace
}  // namespace nstest
