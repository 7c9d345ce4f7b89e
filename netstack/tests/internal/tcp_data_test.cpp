// Data transfer scripts: delayed ACKs, Nagle, retransmission timeout with backoff, fast
// retransmit and NewReno recovery, zero-window probes, the out-of-order queue, PAWS.
#include "tcp_rig.hpp"
#include "wire/icmp.hpp"

namespace netstack::tcptest {
namespace {

struct Connected : AcceptedConnection {
    void peer_sends(std::size_t n) {
        const auto data = bytes_of(n);
        rig.inject(rig.peer(flag::ack | flag::psh), data);
        rig.peer_seq += static_cast<std::uint32_t>(n);
    }
};

TEST_F(Connected, DelayedAckEverySecondSegment) {
    peer_sends(100);
    rig.nothing_sent();  // delayed
    auto events = rig.events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].bits, socket_readable);
    peer_sends(100);
    Sent ack = rig.one();  // the second segment: at once (RFC 5681 4.2)
    EXPECT_EQ(ack.tcp.ack, rig.peer_seq);
    peer_sends(100);
    rig.advance(39ms);
    rig.nothing_sent();
    rig.advance(1ms);  // config.delayed_ack bounds the delay
    ack = rig.one();
    EXPECT_EQ(ack.tcp.ack, rig.peer_seq);
    EXPECT_EQ(ack.tcp.flags, flag::ack);
    std::array<std::byte, 1000> buffer{};
    EXPECT_EQ(*rig.stack.tcp_receive(s, buffer, rig.now()), 300u);
    EXPECT_EQ(rig.stack.tcp_receive(s, buffer, rig.now()).error(), SocketError::would_block);
}

TEST_F(Connected, NagleHoldsSmallSegmentsWhileDataIsInFlight) {
    const auto a = bytes_of(10), b = bytes_of(20);
    ASSERT_EQ(*rig.stack.tcp_send(s, a, rig.now()), 10u);
    Sent first = rig.one();
    EXPECT_EQ(first.data, a);
    EXPECT_EQ(first.tcp.flags, flag::ack | flag::psh);
    ASSERT_EQ(*rig.stack.tcp_send(s, b, rig.now()), 20u);
    rig.nothing_sent();  // RFC 896: unacknowledged small segment outstanding
    rig.our_seq += 10;
    rig.inject(rig.peer(flag::ack));
    EXPECT_EQ(rig.one().data, b);
    // TCP_NODELAY: no waiting.
    TcpSocketOptions options = *rig.stack.tcp_options(s);
    options.no_delay = true;
    ASSERT_TRUE(rig.stack.tcp_set_options(s, options));
    ASSERT_EQ(*rig.stack.tcp_send(s, a, rig.now()), 10u);
    EXPECT_EQ(rig.sent().size(), 1u);
}

TEST_F(Connected, AnApplicationLimitedSenderDoesNotGrowCwnd) {
    const std::uint32_t initial = rig.stack.tcp_info(s)->cwnd;
    const auto data = bytes_of(100);
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(rig.stack.tcp_send(s, data, rig.now()));
        EXPECT_EQ(rig.one().data.size(), 100u);
        rig.our_seq += 100;
        rig.inject(rig.peer(flag::ack));
    }
    EXPECT_EQ(rig.stack.tcp_info(s)->cwnd, initial);  // RFC 7661
}

// RFC 1191: a router's fragmentation-needed lowers the MSS and what it lost is resent.
TEST_F(Connected, FragmentationNeededLowersTheMss) {
    const auto data = bytes_of(1460);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    const Sent big = rig.one();
    EXPECT_EQ(big.data.size(), 1460u);
    rig.inject_unreachable(std::uint8_t(wire::UnreachableCode::fragmentation_needed), big, 1000);
    const auto again = rig.sent();
    ASSERT_FALSE(again.empty());
    EXPECT_EQ(again[0].tcp.seq, big.tcp.seq);
    EXPECT_EQ(again[0].data.size(), 960u);  // 1000 - 40
    EXPECT_EQ(rig.stack.tcp_info(s)->mss, 960u);
}

TEST_F(Connected, RetransmissionTimeoutBacksOff) {
    // The handshake measured an RTT of 0: RTO = max(rto_min, ...) = 200 ms.
    const auto data = bytes_of(100);
    ASSERT_TRUE(rig.stack.tcp_send(s, data, rig.now()));
    const Sent first = rig.one();
    Duration expected = 200ms;
    for (int i = 0; i < 4; ++i) {
        rig.advance(expected - 1ms);
        rig.nothing_sent();
        rig.advance(1ms);
        const Sent again = rig.one();
        EXPECT_EQ(again.tcp.seq, first.tcp.seq);
        EXPECT_EQ(again.data, data);
        EXPECT_EQ(rig.stack.tcp_info(s)->backoff, static_cast<std::uint32_t>(i + 1));
        expected *= 2;  // RFC 6298 5.5
    }
    EXPECT_EQ(rig.stack.tcp_info(s)->cwnd, 1460u);  // RFC 5681: one segment after a timeout
    // The ACK ends it: backoff cleared.
    rig.our_seq += 100;
    rig.inject(rig.peer(flag::ack));
    EXPECT_EQ(rig.stack.tcp_info(s)->backoff, 0u);
    EXPECT_EQ(rig.stack.stats().tcp.timeouts, 4u);
}

// Send-buffer autotuning (Linux's tcp_sndbuf_expand): tcp_send takes twice the larger of
// cwnd and ten segments, grows with cwnd, and says writable as ACKs make room; an explicit
// SO_SNDBUF turns it off.
TEST_F(Connected, TheSendBufferFollowsTheCongestionWindow) {
    const std::uint32_t mss = 1460;
    const auto big = bytes_of(256 * 1024);
    ASSERT_EQ(*rig.stack.tcp_send(s, big, rig.now()), 20u * mss);
    EXPECT_EQ(rig.stack.tcp_send(s, big, rig.now()).error(), SocketError::would_block);
    rig.events();
    // Slow start: each ACK of a segment grows cwnd by one, and the buffer with it.
    const auto first = rig.sent();
    ASSERT_EQ(first.size(), 3u);
    std::size_t acked = 0;
    for (int i = 0; i < 3; ++i) {
        rig.our_seq += mss;
        acked += mss;
        rig.inject(rig.peer(flag::ack));
    }
    bool writable = false;
    for (const auto& e : rig.events())
        writable = writable || (e.bits & socket_writable) != 0;
    EXPECT_TRUE(writable);
    const std::uint32_t cwnd = rig.stack.tcp_info(s)->cwnd;
    EXPECT_EQ(cwnd, 6u * mss);
    // Still ten segments' floor: twice 10 MSS held, of which 3 MSS were acknowledged.
    EXPECT_EQ(*rig.stack.tcp_send(s, big, rig.now()), acked);
    // Past the floor, twice cwnd: everything sent is acknowledged, round after round (three:
    // twice cwnd stays well below the 256 KiB buffer).
    for (int round = 0; round < 3; ++round) {
        for (const auto& seg : rig.sent()) {
            rig.our_seq = seg.tcp.seq + static_cast<std::uint32_t>(seg.data.size());
            rig.inject(rig.peer(flag::ack));
        }
        (void)rig.stack.tcp_send(s, big, rig.now());
    }
    (void)rig.sent();
    const auto info = *rig.stack.tcp_info(s);
    EXPECT_GT(info.cwnd, 10u * mss);
    EXPECT_EQ(info.send_queued, 2u * info.cwnd);
    // A timeout shrinks cwnd, not the buffer (Linux's only grows): data held behind a hole
    // must not keep new data, whose SACKs find the next loss, from being queued.
    rig.advance(std::chrono::seconds(2));
    const auto retransmitted = rig.sent();
    ASSERT_EQ(retransmitted.size(), 1u);
    EXPECT_EQ(rig.stack.tcp_info(s)->cwnd, mss);
    // The retransmission arrives (its own timestamp echoed: no undo).
    rig.our_seq = retransmitted[0].tcp.seq + static_cast<std::uint32_t>(mss);
    rig.inject(rig.peer(flag::ack));
    (void)rig.sent();
    EXPECT_LT(rig.stack.tcp_info(s)->cwnd, 10u * mss);
    const std::size_t held = rig.stack.tcp_info(s)->send_queued;
    EXPECT_EQ(*rig.stack.tcp_send(s, big, rig.now()), 2u * info.cwnd - held);
    // SO_SNDBUF set: the whole buffer, as the application asked.
    TcpSocketOptions options = *rig.stack.tcp_options(s);
    options.send_buffer = 1024 * 1024;
    ASSERT_TRUE(rig.stack.tcp_set_options(s, options));
    EXPECT_EQ(*rig.stack.tcp_send(s, big, rig.now()), big.size());  // room for all of it
}

// TCP_CONGESTION on an established connection replaces its controller, keeping its window:
// the next loss halves the flight (NewReno) where CUBIC, the default, keeps 0.7 of it.
TEST_F(Connected, CongestionControlChangesOnAnEstablishedConnection) {
    const std::uint32_t mss = 1460;
    EXPECT_EQ(rig.stack.tcp_info(s)->congestion, CongestionControl::cubic);
    const std::uint32_t cwnd = rig.stack.tcp_info(s)->cwnd;
    TcpSocketOptions options = *rig.stack.tcp_options(s);
    options.congestion = CongestionControl::newreno;
    ASSERT_TRUE(rig.stack.tcp_set_options(s, options));
    EXPECT_EQ(rig.stack.tcp_info(s)->congestion, CongestionControl::newreno);
    EXPECT_EQ(rig.stack.tcp_info(s)->cwnd, cwnd);
    const auto data = bytes_of(20 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    ASSERT_EQ(rig.sent().size(), 3u);
    const std::uint32_t base = rig.our_seq;
    rig.our_seq = base + mss;  // 1 arrives, 2 is lost: 2 more go out (4 in flight)
    rig.inject(rig.peer(flag::ack));
    ASSERT_EQ(rig.sent().size(), 2u);
    for (int i = 0; i < 3; ++i)
        rig.inject(rig.peer(flag::ack));
    ASSERT_FALSE(rig.sent().empty());
    EXPECT_EQ(rig.stack.stats().tcp.fast_retransmits, 1u);
    EXPECT_EQ(rig.stack.tcp_info(s)->ssthresh, 2u * mss);  // max(4 MSS / 2, 2 MSS)
}

TEST_F(Connected, LossInSlowStartThenFastRetransmitAndNewRenoRecovery) {
    const std::uint32_t mss = 1460;
    const auto data = bytes_of(20 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    auto out = rig.sent();
    ASSERT_EQ(out.size(), 3u);  // the initial window: 4380 bytes (RFC 3390)
    const std::uint32_t base = rig.our_seq;
    // Segment 1 arrives, 2 is lost: the ACK of 1 grows cwnd by one MSS (slow start) and
    // lets 2 more out.
    rig.our_seq = base + mss;
    rig.inject(rig.peer(flag::ack));
    out = rig.sent();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].tcp.seq, base + 3 * mss);
    // Segments 3, 4, 5 arrive: three duplicate ACKs for 2.
    for (int i = 0; i < 2; ++i) {
        rig.inject(rig.peer(flag::ack));
        rig.nothing_sent();
    }
    rig.inject(rig.peer(flag::ack));
    out = rig.sent();
    ASSERT_GE(out.size(), 1u);  // then new data, as the inflated cwnd allows (RFC 5681 3.2.5)
    const Sent retransmit = out[0];
    EXPECT_EQ(retransmit.tcp.seq, base + mss);  // RFC 5681 3.2: fast retransmit
    EXPECT_EQ(retransmit.data.size(), mss);
    EXPECT_EQ(rig.stack.stats().tcp.fast_retransmits, 1u);
    // A partial ACK (2 and 3 now, 4 lost as well): NewReno retransmits 4 at once.
    rig.our_seq = base + 3 * mss;
    rig.inject(rig.peer(flag::ack));
    out = rig.sent();
    ASSERT_GE(out.size(), 1u);
    EXPECT_EQ(out[0].tcp.seq, base + 3 * mss);
    // Everything up to the recovery point: recovery ends, cwnd deflates to ssthresh-ish.
    rig.our_seq = base + 5 * mss;
    rig.inject(rig.peer(flag::ack));
    const auto info = *rig.stack.tcp_info(s);
    EXPECT_LE(info.cwnd, info.ssthresh + mss);
    EXPECT_EQ(rig.stack.stats().tcp.timeouts, 0u);
}

// A window that opens by less than a segment (and less than half the largest seen) is not
// used at once (silly-window avoidance), but not waited on for ever either: its update may
// be lost, and nothing else would come. After an RTO the sender sends what fits, as Linux's
// probe timer does (tcp_write_wakeup), and the ACK of that tells the real window.
TEST_F(Connected, AWindowTooSmallToUseIsUsedAfterATimeout) {
    rig.inject(rig.peer(flag::ack, 1000));  // 1000 bytes: under an MSS and half of 65535
    const auto data = bytes_of(5000);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    rig.nothing_sent();
    rig.advance(199ms);
    rig.nothing_sent();
    rig.advance(1ms);
    const Sent override = rig.one();
    EXPECT_EQ(override.tcp.seq, rig.our_seq);
    EXPECT_EQ(override.data, std::vector<std::byte>(data.begin(), data.begin() + 1000));
    rig.our_seq += 1000;
    rig.inject(rig.peer(flag::ack));  // the real window: full segments go at once
    const auto next = rig.sent();
    ASSERT_FALSE(next.empty());
    EXPECT_EQ(next[0].tcp.seq, rig.our_seq);
    EXPECT_EQ(next[0].data.size(), rig.stack.tcp_info(s)->mss);
    EXPECT_EQ(rig.stack.stats().tcp.window_probes, 0u);
}

TEST_F(Connected, ZeroWindowIsProbedWithBackoff) {
    rig.inject(rig.peer(flag::ack, 0));  // the peer's window closes
    const auto data = bytes_of(100);
    ASSERT_TRUE(rig.stack.tcp_send(s, data, rig.now()));
    rig.nothing_sent();
    Duration wait = 200ms;
    for (int i = 0; i < 3; ++i) {
        rig.advance(wait - 1ms);
        rig.nothing_sent();
        rig.advance(1ms);
        const Sent probe = rig.one();
        EXPECT_EQ(probe.tcp.seq, rig.our_seq - 1);  // an old sequence number: must be ACKed
        EXPECT_TRUE(probe.data.empty());
        rig.inject(rig.peer(flag::ack, 0));  // still closed
        rig.nothing_sent();
        wait *= 2;
    }
    EXPECT_EQ(rig.stack.stats().tcp.window_probes, 3u);
    rig.inject(rig.peer(flag::ack, 1000));  // opens
    EXPECT_EQ(rig.one().data, data);
}

TEST_F(Connected, OutOfOrderSegmentsWaitForTheHole) {
    const auto data = bytes_of(300);
    const std::span<const std::byte> all(data);
    auto seg = rig.peer(flag::ack);
    seg.seq = rig.peer_seq + 100;
    rig.inject(seg, all.subspan(100, 100));
    Sent dup = rig.one();  // out of order: an immediate duplicate ACK
    EXPECT_EQ(dup.tcp.ack, rig.peer_seq);
    seg.seq = rig.peer_seq + 200;
    rig.inject(seg, all.subspan(200, 100));
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
    EXPECT_EQ(rig.stack.tcp_info(s)->out_of_order_queued, 2u);
    rig.inject(rig.peer(flag::ack), all.first(100));  // fills the hole
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq + 300);
    std::vector<std::byte> buffer(1000);
    ASSERT_EQ(*rig.stack.tcp_receive(s, buffer, rig.now()), 300u);
    buffer.resize(300);
    EXPECT_EQ(buffer, data);
}

TEST(TcpLimits, OutOfOrderQueueIsBounded) {
    StackConfig config = plain_config();
    config.tcp.max_out_of_order = 2;
    TcpRig rig(config);
    const SocketId s = rig.accept_from(rig.listen(80), 40000, 80);
    (void)s;
    auto seg = rig.peer(flag::ack);
    const auto data = bytes_of(10);
    for (std::uint32_t i = 1; i <= 4; ++i) {
        seg.seq = rig.peer_seq + i * 100;
        rig.inject(seg, data);
    }
    EXPECT_EQ(rig.stack.stats().tcp.drop_out_of_order_full, 2u);
}

TEST(TcpTimestamps, PawsDropsOldSegments) {
    StackConfig config;
    TcpRig rig(config);
    const SocketId l = rig.listen(80);
    rig.peer_port = 40000;
    rig.local_port = 80;
    rig.inject({.src_port = 40000,
                .dst_port = 80,
                .seq = 10,
                .flags = flag::syn,
                .window = 65535,
                .mss = 1460,
                .timestamps = wire::TcpTimestamps{1000, 0}});
    const Sent synack = rig.one();
    rig.our_seq = synack.tcp.seq + 1;
    rig.peer_seq = 11;
    auto ack = rig.peer(flag::ack, 1000);
    ack.timestamps = wire::TcpTimestamps{1001, synack.tcp.timestamps->value};
    rig.inject(ack);
    const SocketId s = *rig.stack.tcp_accept(l);
    auto old = rig.peer(flag::ack | flag::psh, 1000);
    old.timestamps = wire::TcpTimestamps{900, 0};  // older than 1001: an old duplicate
    rig.inject(old, bytes_of(10));
    const Sent answer = rig.one();  // RFC 7323 5.3: dropped with an ACK
    EXPECT_EQ(answer.tcp.ack, rig.peer_seq);
    EXPECT_EQ(answer.tcp.timestamps->echo, 1001u);
    EXPECT_EQ(rig.stack.stats().tcp.drop_paws, 1u);
    EXPECT_EQ(rig.stack.tcp_info(s)->receive_queued, 0u);
}

}  // namespace
}  // namespace netstack::tcptest

namespace netstack::tcptest {
namespace {

TEST(TcpSack, AcksReportTheOutOfOrderQueue) {
    StackConfig config = plain_config();
    config.tcp.sack = true;
    TcpRig rig(config);
    const SocketId l = rig.listen(80);
    rig.peer_port = 40000;
    rig.local_port = 80;
    rig.inject({.src_port = 40000,
                .dst_port = 80,
                .seq = 100,
                .flags = flag::syn,
                .window = 65535,
                .mss = 1460,
                .sack_permitted = true});
    const Sent synack = rig.one();
    EXPECT_TRUE(synack.tcp.sack_permitted);  // RFC 2018 2: offered back
    rig.our_seq = synack.tcp.seq + 1;
    rig.peer_seq = 101;
    rig.inject(rig.peer(flag::ack));
    const SocketId s = *rig.stack.tcp_accept(l);
    EXPECT_TRUE(rig.stack.tcp_info(s)->sack);
    const auto data = bytes_of(100);
    auto seg = rig.peer(flag::ack);
    seg.seq = rig.peer_seq + 100;
    rig.inject(seg, data);
    Sent ack = rig.one();
    ASSERT_EQ(ack.tcp.sack_count, 1);
    EXPECT_EQ(ack.tcp.sack[0], (wire::TcpSackBlock{rig.peer_seq + 100, rig.peer_seq + 200}));
    seg.seq = rig.peer_seq + 300;
    rig.inject(seg, data);
    ack = rig.one();
    ASSERT_EQ(ack.tcp.sack_count, 2);  // RFC 2018 4: the newest block first
    EXPECT_EQ(ack.tcp.sack[0], (wire::TcpSackBlock{rig.peer_seq + 300, rig.peer_seq + 400}));
    EXPECT_EQ(ack.tcp.sack[1], (wire::TcpSackBlock{rig.peer_seq + 100, rig.peer_seq + 200}));
    // Our data segments still fit the MSS (DF is set): full ones leave the blocks out.
    const auto reply = bytes_of(3000);
    ASSERT_EQ(*rig.stack.tcp_send(s, reply, rig.now()), reply.size());
    std::size_t carried = 0;
    for (const Sent& out : rig.sent()) {
        EXPECT_LE(out.data.size() + out.tcp.options_len(), 1460u);
        carried += out.data.size();
    }
    EXPECT_EQ(carried, 2u * 1460);          // Nagle holds the last 80 bytes
    rig.inject(rig.peer(flag::ack), data);  // fills the first hole
    ack = rig.one();
    EXPECT_EQ(ack.tcp.ack, rig.peer_seq + 200);
    ASSERT_EQ(ack.tcp.sack_count, 1);
    EXPECT_EQ(ack.tcp.sack[0], (wire::TcpSackBlock{rig.peer_seq + 300, rig.peer_seq + 400}));
}

}  // namespace
}  // namespace netstack::tcptest
