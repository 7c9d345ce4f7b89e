// A scripted TCP peer, packetdrill-style: one Stack with interface eth0 (10.0.0.1) on a
// queueing device and a ManualClock; the test plays the peer (10.0.0.2), injecting segments
// built with wire::TcpRepr (checked against scapy in tcp_wire_test.cpp) and reading back
// exactly the segments the stack sent.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <tuple>
#include <utility>
#include <vector>

#include "netstack/stack.hpp"
#include "wire/tcp.hpp"

namespace netstack::tcptest {

using namespace std::chrono_literals;
namespace flag = wire::tcp_flag;

inline constexpr MacAddress our_mac{{0x02, 0, 0, 0, 0, 0x01}};
inline constexpr MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr Ipv4Address our_ip = Ipv4Address::from_octets(10, 0, 0, 1);
inline constexpr Ipv4Address peer_ip = Ipv4Address::from_octets(10, 0, 0, 2);

// Queues every frame the stack transmits.
class QueueDevice : public Device {
  public:
    explicit QueueDevice(std::size_t max_frame = 1514) : max_frame_(max_frame) {}
    TxStatus transmit(std::span<const std::byte> frame) override {
        frames.emplace_back(frame.begin(), frame.end());
        return TxStatus::sent;
    }
    void flush() override { ++flushes; }
    std::size_t max_frame() const override { return max_frame_; }
    std::deque<std::vector<std::byte>> frames;
    std::size_t flushes = 0;

  private:
    std::size_t max_frame_;
};

// A segment the stack sent, with its own copy of the data.
struct Sent {
    wire::TcpRepr tcp;  // tcp.payload is cleared; see data
    std::vector<std::byte> data;
    Ipv4Address src, dst;
    bool dont_fragment = false;
    bool has(std::uint8_t f) const { return tcp.has(f); }
};

// Plain defaults for exact scripts: no window scaling, timestamps or SACK unless a test
// turns them on, and a peer whose segments say so explicitly.
StackConfig plain_config();

std::vector<std::byte> bytes_of(std::size_t n, std::uint8_t start = 0);

class TcpRig {
  public:
    explicit TcpRig(StackConfig config = plain_config(), std::size_t max_frame = 1514);

    // The peer's segment: ports, seq, ack, flags, window and options from `seg`.
    void inject(wire::TcpRepr seg, std::span<const std::byte> data = {});
    // Everything the stack sent since the last call (ARP frames skipped).
    std::vector<Sent> sent();
    // Exactly one segment (fails the test otherwise).
    Sent one();
    void nothing_sent() { EXPECT_TRUE(sent().empty()); }
    void advance(Duration d);
    Instant now() const { return clock.now(); }

    // An ICMP destination unreachable from the peer about our segment `about`.
    void inject_unreachable(std::uint8_t code, const Sent& about, std::uint32_t rest = 0);

    SocketId listen(std::uint16_t port, std::size_t backlog = 16);
    // The peer connects from `peer_port` to our `port` with ISN `peer_iss`; returns the
    // accepted socket. Our next sequence number is in our_seq, the peer's in peer_seq.
    SocketId accept_from(SocketId listener, std::uint16_t peer_port, std::uint16_t port,
                         std::uint32_t peer_iss = 1000);
    // The same with the peer's own SYN (its options); also returns our SYN-ACK.
    std::pair<SocketId, Sent> accept_syn(SocketId listener, const wire::TcpRepr& syn);
    // We connect to the peer's `port`; the peer answers with ISN `peer_iss`.
    SocketId connect_to(std::uint16_t port, std::uint32_t peer_iss = 5000);
    // A segment from the peer on the current connection (peer_port -> local_port) with
    // seq = peer_seq, ack = our_seq.
    wire::TcpRepr peer(std::uint8_t flags, std::uint16_t window = 65535) const;
    std::vector<SocketEvent> events();

    void answer_arp(std::span<const std::byte> request);
    void parse_into(std::span<const std::byte> frame, std::vector<Sent>& out);

    ManualClock clock;
    QueueDevice device;
    Stack stack;
    InterfaceId eth0 = 0;
    std::uint16_t local_port = 0, peer_port = 0;
    std::uint32_t our_seq = 0, peer_seq = 0;
};

// A fixture: the peer (port 40000) connected to our listener on port 80, events taken.
struct AcceptedConnection : ::testing::Test {
    TcpRig rig;
    SocketId l = 0, s = 0;
    void SetUp() override {
        l = rig.listen(80);
        s = rig.accept_from(l, 40000, 80);
        rig.events();
    }
};

}  // namespace netstack::tcptest
