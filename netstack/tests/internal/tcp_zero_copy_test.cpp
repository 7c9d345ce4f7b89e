// tcp_send_space/tcp_send_commit and tcp_receive_view/tcp_receive_commit: the halves of
// tcp_send and tcp_receive a splice uses to read a descriptor into the send buffer and write
// one from the receive buffer. They send, bound, block and fail as the whole calls do.
#include <cstring>

#include "tcp_rig.hpp"

namespace netstack::tcptest {
namespace {

struct ZeroCopy : AcceptedConnection {
    void peer_sends(std::span<const std::byte> data, std::uint8_t flags = flag::ack | flag::psh) {
        rig.inject(rig.peer(flags), data);
        rig.peer_seq += static_cast<std::uint32_t>(data.size());
    }
    std::vector<std::byte> view() {
        auto held = rig.stack.tcp_receive_view(s);
        EXPECT_TRUE(held) << describe(held.error());
        return held ? std::vector<std::byte>(held->begin(), held->end()) : std::vector<std::byte>{};
    }
};

TEST_F(ZeroCopy, WhatIsWrittenIntoTheSpaceAndCommittedIsSent) {
    const auto data = bytes_of(100);
    const auto room = rig.stack.tcp_send_space(s, 1000);
    ASSERT_TRUE(room);
    ASSERT_GE(room->size(), 1000u);
    std::memcpy(room->data(), data.data(), data.size());
    ASSERT_TRUE(rig.stack.tcp_send_commit(s, 60, rig.now()));
    const Sent seg = rig.one();
    EXPECT_EQ(seg.data, std::vector<std::byte>(data.begin(), data.begin() + 60));
    EXPECT_FALSE(seg.has(flag::urg));
}

TEST_F(ZeroCopy, TheSpaceIsBoundedAsTcpSendIsAndWouldBlockWhenFull) {
    // The send buffer's autotuned floor: twice ten segments, as tcp_send takes.
    auto room = rig.stack.tcp_send_space(s, 1 << 20);
    ASSERT_TRUE(room);
    EXPECT_EQ(room->size(), 20u * 1460);
    std::memset(room->data(), 7, room->size());
    ASSERT_TRUE(rig.stack.tcp_send_commit(s, room->size(), rig.now()));
    EXPECT_EQ(rig.stack.tcp_send_space(s, 1).error(), SocketError::would_block);
    rig.events();
    // An ACK makes room, and says so, as it does after tcp_send would have blocked.
    const auto first = rig.sent();
    ASSERT_FALSE(first.empty());
    rig.our_seq += static_cast<std::uint32_t>(first[0].data.size());
    rig.inject(rig.peer(flag::ack));
    bool writable = false;
    for (const auto& e : rig.events())
        writable = writable || (e.bits & socket_writable) != 0;
    EXPECT_TRUE(writable);
    EXPECT_TRUE(rig.stack.tcp_send_space(s, 1));
}

TEST_F(ZeroCopy, UrgentCommitsMoveTheUrgentPointer) {
    const auto room = rig.stack.tcp_send_space(s, 3);
    ASSERT_TRUE(room);
    std::memcpy(room->data(), "ab!", 3);
    ASSERT_TRUE(rig.stack.tcp_send_commit(s, 3, rig.now(), /*urgent=*/true));
    const Sent seg = rig.one();
    EXPECT_TRUE(seg.has(flag::urg));
    EXPECT_EQ(seg.tcp.urgent, 3u);
    EXPECT_EQ(rig.stack.stats().tcp.urgent_sent, 1u);
}

TEST_F(ZeroCopy, TheViewShowsReceivedBytesInPlaceUntilCommitted) {
    EXPECT_EQ(rig.stack.tcp_receive_view(s).error(), SocketError::would_block);
    const auto data = bytes_of(300);
    peer_sends(data);
    EXPECT_EQ(view(), data);
    EXPECT_EQ(view(), data);  // looking takes nothing
    ASSERT_TRUE(rig.stack.tcp_receive_commit(s, 100, rig.now()));
    EXPECT_EQ(view(), std::vector<std::byte>(data.begin() + 100, data.end()));
    std::array<std::byte, 1000> rest{};
    EXPECT_EQ(*rig.stack.tcp_receive(s, rest, rig.now()), 200u);
    EXPECT_EQ(rig.stack.tcp_receive_view(s).error(), SocketError::would_block);
}

TEST_F(ZeroCopy, ReadingThroughTheViewOpensTheWindowAsTcpReceiveDoes) {
    // Fill the window (64 KiB, plain_config), then read it all through the view: the window
    // update goes out as it would after tcp_receive.
    const auto window = rig.stack.tcp_info(s)->receive_window;
    ASSERT_GT(window, 2920u);
    for (std::size_t sent = 0; sent + 1460 <= window; sent += 1460)
        peer_sends(bytes_of(1460));
    (void)rig.sent();
    const auto held = rig.stack.tcp_receive_view(s);
    ASSERT_TRUE(held);
    ASSERT_TRUE(rig.stack.tcp_receive_commit(s, held->size(), rig.now()));
    const auto update = rig.sent();
    ASSERT_FALSE(update.empty());
    EXPECT_EQ(update.back().tcp.ack, rig.peer_seq);
    EXPECT_GT(update.back().tcp.window, 0u);
}

TEST_F(ZeroCopy, TheViewIsEmptyAtTheEndOfStream) {
    peer_sends(bytes_of(10));
    peer_sends({}, flag::ack | flag::fin);
    ++rig.peer_seq;
    EXPECT_EQ(view().size(), 10u);
    ASSERT_TRUE(rig.stack.tcp_receive_commit(s, 10, rig.now()));
    const auto end = rig.stack.tcp_receive_view(s);
    ASSERT_TRUE(end);
    EXPECT_TRUE(end->empty());
}

TEST_F(ZeroCopy, RefusedAsTheWholeCallsAre) {
    EXPECT_EQ(rig.stack.tcp_send_space(l, 10).error(), SocketError::not_connected);
    EXPECT_EQ(rig.stack.tcp_receive_view(l).error(), SocketError::not_connected);
    EXPECT_EQ(rig.stack.tcp_send_space(9999, 10).error(), SocketError::bad_socket);
    EXPECT_EQ(rig.stack.tcp_send_commit(9999, 0, rig.now()).error(), SocketError::bad_socket);
    EXPECT_EQ(rig.stack.tcp_receive_view(9999).error(), SocketError::bad_socket);
    EXPECT_EQ(rig.stack.tcp_receive_commit(9999, 0, rig.now()).error(), SocketError::bad_socket);
    ASSERT_TRUE(rig.stack.tcp_shutdown(s, ShutdownHow::write, rig.now()));
    EXPECT_EQ(rig.stack.tcp_send_space(s, 10).error(), SocketError::shut_down);
}

}  // namespace
}  // namespace netstack::tcptest
