// SACK as a sender: the scoreboard (merging, D-SACK and out-of-window blocks, IsLost), RFC
// 6675 recovery scripted segment by segment (two holes in one window, each retransmitted
// once, no timeout), the scoreboard after a timeout, and a lossy bulk transfer with and
// without SACK.
#include "netstack/stats.hpp"
#include "tcp/sack_scoreboard.hpp"
#include "tcp_rig.hpp"
#include "tcp_transfer_rig.hpp"

namespace netstack::tcptest {
namespace {

using tcp::SackScoreboard;
using wire::TcpSackBlock;

// --- the scoreboard ---------------------------------------------------------------------------

TEST(SackScoreboard, MergesBlocksIntoSortedRanges) {
    SackScoreboard board;
    const std::array<TcpSackBlock, 3> first{{{3000, 4000}, {1000, 2000}, {5000, 6000}}};
    auto u = board.update(500, 10000, first);
    EXPECT_EQ(u.valid, 3u);
    EXPECT_EQ(u.newly_sacked, 3000u);
    ASSERT_EQ(board.ranges().size(), 3u);
    EXPECT_EQ(board.ranges()[0].left, 1000u);
    EXPECT_EQ(board.ranges()[2].right, 6000u);
    // An adjacent block and one bridging two ranges: one range from 1000 to 6000.
    const std::array<TcpSackBlock, 2> second{{{2000, 2500}, {2400, 5000}}};
    u = board.update(500, 10000, second);
    EXPECT_EQ(u.newly_sacked, 2000u);
    ASSERT_EQ(board.ranges().size(), 1u);
    EXPECT_EQ(board.ranges()[0].left, 1000u);
    EXPECT_EQ(board.ranges()[0].right, 6000u);
    // The same again SACKs nothing new.
    EXPECT_EQ(board.update(500, 10000, second).newly_sacked, 0u);
    // The cumulative ACK passes part of it.
    board.advance(1500);
    EXPECT_EQ(board.ranges()[0].left, 1500u);
    EXPECT_EQ(board.sacked_bytes(), 4500u);
    board.advance(7000);
    EXPECT_TRUE(board.empty());
}

TEST(SackScoreboard, IgnoresDsackAndBlocksOutsideWhatWasSent) {
    SackScoreboard board;
    const std::array<TcpSackBlock, 4> blocks{{
        {100, 600},   // D-SACK: below the cumulative ACK (RFC 2883)
        {900, 1200},  // beyond SND.MAX
        {800, 700},   // reversed
        {600, 700},   // good
    }};
    const auto u = board.update(600, 1000, blocks);
    EXPECT_EQ(u.valid, 1u);
    EXPECT_EQ(u.invalid, 3u);
    ASSERT_EQ(board.ranges().size(), 1u);
    EXPECT_EQ(board.ranges()[0].left, 600u);
}

TEST(SackScoreboard, IsLostAfterThreeSegmentsOrMoreThanTwoMssAbove) {
    SackScoreboard board;
    const std::uint32_t mss = 1000;
    const std::array<TcpSackBlock, 1> one{{{2000, 3000}}};
    board.update(0, 100000, one);
    EXPECT_EQ(board.lost_edge(0, mss), 0u);  // one segment above: nothing lost
    const std::array<TcpSackBlock, 1> two{{{4000, 5000}}};
    board.update(0, 100000, two);
    EXPECT_EQ(board.lost_edge(0, mss), 0u);  // two, 2 MSS: not yet
    const std::array<TcpSackBlock, 1> three{{{6000, 7000}}};
    board.update(0, 100000, three);
    // Three discontiguous segments above [0, 2000): lost; [3000, 4000) has two above.
    EXPECT_EQ(board.lost_edge(0, mss), 2000u);
    // More than 2 MSS in one range counts too.
    SackScoreboard wide;
    const std::array<TcpSackBlock, 1> big{{{1000, 3100}}};
    wide.update(0, 100000, big);
    EXPECT_EQ(wide.lost_edge(0, mss), 1000u);
}

TEST(SackScoreboard, StaysBounded) {
    SackScoreboard board;
    for (std::uint32_t i = 0; i < 3 * SackScoreboard::max_ranges; ++i) {
        const std::array<TcpSackBlock, 1> block{{{i * 200 + 100, i * 200 + 150}}};
        board.update(0, 1000000, block);
    }
    ASSERT_EQ(board.ranges().size(), SackScoreboard::max_ranges);
    EXPECT_EQ(board.ranges()[0].left, 100u);  // the lowest are kept
}

// --- RFC 6675 recovery, scripted ------------------------------------------------------------

constexpr std::uint32_t mss = 1460;

StackConfig sack_config() {
    StackConfig config = plain_config();
    config.tcp.sack = true;
    return config;
}

struct SackConnected : ::testing::Test {
    TcpRig rig{sack_config()};
    SocketId s = 0;
    std::uint32_t base = 0;  // our first data byte

    // The peer offers SACK-permitted and an MSS of `peer_mss`.
    void SetUp() override { open(mss); }
    void open(std::uint16_t peer_mss) {
        Sent synack;
        std::tie(s, synack) = rig.accept_syn(rig.listen(80), {.src_port = 40000,
                                                              .dst_port = 80,
                                                              .seq = 1000,
                                                              .flags = flag::syn,
                                                              .window = 65535,
                                                              .mss = peer_mss,
                                                              .sack_permitted = true});
        EXPECT_TRUE(synack.tcp.sack_permitted);
        base = rig.our_seq;
        TcpSocketOptions options = *rig.stack.tcp_options(s);
        options.congestion = CongestionControl::newreno;
        ASSERT_TRUE(rig.stack.tcp_set_options(s, options));
        rig.events();
    }
    // The peer's ACK of `ack` with these blocks.
    void ack(std::uint32_t cumulative, std::initializer_list<TcpSackBlock> blocks = {}) {
        wire::TcpRepr seg = rig.peer(flag::ack);
        seg.ack = cumulative;
        for (const auto& b : blocks)
            seg.sack[seg.sack_count++] = b;
        rig.inject(seg);
    }
    std::uint32_t seg_at(std::uint32_t n) const { return base + (n - 1) * mss; }  // 1-based
    const TcpStats& stats() { return rig.stack.stats().tcp; }
};

// Slow start to a window of more than ten segments: each round is sent whole and
// acknowledged at once (cwnd grows by 2 MSS per ACK, RFC 3465's L).
std::uint32_t grow_window(SackConnected& t, std::size_t rounds) {
    std::uint32_t sent = 0;
    std::size_t segments = 3;  // the initial window
    for (std::size_t r = 0; r < rounds; ++r) {
        const auto data = bytes_of(segments * mss);
        EXPECT_EQ(*t.rig.stack.tcp_send(t.s, data, t.rig.now()), data.size());
        EXPECT_EQ(t.rig.sent().size(), segments);
        sent += static_cast<std::uint32_t>(data.size());
        t.ack(t.base + sent);
        t.rig.nothing_sent();
        segments += 2;
    }
    t.base += sent;
    return static_cast<std::uint32_t>(segments);
}

TEST_F(SackConnected, RecoveryOfTwoHolesRetransmitsEachOnceWithoutTimeout) {
    ASSERT_GE(grow_window(*this, 4), 10u);  // cwnd 11 segments
    const auto data = bytes_of(10 * mss, 9);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    auto out = rig.sent();
    ASSERT_EQ(out.size(), 10u);
    for (std::uint32_t i = 1; i <= 10; ++i)
        EXPECT_EQ(out[i - 1].tcp.seq, seg_at(i));
    // 3 and 7 are lost. 1 and 2 arrive, then 4, 5, 6: duplicate ACKs with SACK blocks.
    std::vector<Sent> retransmitted;
    auto collect = [&] {
        for (auto& sent : rig.sent()) {
            EXPECT_LT(sent.tcp.seq, seg_at(11)) << "no new data was queued";
            retransmitted.push_back(sent);
        }
    };
    ack(seg_at(2));
    ack(seg_at(3));
    collect();
    ack(seg_at(3), {{seg_at(4), seg_at(5)}});
    ack(seg_at(3), {{seg_at(4), seg_at(6)}});
    collect();
    EXPECT_TRUE(retransmitted.empty()) << "two duplicate ACKs are not a loss yet";
    ack(seg_at(3), {{seg_at(4), seg_at(7)}});  // the third: RFC 6675 enters recovery
    collect();
    ASSERT_EQ(retransmitted.size(), 1u);
    EXPECT_EQ(retransmitted[0].tcp.seq, seg_at(3));
    EXPECT_EQ(retransmitted[0].data.size(), mss);
    EXPECT_EQ(stats().sack_recoveries, 1u);
    // 8, 9, 10 arrive: 7 is a hole below SACKed data, then (three segments above) lost.
    ack(seg_at(3), {{seg_at(8), seg_at(9)}, {seg_at(4), seg_at(7)}});
    ack(seg_at(3), {{seg_at(8), seg_at(10)}, {seg_at(4), seg_at(7)}});
    ack(seg_at(3), {{seg_at(8), seg_at(11)}, {seg_at(4), seg_at(7)}});
    collect();
    ASSERT_EQ(retransmitted.size(), 2u);
    EXPECT_EQ(retransmitted[1].tcp.seq, seg_at(7));
    EXPECT_EQ(retransmitted[1].data.size(), mss);
    // The retransmitted 3 arrives: a partial ACK up to 7; nothing more goes out (7 was
    // retransmitted already, everything else is SACKed).
    ack(seg_at(7), {{seg_at(8), seg_at(11)}});
    collect();
    EXPECT_EQ(retransmitted.size(), 2u);
    // The retransmitted 7: the cumulative ACK covers the window, recovery ends.
    ack(seg_at(11));
    collect();
    EXPECT_EQ(retransmitted.size(), 2u);
    EXPECT_EQ(stats().timeouts, 0u);  // all within one RTT, the clock never moved
    EXPECT_EQ(stats().sack_retransmits, 2u);
    EXPECT_EQ(stats().retransmits, 2u);
    EXPECT_EQ(stats().fast_retransmits, 1u);
    EXPECT_EQ(stats().sack_blocks_received, 10u);
    EXPECT_EQ(stats().sack_blocks_invalid, 0u);
    const TcpInfo info = *rig.stack.tcp_info(s);
    EXPECT_EQ(info.bytes_in_flight, 0u);
    EXPECT_EQ(info.sack_blocks_seen, 10u);
    EXPECT_EQ(info.bytes_retransmitted, 2u * mss);
    EXPECT_EQ(info.cwnd, info.ssthresh);  // out of recovery: cwnd = ssthresh
    // Out of recovery, new data goes as cwnd allows.
    const auto more = bytes_of(2 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, more, rig.now()), more.size());
    out = rig.sent();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].tcp.seq, seg_at(11));
}

// RFC 6937 (PRR): in recovery the flight shrinks to ssthresh in proportion to what arrives,
// about ssthresh / RecoverFS of a segment per segment delivered (here one per two), from the
// first ACKs on; RFC 6675 alone sends nothing until the pipe falls below cwnd, then one per
// ACK. Once the pipe is below ssthresh, it grows back no faster than slow start.
// RFC 6937 (PRR): in recovery the flight shrinks to ssthresh in proportion to what arrives,
// and the sending starts with the first ACKs instead of after a pause; once the pipe is
// below ssthresh it grows back no faster than what is delivered.
TEST_F(SackConnected, ProportionalRateReductionSpreadsWhatRecoverySends) {
    ASSERT_GE(grow_window(*this, 4), 10u);
    const auto data = bytes_of(30 * mss, 5);
    ASSERT_GT(*rig.stack.tcp_send(s, data, rig.now()), 20u * mss);
    const auto window = static_cast<std::uint32_t>(rig.sent().size());
    ASSERT_GE(window, 11u);
    // 1 is lost; 2..window arrive, each ACK SACKing one more.
    std::vector<std::size_t> per_ack;
    std::vector<std::uint32_t> seqs;
    for (std::uint32_t n = 2; n <= window; ++n) {
        ack(seg_at(1), {{seg_at(2), seg_at(n + 1)}});
        const auto out = rig.sent();
        per_ack.push_back(out.size());
        for (const auto& o : out)
            seqs.push_back(o.tcp.seq);
    }
    // Limited Transmit on the first two duplicate ACKs, the fast retransmit of 1 on the third.
    ASSERT_EQ(per_ack.size(), window - 1);
    EXPECT_EQ(per_ack[0], 1u);
    EXPECT_EQ(per_ack[1], 1u);
    ASSERT_EQ(per_ack[2], 1u);
    EXPECT_EQ(seqs[2], seg_at(1));
    EXPECT_EQ(stats().sack_recoveries, 1u);
    // RecoverFS: the window and the two Limited Transmit segments; ssthresh half of it.
    const std::uint32_t recover_fs = window + 2;
    EXPECT_EQ(rig.stack.tcp_info(s)->ssthresh, recover_fs / 2 * mss);
    // Proportional: after d segments delivered, ceil(d * ssthresh / RecoverFS) = ceil(d / 2)
    // sent in all (the fast retransmit first): one new segment every second ACK from the
    // start, where RFC 6675 alone waits until the pipe is below cwnd (four ACKs here).
    EXPECT_EQ(per_ack[3], 0u);
    EXPECT_EQ(per_ack[4], 1u);
    EXPECT_EQ(per_ack[5], 0u);
    EXPECT_EQ(per_ack[6], 1u);
    EXPECT_EQ(seqs[3], seg_at(window + 3));  // new data, after the Limited Transmit ones
    // Then below ssthresh (PRR-SSRB): never more than one segment per segment delivered.
    for (std::size_t i = 3; i < per_ack.size(); ++i)
        EXPECT_LE(per_ack[i], 1u) << "ACK " << i;
}

TEST_F(SackConnected, BlocksOutsideTheWindowAreIgnoredAndCounted) {
    const auto data = bytes_of(3 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    ASSERT_EQ(rig.sent().size(), 3u);
    // Three duplicate ACKs whose blocks are beyond what was sent or below the cumulative
    // ACK (D-SACK): no recovery, nothing retransmitted.
    for (int i = 0; i < 3; ++i) {
        ack(seg_at(2), {{seg_at(4), seg_at(5)}, {base - 100, base}});
        rig.nothing_sent();
    }
    EXPECT_EQ(stats().sack_blocks_invalid, 6u);
    EXPECT_EQ(stats().sack_blocks_received, 0u);
    EXPECT_EQ(stats().sack_recoveries, 0u);
    EXPECT_EQ(stats().retransmits, 0u);
    EXPECT_EQ(rig.stack.tcp_info(s)->sack_blocks_seen, 6u);
}

TEST_F(SackConnected, IsLostEntersRecoveryBeforeThreeDuplicateAcks) {
    grow_window(*this, 2);  // cwnd 7 segments
    const auto data = bytes_of(5 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    ASSERT_EQ(rig.sent().size(), 5u);
    // One ACK SACKing 2, 3 and 4 (the others' ACKs were lost): 1 is lost at once.
    ack(seg_at(1), {{seg_at(2), seg_at(5)}});
    const Sent retransmit = rig.one();
    EXPECT_EQ(retransmit.tcp.seq, seg_at(1));
    EXPECT_EQ(stats().sack_recoveries, 1u);
}

TEST_F(SackConnected, LimitedTransmitSendsNewDataOnTheFirstDuplicateAcks) {
    const auto data = bytes_of(8 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    ASSERT_EQ(rig.sent().size(), 3u);  // the initial window
    // 1 is lost. Each of the first two duplicate ACKs lets one new segment out (RFC 6675
    // 5 step 3, RFC 3042: cwnd - pipe), so a small window still gets its third.
    ack(seg_at(1), {{seg_at(2), seg_at(3)}});
    Sent out = rig.one();
    EXPECT_EQ(out.tcp.seq, seg_at(4));
    ack(seg_at(1), {{seg_at(2), seg_at(4)}});
    out = rig.one();
    EXPECT_EQ(out.tcp.seq, seg_at(5));
    EXPECT_EQ(stats().retransmits, 0u);
    ack(seg_at(1), {{seg_at(2), seg_at(5)}});
    const auto third = rig.sent();
    ASSERT_GE(third.size(), 1u);
    EXPECT_EQ(third[0].tcp.seq, seg_at(1));  // recovery
    EXPECT_EQ(stats().sack_recoveries, 1u);
    EXPECT_EQ(stats().timeouts, 0u);
}

TEST_F(SackConnected, TimeoutClearsTheScoreboardAndGoBackNSkipsWhatIsSackedAfter) {
    grow_window(*this, 1);  // cwnd 5 segments
    const auto data = bytes_of(4 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    ASSERT_EQ(rig.sent().size(), 4u);
    // 1 and 3 are lost; 2 and 4 are SACKed: two duplicate ACKs, 2 MSS above 1 (not more):
    // no recovery.
    ack(seg_at(1), {{seg_at(2), seg_at(3)}});
    ack(seg_at(1), {{seg_at(4), seg_at(5)}, {seg_at(2), seg_at(3)}});
    rig.nothing_sent();
    rig.advance(1s);  // the RTO: 1 again (the scoreboard is cleared, RFC 2018 8)
    auto out = rig.sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].tcp.seq, seg_at(1));
    EXPECT_EQ(stats().timeouts, 1u);
    // 1 arrives: the ACK covers 2 and SACKs 4 again. Go-back-N resends 3, not 4.
    ack(seg_at(3), {{seg_at(4), seg_at(5)}});
    out = rig.sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].tcp.seq, seg_at(3));
    EXPECT_EQ(out[0].data.size(), mss);
    ack(seg_at(5));
    rig.nothing_sent();
    EXPECT_EQ(rig.stack.tcp_info(s)->bytes_in_flight, 0u);
    EXPECT_EQ(stats().retransmits, 2u);
}

TEST(SackConnect, NoSackPeerKeepsNewReno) {
    TcpRig rig(sack_config());  // we offer SACK, the peer's SYN-ACK does not
    const SocketId s = rig.connect_to(80);
    EXPECT_FALSE(rig.stack.tcp_info(s)->sack);
    const auto data = bytes_of(3 * mss);
    ASSERT_EQ(*rig.stack.tcp_send(s, data, rig.now()), data.size());
    ASSERT_EQ(rig.sent().size(), 3u);
    // Blocks from a peer that did not negotiate SACK are not looked at.
    wire::TcpRepr seg = rig.peer(flag::ack);
    seg.sack[seg.sack_count++] = {rig.our_seq + mss, rig.our_seq + 2 * mss};
    for (int i = 0; i < 3; ++i)
        rig.inject(seg);
    const Sent retransmit = rig.one();  // NewReno's fast retransmit on the third
    EXPECT_EQ(retransmit.tcp.seq, rig.our_seq);
    EXPECT_EQ(rig.stack.stats().tcp.fast_retransmits, 1u);
    EXPECT_EQ(rig.stack.stats().tcp.sack_recoveries, 0u);
    EXPECT_EQ(rig.stack.stats().tcp.sack_blocks_received, 0u);
}

// --- bulk transfer ----------------------------------------------------------------------------

TEST(SackTransfer, FivePercentLossRetransmitsLessWithSack) {
    StackConfig with_sack, without_sack;
    without_sack.tcp.sack = false;
    const auto on = transfertest::transfer_both_ways(0.05, 0.02, 0.02, 8 << 20, with_sack);
    const auto off = transfertest::transfer_both_ways(0.05, 0.02, 0.02, 8 << 20, without_sack);
    std::printf("retransmitted bytes at 5%% loss: SACK on %llu, SACK off %llu\n",
                static_cast<unsigned long long>(on.bytes_retransmitted),
                static_cast<unsigned long long>(off.bytes_retransmitted));
    EXPECT_GT(on.stats_a.sack_recoveries + on.stats_b.sack_recoveries, 0u);
    EXPECT_EQ(off.stats_a.sack_recoveries + off.stats_b.sack_recoveries, 0u);
    EXPECT_LT(on.bytes_retransmitted, off.bytes_retransmitted);
}

}  // namespace
}  // namespace netstack::tcptest
