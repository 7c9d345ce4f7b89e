// Urgent data scripts (RFC 9293 3.8.5, MUST-30..33, RFC 6093): the pointer we send and how
// long we send it, and the peer's pointer as a reader meets it — the event, the mark a read
// stops at, the out-of-band byte read apart or inline, a pointer ahead of its byte, a newer
// mark, retransmissions that must not replay it.
#include <string>
#include <string_view>

#include "tcp_rig.hpp"

namespace netstack::tcptest {
namespace {

std::vector<std::byte> text(std::string_view s) {
    std::vector<std::byte> out(s.size());
    for (std::size_t i = 0; i < s.size(); ++i)
        out[i] = static_cast<std::byte>(s[i]);
    return out;
}

std::string as_text(std::span<const std::byte> bytes) {
    std::string out;
    for (std::byte b : bytes)
        out.push_back(static_cast<char>(b));
    return out;
}

struct Urgent : AcceptedConnection {
    // The peer sends `data`; `up` is the segment's urgent pointer (0: no URG).
    void peer_sends(std::string_view data, std::uint16_t up = 0) {
        wire::TcpRepr seg = rig.peer(flag::ack | flag::psh | (up ? flag::urg : 0));
        seg.urgent = up;
        rig.inject(seg, text(data));
        rig.peer_seq += static_cast<std::uint32_t>(data.size());
    }
    std::string read(std::size_t max = 100) {
        std::vector<std::byte> buffer(max);
        auto n = rig.stack.tcp_receive(s, buffer, rig.now());
        if (!n) return "<" + std::string(describe(n.error())) + ">";
        return as_text(std::span(buffer).first(*n));
    }
    std::uint8_t event_bits() {
        std::uint8_t bits = 0;
        for (const SocketEvent& e : rig.events())
            if (e.socket == s) bits |= e.bits;
        return bits;
    }
    TcpUrgent urgent() { return *rig.stack.tcp_urgent(s); }
};

// --- sending ---

TEST_F(Urgent, ThePointerMarksTheByteAfterTheUrgentDataAndSkipsNagle) {
    ASSERT_EQ(*rig.stack.tcp_send(s, text("12345"), rig.now()), 5u);
    const Sent first = rig.one();
    EXPECT_FALSE(first.has(flag::urg));
    // Nagle would hold a small segment while `first` is unacknowledged; urgent data goes.
    ASSERT_EQ(*rig.stack.tcp_send_urgent(s, text("ab!"), rig.now()), 3u);
    const Sent urgent = rig.one();
    EXPECT_EQ(as_text(urgent.data), "ab!");
    EXPECT_TRUE(urgent.has(flag::urg));
    EXPECT_EQ(urgent.tcp.urgent, 3u);  // MUST-31: the octet following the urgent data
    EXPECT_EQ(rig.stack.stats().tcp.urgent_sent, 1u);
    // Until the peer acknowledges the urgent data, every segment before the pointer says it,
    // a retransmission too.
    rig.advance(1s);
    const Sent again = rig.one();
    EXPECT_EQ(again.tcp.seq, rig.our_seq);
    EXPECT_TRUE(again.has(flag::urg));
    EXPECT_EQ(again.tcp.urgent, 8u);
    rig.our_seq += 8;
    rig.inject(rig.peer(flag::ack));
    ASSERT_EQ(*rig.stack.tcp_send(s, text("after"), rig.now()), 5u);
    const Sent after = rig.one();
    EXPECT_FALSE(after.has(flag::urg));
    EXPECT_EQ(after.tcp.urgent, 0u);
}

TEST_F(Urgent, AClosedWindowStillCarriesThePointer) {
    rig.inject(rig.peer(flag::ack, 0));
    ASSERT_EQ(*rig.stack.tcp_send_urgent(s, text("stop"), rig.now()), 4u);
    rig.nothing_sent();
    // The window probe (one old sequence number) tells the peer urgent data waits.
    rig.advance(200ms);
    const Sent probe = rig.one();
    EXPECT_TRUE(probe.data.empty());
    EXPECT_TRUE(probe.has(flag::urg));
    EXPECT_EQ(probe.tcp.urgent, 5u);
    // So does an ACK of the peer's data.
    peer_sends("x");
    rig.advance(40ms);
    const Sent ack = rig.one();
    EXPECT_EQ(ack.tcp.seq, rig.our_seq);
    EXPECT_TRUE(ack.has(flag::urg));
    EXPECT_EQ(ack.tcp.urgent, 4u);
}

TEST_F(Urgent, APointerBeyondTheFieldIsSentAsItsLargestValueOnlyPastWhatWasSent) {
    TcpSocketOptions options = *rig.stack.tcp_options(s);
    options.send_buffer = 128 * 1024;
    ASSERT_TRUE(rig.stack.tcp_set_options(s, options));
    rig.inject(rig.peer(flag::ack, 0));
    const auto big = bytes_of(70000);
    ASSERT_EQ(*rig.stack.tcp_send_urgent(s, big, rig.now()), big.size());
    rig.advance(200ms);
    const Sent probe = rig.one();  // at our_seq - 1: the pointer is 70,001 away
    EXPECT_TRUE(probe.has(flag::urg));
    EXPECT_EQ(probe.tcp.urgent, 0xffffu);
}

// --- receiving ---

TEST_F(Urgent, AReadStopsAtTheMarkAndTheByteIsReadApartOnce) {
    peer_sends("hello!", 6);
    EXPECT_EQ(event_bits(), socket_urgent | socket_readable);  // MUST-32
    EXPECT_EQ(rig.stack.stats().tcp.urgent_received, 1u);
    TcpUrgent u = urgent();
    EXPECT_EQ(u.remaining, 6u);  // MUST-33
    EXPECT_FALSE(u.at_mark);
    EXPECT_TRUE(u.byte_ready);
    EXPECT_EQ(rig.stack.tcp_info(s)->receive_queued, 6u);
    EXPECT_EQ(read(), "hello");
    u = urgent();
    EXPECT_TRUE(u.at_mark);  // SIOCATMARK
    EXPECT_EQ(u.remaining, 1u);
    EXPECT_EQ(*rig.stack.tcp_receive_urgent(s), std::byte{'!'});
    EXPECT_EQ(rig.stack.tcp_receive_urgent(s).error(), SocketError::invalid);
    EXPECT_EQ(read(), "<nothing to receive>");  // the byte is not in the stream
    peer_sends("world");
    EXPECT_EQ(read(), "world");
    EXPECT_EQ(urgent().remaining, 0u);
    EXPECT_FALSE(urgent().at_mark);
    EXPECT_EQ(rig.stack.tcp_receive_urgent(s).error(), SocketError::invalid);
}

TEST_F(Urgent, ReadingPastTheMarkLosesTheByte) {
    peer_sends("ab!", 3);
    peer_sends("cd");
    EXPECT_EQ(read(), "ab");
    EXPECT_EQ(read(), "cd");  // skips the out-of-band byte, as Linux
    EXPECT_EQ(rig.stack.tcp_receive_urgent(s).error(), SocketError::invalid);
}

TEST_F(Urgent, InlineTheByteStaysInTheStreamAndTheReadStillStopsAtTheMark) {
    TcpSocketOptions options = *rig.stack.tcp_options(s);
    options.oob_inline = true;
    ASSERT_TRUE(rig.stack.tcp_set_options(s, options));
    peer_sends("ab!", 3);
    peer_sends("cd");
    EXPECT_EQ(urgent().remaining, 3u);
    EXPECT_FALSE(urgent().byte_ready);
    EXPECT_EQ(read(), "ab");
    EXPECT_TRUE(urgent().at_mark);
    EXPECT_EQ(rig.stack.tcp_receive_urgent(s).error(), SocketError::invalid);
    EXPECT_EQ(read(), "!cd");
    EXPECT_EQ(urgent().remaining, 0u);
}

TEST_F(Urgent, APointerAheadOfItsByteIsToldAtOnceAndTheByteWaits) {
    peer_sends("abc", 10);  // urgent data runs on to the 10th byte, not yet sent
    EXPECT_EQ(event_bits(), socket_urgent | socket_readable);
    EXPECT_EQ(urgent().remaining, 10u);
    EXPECT_EQ(rig.stack.tcp_receive_urgent(s).error(), SocketError::would_block);
    EXPECT_EQ(read(), "abc");
    peer_sends("defghij", 7);  // the same pointer: nothing new to tell
    EXPECT_EQ(event_bits(), socket_readable);
    EXPECT_EQ(rig.stack.stats().tcp.urgent_received, 1u);
    EXPECT_EQ(read(), "defghi");
    EXPECT_EQ(*rig.stack.tcp_receive_urgent(s), std::byte{'j'});
}

TEST_F(Urgent, OnlyTheOutOfBandByteQueuedIsNotReadable) {
    peer_sends("!", 1);
    EXPECT_EQ(event_bits(), socket_urgent);
    EXPECT_EQ(read(), "<nothing to receive>");  // skips the byte: lost, as Linux does
    peer_sends("x");
    EXPECT_EQ(event_bits(), socket_readable);
    EXPECT_EQ(read(), "x");
}

TEST_F(Urgent, ARetransmittedUrgentSegmentDoesNotReplayThePointer) {
    const std::uint32_t start = rig.peer_seq;
    peer_sends("ab!", 3);
    EXPECT_EQ(event_bits(), socket_urgent | socket_readable);
    wire::TcpRepr again = rig.peer(flag::ack | flag::psh | flag::urg);
    again.seq = start;
    again.urgent = 3;
    rig.inject(again, text("ab!"));
    EXPECT_EQ(event_bits(), 0);
    EXPECT_EQ(rig.stack.stats().tcp.urgent_received, 1u);
    EXPECT_EQ(read(), "ab");
    EXPECT_EQ(*rig.stack.tcp_receive_urgent(s), std::byte{'!'});
}

TEST_F(Urgent, ANewerMarkDropsAnUnreadByteWaitingAtTheReader) {
    peer_sends("ab!", 3);
    EXPECT_EQ(read(), "ab");
    EXPECT_TRUE(urgent().at_mark);
    peer_sends("cd?", 3);
    EXPECT_EQ(event_bits() & socket_urgent, socket_urgent);
    EXPECT_EQ(rig.stack.stats().tcp.urgent_received, 2u);
    EXPECT_EQ(read(), "cd");
    EXPECT_EQ(*rig.stack.tcp_receive_urgent(s), std::byte{'?'});
}

TEST_F(Urgent, ANewerMarkTurnsAnEarlierUnreadByteIntoData) {
    peer_sends("a!", 2);
    peer_sends("b?", 2);
    EXPECT_EQ(rig.stack.stats().tcp.urgent_received, 2u);
    EXPECT_EQ(read(), "a!b");  // '!' is ordinary data now
    EXPECT_EQ(*rig.stack.tcp_receive_urgent(s), std::byte{'?'});
}

TEST_F(Urgent, APointerOfZeroOrAfterThePeersFinIsIgnored) {
    peer_sends("ab", 0);
    wire::TcpRepr zero = rig.peer(flag::ack | flag::urg);
    rig.inject(zero, text("c"));
    ++rig.peer_seq;
    EXPECT_EQ(urgent().remaining, 0u);
    rig.inject(rig.peer(flag::ack | flag::fin));  // CLOSE-WAIT: the peer sends no more
    ++rig.peer_seq;
    wire::TcpRepr late = rig.peer(flag::ack | flag::urg);
    late.urgent = 5;
    rig.inject(late);
    EXPECT_EQ(rig.stack.stats().tcp.urgent_received, 0u);
    EXPECT_EQ(read(), "abc");
}

TEST_F(Urgent, UrgentDataBeforeTheFinIsStillTheEndOfStreamAfterwards) {
    peer_sends("x!", 2);
    rig.inject(rig.peer(flag::ack | flag::fin));
    ++rig.peer_seq;
    EXPECT_EQ(read(), "x");
    EXPECT_EQ(*rig.stack.tcp_receive_urgent(s), std::byte{'!'});
    EXPECT_EQ(read(), "");  // end of stream
}

}  // namespace
}  // namespace netstack::tcptest
