// Closing and resetting: half-close, simultaneous close, TIME-WAIT and its reuse, RST in
// every synchronized state with RFC 5961's challenge ACKs and their rate limit, keepalive,
// the SYN and accept queues.
#include <functional>

#include "tcp_rig.hpp"

namespace netstack::tcptest {
namespace {

struct Open : AcceptedConnection {
    TcpState state() { return rig.stack.tcp_info(s)->state; }
};

TEST_F(Open, HalfCloseByThePeer) {
    rig.inject(rig.peer(flag::ack | flag::fin));
    ++rig.peer_seq;
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);  // the FIN is ACKed at once
    EXPECT_EQ(state(), TcpState::close_wait);
    std::array<std::byte, 10> buffer{};
    EXPECT_EQ(*rig.stack.tcp_receive(s, buffer, rig.now()), 0u);  // end of stream
    // Our direction is still open.
    const auto data = bytes_of(5);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), 5u);
    EXPECT_EQ(rig.one().data, data);
    rig.our_seq += 5;
    ASSERT_TRUE(rig.stack.tcp_close(s, rig.now()));
    const Sent fin = rig.one();
    EXPECT_EQ(fin.tcp.flags, flag::ack | flag::fin);
    EXPECT_EQ(fin.tcp.seq, rig.our_seq);
    ++rig.our_seq;
    rig.inject(rig.peer(flag::ack));                        // LAST-ACK -> CLOSED
    EXPECT_TRUE(rig.stack.tcp_connections().size() == 1u);  // only the listener is left
}

TEST_F(Open, ActiveCloseThroughTimeWait) {
    ASSERT_TRUE(rig.stack.tcp_shutdown(s, ShutdownHow::write, rig.now()));
    EXPECT_EQ(rig.one().tcp.flags, flag::ack | flag::fin);
    EXPECT_EQ(state(), TcpState::fin_wait_1);
    EXPECT_EQ(rig.stack.tcp_send(s, bytes_of(1), rig.now()).error(), SocketError::shut_down);
    ++rig.our_seq;
    rig.inject(rig.peer(flag::ack));
    EXPECT_EQ(state(), TcpState::fin_wait_2);
    rig.inject(rig.peer(flag::ack | flag::fin));
    ++rig.peer_seq;
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
    EXPECT_EQ(state(), TcpState::time_wait);
    // A retransmitted FIN is ACKed again.
    --rig.peer_seq;
    rig.inject(rig.peer(flag::ack | flag::fin));
    ++rig.peer_seq;
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
    rig.advance(59s);
    EXPECT_EQ(state(), TcpState::time_wait);
    rig.advance(1s);  // 2 MSL, from the last FIN
    EXPECT_EQ(state(), TcpState::closed);
}

// A connection gives its buffers back as each direction ends for good: thousands wait in
// TIME-WAIT after a burst of short connections, and each kept 256 KiB before.
TEST_F(Open, BuffersAreGivenBackOnceNoMoreDataCanMove) {
    auto held = [&] { return rig.stack.tcp_info(s)->buffer_bytes; };
    const auto ours = bytes_of(1000);
    ASSERT_EQ(*rig.stack.tcp_send(s, ours, rig.now()), ours.size());
    rig.sent();
    rig.our_seq += 1000;
    const auto theirs = bytes_of(100, 7);
    rig.inject(rig.peer(flag::ack), theirs);  // acknowledges ours, sends 100 we leave unread
    rig.peer_seq += 100;
    rig.sent();
    EXPECT_GE(held(), ours.size() + theirs.size());
    ASSERT_TRUE(rig.stack.tcp_shutdown(s, ShutdownHow::write, rig.now()));
    rig.sent();
    ++rig.our_seq;
    rig.inject(rig.peer(flag::ack));  // our FIN acknowledged: nothing more to send
    ASSERT_EQ(state(), TcpState::fin_wait_2);
    const auto receiving = held();
    EXPECT_GE(receiving, theirs.size());
    EXPECT_LT(receiving, ours.size() + theirs.size());
    rig.inject(rig.peer(flag::ack | flag::fin));
    ++rig.peer_seq;
    rig.sent();
    ASSERT_EQ(state(), TcpState::time_wait);
    EXPECT_EQ(held(), receiving);  // the reader has not taken the last bytes yet
    std::array<std::byte, 200> buffer{};
    ASSERT_EQ(*rig.stack.tcp_receive(s, buffer, rig.now()), theirs.size());
    EXPECT_TRUE(std::equal(theirs.begin(), theirs.end(), buffer.begin()));
    EXPECT_EQ(held(), 0u);
    EXPECT_EQ(*rig.stack.tcp_receive(s, buffer, rig.now()), 0u);  // and the end of the stream
}

TEST_F(Open, SimultaneousClose) {
    ASSERT_TRUE(rig.stack.tcp_shutdown(s, ShutdownHow::write, rig.now()));
    const Sent our_fin = rig.one();
    // The peer's FIN crosses ours (it has not seen ours: its ACK is the old one).
    rig.inject(rig.peer(flag::ack | flag::fin));
    ++rig.peer_seq;
    EXPECT_EQ(state(), TcpState::closing);
    const Sent ack = rig.one();
    EXPECT_EQ(ack.tcp.ack, rig.peer_seq);
    rig.our_seq = our_fin.tcp.seq + 1;
    rig.inject(rig.peer(flag::ack));
    EXPECT_EQ(state(), TcpState::time_wait);
}

TEST_F(Open, TimeWaitIsReusedByANewerSyn) {
    ASSERT_TRUE(rig.stack.tcp_close(s, rig.now()));
    rig.sent();
    ++rig.our_seq;
    rig.inject(rig.peer(flag::ack | flag::fin));
    ++rig.peer_seq;
    rig.sent();
    ASSERT_EQ(rig.stack.tcp_connections().size(), 2u);  // listener + TIME-WAIT
    // An old SYN (not above rcv_nxt) is answered as TIME-WAIT answers: a challenge ACK.
    rig.inject({.src_port = 40000, .dst_port = 80, .seq = rig.peer_seq - 10, .flags = flag::syn});
    EXPECT_EQ(rig.one().tcp.flags, flag::ack);
    // RFC 6191 / 9293: a SYN above rcv_nxt starts a new connection at once.
    rig.inject({.src_port = 40000,
                .dst_port = 80,
                .seq = rig.peer_seq + 100000,
                .flags = flag::syn,
                .mss = 1460});
    const Sent synack = rig.one();
    EXPECT_EQ(synack.tcp.flags, flag::syn | flag::ack);
    EXPECT_EQ(synack.tcp.ack, rig.peer_seq + 100001);
    EXPECT_EQ(rig.stack.stats().tcp.time_wait_reused, 1u);
}

TEST_F(Open, RstExactlyAtRcvNxtResets) {
    rig.inject(rig.peer(flag::rst));
    rig.nothing_sent();
    EXPECT_EQ(state(), TcpState::closed);
    auto events = rig.events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].bits, socket_error | socket_closed);
    std::array<std::byte, 4> buffer{};
    EXPECT_EQ(rig.stack.tcp_receive(s, buffer, rig.now()).error(), SocketError::connection_reset);
}

TEST_F(Open, RstInWindowGetsAChallengeAckOutOfWindowNothing) {
    auto rst = rig.peer(flag::rst);
    rst.seq = rig.peer_seq + 10;  // in the window, not exact (RFC 5961 3.2)
    rig.inject(rst);
    const Sent challenge = rig.one();
    EXPECT_EQ(challenge.tcp.flags, flag::ack);
    EXPECT_EQ(challenge.tcp.ack, rig.peer_seq);
    EXPECT_EQ(state(), TcpState::established);
    rst.seq = rig.peer_seq + 1000000;  // out of the window: silently dropped
    rig.inject(rst);
    rig.nothing_sent();
    EXPECT_EQ(rig.stack.stats().tcp.challenge_acks, 1u);
}

TEST_F(Open, SynInEstablishedGetsAChallengeAck) {
    rig.inject({.src_port = 40000, .dst_port = 80, .seq = rig.peer_seq + 5, .flags = flag::syn});
    const Sent challenge = rig.one();  // RFC 5961 4.2
    EXPECT_EQ(challenge.tcp.flags, flag::ack);
    EXPECT_EQ(challenge.tcp.ack, rig.peer_seq);
    EXPECT_EQ(state(), TcpState::established);
}

TEST_F(Open, AckOfUnsentDataGetsAChallengeAck) {
    auto ack = rig.peer(flag::ack);
    ack.ack = rig.our_seq + 5000;  // RFC 5961 5.2
    rig.inject(ack);
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
    EXPECT_EQ(state(), TcpState::established);
}

// RST at rcv_nxt closes every synchronized state (RFC 9293 3.10.7.4 / RFC 5961 3.2).
TEST_F(Open, RstClosesEveryState) {
    struct Case {
        const char* name;
        std::function<void(TcpRig&, SocketId)> reach;
        TcpState expected;
    };
    auto shut = [](TcpRig& r, SocketId id) {
        (void)r.stack.tcp_shutdown(id, ShutdownHow::write, r.now());
    };
    const std::vector<Case> cases = {
        {"fin_wait_1", shut, TcpState::fin_wait_1},
        {"fin_wait_2",
         [&](TcpRig& r, SocketId id) {
             shut(r, id);
             ++r.our_seq;
             r.inject(r.peer(flag::ack));
         },
         TcpState::fin_wait_2},
        {"close_wait",
         [](TcpRig& r, SocketId) {
             r.inject(r.peer(flag::ack | flag::fin));
             ++r.peer_seq;
         },
         TcpState::close_wait},
        {"last_ack",
         [&](TcpRig& r, SocketId id) {
             r.inject(r.peer(flag::ack | flag::fin));
             ++r.peer_seq;
             shut(r, id);
         },
         TcpState::last_ack},
        {"closing",
         [&](TcpRig& r, SocketId id) {
             shut(r, id);
             r.inject(r.peer(flag::ack | flag::fin));
             ++r.peer_seq;
         },
         TcpState::closing},
    };
    std::uint16_t port = 41000;
    for (const auto& c : cases) {
        const SocketId id = rig.accept_from(l, port++, 80);
        c.reach(rig, id);
        rig.sent();
        ASSERT_EQ(rig.stack.tcp_info(id)->state, c.expected) << c.name;
        auto rst = rig.peer(flag::rst);
        rst.seq = rig.peer_seq + 1;  // in window, not exact: challenge
        rig.inject(rst);
        EXPECT_EQ(rig.sent().size(), 1u) << c.name;
        rig.inject(rig.peer(flag::rst));
        EXPECT_EQ(rig.stack.tcp_info(id)->state, TcpState::closed) << c.name;
        rig.nothing_sent();
        rig.advance(1s);  // a fresh challenge-ACK budget for the next case
        rig.sent();
    }
}

TEST_F(Open, RstInSynReceivedRemovesTheHalfOpenConnection) {
    rig.inject({.src_port = 42000, .dst_port = 80, .seq = 77, .flags = flag::syn});
    rig.one();
    EXPECT_EQ(rig.stack.tcp_info(l)->syn_queue, 1u);
    rig.inject({.src_port = 42000, .dst_port = 80, .seq = 78, .flags = flag::rst});
    EXPECT_EQ(rig.stack.tcp_info(l)->syn_queue, 0u);
    rig.nothing_sent();
}

TEST(TcpChallengeAcks, AreRateLimitedPerStack) {
    StackConfig config = plain_config();
    config.tcp.challenge_ack_per_second = 10;  // burst of 1
    TcpRig rig(config);
    const SocketId s = rig.accept_from(rig.listen(80), 40000, 80);
    (void)s;
    for (int i = 0; i < 5; ++i)
        rig.inject(
            {.src_port = 40000, .dst_port = 80, .seq = rig.peer_seq + 5, .flags = flag::syn});
    EXPECT_EQ(rig.sent().size(), 1u);
    EXPECT_EQ(rig.stack.stats().tcp.challenge_acks, 1u);
    EXPECT_EQ(rig.stack.stats().tcp.challenge_acks_limited, 4u);
}

TEST(TcpKeepalive, ProbesThenTimesOut) {
    StackConfig config = plain_config();
    config.tcp.keepalive_probes = 3;
    TcpRig rig(config);
    const SocketId s = rig.accept_from(rig.listen(80), 40000, 80);
    TcpSocketOptions options = *rig.stack.tcp_options(s);
    options.keepalive = true;
    ASSERT_TRUE(rig.stack.tcp_set_options(s, options));
    rig.advance(2h);
    Sent probe = rig.one();
    EXPECT_EQ(probe.tcp.seq, rig.our_seq - 1);  // RFC 1122 4.2.3.6
    rig.inject(rig.peer(flag::ack));            // answered: idle again
    rig.advance(75s);
    rig.nothing_sent();
    rig.advance(2h);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(rig.sent().size(), 1u);
        rig.advance(75s);
    }
    EXPECT_EQ(rig.stack.tcp_info(s)->state, TcpState::closed);
    EXPECT_EQ(rig.stack.tcp_take_error(s), SocketError::timed_out);
}

TEST(TcpListen, SynQueueIsBounded) {
    StackConfig config = plain_config();
    config.tcp.syn_queue = 2;
    config.tcp.syn_cookies = false;
    TcpRig rig(config);
    const SocketId l = rig.listen(80);
    for (std::uint16_t p = 1; p <= 3; ++p)
        rig.inject({.src_port = p, .dst_port = 80, .seq = 1, .flags = flag::syn});
    EXPECT_EQ(rig.sent().size(), 2u);
    EXPECT_EQ(rig.stack.stats().tcp.drop_syn_queue_full, 1u);
    EXPECT_EQ(rig.stack.tcp_info(l)->syn_queue, 2u);
    // Half-open connections give up after synack_retries.
    for (int i = 0; i < 120; ++i)
        rig.advance(1s);
    EXPECT_EQ(rig.stack.tcp_info(l)->syn_queue, 0u);
    EXPECT_EQ(rig.stack.tcp_connections().size(), 1u);
}

TEST(TcpListen, SynCookiesWhenTheSynQueueIsFull) {
    StackConfig config;  // window scaling and timestamps on, but not in the SYN's
    config.tcp.syn_queue = 1;
    TcpRig rig(config);
    const SocketId l = rig.listen(80);
    rig.inject({.src_port = 1, .dst_port = 80, .seq = 1, .flags = flag::syn});
    rig.one();  // the queue's one half-open connection
    const wire::TcpRepr syn{.src_port = 2,
                            .dst_port = 80,
                            .seq = 5000,
                            .flags = flag::syn,
                            .window = 65535,
                            .mss = 1460,
                            .window_scale = 7};  // no timestamps: a cookie cannot keep it
    rig.inject(syn);
    const Sent cookie = rig.one();
    EXPECT_EQ(cookie.tcp.flags, flag::syn | flag::ack);
    EXPECT_EQ(cookie.tcp.ack, 5001u);
    EXPECT_EQ(cookie.tcp.mss, 1460);
    EXPECT_FALSE(cookie.tcp.window_scale.has_value());
    EXPECT_FALSE(cookie.tcp.timestamps.has_value());
    EXPECT_EQ(rig.stack.tcp_info(l)->syn_queue, 1u);  // nothing stored
    EXPECT_EQ(rig.stack.stats().tcp.cookies_sent, 1u);
    // A forged ACK (wrong cookie) is answered with a RST.
    rig.inject({.src_port = 2,
                .dst_port = 80,
                .seq = 5001,
                .ack = cookie.tcp.seq + 7,
                .flags = flag::ack,
                .window = 1000});
    EXPECT_EQ(rig.one().tcp.flags, flag::rst);
    EXPECT_EQ(rig.stack.stats().tcp.cookies_failed, 1u);
    // The real one, with data, makes the connection.
    const auto data = bytes_of(100);
    rig.inject({.src_port = 2,
                .dst_port = 80,
                .seq = 5001,
                .ack = cookie.tcp.seq + 1,
                .flags = flag::ack | flag::psh,
                .window = 1000},
               data);
    EXPECT_EQ(rig.stack.stats().tcp.cookies_validated, 1u);
    const auto s = rig.stack.tcp_accept(l);
    ASSERT_TRUE(s.has_value());
    const auto info = *rig.stack.tcp_info(*s);
    EXPECT_EQ(info.state, TcpState::established);
    EXPECT_EQ(info.mss, 1460u);
    EXPECT_FALSE(info.timestamps);
    EXPECT_EQ(info.receive_queued, 100u);
    // A cookie is good for 64 to 128 seconds, not longer.
    rig.inject({.src_port = 3, .dst_port = 80, .seq = 7000, .flags = flag::syn, .mss = 1460});
    const Sent old = rig.one();
    rig.clock.advance(130s);
    rig.inject({.src_port = 3,
                .dst_port = 80,
                .seq = 7001,
                .ack = old.tcp.seq + 1,
                .flags = flag::ack,
                .window = 1000});
    EXPECT_EQ(rig.one().tcp.flags, flag::rst);
    EXPECT_EQ(rig.stack.stats().tcp.cookies_failed, 2u);
}

// A SYN answered with a cookie (the queue was full), then its retransmission answered from
// a half-open connection (the queue had room again): the peer ACKs whichever SYN-ACK came
// first. The cookie's ACK makes the connection (no RST: the peer is in sync with it).
TEST(TcpListen, ACookieAckWinsOverAHalfOpenConnectionOfTheSameSyn) {
    StackConfig config;
    config.tcp.syn_queue = 1;
    TcpRig rig(config);
    const SocketId l = rig.listen(80);
    rig.inject({.src_port = 1, .dst_port = 80, .seq = 1, .flags = flag::syn});
    const Sent first = rig.one();  // the queue's one half-open connection
    const wire::TcpRepr syn{.src_port = 2,
                            .dst_port = 80,
                            .seq = 5000,
                            .flags = flag::syn,
                            .window = 65535,
                            .mss = 1460};
    rig.inject(syn);
    const Sent cookie = rig.one();
    EXPECT_EQ(rig.stack.stats().tcp.cookies_sent, 1u);
    // The first handshake completes: the queue has room again.
    rig.inject({.src_port = 1,
                .dst_port = 80,
                .seq = 2,
                .ack = first.tcp.seq + 1,
                .flags = flag::ack,
                .window = 1000});
    ASSERT_TRUE(rig.stack.tcp_accept(l).has_value());
    // The retransmitted SYN gets a half-open connection and its own SYN-ACK.
    rig.inject(syn);
    const Sent half_open = rig.one();
    ASSERT_EQ(half_open.tcp.flags, flag::syn | flag::ack);
    ASSERT_NE(half_open.tcp.seq, cookie.tcp.seq);
    // The peer ACKs the cookie: the connection is made, nothing is reset.
    rig.inject({.src_port = 2,
                .dst_port = 80,
                .seq = 5001,
                .ack = cookie.tcp.seq + 1,
                .flags = flag::ack,
                .window = 1000});
    rig.nothing_sent();
    EXPECT_EQ(rig.stack.stats().tcp.cookies_over_half_open, 1u);
    EXPECT_EQ(rig.stack.stats().tcp.cookies_validated, 1u);
    const auto s = rig.stack.tcp_accept(l);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(rig.stack.tcp_info(*s)->state, TcpState::established);
    EXPECT_EQ(rig.stack.tcp_info(l)->syn_queue, 0u);
    // An ACK that is neither the half-open connection's nor a cookie still gets a RST.
    rig.inject({.src_port = 3, .dst_port = 80, .seq = 9000, .flags = flag::syn});
    const Sent third = rig.one();
    rig.inject({.src_port = 3,
                .dst_port = 80,
                .seq = 9001,
                .ack = third.tcp.seq + 99,
                .flags = flag::ack,
                .window = 1000});
    EXPECT_EQ(rig.one().tcp.flags, flag::rst);
}

TEST(TcpListen, FullAcceptQueueDropsTheHandshakeAck) {
    TcpRig rig;
    const SocketId l = rig.listen(80, 1);
    rig.accept_from(l, 40000, 80);  // accepted: the queue is empty again
    rig.inject({.src_port = 40001, .dst_port = 80, .seq = 1, .flags = flag::syn});
    const Sent a = rig.one();
    rig.inject({.src_port = 40001,
                .dst_port = 80,
                .seq = 2,
                .ack = a.tcp.seq + 1,
                .flags = flag::ack,
                .window = 1000});
    EXPECT_EQ(rig.stack.tcp_info(l)->accept_queue, 1u);
    rig.inject({.src_port = 40002, .dst_port = 80, .seq = 1, .flags = flag::syn});
    const Sent b = rig.one();
    rig.inject({.src_port = 40002,
                .dst_port = 80,
                .seq = 2,
                .ack = b.tcp.seq + 1,
                .flags = flag::ack,
                .window = 1000});
    EXPECT_EQ(rig.stack.stats().tcp.drop_accept_queue_full, 1u);
    EXPECT_EQ(rig.stack.tcp_info(l)->accept_queue, 1u);
    EXPECT_EQ(rig.stack.tcp_info(l)->syn_queue, 1u);  // still SYN-RECEIVED
}

TEST(TcpListen, CloseWithUnreadDataResets) {
    TcpRig rig;
    const SocketId s = rig.accept_from(rig.listen(80), 40000, 80);
    rig.inject(rig.peer(flag::ack | flag::psh), bytes_of(10));
    rig.peer_seq += 10;
    rig.sent();
    ASSERT_TRUE(rig.stack.tcp_close(s, rig.now()));
    const Sent rst = rig.one();  // RFC 2525 2.17
    EXPECT_EQ(rst.tcp.flags, flag::rst);
    EXPECT_EQ(rst.tcp.seq, rig.our_seq);
}

}  // namespace
}  // namespace netstack::tcptest
