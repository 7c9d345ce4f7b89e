// Frames received together (Stack::ReceiveBatch): the devices are flushed once at the end, a
// stream's every-second-segment ACKs become one per connection there (at most every 64 KiB
// or a quarter of the receive buffer), and what must be answered at once still is.
#include "tcp_rig.hpp"

namespace netstack::tcptest {
namespace {

struct Batched : AcceptedConnection {
    void peer_sends(std::size_t n) {
        rig.inject(rig.peer(flag::ack), bytes_of(n));
        rig.peer_seq += static_cast<std::uint32_t>(n);
    }
};

TEST_F(Batched, SegmentsOfOneBatchGetOneAckAtItsEnd) {
    const std::uint32_t start = rig.peer_seq;
    const std::size_t flushes = rig.device.flushes;
    {
        const Stack::ReceiveBatch batch(rig.stack, rig.now());
        for (int i = 0; i < 6; ++i)
            peer_sends(1000);
        rig.nothing_sent();  // outside a batch: an ACK after the 2nd, 4th and 6th
        EXPECT_EQ(rig.device.flushes, flushes);
    }
    const Sent ack = rig.one();
    EXPECT_EQ(ack.tcp.ack, start + 6000);
    EXPECT_EQ(ack.tcp.flags, flag::ack);
    EXPECT_EQ(rig.device.flushes, flushes + 1);
    // No timer is left to ACK the same data again.
    rig.advance(std::chrono::seconds(1));
    rig.nothing_sent();
}

TEST_F(Batched, ALoneSegmentStillWaitsForTheDelayedAckTimer) {
    {
        const Stack::ReceiveBatch batch(rig.stack, rig.now());
        peer_sends(1000);
    }
    rig.nothing_sent();
    rig.advance(rig.stack.config().tcp.delayed_ack);
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
}

TEST_F(Batched, AHeldAckIsBoundedByAQuarterOfTheReceiveBuffer) {
    // The plain config's 128 KiB receive buffer: an ACK once 32 KiB are unacknowledged.
    ASSERT_EQ(rig.stack.config().tcp.receive_buffer, 128u * 1024);
    const std::uint32_t start = rig.peer_seq;
    std::vector<Sent> during;
    {
        const Stack::ReceiveBatch batch(rig.stack, rig.now());
        for (int i = 0; i < 50; ++i)
            peer_sends(1000);
        during = rig.sent();
    }
    ASSERT_EQ(during.size(), 1u);
    EXPECT_EQ(during[0].tcp.ack, start + 33'000);  // the first segment to pass 32,768
    EXPECT_EQ(rig.one().tcp.ack, start + 50'000);
}

TEST_F(Batched, OutOfOrderDataIsAnsweredAtOnceAndNotAgainAtTheEnd) {
    const std::uint32_t start = rig.peer_seq;
    {
        const Stack::ReceiveBatch batch(rig.stack, rig.now());
        peer_sends(1000);
        peer_sends(1000);  // held
        rig.peer_seq += 1000;
        peer_sends(1000);  // a hole before it: a duplicate ACK now (RFC 5681 4.2)
        const Sent dup = rig.one();
        EXPECT_EQ(dup.tcp.ack, start + 2000);
    }
    rig.nothing_sent();  // the duplicate carried the held ACK
}

TEST_F(Batched, ReplyDataCarriesTheHeldAck) {
    {
        const Stack::ReceiveBatch batch(rig.stack, rig.now());
        peer_sends(1000);
        peer_sends(1000);
        const auto reply = bytes_of(10);
        ASSERT_EQ(*rig.stack.tcp_send(s, reply, rig.now()), 10u);
    }
    const Sent data = rig.one();
    EXPECT_EQ(data.data.size(), 10u);
    EXPECT_EQ(data.tcp.ack, rig.peer_seq);
}

TEST_F(Batched, AConnectionResetWithinTheBatchSendsNothing) {
    {
        const Stack::ReceiveBatch batch(rig.stack, rig.now());
        peer_sends(1000);
        peer_sends(1000);
        rig.inject(rig.peer(flag::rst));
        ASSERT_TRUE(rig.stack.tcp_close(s, rig.now()));
    }
    rig.nothing_sent();
}

TEST_F(Batched, OnlyTheOutermostOfNestedBatchesFlushes) {
    const std::size_t flushes = rig.device.flushes;
    {
        const Stack::ReceiveBatch outer(rig.stack, rig.now());
        {
            const Stack::ReceiveBatch inner(rig.stack, rig.now());
            peer_sends(1000);
            peer_sends(1000);
        }
        EXPECT_EQ(rig.device.flushes, flushes);
        rig.nothing_sent();
    }
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
    EXPECT_EQ(rig.device.flushes, flushes + 1);
}

// Outside a batch nothing changes: every frame's answers are flushed with it.
TEST_F(Batched, WithoutABatchEachReceiveFlushes) {
    const std::size_t flushes = rig.device.flushes;
    peer_sends(1000);
    peer_sends(1000);
    EXPECT_EQ(rig.one().tcp.ack, rig.peer_seq);
    EXPECT_EQ(rig.device.flushes, flushes + 1);
}

}  // namespace
}  // namespace netstack::tcptest
