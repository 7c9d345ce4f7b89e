// Two stacks joined by a tiny in-test wire: ARP resolution, ping and UDP both ways.
#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "netstack/stack.hpp"
#include "wire/bytes.hpp"

namespace netstack {
namespace {

// Queues every transmitted frame; the test moves them to the peer.
class WireEnd : public Device {
  public:
    TxStatus transmit(std::span<const std::byte> frame) override {
        frames.emplace_back(frame.begin(), frame.end());
        return TxStatus::sent;
    }
    std::size_t max_frame() const override { return 1514; }
    std::deque<std::vector<std::byte>> frames;
};

struct Pair {
    ManualClock clock;
    Stack a{StackConfig{.seed = 1}};
    Stack b{StackConfig{.seed = 2}};
    WireEnd wa, wb;
    InterfaceId ia = 0, ib = 0;

    Pair() {
        ia = *a.add_interface({.name = "eth0"}, wa);
        ib = *b.add_interface({.name = "eth0"}, wb);
        EXPECT_TRUE(a.add_address(ia, *Ipv4Cidr::parse("10.0.0.1/24"), clock.now()));
        EXPECT_TRUE(b.add_address(ib, *Ipv4Cidr::parse("10.0.0.2/24"), clock.now()));
    }
    // Carries frames both ways until the wire is quiet (bounded).
    void run() {
        for (int round = 0; round < 20 && (!wa.frames.empty() || !wb.frames.empty()); ++round) {
            auto from_a = std::move(wa.frames);
            auto from_b = std::move(wb.frames);
            wa.frames.clear();
            wb.frames.clear();
            for (auto& f : from_a)
                b.receive(ib, f, clock.now());
            for (auto& f : from_b)
                a.receive(ia, f, clock.now());
        }
    }
};

TEST(Smoke, PingBothWays) {
    Pair p;
    p.run();  // gratuitous ARPs
    auto sa = p.a.ping_open();
    ASSERT_TRUE(sa);
    ASSERT_TRUE(p.a.ping_send(*sa, *Ipv4Address::parse("10.0.0.2"), 1, 56, p.clock.now()));
    p.run();
    auto reply = p.a.ping_receive(*sa);
    ASSERT_TRUE(reply) << describe(reply.error());
    EXPECT_EQ(reply->from, *Ipv4Address::parse("10.0.0.2"));
    EXPECT_EQ(reply->seq, 1);
    EXPECT_EQ(reply->payload_size, 56u);
    EXPECT_TRUE(reply->payload_ok);
    EXPECT_EQ(reply->received, p.clock.now());

    auto sb = p.b.ping_open();
    ASSERT_TRUE(p.b.ping_send(*sb, *Ipv4Address::parse("10.0.0.1"), 7, 0, p.clock.now()));
    p.run();
    auto back = p.b.ping_receive(*sb);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->seq, 7);
    EXPECT_EQ(p.a.stats().icmp.tx_echo_replies, 1u);
    EXPECT_EQ(p.b.stats().icmp.tx_echo_replies, 1u);
}

TEST(Smoke, UdpBothWays) {
    Pair p;
    auto server = *p.b.udp_open();
    ASSERT_TRUE(p.b.udp_bind(server, {Ipv4Address::any(), 5000}));
    auto client = *p.a.udp_open();
    const std::string hello = "hello";
    ASSERT_TRUE(p.a.udp_send_to(client, wire::as_bytes(hello), *Endpoint::parse("10.0.0.2:5000"),
                                p.clock.now()));
    p.run();
    std::vector<SocketEvent> events;
    p.b.take_events(events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].socket, server);
    EXPECT_EQ(events[0].bits, socket_readable);

    std::array<std::byte, 64> buf{};
    auto got = p.b.udp_receive(server, buf);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->size, 5u);
    EXPECT_EQ(got->to, *Endpoint::parse("10.0.0.2:5000"));
    EXPECT_EQ(got->from.address, *Ipv4Address::parse("10.0.0.1"));
    EXPECT_GE(got->from.port, 49152);

    ASSERT_TRUE(p.b.udp_send_to(server, wire::as_bytes(hello), got->from, p.clock.now()));
    p.run();
    auto echoed = p.a.udp_receive(client, buf);
    ASSERT_TRUE(echoed);
    EXPECT_EQ(echoed->from, *Endpoint::parse("10.0.0.2:5000"));
    EXPECT_EQ(p.a.udp_receive(client, buf).error(), SocketError::would_block);
}

TEST(Smoke, PortUnreachableReachesTheSocket) {
    Pair p;
    auto client = *p.a.udp_open();
    ASSERT_TRUE(p.a.udp_connect(client, *Endpoint::parse("10.0.0.2:9")));
    const std::string x = "x";
    ASSERT_TRUE(p.a.udp_send(client, wire::as_bytes(x), p.clock.now()));
    p.run();
    auto error = p.a.take_error(client);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->type, 3);
    EXPECT_EQ(error->code, 3);
    EXPECT_EQ(p.b.stats().udp.drop_no_socket, 1u);
}

TEST(Smoke, OwnAddressesAreReachedWithoutTheWire) {
    Pair p;
    p.run();
    const auto ping = *p.a.ping_open();
    ASSERT_TRUE(p.a.ping_send(ping, *Ipv4Address::parse("10.0.0.1"), 4, 16, p.clock.now()));
    auto reply = p.a.ping_receive(ping);
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->payload_ok);

    const auto rx = *p.a.udp_open();
    ASSERT_TRUE(p.a.udp_bind(rx, *Endpoint::parse("10.0.0.1:99")));
    const auto tx = *p.a.udp_open();
    const std::string x = "self";
    ASSERT_TRUE(
        p.a.udp_send_to(tx, wire::as_bytes(x), *Endpoint::parse("10.0.0.1:99"), p.clock.now()));
    std::array<std::byte, 8> buf{};
    auto got = p.a.udp_receive(rx, buf);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->from.address, *Ipv4Address::parse("10.0.0.1"));
    EXPECT_TRUE(p.wa.frames.empty()) << "nothing went on the wire";
}

TEST(Smoke, StaleNeighbourIsProbedWhileStillUsed) {
    // Linux's NUD: a stale entry in use waits delay_first_probe, then a unicast request to
    // the cached MAC; the peer's reply (unicast to us) makes it reachable.
    Pair p;
    const auto ping = *p.a.ping_open();
    ASSERT_TRUE(p.a.ping_send(ping, *Ipv4Address::parse("10.0.0.2"), 1, 8, p.clock.now()));
    p.run();
    ASSERT_TRUE(p.a.ping_receive(ping));
    p.clock.advance(std::chrono::seconds(30));
    p.a.poll(p.clock.now());
    ASSERT_EQ(p.a.neighbours().at(0).state, NeighbourState::stale);
    const auto requests = p.a.stats().arp.tx_requests;
    ASSERT_TRUE(p.a.ping_send(ping, *Ipv4Address::parse("10.0.0.2"), 2, 8, p.clock.now()));
    EXPECT_EQ(p.wa.frames.size(), 1u) << "the echo request at once, to the cached MAC";
    EXPECT_EQ(p.a.neighbours().at(0).state, NeighbourState::delay);
    p.run();
    EXPECT_TRUE(p.a.ping_receive(ping));
    p.clock.advance(std::chrono::seconds(5));
    p.a.poll(p.clock.now());
    EXPECT_EQ(p.a.neighbours().at(0).state, NeighbourState::probe);
    EXPECT_EQ(p.a.stats().arp.tx_requests, requests + 1) << "one unicast probe";
    ASSERT_EQ(p.wa.frames.size(), 1u);
    EXPECT_NE(p.wa.frames.front()[0], std::byte{0xff}) << "to B's MAC, not broadcast";
    p.run();
    EXPECT_EQ(p.a.neighbours().at(0).state, NeighbourState::reachable);
}

TEST(Smoke, PollAtAndSetUpAnnounce) {
    Pair p;
    p.run();
    EXPECT_FALSE(p.a.poll_at()) << "RFC 826: B's announcement alone creates no entry";
    const auto ping = *p.a.ping_open();
    ASSERT_TRUE(p.a.ping_send(ping, *Ipv4Address::parse("10.0.0.2"), 1, 8, p.clock.now()));
    p.run();
    ASSERT_TRUE(p.a.poll_at()) << "B's entry ages";
    ASSERT_TRUE(p.a.set_up(p.ia, false, p.clock.now()));
    EXPECT_TRUE(p.a.neighbours().empty());
    EXPECT_FALSE(p.a.poll_at());
    const auto gratuitous = p.a.stats().arp.tx_gratuitous;
    ASSERT_TRUE(p.a.set_up(p.ia, true, p.clock.now()));
    EXPECT_EQ(p.a.stats().arp.tx_gratuitous, gratuitous + 1);
}

}  // namespace
}  // namespace netstack
