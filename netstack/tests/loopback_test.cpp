// The loopback interface (InterfaceConfig::loopback): ping, UDP and TCP over 127.0.0.1 within
// one stack and between the shards of one "daemon" that share a loopback link, and the
// martian rule (RFC 1122 3.2.1.3: 127/8 arriving on any other interface is dropped).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace nstest {
namespace {

const Ipv4Address localhost = ip(127, 0, 0, 1);
// A native shmif bus's largest frame: what the daemon's loopback bus carries.
constexpr std::size_t loopback_max_frame = 65553;

InterfaceConfig loopback_config() {
    InterfaceConfig config;
    config.name = "lo";
    config.loopback = true;
    return config;
}

// A loopback link shared by several stacks (the shards of one daemon): every frame any of
// them sends reaches every one of them, its sender included, as on the daemon's private
// loopback bus.
class LoopbackWire {
  public:
    void attach(Stack& stack, InterfaceId id, MemoryDevice& device) {
        members_.push_back({&stack, id, &device});
    }

    // Carries frames until nothing is left to carry; the frames carried.
    std::size_t run(Instant now) {
        std::size_t carried = 0;
        for (int round = 0; round < 10000; ++round) {
            std::vector<FrameBuffer> frames;
            for (auto& m : members_)
                for (auto& f : m.device->take_all())
                    frames.push_back(std::move(f));
            if (frames.empty()) return carried;
            for (const auto& f : frames)
                for (auto& m : members_)
                    m.stack->receive(m.id, f, now);
            carried += frames.size();
        }
        ADD_FAILURE() << "the loopback wire never went quiet";
        return carried;
    }

  private:
    struct Member {
        Stack* stack;
        InterfaceId id;
        MemoryDevice* device;
    };
    std::vector<Member> members_;
};

// One stack: eth0 (harness) plus lo with 127.0.0.1/8, its device looped back to itself.
class LoopbackTest : public ::testing::Test {
  protected:
    Harness h;
    InterfaceId lo = h.add_interface(loopback_config(), cidr(localhost, 8), loopback_max_frame);
    LoopbackWire wire;

    void SetUp() override { wire.attach(h.stack, lo, h.device(lo)); }
    std::size_t run() { return wire.run(h.now()); }

    // A connection from 127.0.0.1 to a listener on port 80, accepted: {client, server}.
    std::pair<SocketId, SocketId> connect_to_self() {
        const auto listener = h.stack.tcp_open();
        EXPECT_TRUE(listener && h.stack.tcp_bind(*listener, {Ipv4Address::any(), 80}) &&
                    h.stack.tcp_listen(*listener, 8));
        const auto client = h.stack.tcp_open();
        EXPECT_TRUE(client && h.stack.tcp_connect(*client, {localhost, 80}, h.now()));
        run();
        const auto server = h.stack.tcp_accept(listener.value_or(0));
        EXPECT_TRUE(server) << "the connection to 127.0.0.1:80 was not accepted";
        return {client.value_or(0), server.value_or(0)};
    }
};

TEST_F(LoopbackTest, InterfaceIsListedAsLoopbackWithALargeMtu) {
    const auto list = h.stack.interfaces();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_FALSE(list[0].loopback);
    EXPECT_TRUE(list[1].loopback);
    EXPECT_EQ(list[1].mtu, 65535u);
    ASSERT_EQ(list[1].addresses.size(), 1u);
    EXPECT_EQ(list[1].addresses[0], cidr(localhost, 8));
    EXPECT_EQ(h.stats().arp.tx_gratuitous, 1u) << "eth0's address only: no ARP on lo";
}

TEST_F(LoopbackTest, PingAnyAddressOf127Slash8) {
    auto s = h.stack.ping_open();
    ASSERT_TRUE(s);
    for (auto to : {localhost, ip(127, 1, 2, 3)}) {
        ASSERT_TRUE(h.stack.ping_send(*s, to, 1, 100, h.now()));
        EXPECT_EQ(run(), 2u) << "request and reply, over lo";
        auto reply = h.stack.ping_receive(*s);
        ASSERT_TRUE(reply) << to.to_string();
        EXPECT_EQ(reply->from, to);
        EXPECT_TRUE(reply->payload_ok);
    }
    EXPECT_TRUE(h.sent().empty()) << "nothing on eth0";
    EXPECT_EQ(h.stats().arp.tx_requests, 0u);
    // The prefix's network and broadcast addresses are not hosts.
    EXPECT_FALSE(h.stack.ping_send(*s, ip(127, 0, 0, 0), 2, 10, h.now()));
}

TEST_F(LoopbackTest, FramesGoToTheInterfacesOwnMac) {
    auto s = h.stack.ping_open();
    ASSERT_TRUE(h.stack.ping_send(*s, localhost, 1, 8, h.now()));
    auto frames = h.sent(lo);
    ASSERT_EQ(frames.size(), 1u);
    const auto lo_mac = h.stack.interfaces()[1].mac;
    EXPECT_EQ(frames[0].dst, lo_mac);
    EXPECT_EQ(frames[0].src, lo_mac);
    ASSERT_TRUE(frames[0].ip);
    EXPECT_EQ(frames[0].ip->src, localhost);
    EXPECT_EQ(frames[0].ip->dst, localhost);
}

TEST_F(LoopbackTest, UdpOverLoopbackAndPortUnreachable) {
    auto server = h.stack.udp_open();
    auto client = h.stack.udp_open();
    ASSERT_TRUE(server && client);
    ASSERT_TRUE(h.stack.udp_bind(*server, {localhost, 5000}));
    const auto payload = pattern(60000);  // fits lo's MTU: one frame, no fragments
    ASSERT_TRUE(h.stack.udp_send_to(*client, payload, {localhost, 5000}, h.now()));
    EXPECT_EQ(run(), 1u);
    std::vector<std::byte> buffer(65535);
    auto got = h.stack.udp_receive(*server, buffer);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->size, payload.size());
    EXPECT_EQ(got->from.address, localhost);
    EXPECT_EQ(got->interface, lo);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), buffer.begin()));
    EXPECT_EQ(h.stats().ipv4.fragments_sent, 0u);

    // A closed port answers with ICMP port unreachable, over lo too.
    ASSERT_TRUE(h.stack.udp_send_to(*client, text("x"), {localhost, 5001}, h.now()));
    EXPECT_EQ(run(), 2u);
    auto error = h.stack.take_error(*client);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->type, 3);
    EXPECT_EQ(error->code, 3);
}

TEST_F(LoopbackTest, TcpOverLoopback) {
    auto listener = h.stack.tcp_open();
    ASSERT_TRUE(listener);
    ASSERT_TRUE(h.stack.tcp_bind(*listener, {Ipv4Address::any(), 80}));
    ASSERT_TRUE(h.stack.tcp_listen(*listener, 8));
    auto client = h.stack.tcp_open();
    ASSERT_TRUE(h.stack.tcp_connect(*client, {localhost, 80}, h.now()));
    run();
    auto server = h.stack.tcp_accept(*listener);
    ASSERT_TRUE(server);
    auto info = h.stack.tcp_info(*client);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->state, TcpState::established);
    EXPECT_EQ(info->peer_mss, 65535u - 40u) << "lo's MTU less the IP and TCP headers, as Linux";

    const auto data = pattern(300000);
    std::vector<std::byte> received;
    std::size_t offset = 0;
    std::vector<std::byte> buffer(65536);
    for (int i = 0; i < 1000 && received.size() < data.size(); ++i) {
        if (offset < data.size()) {
            auto sent = h.stack.tcp_send(*client, std::span(data).subspan(offset), h.now());
            if (sent) offset += *sent;
        }
        run();
        while (auto n = h.stack.tcp_receive(*server, buffer, h.now())) {
            if (*n == 0) break;
            received.insert(received.end(), buffer.begin(), buffer.begin() + std::ptrdiff_t(*n));
        }
        run();
        h.advance(1ms);  // delayed ACKs
    }
    EXPECT_EQ(received, data);
    EXPECT_EQ(h.stats().tcp.retransmits, 0u);
    EXPECT_TRUE(h.sent().empty()) << "nothing on eth0";
}

// Over lo a segment is 64 KiB and a new connection's receive buffer 128 KiB: a window of two
// segments. Neither a reply written as a header, then a body under one segment (Nagle holds
// it until the header's ACK), nor a stream that a reader drains may wait for a delayed ACK:
// with the clock stopped, both complete.
TEST_F(LoopbackTest, TcpNeverWaitsForADelayedAckWhileTheReaderKeepsUp) {
    const auto [client, server] = connect_to_self();
    ASSERT_FALSE(HasFailure());
    std::vector<std::byte> buffer(65536);
    std::vector<std::byte> received;
    const auto drain = [&] {
        while (auto n = h.stack.tcp_receive(client, buffer, h.now())) {
            if (*n == 0) break;
            received.insert(received.end(), buffer.begin(), buffer.begin() + std::ptrdiff_t(*n));
        }
    };
    // A header, then a body shorter than a segment: the body leaves at once.
    ASSERT_TRUE(h.stack.tcp_send(server, pattern(100), h.now()));
    drain();
    ASSERT_TRUE(h.stack.tcp_send(server, pattern(60000), h.now()));
    drain();
    EXPECT_EQ(received.size(), 60100u) << "the body waited for the header's delayed ACK";
    // 8 MiB in a window that stays two segments wide: the clock never moves, so the buffer
    // never grows.
    const auto data = pattern(8 << 20);
    received.clear();
    std::size_t sent = 0;
    for (int i = 0; i < 100000 && received.size() < data.size(); ++i) {
        if (auto n = h.stack.tcp_send(server, std::span(data).subspan(sent), h.now())) sent += *n;
        drain();
    }
    ASSERT_EQ(received.size(), data.size()) << "a window update of one segment was not sent";
    EXPECT_EQ(received, data);
    EXPECT_EQ(h.stats().tcp.retransmits, 0u);
}

// ...but a request-response exchange is not sent an ACK of its own per request: once one end
// answers within the delayed-ACK bound (interactive), the answers carry the ACKs.
TEST_F(LoopbackTest, TcpRequestAndResponseCarryEachOthersAcks) {
    const auto [client, server] = connect_to_self();
    ASSERT_FALSE(HasFailure());
    const auto before_client = h.stack.tcp_info(client)->segments_out;
    const auto before_server = h.stack.tcp_info(server)->segments_out;
    std::vector<std::byte> buffer(16);
    constexpr int exchanges = 100;
    for (int i = 0; i < exchanges; ++i) {
        ASSERT_TRUE(h.stack.tcp_send(client, pattern(1), h.now()));
        ASSERT_EQ(h.stack.tcp_receive(server, buffer, h.now()).value_or(0), 1u) << i;
        ASSERT_TRUE(h.stack.tcp_send(server, pattern(1), h.now()));
        ASSERT_EQ(h.stack.tcp_receive(client, buffer, h.now()).value_or(0), 1u) << i;
        h.advance(100us);
    }
    // One data segment each way per exchange; the first exchange's reads may add an ACK each.
    EXPECT_LE(h.stack.tcp_info(client)->segments_out - before_client, exchanges + 1u);
    EXPECT_LE(h.stack.tcp_info(server)->segments_out - before_server, exchanges + 1u);
}

// TCP's checksum over lo (wire::TcpChecksum) in a connection to 127.0.0.1:80, with the
// bypass off so that its segments cross the link.
class LoopbackTcpChecksumTest : public LoopbackTest {
  protected:
    static constexpr std::size_t tcp_at = 14 + 20;  // Ethernet and IPv4 headers
    SocketId listener{};
    SocketId client{};

    void SetUp() override {
        LoopbackTest::SetUp();
        ASSERT_TRUE(h.stack.set_loopback_shortcuts(lo, {.checksum = true, .bypass = false}));
    }

    // A listener on port 80 and a client connecting to it: the client's SYN, taken off lo.
    FrameBuffer connect_and_take_syn() {
        listener = *h.stack.tcp_open();
        EXPECT_TRUE(h.stack.tcp_bind(listener, {Ipv4Address::any(), 80}));
        EXPECT_TRUE(h.stack.tcp_listen(listener, 8));
        client = *h.stack.tcp_open();
        EXPECT_TRUE(h.stack.tcp_connect(client, {localhost, 80}, h.now()));
        auto frames = h.device(lo).take_all();
        EXPECT_EQ(frames.size(), 1u);
        return frames.empty() ? FrameBuffer{} : std::move(frames[0]);
    }
    // The folded one's complement sum (RFC 1071) of the pseudo-header (127.0.0.1 twice,
    // protocol 6, the length) and, unless `pseudo_only`, of the segment itself.
    static std::uint32_t folded_sum(const FrameBuffer& frame, bool pseudo_only) {
        std::uint32_t sum = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + 6 +
                            static_cast<std::uint32_t>(frame.size() - tcp_at);
        for (std::size_t i = tcp_at; !pseudo_only && i < frame.size(); i += 2) {
            const auto hi = std::to_integer<std::uint32_t>(frame[i]) << 8;
            sum += hi | (i + 1 < frame.size() ? std::to_integer<std::uint32_t>(frame[i + 1]) : 0u);
        }
        while (sum > 0xffff)
            sum = (sum & 0xffff) + (sum >> 16);
        return sum;
    }
};

// As on Linux's lo, TCP over a loopback interface is not summed: the checksum field holds
// the pseudo-header's folded sum (what a device would finish), and arrivals are not checked.
TEST_F(LoopbackTcpChecksumTest, SegmentsOverLoopbackAreNotSummed) {
    auto syn = connect_and_take_syn();
    ASSERT_GT(syn.size(), tcp_at + 20);
    const auto field = static_cast<std::uint32_t>(std::to_integer<unsigned>(syn[tcp_at + 16]) << 8 |
                                                  std::to_integer<unsigned>(syn[tcp_at + 17]));
    EXPECT_EQ(field, folded_sum(syn, true));
    // Unchecked on arrival: a SYN whose field holds anything still opens the connection.
    syn[tcp_at + 16] ^= std::byte{0x5a};
    h.stack.receive(lo, syn, h.now());
    run();
    auto server = h.stack.tcp_accept(listener);
    ASSERT_TRUE(server);
    EXPECT_EQ(h.stats().tcp.drop_bad_checksum, 0u);
    const auto data = pattern(1000);
    ASSERT_TRUE(h.stack.tcp_send(client, data, h.now()));
    run();
    std::vector<std::byte> buffer(2000);
    auto n = h.stack.tcp_receive(*server, buffer, h.now());
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, data.size());
    EXPECT_TRUE(std::equal(data.begin(), data.end(), buffer.begin()));
}

// With the offload off (the daemon does so while lo corrupts frames), TCP over lo is summed
// and checked like anywhere else.
TEST_F(LoopbackTcpChecksumTest, WithoutTheOffloadSegmentsAreSummedAndChecked) {
    EXPECT_EQ(h.stack.set_loopback_shortcuts(h.eth0, {}).error(), ConfigError::invalid)
        << "only a loopback interface has them";
    ASSERT_TRUE(h.stack.set_loopback_shortcuts(lo, {.checksum = false, .bypass = false}));
    const auto syn = connect_and_take_syn();
    ASSERT_GT(syn.size(), tcp_at + 20);
    EXPECT_EQ(folded_sum(syn, false), 0xffffu);
    // One bit flipped on the way: dropped and counted, and the SYN sent again opens it.
    auto flipped = syn;
    flipped[flipped.size() - 1] ^= std::byte{0x01};
    h.stack.receive(lo, flipped, h.now());
    EXPECT_EQ(h.stats().tcp.drop_bad_checksum, 1u);
    EXPECT_FALSE(h.stack.tcp_accept(listener));
    h.stack.receive(lo, syn, h.now());
    run();
    EXPECT_TRUE(h.stack.tcp_accept(listener));
}

// A TCP segment whose receiving end lives on this stack (one shard: every one) does not cross
// the link: it is delivered when the call that made it returns, and lo counts it both ways.
// Other traffic (ICMP here) still crosses; with the bypass off, TCP does too.
TEST_F(LoopbackTest, TcpBypassesTheLinkToItsOwnShard) {
    auto listener = h.stack.tcp_open();
    ASSERT_TRUE(h.stack.tcp_bind(*listener, {Ipv4Address::any(), 80}));
    ASSERT_TRUE(h.stack.tcp_listen(*listener, 8));
    auto client = h.stack.tcp_open();
    ASSERT_TRUE(h.stack.tcp_connect(*client, {localhost, 80}, h.now()));
    auto server = h.stack.tcp_accept(*listener);
    ASSERT_TRUE(server) << "the handshake is over when tcp_connect returns";
    const auto data = pattern(200000);
    std::size_t sent = 0;
    std::vector<std::byte> received;
    std::vector<std::byte> buffer(65536);
    for (int i = 0; i < 100 && received.size() < data.size(); ++i) {
        if (auto n = h.stack.tcp_send(*client, std::span(data).subspan(sent), h.now())) sent += *n;
        while (auto n = h.stack.tcp_receive(*server, buffer, h.now())) {
            if (*n == 0) break;
            received.insert(received.end(), buffer.begin(), buffer.begin() + std::ptrdiff_t(*n));
        }
        h.advance(1ms);
        h.stack.poll(h.now());
    }
    EXPECT_EQ(received, data);
    EXPECT_EQ(h.device(lo).transmitted(), 0u) << "no TCP segment on the link";
    const auto lo_stats = h.stack.interfaces()[1].stats;
    EXPECT_GT(lo_stats.tx_frames, 4u);
    EXPECT_EQ(lo_stats.rx_frames, lo_stats.tx_frames);
    EXPECT_EQ(h.stats().tcp.retransmits, 0u);

    auto s = h.stack.ping_open();
    ASSERT_TRUE(h.stack.ping_send(*s, localhost, 1, 8, h.now()));
    EXPECT_EQ(run(), 2u) << "ICMP crosses the link";
    ASSERT_TRUE(h.stack.set_loopback_shortcuts(lo, {.checksum = true, .bypass = false}));
    ASSERT_TRUE(h.stack.tcp_send(*client, text("over the link"), h.now()));
    EXPECT_EQ(h.device(lo).size(), 1u);
    run();
    auto n = h.stack.tcp_receive(*server, buffer, h.now());
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 13u);
}

TEST_F(LoopbackTest, OwnAddressesGoThroughLoopbackWhileItIsUp) {
    auto s = h.stack.ping_open();
    ASSERT_TRUE(h.stack.ping_send(*s, our_ip, 1, 8, h.now()));
    EXPECT_EQ(run(), 2u) << "to eth0's address, through lo";
    EXPECT_TRUE(h.stack.ping_receive(*s));

    ASSERT_TRUE(h.stack.set_up(lo, false, h.now()));
    // Without lo, our own address is still reached, in-stack; 127/8 is not.
    ASSERT_TRUE(h.stack.ping_send(*s, our_ip, 2, 8, h.now()));
    EXPECT_TRUE(h.device(lo).empty());
    EXPECT_TRUE(h.stack.ping_receive(*s));
    auto refused = h.stack.ping_send(*s, localhost, 3, 8, h.now());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), SocketError::no_route);
}

TEST_F(LoopbackTest, MartiansFromAWireAreDroppedAndCounted) {
    auto socket = h.stack.udp_open();
    ASSERT_TRUE(h.stack.udp_bind(*socket, {Ipv4Address::any(), 5000}));
    // To 127.0.0.1 from the wire, even addressed to our MAC: never ours.
    h.inject(udp_frame(text("to lo"), {}, {.src = peer_ip, .dst = localhost}));
    // From 127/8 on the wire.
    h.inject(udp_frame(text("from lo"), {}, {.src = ip(127, 0, 0, 9), .dst = our_ip}));
    EXPECT_EQ(h.stats().ipv4.drop_martian, 2u);
    EXPECT_EQ(h.stats().udp.rx_datagrams, 0u);
    std::vector<std::byte> buffer(100);
    EXPECT_FALSE(h.stack.udp_receive(*socket, buffer));
    EXPECT_TRUE(h.sent().empty()) << "no ICMP error about a martian";

    // Forwarding on changes nothing.
    h.stack.set_forwarding(true);
    h.inject(udp_frame(text("to lo"), {}, {.src = peer_ip, .dst = ip(127, 0, 0, 2)}));
    EXPECT_EQ(h.stats().ipv4.drop_martian, 3u);
    EXPECT_EQ(h.stats().ipv4.forwarded, 0u);
}

TEST_F(LoopbackTest, LoopbackAddressesStayOnLoopback) {
    auto added = h.stack.add_address(h.eth0, cidr(ip(127, 0, 0, 2), 8), h.now());
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error(), ConfigError::invalid);
    auto probed = h.stack.probe_address(lo, ip(10, 9, 9, 9), h.now());
    ASSERT_FALSE(probed) << "nobody to probe on a loopback link";
    EXPECT_EQ(probed.error(), ConfigError::invalid);
    // A socket bound to 127.0.0.1 cannot talk to the wire (Linux: EINVAL).
    h.learn_peer();
    auto socket = h.stack.udp_open();
    ASSERT_TRUE(h.stack.udp_bind(*socket, {localhost, 0}));
    auto sent = h.stack.udp_send_to(*socket, text("x"), {peer_ip, 5000}, h.now());
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error(), SocketError::invalid);
    EXPECT_TRUE(h.sent().empty());
}

TEST_F(LoopbackTest, NothingIsForwardedOntoLoopback) {
    // A route through lo (lo holds 192.168.7.1/24) is not a way in from the wire.
    h.stack.set_forwarding(true);
    ASSERT_TRUE(h.stack.add_address(lo, cidr(ip(192, 168, 7, 1), 24), h.now()));
    ASSERT_TRUE(h.stack.add_route({.destination = cidr(ip(172, 16, 0, 0), 16),
                                   .gateway = ip(192, 168, 7, 2),
                                   .interface = lo}));
    h.learn_peer();
    h.inject(udp_frame(text("via lo"), {}, {.src = peer_ip, .dst = ip(172, 16, 0, 1)}));
    EXPECT_EQ(h.stats().ipv4.forwarded, 0u);
    EXPECT_EQ(h.stats().ipv4.drop_no_route, 1u);
    EXPECT_TRUE(h.device(lo).empty());
    // And every address of lo's prefix is ours (Linux: a loopback prefix is local).
    auto s = h.stack.ping_open();
    ASSERT_TRUE(h.stack.ping_send(*s, ip(192, 168, 7, 200), 1, 8, h.now()));
    run();
    EXPECT_TRUE(h.stack.ping_receive(*s));
}

// Two shards of one daemon, each with its own stack, sharing one loopback link: loopback
// traffic sent by one shard reaches the shard that owns its flow.
class ShardedLoopbackTest : public ::testing::Test {
  protected:
    ManualClock clock;
    std::vector<std::unique_ptr<Stack>> shards;
    std::vector<std::unique_ptr<MemoryDevice>> devices;
    std::vector<InterfaceId> lo;
    LoopbackWire wire;

    void SetUp() override {
        for (std::uint32_t i = 0; i < 2; ++i) {
            StackConfig config;
            config.shard = {i, 2};
            config.seed = 100 + i;
            auto& stack = *shards.emplace_back(std::make_unique<Stack>(config));
            auto& device =
                *devices.emplace_back(std::make_unique<MemoryDevice>(loopback_max_frame));
            InterfaceConfig lo_config = loopback_config();
            lo_config.mac = mac(0x10);  // the shards share one MAC, as on a bus
            auto id = stack.add_interface(lo_config, device);
            ASSERT_TRUE(id);
            ASSERT_TRUE(stack.add_address(*id, cidr(localhost, 8), clock.now()));
            lo.push_back(*id);
            wire.attach(stack, *id, device);
        }
    }
    Stack& shard(std::size_t i) { return *shards[i]; }
    void run() { wire.run(clock.now()); }
};

TEST_F(ShardedLoopbackTest, UdpReachesTheShardThatOwnsThePort) {
    // Port 5001 belongs to shard 1; the sender is on shard 0.
    auto server = shard(1).udp_open();
    ASSERT_TRUE(shard(1).udp_bind(*server, {localhost, 5001}));
    auto client = shard(0).udp_open();
    ASSERT_TRUE(shard(0).udp_send_to(*client, text("across"), {localhost, 5001}, clock.now()));
    run();
    std::vector<std::byte> buffer(100);
    auto got = shard(1).udp_receive(*server, buffer);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->size, 6u);
    auto sender = shard(0).udp_local(*client);
    ASSERT_TRUE(sender);
    EXPECT_EQ(got->from, (Endpoint{localhost, sender->port}));
    EXPECT_EQ(shard(0).stats().ipv4.drop_not_owner + shard(0).stats().udp.drop_no_socket, 1u)
        << "shard 0 saw its own datagram and left it to shard 1";
    EXPECT_EQ(shard(1).stats().udp.rx_datagrams, 1u);
}

TEST_F(ShardedLoopbackTest, PingFromEitherShard) {
    for (std::size_t i = 0; i < 2; ++i) {
        auto s = shard(i).ping_open();
        ASSERT_TRUE(s);
        ASSERT_TRUE(shard(i).ping_send(*s, localhost, 7, 32, clock.now()));
        run();
        auto reply = shard(i).ping_receive(*s);
        ASSERT_TRUE(reply) << "from shard " << i;
        EXPECT_TRUE(reply->payload_ok);
    }
    // Shard 0 answers for the stack: one request each, answered once each.
    EXPECT_EQ(shard(0).stats().icmp.tx_echo_replies, 2u);
    EXPECT_EQ(shard(1).stats().icmp.tx_echo_replies, 0u);
}

TEST_F(ShardedLoopbackTest, TcpFromEitherShardToAListenerOnBoth) {
    std::vector<SocketId> listeners;
    for (std::size_t i = 0; i < 2; ++i) {
        auto l = shard(i).tcp_open();
        ASSERT_TRUE(shard(i).tcp_bind(*l, {Ipv4Address::any(), 7}));
        ASSERT_TRUE(shard(i).tcp_listen(*l, 8));
        listeners.push_back(*l);
    }
    // Connects from shard `i` (from `port` when not 0), sends, and says which shard accepted
    // the server's end (the one tcp_flow_hash(server, client) names).
    auto connect_from = [&](std::size_t i, std::uint16_t port) -> std::optional<std::size_t> {
        auto client = shard(i).tcp_open();
        if (port != 0 && !shard(i).tcp_bind(*client, {localhost, port})) return std::nullopt;
        if (!shard(i).tcp_connect(*client, {localhost, 7}, clock.now())) return std::nullopt;
        run();
        auto info = shard(i).tcp_info(*client);
        if (!info || info->state != TcpState::established) return std::nullopt;
        if (!shard(i).tcp_send(*client, text("hello"), clock.now())) return std::nullopt;
        run();
        std::optional<std::size_t> accepted_on;
        for (std::size_t k = 0; k < 2; ++k) {
            auto server = shard(k).tcp_accept(listeners[k]);
            if (!server) continue;
            if (accepted_on) return std::nullopt;  // exactly one shard owns the server's end
            accepted_on = k;
            std::vector<std::byte> buffer(16);
            auto n = shard(k).tcp_receive(*server, buffer, clock.now());
            if (!n || *n != 5u) return std::nullopt;
        }
        return accepted_on;
    };
    // An ephemeral port is one that puts the server's end on the client's shard too: no
    // segment of the connection has to cross.
    for (int round = 0; round < 4; ++round)
        for (std::size_t i = 0; i < 2; ++i)
            EXPECT_EQ(connect_from(i, 0), i) << "round " << round << ", client on shard " << i;
    EXPECT_EQ(shard(0).stats().tcp.drop_not_owner + shard(1).stats().tcp.drop_not_owner, 0u);
    // A client bound to a port whose server end hashes to the other shard: the loopback link
    // brings every segment to both shards, and each answers for its own end.
    for (std::size_t i = 0; i < 2; ++i) {
        std::uint16_t port = 40000;
        auto owner = [](Endpoint local, Endpoint remote) {
            return tcp_flow_hash(local, remote) % 2;
        };
        const Endpoint server{localhost, 7};
        while (owner({localhost, port}, server) != i || owner(server, {localhost, port}) == i)
            ++port;
        EXPECT_EQ(connect_from(i, port), 1 - i) << "client on shard " << i << ", port " << port;
    }
    EXPECT_GT(shard(0).stats().tcp.drop_not_owner, 0u);
    EXPECT_GT(shard(1).stats().tcp.drop_not_owner, 0u);
}

}  // namespace
}  // namespace nstest
