// IPv4 fragmentation (RFC 791 3.2, "Fragmentation and Reassembly") in both directions.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"

namespace nstest {
namespace {

// A UDP socket bound to any:5000 on a fresh harness.
struct Receiver : Harness {
    explicit Receiver(StackConfig config = {}) : Harness(config) {
        auto s = stack.udp_open();
        EXPECT_TRUE(s);
        socket = *s;
        EXPECT_TRUE(stack.udp_bind(socket, {Ipv4Address::any(), 5000}));
        learn_peer();
    }
    std::optional<Bytes> take() {
        Bytes buffer(70000);
        auto d = stack.udp_receive(socket, buffer);
        if (!d) return std::nullopt;
        buffer.resize(d->size);
        return buffer;
    }
    SocketId socket = 0;
};

const Bytes& big_payload() {
    static const Bytes payload = pattern(3000, 7);
    return payload;
}
Bytes big_datagram() {
    return udp({}, peer_ip, our_ip, big_payload());
}
std::vector<Bytes> pieces(std::uint16_t id = 0x77, std::size_t piece = 1480) {
    return fragment_frames({.id = id}, big_datagram(), piece);
}

TEST(Reassembly, OutOfOrderFragments) {
    Receiver h;
    auto f = pieces();
    ASSERT_EQ(f.size(), 3u);
    h.inject(f[2]);
    h.inject(f[0]);
    EXPECT_FALSE(h.take());
    h.inject(f[1]);
    const auto got = h.take();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, big_payload());
    EXPECT_FALSE(h.take());
    EXPECT_EQ(h.stats().ipv4.frag_received, 3u);
    EXPECT_EQ(h.stats().ipv4.frag_reassembled, 1u);
    EXPECT_EQ(h.stats().ipv4.rx_delivered, 1u);
}

TEST(Reassembly, DuplicateFragmentsDeliverOnce) {
    Receiver h;
    auto f = pieces();
    h.inject(f[0]);
    h.inject(f[1]);
    h.inject(f[1]);
    h.inject(f[0]);
    h.inject(f[2]);
    EXPECT_EQ(h.take(), big_payload());
    EXPECT_FALSE(h.take());
    h.inject(f[2]);  // a late duplicate starts a new, never-finished datagram: not delivered
    EXPECT_FALSE(h.take());
}

TEST(Reassembly, ConsistentOverlapIsAccepted) {
    Receiver h;
    const Bytes l4 = udp({}, peer_ip, our_ip, pattern(40));  // 48 bytes
    h.inject(ethernet({}, ipv4({.id = 9, .mf = true}, std::span(l4).first(24))));
    h.inject(ethernet({}, ipv4({.id = 9, .offset = 16}, std::span(l4).subspan(16))));
    EXPECT_EQ(h.take(), pattern(40));
    EXPECT_EQ(h.stats().ipv4.frag_overlap, 0u);
}

TEST(Reassembly, InconsistentOverlapIsRejected) {
    Receiver h;
    const Bytes l4 = udp({}, peer_ip, our_ip, pattern(40));
    Bytes changed(l4.begin() + 16, l4.end());
    changed[2] ^= std::byte{0xff};  // byte 18 disagrees with the first fragment
    h.inject(ethernet({}, ipv4({.id = 9, .mf = true}, std::span(l4).first(24))));
    h.inject(ethernet({}, ipv4({.id = 9, .offset = 16}, changed)));
    EXPECT_GE(h.stats().ipv4.frag_overlap, 1u);
    const auto got = h.take();
    if (got) {
        EXPECT_EQ(*got, pattern(40)) << "if anything is delivered, it is the original data";
    }
}

TEST(Reassembly, DistinguishesDatagramsById) {
    Receiver h;
    auto a = pieces(1);
    auto b = pieces(2);
    h.inject(a[0]);
    h.inject(b[0]);
    h.inject(a[1]);
    h.inject(b[2]);
    h.inject(b[1]);
    h.inject(a[2]);
    EXPECT_TRUE(h.take());
    EXPECT_TRUE(h.take());
    EXPECT_EQ(h.stats().ipv4.frag_reassembled, 2u);
}

TEST(Reassembly, TimeoutAbandonsAndReportsTimeExceeded) {
    StackConfig config;
    config.reassembly.timeout = 30s;
    Receiver h(config);
    auto f = pieces();
    h.inject(f[0]);
    h.inject(f[2]);
    ASSERT_TRUE(h.stack.poll_at());
    EXPECT_LE(*h.stack.poll_at(), h.now() + 30s);
    h.advance(29s);
    EXPECT_EQ(h.stats().ipv4.frag_timeout, 0u);
    h.advance(2s);
    EXPECT_EQ(h.stats().ipv4.frag_timeout, 1u);
    // RFC 792 / RFC 1122 3.2.2.4: time exceeded, code 1, when fragment zero had arrived.
    const auto out = icmp_frames(h.sent(), 11);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->code, 1);
    EXPECT_EQ(out[0].ip->dst, peer_ip);
    h.inject(f[1]);
    EXPECT_FALSE(h.take()) << "the abandoned datagram is gone";
}

TEST(Reassembly, TimeoutWithoutFirstFragmentIsSilent) {
    Receiver h;
    auto f = pieces();
    h.inject(f[1]);
    h.advance(31s);
    EXPECT_EQ(h.stats().ipv4.frag_timeout, 1u);
    EXPECT_TRUE(icmp_frames(h.sent(), 11).empty());
}

TEST(Reassembly, TimeoutAboutABroadcastIsSilent) {
    // RFC 1122 3.2.2: no time exceeded about a datagram sent to a directed broadcast, or to
    // a link-layer broadcast.
    const EthernetSpec to_all{.dst = MacAddress::broadcast()};
    const Ipv4Address directed = ip(10, 0, 0, 255);
    Receiver h;
    auto to_subnet = fragment_frames({.dst = directed, .id = 0x61},
                                     udp({}, peer_ip, directed, big_payload()), 1480, to_all);
    auto to_us = fragment_frames({.id = 0x62}, big_datagram(), 1480, to_all);
    h.inject(to_subnet[0]);
    h.inject(to_subnet[2]);
    h.inject(to_us[0]);
    h.inject(to_us[2]);
    h.advance(31s);
    EXPECT_EQ(h.stats().ipv4.frag_timeout, 2u);
    EXPECT_TRUE(icmp_frames(h.sent(), 11).empty());
    EXPECT_EQ(h.stats().icmp.tx_errors, 0u);
}

TEST(Reassembly, MemoryIsBounded) {
    StackConfig config;
    config.reassembly.max_bytes = 4000;
    Receiver h(config);
    for (std::uint16_t id = 1; id <= 5; ++id)
        h.inject(pieces(id)[0]);
    EXPECT_GE(h.stats().ipv4.frag_memory_limit, 1u);
    // Whatever was kept or dropped, a complete datagram arriving afterwards still makes it
    // once the old ones time out.
    h.advance(31s);
    for (const auto& f : pieces(9))
        h.inject(f);
    EXPECT_EQ(h.take(), big_payload());
}

TEST(Reassembly, DatagramCountIsBounded) {
    StackConfig config;
    config.reassembly.max_datagrams = 2;
    Receiver h(config);
    for (std::uint16_t id = 1; id <= 4; ++id)
        h.inject(pieces(id)[0]);
    EXPECT_GE(h.stats().ipv4.frag_memory_limit, 1u);
}

TEST(Reassembly, RejectsDatagramsPast64KiB) {
    Receiver h;
    h.inject(ethernet({}, ipv4({.id = 3, .offset = 65528}, pattern(16))));
    EXPECT_EQ(h.stats().ipv4.frag_too_big, 1u);
}

TEST(Fragmentation, SplitsAtTheMtuWithOffsetsAndMoreFragments) {
    Harness h;
    h.learn_peer();
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(h.stack.udp_send_to(*s, big_payload(), {peer_ip, 5000}, h.now()));
    const auto out = h.sent();
    ASSERT_EQ(out.size(), 3u);  // 3,008 bytes of UDP in 1,480-byte pieces
    std::vector<ParsedIpv4> fragments;
    for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_TRUE(out[i].ip);
        const auto& f = *out[i].ip;
        EXPECT_TRUE(f.checksum_ok);
        EXPECT_FALSE(f.df);
        EXPECT_EQ(f.id, out[0].ip->id) << "one id for all fragments";
        EXPECT_EQ(f.offset, i * 1480);
        EXPECT_EQ(f.mf, i + 1 < out.size());
        fragments.push_back(f);
    }
    EXPECT_EQ(out[0].ip->total_length, 1500);
    EXPECT_EQ(out[1].ip->total_length, 1500);
    EXPECT_EQ(out[2].ip->total_length, 20 + 3008 - 2960);
    const auto l4 = reassemble(fragments);
    ASSERT_TRUE(l4);
    const auto whole = parse(
        ethernet({.dst = peer_mac, .src = our_mac}, ipv4({.src = our_ip, .dst = peer_ip}, *l4)));
    ASSERT_TRUE(whole && whole->udp);
    EXPECT_TRUE(whole->udp->checksum_ok) << "the checksum covers the whole datagram";
    EXPECT_EQ(whole->udp->payload, big_payload());
    EXPECT_EQ(h.stats().ipv4.fragments_sent, 3u);
}

TEST(Fragmentation, HonoursConfiguredMtu) {
    Harness h(StackConfig{}, false);
    InterfaceConfig c = interface_config("small", our_mac);
    c.mtu = 576;
    const InterfaceId id = h.add_interface(c, cidr(our_ip, 24));
    h.learn(peer_mac, peer_ip, id);
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(h.stack.udp_send_to(*s, pattern(1000), {peer_ip, 5000}, h.now()));
    const auto out = h.sent(id);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].ip->total_length, 20 + 552);  // 556 rounded down to a multiple of 8
    EXPECT_EQ(out[1].ip->offset, 552);
    EXPECT_EQ(out[1].ip->total_length, 20 + 1008 - 552);
}

TEST(Fragmentation, LargestDatagramAndOneByteMore) {
    Harness h;
    h.learn_peer();
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(h.stack.udp_send_to(*s, Bytes(65507), {peer_ip, 5000}, h.now()));
    EXPECT_EQ(h.sent().size(), 45u);  // 65,515 bytes of UDP in 1,480-byte pieces
    const auto too_big = h.stack.udp_send_to(*s, Bytes(65508), {peer_ip, 5000}, h.now());
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error(), SocketError::message_too_big);
}

}  // namespace
}  // namespace nstest
