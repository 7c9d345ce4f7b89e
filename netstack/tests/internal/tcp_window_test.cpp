// The window we offer: with window scaling the right edge we record is exactly the one the
// peer reads from the scaled field, it never moves left, and the peer's ACKs sent from that
// edge are processed. A mismatch here deadlocked a transfer against Linux under loss: the
// field rounded up past our recorded edge, Linux filled the window it read, and we then
// dropped every pure ACK it sent (their sequence number lay beyond our zero window).
#include "tcp_rig.hpp"

namespace netstack::tcptest {
namespace {

constexpr std::uint8_t kOurScale = 7;  // for the default 4 MiB maximum buffer
constexpr std::uint32_t kUnit = 1u << kOurScale;

// A connection with window scaling (the peer's shift 0, ours 7), a 4000-byte receive buffer
// that does not grow (the application never reads), and 100 bytes of ours unacknowledged.
struct ScaledWindow : ::testing::Test {
    TcpRig rig{[] {
        StackConfig config = plain_config();
        config.tcp.window_scaling = true;
        config.tcp.receive_buffer = 4000;
        return config;
    }()};
    SocketId s = 0;
    std::uint32_t handshake_window = 0;  // the SYN-ACK's, never scaled

    void SetUp() override {
        Sent synack;
        std::tie(s, synack) = rig.accept_syn(rig.listen(80), {.src_port = 40000,
                                                              .dst_port = 80,
                                                              .seq = 1000,
                                                              .flags = flag::syn,
                                                              .window = 65535,
                                                              .mss = 1460,
                                                              .window_scale = 0});
        ASSERT_EQ(synack.tcp.window_scale, kOurScale);
        handshake_window = synack.tcp.window;
        rig.events();
        const auto ours = bytes_of(100);
        ASSERT_EQ(*rig.stack.tcp_send(s, ours, rig.now()), 100u);
        ASSERT_EQ(rig.one().data, ours);
    }

    // The peer's data, in segments of at most its MSS, from its next sequence number.
    void peer_sends(std::size_t n) {
        while (n > 0) {
            const std::size_t len = std::min<std::size_t>(n, 1460);
            rig.inject(rig.peer(flag::ack | flag::psh), bytes_of(len));
            rig.peer_seq += static_cast<std::uint32_t>(len);
            n -= len;
        }
    }
    // Our last ACK after the delayed-ACK timer; the window it offers as the peer reads it.
    std::uint32_t offered_window() {
        rig.advance(50ms);  // past the delayed ACK (40 ms), before any retransmission
        const auto sent = rig.sent();
        EXPECT_FALSE(sent.empty());
        if (sent.empty()) return 0;
        EXPECT_EQ(sent.back().tcp.ack, rig.peer_seq);
        return std::uint32_t{sent.back().tcp.window} << kOurScale;
    }
    // The peer's pure ACK of our 100 bytes, sent from sequence number `seq`.
    void peer_acks_ours_from(std::uint32_t seq) {
        auto ack = rig.peer(flag::ack);
        ack.seq = seq;
        ack.ack = rig.our_seq + 100;
        rig.inject(ack);
    }
};

TEST_F(ScaledWindow, TheEdgeWeRecordIsTheOneThePeerReadsAndAllOfItIsAccepted) {
    peer_sends(1000);  // 3000 bytes free: not a multiple of the 128-byte unit
    const std::uint32_t window = offered_window();
    EXPECT_EQ(window % kUnit, 0u);
    EXPECT_EQ(rig.stack.tcp_info(s)->receive_window, window);
    // Never less than the edge offered before (4000 - 1000), never a shrink.
    EXPECT_GE(window, 3000u);
    // The peer fills the window it read, to the byte, each time: every byte is taken, and
    // what each ACK offers is what we record. Keeping an unaligned edge rounds it up, so the
    // buffer ends a little over its size, by less than a unit per ACK.
    std::size_t received = 1000;
    std::uint32_t to_send = window;
    for (int round = 0; round < 4 && to_send > 0; ++round) {
        peer_sends(to_send);
        received += to_send;
        rig.advance(50ms);
        const auto acks = rig.sent();
        ASSERT_FALSE(acks.empty());
        EXPECT_EQ(acks.back().tcp.ack, rig.peer_seq);
        to_send = std::uint32_t{acks.back().tcp.window} << kOurScale;
        EXPECT_EQ(rig.stack.tcp_info(s)->receive_window, to_send);
    }
    EXPECT_EQ(to_send, 0u);
    EXPECT_EQ(rig.stack.tcp_info(s)->receive_queued, received);
    EXPECT_LT(received, 4000u + 4 * kUnit);
    // Its pure ACK, from its next sequence number, is processed: our data is acknowledged.
    peer_acks_ours_from(rig.peer_seq);
    EXPECT_EQ(rig.stack.tcp_info(s)->bytes_in_flight, 0u);
    EXPECT_EQ(rig.stack.stats().tcp.drop_out_of_window, 0u);
}

TEST_F(ScaledWindow, APureAckFromTheRightEdgeCountsWhenTheDataBeforeItWasLost) {
    const std::uint32_t window = handshake_window;
    ASSERT_GT(window, 0u);
    // The peer sent the whole window; all of it was lost. Its next pure ACK carries the
    // sequence number just past our window (Linux accepts it: tcp_sequence()).
    peer_acks_ours_from(rig.peer_seq + window);
    EXPECT_EQ(rig.stack.tcp_info(s)->bytes_in_flight, 0u);
    // One past the edge is out of the window: dropped, answered with an ACK of where we are.
    rig.sent();
    peer_acks_ours_from(rig.peer_seq + window + 1);
    EXPECT_EQ(rig.stack.stats().tcp.drop_out_of_window, 1u);
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
}

}  // namespace
}  // namespace netstack::tcptest
