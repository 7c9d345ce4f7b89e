// The IPv6 tests' fixture: one stack with eth0 (our_mac, IPv6 on), what it sends read by
// the independent parsers of packets_ipv6, and the steps most tests begin with.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"
#include "packets_ipv6.hpp"

namespace nstest {

inline constexpr std::uint32_t na_router = 0x80000000u, na_solicited = 0x40000000u,
                               na_override = 0x20000000u;

// One IPv6 frame the stack sent, read by the independent parsers.
struct Sent6 {
    MacAddress dst;
    ParsedIpv6 ip;
    std::optional<ParsedIcmpv6> icmp;
    // NS/NA: the target address and the link-layer address option, if any.
    Ipv6Address target() const {
        Ipv6Address t;
        std::copy_n(reinterpret_cast<const std::uint8_t*>(icmp->body.data()), 16, t.bytes.begin());
        return t;
    }
    std::optional<MacAddress> link_option() const {
        if (icmp->body.size() < 16 + 8) return std::nullopt;
        MacAddress m;
        for (std::size_t i = 0; i < 6; ++i)
            m.bytes[i] = static_cast<std::uint8_t>(icmp->body[16 + 2 + i]);
        return m;
    }
};

inline StackConfig config6() {
    StackConfig c;
    c.ipv6.enabled = true;
    return c;
}

class Ipv6 : public ::testing::Test {
  protected:
    Ipv6() : h(config6(), false) {
        eth0 = h.eth0 = h.add_interface(interface_config("eth0", our_mac), cidr(our_ip, 24));
    }

    // Every IPv6 frame sent on eth0 since the last call (others are ignored).
    std::vector<Sent6> sent6() {
        std::vector<Sent6> out;
        for (const auto& frame : h.device(eth0).take_all()) {
            if (frame.size() < 14 || std::to_integer<int>(frame[12]) != 0x86 ||
                std::to_integer<int>(frame[13]) != 0xdd)
                continue;
            auto ip = parse_ipv6(std::span(frame).subspan(14));
            if (!ip) {
                ADD_FAILURE() << "a malformed IPv6 packet of " << frame.size() << " bytes";
                continue;
            }
            Sent6 s;
            s.ip = *ip;
            std::copy_n(reinterpret_cast<const std::uint8_t*>(frame.data()), 6,
                        s.dst.bytes.begin());
            if (ip->next_header == proto::icmpv6) {
                s.icmp = parse_icmpv6(ip->payload, ip->src, ip->dst);
                EXPECT_TRUE(s.icmp && s.icmp->checksum_ok);
            }
            out.push_back(std::move(s));
        }
        return out;
    }

    // The frames of ICMPv6 `type` among `frames`.
    static std::vector<Sent6> of_type(const std::vector<Sent6>& frames, std::uint8_t type) {
        std::vector<Sent6> out;
        for (const auto& f : frames)
            if (f.icmp && f.icmp->type == type) out.push_back(f);
        return out;
    }

    // Runs the link-local address's DAD to its end; returns what was sent meanwhile.
    std::vector<Sent6> finish_dad() {
        h.advance(0ms);
        auto frames = sent6();
        h.advance(h.stack.config().ipv6.retrans_timer);
        auto more = sent6();
        frames.insert(frames.end(), more.begin(), more.end());
        return frames;
    }

    // The peer asks for our global address, telling its MAC.
    void solicit_from_peer(std::uint8_t hop_limit = 255) {
        h.inject(ipv6_frame({.src = peer_ip6,
                             .dst = solicited_node6(our_ip6),
                             .next_header = proto::icmpv6,
                             .hop_limit = hop_limit},
                            neighbor_solicitation(peer_ip6, solicited_node6(our_ip6), our_ip6,
                                                  nd_link_option(1, peer_mac))));
    }

    // Our global address, preferred (DAD finished), the peer known by an NS from it.
    void ready_with_peer() {
        ASSERT_TRUE(h.stack.add_address(eth0, Ipv6Cidr{our_ip6, 64}, h.now()));
        (void)finish_dad();
        solicit_from_peer();
        (void)sent6();
    }

    Ipv6InterfaceAddress address_of(const Ipv6Address& a) {
        for (const auto& i : h.stack.interfaces())
            for (const auto& x : i.addresses6)
                if (x.address.address == a) return x;
        ADD_FAILURE() << "no address " << a.to_string();
        return {};
    }

    Harness h;
    InterfaceId eth0 = 0;
};

}  // namespace nstest
