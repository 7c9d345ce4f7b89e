// Stack::owned_elsewhere: a reader may leave out of a shard exactly the frames that shard
// would only count as another's. Three shards of one host (same MAC and addresses) judge
// the same frames: for a TCP segment to our address exactly one shard (the 4-tuple's owner)
// wants it, and every shard that does not is shown, by feeding it the frame anyway, to do
// nothing with it but count tcp.drop_not_owner. Everything else every shard must be fed.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "harness.hpp"
#include "packets_ipv6.hpp"

namespace nstest {
namespace {

constexpr std::uint32_t kShards = 3;

// A bare TCP header (SYN, no options): ports are all owned_elsewhere reads.
Bytes tcp_header(std::uint16_t src_port, std::uint16_t dst_port) {
    Bytes h(20, std::byte{0});
    h[0] = std::byte(src_port >> 8);
    h[1] = std::byte(src_port & 0xff);
    h[2] = std::byte(dst_port >> 8);
    h[3] = std::byte(dst_port & 0xff);
    h[12] = std::byte{5 << 4};  // data offset: 5 words
    h[13] = std::byte{0x02};    // SYN
    h[14] = std::byte{0xff};    // window
    return h;
}

Bytes tcp_frame(std::uint16_t src_port, std::uint16_t dst_port, Ipv4Spec ip = {}) {
    ip.protocol = proto::tcp;
    return ethernet({}, ipv4(ip, tcp_header(src_port, dst_port)));
}

Bytes tcp6_frame(std::uint16_t src_port, std::uint16_t dst_port, Ipv6Spec ip = {}) {
    ip.next_header = proto::tcp;
    return ethernet({.type = ethertype::ipv6}, ipv6(ip, tcp_header(src_port, dst_port)));
}

StackConfig shard_config(std::uint32_t index, std::uint32_t count) {
    StackConfig config;
    config.shard = {index, count};
    config.ipv6.enabled = true;
    config.ipv6.dad_transmits = 0;  // the global address is ours at once
    return config;
}

struct Host {
    explicit Host(std::uint32_t count = kShards) {
        for (std::uint32_t i = 0; i < count; ++i) {
            auto& h = *shards.emplace_back(std::make_unique<Harness>(shard_config(i, count)));
            EXPECT_TRUE(h.stack.add_address(h.eth0, Ipv6Cidr{our_ip6, 64}, h.now()));
            h.clear_sent();
        }
    }
    // Which shards would be fed the frame.
    std::vector<std::uint32_t> wanted_by(const Bytes& frame) const {
        std::vector<std::uint32_t> out;
        for (std::uint32_t i = 0; i < shards.size(); ++i)
            if (!shards[i]->stack.owned_elsewhere(shards[i]->eth0, frame)) out.push_back(i);
        return out;
    }
    std::vector<std::unique_ptr<Harness>> shards;
};

// Feeding a shard a frame it was told to skip does nothing but count it as another's.
void expect_only_counted(Harness& h, const Bytes& frame) {
    const StackStats before = h.stats();
    h.inject(frame);
    EXPECT_EQ(h.stats().tcp.drop_not_owner, before.tcp.drop_not_owner + 1);
    EXPECT_EQ(h.stats().tcp.rx_segments, before.tcp.rx_segments);
    EXPECT_TRUE(h.sent().empty());
}

TEST(Steering, ATcpSegmentToUsIsWantedByItsOwnerAlone) {
    Host host;
    for (std::uint16_t port = 40000; port < 40064; ++port) {
        for (const Bytes& frame : {tcp_frame(port, 80), tcp6_frame(port, 443)}) {
            const bool v6 = frame[12] == std::byte{0x86};
            const auto wanted = host.wanted_by(frame);
            ASSERT_EQ(wanted.size(), 1u) << "port " << port;
            const std::uint32_t owner =
                v6 ? tcp_flow_hash({our_ip6, 443}, {peer_ip6, port}) % kShards
                   : tcp_flow_hash({our_ip, 80}, {peer_ip, port}) % kShards;
            EXPECT_EQ(wanted.front(), owner) << "port " << port;
            for (std::uint32_t i = 0; i < kShards; ++i)
                if (i != owner) expect_only_counted(*host.shards[i], frame);
        }
    }
}

TEST(Steering, EverythingElseIsWantedByEveryShard) {
    Host host;
    Ipv4Spec fragment{.mf = true};
    Ipv4Spec later_fragment{.offset = 8};
    Ipv4Spec not_ours{.dst = ip(10, 0, 0, 9)};
    Ipv4Spec broadcast{.dst = ip(10, 0, 0, 255)};
    const Ipv6Spec to_group{.dst = all_nodes6};
    const std::vector<Bytes> frames = {
        arp_frame(),
        udp_frame(),
        echo_request_frame(7, 1),
        tcp_frame(40001, 80, fragment),  // reassembly runs in every shard
        tcp_frame(40001, 80, later_fragment),
        tcp_frame(40001, 80, not_ours),  // for forwarding or for nobody
        tcp_frame(40001, 80, broadcast),
        ethernet({.vlan_id = 5}, ipv4({.protocol = proto::tcp}, tcp_header(40001, 80))),
        tcp6_frame(40001, 80, to_group),
        // An extension header first: it might have been a fragment header.
        ethernet({.type = ethertype::ipv6},
                 ipv6({.next_header = proto::hop_by_hop},
                      ipv6_options_header(proto::tcp, {}, tcp_header(40001, 80)))),
    };
    for (std::size_t f = 0; f < frames.size(); ++f)
        EXPECT_EQ(host.wanted_by(frames[f]).size(), std::size_t{kShards}) << "frame " << f;
}

TEST(Steering, ACutFrameIsNeverSkippedOnItsHeadersAlone) {
    Host host;
    for (const Bytes& whole : {tcp_frame(40002, 80), tcp6_frame(40002, 80)}) {
        const std::size_t ports_end = whole.size() - 16;  // the TCP header's first 4 bytes
        for (std::size_t len = 0; len < ports_end; ++len) {
            const Bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(len));
            EXPECT_EQ(host.wanted_by(cut).size(), std::size_t{kShards}) << "length " << len;
        }
    }
}

TEST(Steering, OneShardWantsEverything) {
    Host host(1);
    for (std::uint16_t port = 40000; port < 40016; ++port)
        EXPECT_EQ(host.wanted_by(tcp_frame(port, 80)).size(), 1u);
}

TEST(Steering, AnAddressNotYetOursIsLeftToEveryShard) {
    Host host;
    // Without the IPv6 address (and on a stack without IPv6) nothing is judged another's.
    for (auto& h : host.shards)
        ASSERT_TRUE(h->stack.remove_address(h->eth0, Ipv6Cidr{our_ip6, 64}));
    EXPECT_EQ(host.wanted_by(tcp6_frame(40003, 80)).size(), std::size_t{kShards});
    Harness plain(StackConfig{.shard = {1, kShards}});
    for (std::uint16_t port = 40000; port < 40016; ++port) {
        const Bytes frame = tcp6_frame(port, 80);
        EXPECT_FALSE(plain.stack.owned_elsewhere(plain.eth0, frame));
    }
}

}  // namespace
}  // namespace nstest
