// Opening and refusing connections: the three-way handshake both ways with its options,
// MSS from the interface MTU, RSTs for closed ports, simultaneous open, ISNs (RFC 6528),
// SYN cookies that keep window scaling, SACK and timestamps in our TSval.
#include "tcp/syn_cookie.hpp"
#include "tcp_rig.hpp"
#include "wire/icmp.hpp"

namespace netstack::tcptest {
namespace {

TEST(TcpHandshake, PassiveOpenWithOptions) {
    StackConfig config;  // window scaling and timestamps on, as by default
    TcpRig rig(config);
    const SocketId l = rig.listen(80);
    rig.inject({.src_port = 40000,
                .dst_port = 80,
                .seq = 1000,
                .flags = flag::syn,
                .window = 65535,
                .mss = 1460,
                .window_scale = 7,
                .sack_permitted = true,
                .timestamps = wire::TcpTimestamps{777, 0}});
    const Sent synack = rig.one();
    EXPECT_EQ(synack.tcp.flags, flag::syn | flag::ack);
    EXPECT_EQ(synack.tcp.ack, 1001u);
    EXPECT_EQ(synack.tcp.src_port, 80);
    EXPECT_EQ(synack.tcp.dst_port, 40000);
    EXPECT_EQ(synack.tcp.mss, 1460);  // MTU 1500 - 40
    // 4 MiB maximum receive buffer: shift 7 makes 65535 << 7 >= 4 MiB.
    EXPECT_EQ(synack.tcp.window_scale, 7);
    ASSERT_TRUE(synack.tcp.timestamps.has_value());
    EXPECT_EQ(synack.tcp.timestamps->echo, 777u);
    EXPECT_EQ(synack.tcp.window, 65535);  // a SYN's window is never scaled
    EXPECT_TRUE(synack.dont_fragment);
    EXPECT_EQ(rig.stack.tcp_accept(l).error(), SocketError::would_block);

    rig.inject({.src_port = 40000,
                .dst_port = 80,
                .seq = 1001,
                .ack = synack.tcp.seq + 1,
                .flags = flag::ack,
                .window = 512,
                .timestamps = wire::TcpTimestamps{778, synack.tcp.timestamps->value}});
    rig.nothing_sent();
    auto events = rig.events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].socket, l);
    EXPECT_EQ(events[0].bits, socket_acceptable);
    const auto s = rig.stack.tcp_accept(l);
    ASSERT_TRUE(s.has_value());
    const auto info = *rig.stack.tcp_info(*s);
    EXPECT_EQ(info.state, TcpState::established);
    EXPECT_EQ(info.send_window, 512u << 7);
    EXPECT_EQ(info.send_wscale, 7);
    EXPECT_TRUE(info.timestamps);
    EXPECT_EQ(info.mss, 1460u - 12);  // timestamps take 12 bytes of each segment
    EXPECT_EQ(rig.stack.stats().tcp.passive_opens, 1u);
}

TEST(TcpHandshake, ActiveOpen) {
    StackConfig config;
    TcpRig rig(config);
    const SocketId s = *rig.stack.tcp_open();
    ASSERT_TRUE(rig.stack.tcp_connect(s, {peer_ip, 80}, rig.now()));
    EXPECT_EQ(rig.stack.tcp_connect(s, {peer_ip, 80}, rig.now()).error(), SocketError::in_progress);
    const Sent syn = rig.one();
    EXPECT_EQ(syn.tcp.flags, flag::syn);
    EXPECT_EQ(syn.tcp.mss, 1460);
    EXPECT_EQ(syn.tcp.window_scale, 7);
    EXPECT_TRUE(syn.tcp.timestamps.has_value());
    EXPECT_GE(syn.tcp.src_port, 32768);
    EXPECT_EQ(rig.stack.tcp_info(s)->state, TcpState::syn_sent);
    // The peer offers no options at all: no scaling, no timestamps, MSS 536.
    rig.inject({.src_port = 80,
                .dst_port = syn.tcp.src_port,
                .seq = 9000,
                .ack = syn.tcp.seq + 1,
                .flags = flag::syn | flag::ack,
                .window = 8192});
    const Sent ack = rig.one();
    EXPECT_EQ(ack.tcp.flags, flag::ack);
    EXPECT_EQ(ack.tcp.seq, syn.tcp.seq + 1);
    EXPECT_EQ(ack.tcp.ack, 9001u);
    EXPECT_FALSE(ack.tcp.timestamps.has_value());
    auto events = rig.events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].bits, socket_connected | socket_writable);
    const auto info = *rig.stack.tcp_info(s);
    EXPECT_EQ(info.state, TcpState::established);
    EXPECT_EQ(info.mss, 536u);
    EXPECT_EQ(info.send_window, 8192u);
    EXPECT_EQ(info.receive_wscale, 0);
    EXPECT_EQ(rig.stack.tcp_connect(s, {peer_ip, 80}, rig.now()).error(),
              SocketError::already_connected);
}

TEST(TcpHandshake, MssFollowsTheInterfaceMtu) {
    TcpRig rig(plain_config(), 65535 + 14);
    const SocketId l = rig.listen(80);
    const SocketId s = rig.accept_from(l, 40000, 80);
    (void)s;
    // 64 KiB-MTU link: the SYN-ACK offered 65,495 and a big write leaves in big segments.
    rig.inject({.src_port = 40001, .dst_port = 80, .seq = 1, .flags = flag::syn, .mss = 65495});
    EXPECT_EQ(rig.one().tcp.mss, 65495);
    const auto info = *rig.stack.tcp_info(s);
    EXPECT_EQ(info.mss, 1460u);  // the first peer announced 1460
}

TEST(TcpHandshake, BigSegmentsOnABigMtu) {
    TcpRig rig(plain_config(), 65535 + 14);
    const SocketId l = rig.listen(80);
    rig.peer_port = 40000;
    rig.local_port = 80;
    rig.inject({.src_port = 40000,
                .dst_port = 80,
                .seq = 1,
                .flags = flag::syn,
                .window = 65535,
                .mss = 65495});
    const Sent synack = rig.one();
    EXPECT_EQ(synack.tcp.mss, 65495);
    rig.our_seq = synack.tcp.seq + 1;
    rig.peer_seq = 2;
    rig.inject(rig.peer(flag::ack));
    const SocketId s = *rig.stack.tcp_accept(l);
    const auto data = bytes_of(60000);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    const auto out = rig.sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data, data);
}

TEST(TcpHandshake, ClosedPortAnswersWithReset) {
    TcpRig rig;
    // RFC 9293 3.10.7.1: no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    rig.inject({.src_port = 40000, .dst_port = 81, .seq = 500, .flags = flag::syn});
    Sent rst = rig.one();
    EXPECT_EQ(rst.tcp.flags, flag::rst | flag::ack);
    EXPECT_EQ(rst.tcp.seq, 0u);
    EXPECT_EQ(rst.tcp.ack, 501u);
    // With an ACK: <SEQ=SEG.ACK><CTL=RST>.
    rig.inject({.src_port = 40000, .dst_port = 81, .seq = 500, .ack = 4242, .flags = flag::ack});
    rst = rig.one();
    EXPECT_EQ(rst.tcp.flags, flag::rst);
    EXPECT_EQ(rst.tcp.seq, 4242u);
    // Never a RST for a RST.
    rig.inject({.src_port = 40000, .dst_port = 81, .seq = 500, .flags = flag::rst});
    rig.nothing_sent();
    EXPECT_EQ(rig.stack.stats().tcp.drop_no_listener, 3u);
    EXPECT_EQ(rig.stack.stats().tcp.tx_resets, 2u);
}

TEST(TcpHandshake, RefusedConnect) {
    TcpRig rig;
    const SocketId s = *rig.stack.tcp_open();
    ASSERT_TRUE(rig.stack.tcp_connect(s, {peer_ip, 80}, rig.now()));
    const Sent syn = rig.one();
    // A RST that does not acknowledge our SYN is ignored (RFC 5961 3.2)...
    rig.inject({.src_port = 80, .dst_port = syn.tcp.src_port, .seq = 0, .flags = flag::rst});
    EXPECT_EQ(rig.stack.tcp_info(s)->state, TcpState::syn_sent);
    // ... one that does refuses the connection.
    rig.inject({.src_port = 80,
                .dst_port = syn.tcp.src_port,
                .seq = 0,
                .ack = syn.tcp.seq + 1,
                .flags = flag::rst | flag::ack});
    EXPECT_EQ(rig.stack.tcp_info(s)->state, TcpState::closed);
    auto events = rig.events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].bits, socket_error | socket_closed);
    EXPECT_EQ(rig.stack.tcp_take_error(s), SocketError::connection_refused);
    rig.nothing_sent();
}

// RFC 1122 4.2.3.9 / RFC 5461: a hard error (port unreachable) ends a connect at once; a
// soft one (host unreachable) is reported only when the connect then times out.
TEST(TcpHandshake, IcmpErrorsDuringConnect) {
    StackConfig config = plain_config();
    config.tcp.syn_retries = 1;
    TcpRig rig(config);
    const SocketId hard = *rig.stack.tcp_open();
    ASSERT_TRUE(rig.stack.tcp_connect(hard, {peer_ip, 80}, rig.now()));
    Sent syn = rig.one();
    Sent forged = syn;
    forged.tcp.seq += 100000;  // RFC 5927: a sequence number we never sent is ignored
    rig.inject_unreachable(std::uint8_t(wire::UnreachableCode::port), forged);
    EXPECT_EQ(rig.stack.tcp_info(hard)->state, TcpState::syn_sent);
    rig.inject_unreachable(std::uint8_t(wire::UnreachableCode::port), syn);
    EXPECT_EQ(rig.stack.tcp_info(hard)->state, TcpState::closed);
    EXPECT_EQ(rig.stack.tcp_take_error(hard), SocketError::connection_refused);

    const SocketId soft = *rig.stack.tcp_open();
    ASSERT_TRUE(rig.stack.tcp_connect(soft, {peer_ip, 81}, rig.now()));
    syn = rig.one();
    rig.inject_unreachable(std::uint8_t(wire::UnreachableCode::host), syn);
    EXPECT_EQ(rig.stack.tcp_info(soft)->state, TcpState::syn_sent);
    rig.advance(1s);  // one retry
    rig.advance(2s);  // then it gives up, with the soft error as the reason
    EXPECT_EQ(rig.stack.tcp_info(soft)->state, TcpState::closed);
    EXPECT_EQ(rig.stack.tcp_take_error(soft), SocketError::host_unreachable);
}

TEST(TcpHandshake, SynRetransmissionsBackOffThenTimeOut) {
    StackConfig config = plain_config();
    config.tcp.syn_retries = 2;
    TcpRig rig(config);
    const SocketId s = *rig.stack.tcp_open();
    ASSERT_TRUE(rig.stack.tcp_connect(s, {peer_ip, 80}, rig.now()));
    const Sent syn = rig.one();
    rig.advance(999ms);
    rig.nothing_sent();
    rig.advance(1ms);  // RFC 6298 2.1: 1 s
    EXPECT_EQ(rig.one().tcp.seq, syn.tcp.seq);
    rig.advance(1999ms);
    rig.nothing_sent();
    rig.advance(1ms);  // doubled
    EXPECT_EQ(rig.one().tcp.flags, flag::syn);
    rig.advance(4s);
    rig.nothing_sent();
    EXPECT_EQ(rig.stack.tcp_take_error(s), SocketError::timed_out);
    EXPECT_EQ(rig.stack.tcp_info(s)->state, TcpState::closed);
}

TEST(TcpHandshake, SimultaneousOpen) {
    TcpRig rig;
    const SocketId s = *rig.stack.tcp_open();
    ASSERT_TRUE(rig.stack.tcp_bind(s, {our_ip, 7000}));
    ASSERT_TRUE(rig.stack.tcp_connect(s, {peer_ip, 7001}, rig.now()));
    const Sent syn = rig.one();
    EXPECT_EQ(syn.tcp.src_port, 7000);
    // RFC 9293 figure 8: the peer's SYN crosses ours.
    rig.inject({.src_port = 7001,
                .dst_port = 7000,
                .seq = 300,
                .flags = flag::syn,
                .window = 4000,
                .mss = 1460});
    const Sent synack = rig.one();
    EXPECT_EQ(synack.tcp.flags, flag::syn | flag::ack);
    EXPECT_EQ(synack.tcp.seq, syn.tcp.seq);
    EXPECT_EQ(synack.tcp.ack, 301u);
    EXPECT_EQ(rig.stack.tcp_info(s)->state, TcpState::syn_received);
    rig.inject({.src_port = 7001,
                .dst_port = 7000,
                .seq = 300,
                .ack = syn.tcp.seq + 1,
                .flags = flag::syn | flag::ack,
                .window = 4000,
                .mss = 1460});
    // That SYN-ACK's SYN is old news; its ACK completes ours.
    EXPECT_EQ(rig.stack.tcp_info(s)->state, TcpState::established);
}

TEST(TcpHandshake, IsnsFollowRfc6528) {
    TcpRig rig;
    auto isn_of = [&](std::uint16_t port) {
        rig.inject({.src_port = port, .dst_port = 81, .seq = 1, .flags = flag::syn});
        return rig.one().tcp;
    };
    const SocketId l = rig.listen(81);
    (void)l;
    const std::uint32_t a = isn_of(1000).seq;
    const std::uint32_t b = isn_of(1001).seq;
    EXPECT_NE(a, b);  // unrelated across 4-tuples
    // The same 4-tuple later: the 4 us clock moved it on by exactly 250,000 per second.
    rig.inject({.src_port = 1000, .dst_port = 81, .seq = 1, .flags = flag::rst | flag::ack});
    rig.advance(1s);
    rig.sent();
    const std::uint32_t later = isn_of(2000).seq;
    (void)later;
    StackConfig config = plain_config();
    TcpRig other(config);
    other.listen(81);
    other.clock.advance(1s);
    other.inject({.src_port = 1000, .dst_port = 81, .seq = 1, .flags = flag::syn});
    EXPECT_EQ(other.one().tcp.seq - a, 250000u);
}

// --- SYN cookies with timestamps (syn_cookie.hpp) ----------------------------------------------

TEST(TcpSynCookie, TimestampCarriesScaleAndSackAndNeverRunsAhead) {
    for (std::uint32_t now : {0u, 5u, 31u, 32u, 1000u, 0xffffffe0u, 0xffffffffu}) {
        for (int scale = -1; scale <= 14; ++scale) {
            for (bool sack : {false, true}) {
                tcp::CookieOptions options{.sack_permitted = sack};
                if (scale >= 0) options.window_scale = static_cast<std::uint8_t>(scale);
                const std::uint32_t ts = tcp::cookie_timestamp(now, options);
                EXPECT_EQ(tcp::cookie_timestamp_options(ts), options);
                EXPECT_LE(static_cast<std::int32_t>(ts - now), 0);
                EXPECT_GT(static_cast<std::int32_t>(ts - now), -64);
            }
        }
    }
}

struct CookieRig {
    StackConfig config_with_queue_of_one() {
        StackConfig c;  // window scaling, timestamps and SACK on
        c.tcp.syn_queue = 1;
        return c;
    }
    TcpRig rig{config_with_queue_of_one()};
    SocketId l = rig.listen(80);
    CookieRig() {
        rig.inject({.src_port = 1, .dst_port = 80, .seq = 1, .flags = flag::syn});
        rig.one();  // the queue's one half-open connection: what follows gets cookies
        rig.peer_port = 2;
        rig.local_port = 80;
        rig.peer_seq = 5001;
    }
};

TEST(TcpSynCookie, WithTimestampsKeepsWindowScalingSackAndTimestamps) {
    CookieRig c;
    TcpRig& rig = c.rig;
    rig.inject({.src_port = 2,
                .dst_port = 80,
                .seq = 5000,
                .flags = flag::syn,
                .window = 65535,
                .mss = 1460,
                .window_scale = 5,
                .sack_permitted = true,
                .timestamps = wire::TcpTimestamps{9, 0}});
    const Sent cookie = rig.one();
    EXPECT_EQ(rig.stack.stats().tcp.cookies_sent, 1u);
    EXPECT_EQ(rig.stack.tcp_info(c.l)->syn_queue, 1u);  // nothing stored
    EXPECT_EQ(cookie.tcp.flags, flag::syn | flag::ack);
    EXPECT_EQ(cookie.tcp.mss, 1460);
    EXPECT_EQ(cookie.tcp.window_scale, 7);  // ours, for the 4 MiB maximum buffer
    EXPECT_TRUE(cookie.tcp.sack_permitted);
    ASSERT_TRUE(cookie.tcp.timestamps.has_value());
    EXPECT_EQ(cookie.tcp.timestamps->echo, 9u);
    EXPECT_EQ(cookie.tcp.timestamps->value & 0x1f, 5u | 0x10u);  // scale 5, SACK
    // The ACK echoes our TSval: the connection gets it all back.
    rig.our_seq = cookie.tcp.seq + 1;
    wire::TcpRepr ack = rig.peer(flag::ack | flag::psh, 1000);
    ack.timestamps = wire::TcpTimestamps{10, cookie.tcp.timestamps->value};
    const auto data = bytes_of(100);
    rig.inject(ack, data);
    rig.peer_seq += 100;
    EXPECT_EQ(rig.stack.stats().tcp.cookies_validated, 1u);
    const auto s = rig.stack.tcp_accept(c.l);
    ASSERT_TRUE(s.has_value());
    const TcpInfo info = *rig.stack.tcp_info(*s);
    EXPECT_EQ(info.state, TcpState::established);
    EXPECT_TRUE(info.timestamps);
    EXPECT_TRUE(info.sack);
    EXPECT_EQ(info.send_wscale, 5);
    EXPECT_EQ(info.receive_wscale, 7);
    EXPECT_EQ(info.send_window, 1000u << 5);
    EXPECT_EQ(info.mss, 1460u - 12);  // timestamps take 12 bytes of each segment
    EXPECT_EQ(info.receive_queued, 100u);
    // Data out of order: the immediate ACK carries a SACK block and timestamps, and its
    // window is scaled.
    wire::TcpRepr ahead = rig.peer(flag::ack, 1000);
    ahead.seq += 50;
    ahead.timestamps = wire::TcpTimestamps{11, cookie.tcp.timestamps->value};
    rig.inject(ahead, bytes_of(10));
    const Sent reply = rig.one();
    EXPECT_EQ(reply.tcp.ack, rig.peer_seq);
    ASSERT_EQ(reply.tcp.sack_count, 1u);
    EXPECT_EQ(reply.tcp.sack[0].left, rig.peer_seq + 50);
    ASSERT_TRUE(reply.tcp.timestamps.has_value());
    EXPECT_EQ(reply.tcp.timestamps->echo, 10u);  // the last in-order segment's
    EXPECT_LT(reply.tcp.window, 0xffffu >> 5);   // scaled by 7
}

TEST(TcpSynCookie, WithoutTimestampsNoWindowScalingOrSack) {
    CookieRig c;
    TcpRig& rig = c.rig;
    rig.inject({.src_port = 2,
                .dst_port = 80,
                .seq = 5000,
                .flags = flag::syn,
                .window = 65535,
                .mss = 1460,
                .window_scale = 5,
                .sack_permitted = true});
    const Sent cookie = rig.one();
    EXPECT_EQ(rig.stack.stats().tcp.cookies_sent, 1u);
    EXPECT_FALSE(cookie.tcp.window_scale.has_value());
    EXPECT_FALSE(cookie.tcp.sack_permitted);
    EXPECT_FALSE(cookie.tcp.timestamps.has_value());
    rig.our_seq = cookie.tcp.seq + 1;
    rig.inject(rig.peer(flag::ack, 1000));
    EXPECT_EQ(rig.stack.stats().tcp.cookies_validated, 1u);
    const auto s = rig.stack.tcp_accept(c.l);
    ASSERT_TRUE(s.has_value());
    const TcpInfo info = *rig.stack.tcp_info(*s);
    EXPECT_EQ(info.state, TcpState::established);
    EXPECT_FALSE(info.timestamps);
    EXPECT_FALSE(info.sack);
    EXPECT_EQ(info.send_wscale, 0);
    EXPECT_EQ(info.receive_wscale, 0);
    EXPECT_EQ(info.send_window, 1000u);
}

TEST(TcpSynCookie, EchoedOptionsTheConfigForbidsAreAForgery) {
    StackConfig config;
    config.tcp.syn_queue = 1;
    config.tcp.sack = false;
    TcpRig rig(config);
    const SocketId l = rig.listen(80);
    rig.inject({.src_port = 1, .dst_port = 80, .seq = 1, .flags = flag::syn});
    rig.one();
    rig.inject({.src_port = 2,
                .dst_port = 80,
                .seq = 5000,
                .flags = flag::syn,
                .window = 65535,
                .mss = 1460,
                .sack_permitted = true,
                .timestamps = wire::TcpTimestamps{9, 0}});
    const Sent cookie = rig.one();
    EXPECT_FALSE(cookie.tcp.sack_permitted);
    ASSERT_TRUE(cookie.tcp.timestamps.has_value());
    EXPECT_EQ(cookie.tcp.timestamps->value & 0x10, 0u);
    // The ACK claims SACK-permitted in the echo: refused with a RST.
    rig.inject({.src_port = 2,
                .dst_port = 80,
                .seq = 5001,
                .ack = cookie.tcp.seq + 1,
                .flags = flag::ack,
                .window = 1000,
                .timestamps = wire::TcpTimestamps{10, cookie.tcp.timestamps->value | 0x10}});
    EXPECT_EQ(rig.one().tcp.flags, flag::rst);
    EXPECT_EQ(rig.stack.stats().tcp.cookies_failed, 1u);
    EXPECT_FALSE(rig.stack.tcp_accept(l).has_value());
}

}  // namespace
}  // namespace netstack::tcptest
