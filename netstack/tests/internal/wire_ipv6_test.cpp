// The IPv6 wire layer (wire/ipv6, ipv6_ext, icmpv6, ndp) and UDP/TCP over IPv6, against
// packets built byte by byte by packets_ipv6.hpp (independent of wire/) or written out
// literally, plus round trips through emit() and every truncation of valid packets.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "packets_ipv6.hpp"
#include "test_bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/icmpv6.hpp"
#include "wire/ipv6.hpp"
#include "wire/ipv6_ext.hpp"
#include "wire/ndp.hpp"
#include "wire/tcp.hpp"
#include "wire/udp.hpp"

namespace netstack::wire {
namespace {

using Buf = std::vector<std::byte>;
using nstest::our_ip6;
using nstest::peer_ip6;
namespace proto = nstest::proto;

const Ipv6Address our_ll = nstest::our_ll6;
const Ipv6Address peer_ll = nstest::peer_ll6;
const MacAddress our_mac = nstest::our_mac;
const MacAddress peer_mac = nstest::peer_mac;

Buf concat(std::initializer_list<Bytes> parts) {
    Buf out;
    for (Bytes p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// ---- the fixed header ----------------------------------------------------------------------

TEST(Ipv6, ParsesAHandBuiltHeaderAndIgnoresPadding) {
    Buf packet = nstest::ipv6(
        {.next_header = proto::udp, .hop_limit = 17, .traffic_class = 0xab, .flow_label = 0x12345},
        nstest::text("hello"));
    packet.resize(packet.size() + 3);  // Ethernet padding after the payload
    auto r = Ipv6Repr::parse(packet);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->src, peer_ip6);
    EXPECT_EQ(r->dst, our_ip6);
    EXPECT_EQ(r->next_header, 17);
    EXPECT_EQ(r->hop_limit, 17);
    EXPECT_EQ(r->traffic_class, 0xab);
    EXPECT_EQ(r->flow_label, 0x12345u);
    EXPECT_EQ(r->payload_len, 5u);
    Ipv6View view{Bytes(packet)};
    EXPECT_EQ(view.payload().size(), 5u);
    EXPECT_EQ(std::to_integer<char>(view.payload()[0]), 'h');
}

TEST(Ipv6, ParseErrors) {
    const Buf packet = nstest::ipv6({}, nstest::text("hello"));
    EXPECT_EQ(Ipv6Repr::parse(Bytes(packet).first(39)).error(), Ipv6Error::short_header);
    EXPECT_EQ(Ipv6Repr::parse(Bytes(packet).first(44)).error(), Ipv6Error::bad_payload_len);
    EXPECT_EQ(Ipv6Repr::parse(nstest::ipv6({.version = 4}, nstest::text("x"))).error(),
              Ipv6Error::bad_version);
    EXPECT_EQ(Ipv6Repr::parse(nstest::ipv6({.payload_length = 6}, nstest::text("hello"))).error(),
              Ipv6Error::bad_payload_len);
    EXPECT_TRUE(Ipv6Repr::parse(nstest::ipv6({.payload_length = 0}, nstest::text("hello"))));
}

TEST(Ipv6, EmitMatchesTheHandBuiltHeaderAndRoundTrips) {
    const Ipv6Repr repr{.src = peer_ll,
                        .dst = our_ip6,
                        .next_header = 58,
                        .hop_limit = 255,
                        .payload_len = 3,
                        .traffic_class = 0x2e,
                        .flow_label = 0xfedcb};
    Buf out(43);
    repr.emit(out);
    const Buf expected = nstest::ipv6({.src = peer_ll,
                                       .dst = our_ip6,
                                       .next_header = 58,
                                       .hop_limit = 255,
                                       .traffic_class = 0x2e,
                                       .flow_label = 0xfedcb},
                                      nstest::pattern(3));
    EXPECT_TRUE(std::equal(expected.begin(), expected.begin() + 40, out.begin()));
    EXPECT_EQ(Ipv6Repr::parse(out), repr);
}

TEST(Ipv6, ViewSetters) {
    Buf packet = nstest::ipv6({}, nstest::pattern(8));
    Ipv6View view{MutableBytes(packet)};
    view.set_hop_limit(3);
    view.set_next_header(59);
    view.set_payload_len(4);
    view.set_src(our_ll);
    view.set_dst(peer_ll);
    view.set_version_tc_flow(7, 0xfffff);
    auto r = Ipv6Repr::parse(packet);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->hop_limit, 3);
    EXPECT_EQ(r->next_header, 59);
    EXPECT_EQ(r->payload_len, 4u);
    EXPECT_EQ(r->src, our_ll);
    EXPECT_EQ(r->dst, peer_ll);
    EXPECT_EQ(r->traffic_class, 7);
    EXPECT_EQ(r->flow_label, 0xfffffu);
}

// ---- checksums ---------------------------------------------------------------------------

// 2001:db8::2 -> 2001:db8::1, echo request id 0x1234 seq 1 "abcd"; checksum computed
// outside this code base.
const auto echo_literal =
    test::bytes({0x80, 0x00, 0x4d, 0x48, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64});
// 2001:db8::2 port 40000 -> 2001:db8::1 port 5000, "hello".
const auto udp_literal =
    test::bytes({0x9c, 0x40, 0x13, 0x88, 0x00, 0x0d, 0xb0, 0xc4, 0x68, 0x65, 0x6c, 0x6c, 0x6f});

TEST(Ipv6Checksum, PseudoHeaderMatchesLiteralPackets) {
    EXPECT_EQ(pseudo_header(peer_ip6, our_ip6, 58, 12).add(echo_literal).sum(), 0xffff);
    EXPECT_EQ(pseudo_header(IpAddress(peer_ip6), IpAddress(our_ip6), 17, 13).add(udp_literal).sum(),
              0xffff);
    // The builders agree with the literals.
    EXPECT_EQ(nstest::icmpv6_echo(peer_ip6, our_ip6, true, 0x1234, 1, nstest::text("abcd")),
              echo_literal);
    EXPECT_EQ(nstest::udp6({.src_port = 40000, .dst_port = 5000}, peer_ip6, our_ip6,
                           nstest::text("hello")),
              udp_literal);
}

TEST(Ipv6Checksum, EitherFamilyPseudoHeaderPicksByFamily) {
    const Ipv4Address a = test::ip(10, 0, 0, 1), b = test::ip(10, 0, 0, 2);
    EXPECT_EQ(pseudo_header(IpAddress(a), IpAddress(b), 17, 9).sum(),
              pseudo_header(a, b, 17, 9).sum());
    EXPECT_EQ(pseudo_header(IpAddress(peer_ip6), IpAddress(our_ip6), 6, 70000).sum(),
              pseudo_header(peer_ip6, our_ip6, 6, 70000).sum());
    // The 32-bit length's high half counts (RFC 8200 8.1).
    EXPECT_NE(pseudo_header(peer_ip6, our_ip6, 6, 0x10004).sum(),
              pseudo_header(peer_ip6, our_ip6, 6, 4).sum());
}

TEST(Udp6, ParsesAndEmitsOverIpv6) {
    auto r = UdpRepr::parse(udp_literal, peer_ip6, our_ip6);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->src_port, 40000);
    EXPECT_EQ(r->dst_port, 5000);
    EXPECT_EQ(r->payload.size(), 5u);
    EXPECT_EQ(UdpRepr::parse(udp_literal, peer_ip6, peer_ip6).error(), UdpError::bad_checksum);

    const Buf payload = nstest::text("hello");
    Buf out(13);
    UdpRepr{.src_port = 40000, .dst_port = 5000, .payload = payload}.emit(out, peer_ip6, our_ip6);
    EXPECT_EQ(out, udp_literal);
}

TEST(Udp6, ZeroChecksumIsRefusedOverIpv6Only) {
    const Buf zero = nstest::udp6({.checksum = false}, peer_ip6, our_ip6, nstest::text("hi"));
    EXPECT_EQ(UdpRepr::parse(zero, peer_ip6, our_ip6).error(), UdpError::bad_checksum);
    const Buf zero4 =
        nstest::udp({.checksum = false}, nstest::peer_ip, nstest::our_ip, nstest::text("hi"));
    EXPECT_TRUE(UdpRepr::parse(zero4, nstest::peer_ip, nstest::our_ip));
}

TEST(Udp6, ComputedZeroIsSentAsAllOnes) {
    // A payload word equal to the checksum of the datagram without it makes the sum 0xffff
    // and so the computed checksum 0.
    Buf payload(2);
    const Buf probe = nstest::udp6({}, peer_ip6, our_ip6, payload);
    const std::uint16_t c = static_cast<std::uint16_t>(std::to_integer<unsigned>(probe[6]) << 8 |
                                                       std::to_integer<unsigned>(probe[7]));
    payload[0] = std::byte(c >> 8);
    payload[1] = std::byte(c & 0xff);
    Buf out(10);
    UdpRepr{.src_port = 40000, .dst_port = 5000, .payload = payload}.emit(out, peer_ip6, our_ip6);
    EXPECT_EQ(out[6], std::byte{0xff});
    EXPECT_EQ(out[7], std::byte{0xff});
    EXPECT_EQ(out, nstest::udp6({}, peer_ip6, our_ip6, payload));
    EXPECT_TRUE(UdpRepr::parse(out, peer_ip6, our_ip6));
}

TEST(Tcp6, ChecksumCoversTheIpv6PseudoHeader) {
    const Buf payload = nstest::pattern(11);
    TcpRepr repr{.src_port = 443,
                 .dst_port = 50000,
                 .seq = 1000,
                 .ack = 2000,
                 .flags = tcp_flag::ack | tcp_flag::psh,
                 .window = 512,
                 .mss = 1440,
                 .payload = payload};
    Buf out(repr.buffer_len());
    repr.emit(out, our_ip6, peer_ip6);
    EXPECT_EQ(nstest::internet_checksum(out, nstest::pseudo_sum6(our_ip6, peer_ip6, 6, out.size())),
              0);
    auto back = TcpRepr::parse(out, our_ip6, peer_ip6);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->seq, 1000u);
    EXPECT_EQ(back->mss, 1440);
    EXPECT_EQ(TcpRepr::parse(out, our_ip6, our_ll).error(), TcpError::bad_checksum);
}

// ---- ICMPv6 ------------------------------------------------------------------------------

TEST(Icmpv6, ParsesEcho) {
    auto r = Icmpv6Repr::parse(echo_literal, peer_ip6, our_ip6);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, std::uint8_t(Icmpv6Type::echo_request));
    EXPECT_EQ(r->code, 0);
    EXPECT_EQ(r->echo_id(), 0x1234);
    EXPECT_EQ(r->echo_seq(), 1);
    EXPECT_EQ(r->data.size(), 4u);
    EXPECT_FALSE(r->is_error());
}

TEST(Icmpv6, ParseErrors) {
    EXPECT_EQ(Icmpv6Repr::parse(Bytes(echo_literal).first(7), peer_ip6, our_ip6).error(),
              Icmpv6Error::short_header);
    // The pseudo-header counts: the same bytes to another destination fail.
    EXPECT_EQ(Icmpv6Repr::parse(echo_literal, peer_ip6, our_ll).error(), Icmpv6Error::bad_checksum);
    const Buf bad = nstest::icmpv6(peer_ip6, our_ip6, 1, 4, 0, nstest::pattern(20), true);
    EXPECT_EQ(Icmpv6Repr::parse(bad, peer_ip6, our_ip6).error(), Icmpv6Error::bad_checksum);
}

TEST(Icmpv6, EmitMatchesTheBuilderAndRoundTrips) {
    const Buf quoted = nstest::pattern(48);
    const Icmpv6Repr repr{
        .type = std::uint8_t(Icmpv6Type::packet_too_big), .code = 0, .rest = 1280, .data = quoted};
    Buf out(repr.buffer_len());
    repr.emit(out, our_ip6, peer_ip6);
    EXPECT_EQ(out, nstest::icmpv6(our_ip6, peer_ip6, 2, 0, 1280, quoted));
    auto back = Icmpv6Repr::parse(out, our_ip6, peer_ip6);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->type, repr.type);
    EXPECT_EQ(back->mtu(), 1280u);
    EXPECT_TRUE(std::ranges::equal(back->data, quoted));
    EXPECT_TRUE(back->is_error());
}

TEST(Icmpv6, ErrorTypesAreBelow128) {
    for (unsigned t = 0; t < 256; ++t)
        EXPECT_EQ(is_icmpv6_error(static_cast<std::uint8_t>(t)), t < 128) << t;
    const Icmpv6Repr problem{.type = 4, .code = 1, .rest = 40};
    EXPECT_TRUE(problem.is_error());
    EXPECT_EQ(problem.pointer(), 40u);
    EXPECT_EQ(icmpv6_error_max_quote, 1280u - 40 - 8);  // RFC 4443 2.4 (c)
}

// ---- extension headers -------------------------------------------------------------------

// Walks the IPv6 payload of a hand-built packet.
std::expected<Ipv6Chain, Ipv6ExtFault> walk(const Buf& packet) {
    auto ip = Ipv6Repr::parse(packet);
    EXPECT_TRUE(ip);
    if (!ip) return std::unexpected(Ipv6ExtFault{});
    return walk_ipv6_extensions(Ipv6View(Bytes(packet)).payload(), ip->next_header);
}

// The chain borrows from the packet: keep it alive.
std::expected<Ipv6Chain, Ipv6ExtFault> walk(const Buf&& packet) = delete;

Buf packet_with(std::uint8_t first, const Buf& payload, Ipv6Address dst = our_ip6) {
    return nstest::ipv6({.dst = dst, .next_header = first}, payload);
}

const Buf udp_body = nstest::udp6({}, peer_ip6, our_ip6, nstest::text("data"));

Buf option(std::uint8_t type, std::size_t len) {
    return nstest::ipv6_option(type, nstest::pattern(len));
}

TEST(Ipv6Ext, NoExtensionHeaders) {
    const Buf packet = packet_with(proto::udp, udp_body);
    auto chain = walk(packet);
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->protocol, proto::udp);
    EXPECT_EQ(chain->protocol_at, 6u);
    EXPECT_EQ(chain->payload_at, 40u);
    EXPECT_EQ(chain->payload.size(), udp_body.size());
    EXPECT_FALSE(chain->fragment);
}

TEST(Ipv6Ext, PassesHopByHopDestOptsAndAnExhaustedRoutingHeader) {
    // HbH (Router Alert, type 5: top bits 00, unknown to us, skipped) -> DestOpts (PadN only)
    // -> Routing type 0 with segments left 0 (ignored, RFC 5095 3) -> DestOpts -> UDP.
    const Buf alert = option(5, 2);
    const Buf chain_bytes = nstest::ipv6_options_header(
        proto::dest_opts, alert,
        nstest::ipv6_options_header(
            proto::routing, {},
            nstest::routing_header(proto::dest_opts, 0, 0,
                                   nstest::ipv6_options_header(proto::udp, {}, udp_body))));
    const Buf chain_packet = packet_with(proto::hop_by_hop, chain_bytes);
    auto chain = walk(chain_packet);
    ASSERT_TRUE(chain) << int(chain.error().error);
    EXPECT_EQ(chain->protocol, proto::udp);
    // 40 HbH (8) 48 DestOpts (8) 56 Routing (24) 80 DestOpts (8) 88 UDP
    EXPECT_EQ(chain->protocol_at, 80u);
    EXPECT_EQ(chain->payload_at, 88u);
    EXPECT_TRUE(std::ranges::equal(chain->payload, udp_body));
}

TEST(Ipv6Ext, Pad1AndPadNAreSkipped) {
    // Pad1, Pad1, PadN(0), PadN(3): 9 option bytes, padded out by the builder.
    const Buf options = concat({test::bytes({0, 0}), option(1, 0), option(1, 3)});
    const Buf chain_packet =
        packet_with(proto::dest_opts, nstest::ipv6_options_header(proto::udp, options, udp_body));
    auto chain = walk(chain_packet);
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->payload_at, 56u);
}

TEST(Ipv6Ext, HopByHopOnlyRightAfterTheFixedHeader) {
    const Buf packet = packet_with(
        proto::dest_opts,
        nstest::ipv6_options_header(proto::hop_by_hop, {},
                                    nstest::ipv6_options_header(proto::udp, {}, udp_body)));
    auto chain = walk(packet);
    ASSERT_FALSE(chain);
    EXPECT_EQ(chain.error().error, Ipv6ExtError::hop_by_hop_not_first);
    EXPECT_EQ(chain.error().pointer, 40u);  // the DestOpts' next header byte that says 0
    EXPECT_EQ(chain.error().parameter_problem_code(false), 1);
    EXPECT_EQ(chain.error().parameter_problem_code(true), std::nullopt);
}

TEST(Ipv6Ext, RoutingHeaderWithSegmentsLeftIsRefused) {
    for (std::uint8_t type : {std::uint8_t{0}, std::uint8_t{2}, std::uint8_t{253}}) {
        const Buf packet = packet_with(
            proto::dest_opts,
            nstest::ipv6_options_header(proto::routing, {},
                                        nstest::routing_header(proto::udp, type, 1, udp_body)));
        auto chain = walk(packet);
        ASSERT_FALSE(chain) << int(type);
        EXPECT_EQ(chain.error().error, Ipv6ExtError::routing_type);
        EXPECT_EQ(chain.error().pointer, 50u);  // routing header at 48, its type at +2
        EXPECT_EQ(chain.error().parameter_problem_code(false), 0);
        EXPECT_EQ(chain.error().parameter_problem_code(true), std::nullopt);

        // Segments left 0: the header is skipped, whatever its type.
        const Buf skipped_packet =
            packet_with(proto::routing, nstest::routing_header(proto::udp, type, 0, udp_body, 2));
        auto skipped = walk(skipped_packet);
        ASSERT_TRUE(skipped) << int(type);
        EXPECT_EQ(skipped->payload_at, 80u);
    }
}

TEST(Ipv6Ext, UnknownOptionsByTheirTopTwoBits) {
    struct Case {
        std::uint8_t type;
        std::optional<Ipv6ExtError> error;
        std::optional<std::uint8_t> code_unicast, code_multicast;
    };
    const Case cases[] = {
        {0x1e, std::nullopt, std::nullopt, std::nullopt},
        {0x5e, Ipv6ExtError::option_discard, std::nullopt, std::nullopt},
        {0x9e, Ipv6ExtError::option_discard_icmp, 2, 2},
        {0xde, Ipv6ExtError::option_discard_icmp_unicast, 2, std::nullopt},
    };
    for (const Case& c : cases) {
        for (std::uint8_t header : {proto::hop_by_hop, proto::dest_opts}) {
            // PadN(1) (3 bytes) then the option: its type is at 40 + 2 + 3.
            const Buf options = concat({option(1, 1), option(c.type, 4)});
            const Buf chain_packet =
                packet_with(header, nstest::ipv6_options_header(proto::udp, options, udp_body));
            auto chain = walk(chain_packet);
            if (!c.error) {
                EXPECT_TRUE(chain) << int(c.type);
                continue;
            }
            ASSERT_FALSE(chain) << int(c.type);
            EXPECT_EQ(chain.error().error, *c.error);
            EXPECT_EQ(chain.error().pointer, 45u);
            EXPECT_EQ(chain.error().parameter_problem_code(false), c.code_unicast);
            EXPECT_EQ(chain.error().parameter_problem_code(true), c.code_multicast);
        }
    }
}

TEST(Ipv6Ext, OptionRunningPastItsHeaderIsDropped) {
    // An 8-byte header whose single option claims 7 data bytes (only 4 are there).
    const Buf header = test::bytes({proto::udp, 0, 0x1e, 7, 1, 2, 3, 4});
    const Buf chain_packet = packet_with(proto::dest_opts, concat({header, udp_body}));
    auto chain = walk(chain_packet);
    ASSERT_FALSE(chain);
    EXPECT_EQ(chain.error().error, Ipv6ExtError::bad_option);
    EXPECT_EQ(chain.error().pointer, 42u);
    EXPECT_EQ(chain.error().parameter_problem_code(false), std::nullopt);
    // An option type alone in the last byte, with no room for its length.
    const Buf tail = test::bytes({proto::udp, 0, 1, 3, 0, 0, 0, 0x1e});
    const Buf tail_chain_packet = packet_with(proto::dest_opts, concat({tail, udp_body}));
    auto tail_chain = walk(tail_chain_packet);
    ASSERT_FALSE(tail_chain);
    EXPECT_EQ(tail_chain.error().error, Ipv6ExtError::bad_option);
    EXPECT_EQ(tail_chain.error().pointer, 47u);
}

TEST(Ipv6Ext, TruncatedHeaders) {
    // Length 1 says 16 bytes; only 8 follow.
    const Buf header = test::bytes({proto::udp, 1, 1, 4, 0, 0, 0, 0});
    const Buf chain_packet = packet_with(proto::hop_by_hop, header);
    auto chain = walk(chain_packet);
    ASSERT_FALSE(chain);
    EXPECT_EQ(chain.error().error, Ipv6ExtError::truncated);
    EXPECT_EQ(chain.error().pointer, 40u);
    EXPECT_EQ(chain.error().parameter_problem_code(false), std::nullopt);
    for (std::uint8_t first : {proto::hop_by_hop, proto::routing, proto::fragment}) {
        const Buf one_packet = packet_with(first, test::bytes({proto::udp}));
        auto one = walk(one_packet);
        ASSERT_FALSE(one) << int(first);
        EXPECT_EQ(one.error().error, Ipv6ExtError::truncated);
        const Buf empty_packet = packet_with(first, {});
        auto empty = walk(empty_packet);
        ASSERT_FALSE(empty);
        EXPECT_EQ(empty.error().error, Ipv6ExtError::truncated);
    }
    const Buf short_fragment_packet =
        packet_with(proto::fragment, test::bytes({proto::udp, 0, 0, 0, 0, 0, 0}));
    auto short_fragment = walk(short_fragment_packet);
    ASSERT_FALSE(short_fragment);
    EXPECT_EQ(short_fragment.error().error, Ipv6ExtError::truncated);
}

TEST(Ipv6Ext, AtMostEightHeaders) {
    auto chain_of = [](std::size_t n) {
        Buf bytes = udp_body;
        for (std::size_t i = 0; i < n; ++i)
            bytes = nstest::ipv6_options_header(i == 0 ? proto::udp : proto::dest_opts, {}, bytes);
        return packet_with(proto::dest_opts, bytes);
    };
    const Buf eight_packet = chain_of(8);
    auto eight = walk(eight_packet);
    ASSERT_TRUE(eight);
    EXPECT_EQ(eight->payload_at, 40u + 8 * 8);
    const Buf nine_packet = chain_of(9);
    auto nine = walk(nine_packet);
    ASSERT_FALSE(nine);
    EXPECT_EQ(nine.error().error, Ipv6ExtError::too_many_headers);
    EXPECT_EQ(nine.error().pointer, 40u + 8 * 8);
}

TEST(Ipv6Ext, NoNextHeaderEndsTheChainWithNoPayload) {
    const Buf packet =
        packet_with(proto::hop_by_hop, nstest::ipv6_options_header(proto::no_next, {}, udp_body));
    auto chain = walk(packet);
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->protocol, proto::no_next);
    EXPECT_EQ(chain->protocol_at, 40u);
    EXPECT_EQ(chain->payload_at, 48u);
    EXPECT_TRUE(chain->payload.empty());
}

TEST(Ipv6Ext, UnknownUpperLayerIsReturnedWithItsPointer) {
    // ESP (50) is not walked: the caller answers Parameter Problem code 1 at protocol_at.
    const Buf chain_packet =
        packet_with(proto::dest_opts, nstest::ipv6_options_header(50, {}, nstest::pattern(16)));
    auto chain = walk(chain_packet);
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->protocol, 50);
    EXPECT_EQ(chain->protocol_at, 40u);
    EXPECT_EQ(chain->payload_at, 48u);
}

TEST(Ipv6Ext, StopsAtTheFragmentHeader) {
    const Buf data = nstest::pattern(24);
    const Buf packet = packet_with(
        proto::hop_by_hop, nstest::ipv6_options_header(
                               proto::fragment, {},
                               nstest::fragment_header(proto::udp, 1448, true, 0xdeadbeef, data)));
    auto chain = walk(packet);
    ASSERT_TRUE(chain);
    ASSERT_TRUE(chain->fragment);
    EXPECT_EQ(chain->fragment->header, (Ipv6FragmentRepr{.next_header = proto::udp,
                                                         .offset = 1448,
                                                         .more_fragments = true,
                                                         .ident = 0xdeadbeef}));
    EXPECT_EQ(chain->fragment->header_at, 48u);
    EXPECT_EQ(chain->fragment->next_header_at, 40u);
    EXPECT_EQ(chain->protocol, proto::udp);
    EXPECT_EQ(chain->protocol_at, 48u);
    EXPECT_EQ(chain->payload_at, 56u);
    EXPECT_TRUE(std::ranges::equal(chain->payload, data));

    // Right after the fixed header, the byte pointing at it is the fixed header's.
    const Buf first_packet =
        packet_with(proto::fragment, nstest::fragment_header(proto::udp, 0, true, 7, data));
    auto first = walk(first_packet);
    ASSERT_TRUE(first && first->fragment);
    EXPECT_EQ(first->fragment->header_at, 40u);
    EXPECT_EQ(first->fragment->next_header_at, 6u);
    EXPECT_FALSE(first->fragment->header.is_atomic());
}

TEST(Ipv6Ext, AnAtomicFragmentContinuesTheWalk) {
    const Buf packet =
        packet_with(proto::fragment,
                    nstest::fragment_header(proto::dest_opts, 0, false, 9,
                                            nstest::ipv6_options_header(proto::udp, {}, udp_body)));
    auto chain = walk(packet);
    ASSERT_TRUE(chain && chain->fragment);
    EXPECT_TRUE(chain->fragment->header.is_atomic());
    auto rest = walk_ipv6_extensions(chain->payload, chain->protocol, chain->payload_at,
                                     chain->protocol_at);
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->protocol, proto::udp);
    EXPECT_EQ(rest->protocol_at, 48u);
    EXPECT_EQ(rest->payload_at, 56u);

    // A Hop-by-Hop header after the fragment header is out of place.
    const Buf bad =
        packet_with(proto::fragment,
                    nstest::fragment_header(proto::hop_by_hop, 0, false, 9,
                                            nstest::ipv6_options_header(proto::udp, {}, udp_body)));
    auto bad_chain = walk(bad);
    ASSERT_TRUE(bad_chain);
    auto refused = walk_ipv6_extensions(bad_chain->payload, bad_chain->protocol,
                                        bad_chain->payload_at, bad_chain->protocol_at);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().error, Ipv6ExtError::hop_by_hop_not_first);
    EXPECT_EQ(refused.error().pointer, 40u);
}

TEST(Ipv6Fragment, EmitMatchesTheBuilderAndRoundTrips) {
    const Ipv6FragmentRepr repr{
        .next_header = proto::icmpv6, .offset = 65528, .more_fragments = true, .ident = 42};
    Buf out(8);
    repr.emit(out);
    EXPECT_EQ(out, nstest::fragment_header(proto::icmpv6, 65528, true, 42, {}));
    EXPECT_EQ(Ipv6FragmentRepr::parse(out), repr);
    EXPECT_FALSE(Ipv6FragmentRepr::parse(Bytes(out).first(7)));
    // Reserved bits are ignored.
    out[1] = std::byte{0xff};
    out[3] |= std::byte{0x06};
    EXPECT_EQ(Ipv6FragmentRepr::parse(out), repr);
    Ipv6FragmentView view{MutableBytes(out)};
    view.set_next_header(proto::udp);
    EXPECT_EQ(view.next_header(), proto::udp);
    EXPECT_EQ(view.offset(), 65528u);
}

// ---- Neighbor Discovery ------------------------------------------------------------------

std::expected<NdpRepr, NdpError> parse_nd(const Buf& message, const Ipv6Address& src,
                                          const Ipv6Address& dst) {
    auto icmp = Icmpv6Repr::parse(message, src, dst);
    EXPECT_TRUE(icmp);
    if (!icmp) return std::unexpected(NdpError::not_ndp);
    return NdpRepr::parse(*icmp);
}

const Buf sllao = nstest::nd_link_option(1, peer_mac);
const Buf tllao = nstest::nd_link_option(2, peer_mac);

TEST(Ndp, NeighborSolicitation) {
    const Buf ns =
        nstest::neighbor_solicitation(peer_ll, nstest::solicited_node6(our_ip6), our_ip6, sllao);
    auto nd = parse_nd(ns, peer_ll, nstest::solicited_node6(our_ip6));
    ASSERT_TRUE(nd);
    EXPECT_EQ(nd->type, Icmpv6Type::neighbor_solicitation);
    EXPECT_EQ(nd->target, our_ip6);
    EXPECT_EQ(nd->source_mac, peer_mac);
    EXPECT_FALSE(nd->target_mac);

    Buf out(nd->buffer_len());
    nd->emit(out, peer_ll, nstest::solicited_node6(our_ip6));
    EXPECT_EQ(out, ns);
}

TEST(Ndp, NeighborAdvertisement) {
    const Buf na = nstest::neighbor_advertisement(
        peer_ll, our_ll, peer_ip6, {.router = true, .solicited = true, .override = false}, tllao);
    auto nd = parse_nd(na, peer_ll, our_ll);
    ASSERT_TRUE(nd);
    EXPECT_EQ(nd->type, Icmpv6Type::neighbor_advertisement);
    EXPECT_EQ(nd->target, peer_ip6);
    EXPECT_TRUE(nd->router);
    EXPECT_TRUE(nd->solicited);
    EXPECT_FALSE(nd->override);
    EXPECT_EQ(nd->target_mac, peer_mac);

    Buf out(nd->buffer_len());
    nd->emit(out, peer_ll, our_ll);
    EXPECT_EQ(out, na);
}

TEST(Ndp, RouterSolicitation) {
    const Buf rs = nstest::router_solicitation(our_ll, nstest::all_routers6,
                                               nstest::nd_link_option(1, our_mac));
    auto nd = parse_nd(rs, our_ll, nstest::all_routers6);
    ASSERT_TRUE(nd);
    EXPECT_EQ(nd->type, Icmpv6Type::router_solicitation);
    EXPECT_EQ(nd->source_mac, our_mac);
    Buf out(nd->buffer_len());
    nd->emit(out, our_ll, nstest::all_routers6);
    EXPECT_EQ(out, rs);
}

TEST(Ndp, RouterAdvertisementWithOptions) {
    const nstest::PrefixSpec p1{};
    const nstest::PrefixSpec p2{.prefix_len = 48,
                                .on_link = false,
                                .autonomous = true,
                                .valid = 0xffffffff,
                                .preferred = 0,
                                .prefix = nstest::ip6(0x2001, 0xdb8, 0x77, 0, 0, 0, 0, 0)};
    const Buf unknown = test::bytes({200, 1, 1, 2, 3, 4, 5, 6});
    const Buf options = concat({sllao, nstest::nd_mtu_option(1400), unknown,
                                nstest::nd_prefix_option(p1), nstest::nd_prefix_option(p2)});
    const Buf ra = nstest::router_advertisement(
        peer_ll, nstest::all_nodes6,
        {.cur_hop_limit = 64, .managed = true, .other = false, .router_lifetime = 1800}, options);
    auto nd = parse_nd(ra, peer_ll, nstest::all_nodes6);
    ASSERT_TRUE(nd);
    EXPECT_EQ(nd->type, Icmpv6Type::router_advertisement);
    EXPECT_EQ(nd->cur_hop_limit, 64);
    EXPECT_TRUE(nd->managed);
    EXPECT_FALSE(nd->other);
    EXPECT_EQ(nd->router_lifetime, 1800);
    EXPECT_EQ(nd->reachable_time, 30000u);
    EXPECT_EQ(nd->retrans_timer, 1000u);
    EXPECT_EQ(nd->source_mac, peer_mac);
    EXPECT_EQ(nd->mtu, 1400u);
    ASSERT_EQ(nd->prefix_count, 2);
    EXPECT_EQ(nd->prefixes[0], (NdpPrefixInfo{.prefix_len = 64,
                                              .on_link = true,
                                              .autonomous = true,
                                              .valid_lifetime = 86400,
                                              .preferred_lifetime = 14400,
                                              .prefix = p1.prefix}));
    EXPECT_EQ(nd->prefixes[1].prefix_len, 48);
    EXPECT_FALSE(nd->prefixes[1].on_link);
    EXPECT_EQ(nd->prefixes[1].valid_lifetime, ndp_infinite_lifetime);
    EXPECT_EQ(nd->prefixes[1].prefix, p2.prefix);

    // emit writes the same message without the unknown option, in its own order.
    Buf out(nd->buffer_len());
    nd->emit(out, peer_ll, nstest::all_nodes6);
    const Buf expected = nstest::router_advertisement(
        peer_ll, nstest::all_nodes6,
        {.cur_hop_limit = 64, .managed = true, .other = false, .router_lifetime = 1800},
        concat({sllao, nstest::nd_mtu_option(1400), nstest::nd_prefix_option(p1),
                nstest::nd_prefix_option(p2)}));
    EXPECT_EQ(out, expected);
    EXPECT_EQ(parse_nd(out, peer_ll, nstest::all_nodes6), nd);
}

TEST(Ndp, RoundTripsEveryType) {
    NdpRepr ra{.type = Icmpv6Type::router_advertisement,
               .cur_hop_limit = 1,
               .managed = false,
               .other = true,
               .router_lifetime = 0xffff,
               .reachable_time = 7,
               .retrans_timer = 8,
               .source_mac = our_mac,
               .mtu = 9000};
    for (std::uint8_t i = 0; i < ndp_max_prefixes; ++i)
        ra.prefixes[ra.prefix_count++] = {.prefix_len = static_cast<std::uint8_t>(i + 60),
                                          .on_link = i % 2 == 0,
                                          .autonomous = i % 2 == 1,
                                          .valid_lifetime = i,
                                          .preferred_lifetime = i,
                                          .prefix = nstest::ip6(0x2001, 0xdb8, i, 0, 0, 0, 0, 0)};
    const NdpRepr reprs[] = {
        {.type = Icmpv6Type::router_solicitation},
        ra,
        {.type = Icmpv6Type::neighbor_solicitation, .target = peer_ll, .source_mac = our_mac},
        {.type = Icmpv6Type::neighbor_advertisement,
         .target = our_ip6,
         .router = false,
         .solicited = false,
         .override = true,
         .target_mac = our_mac},
    };
    for (const NdpRepr& repr : reprs) {
        Buf out(repr.buffer_len());
        repr.emit(out, our_ll, peer_ll);
        EXPECT_EQ(parse_nd(out, our_ll, peer_ll), repr) << int(repr.type);
    }
}

TEST(Ndp, ExtraPrefixesAndRepeatedOptionsAreIgnored) {
    Buf options = concat({nstest::nd_link_option(1, peer_mac), nstest::nd_link_option(1, our_mac)});
    for (std::uint16_t i = 0; i < ndp_max_prefixes + 2; ++i)
        options = concat({options, nstest::nd_prefix_option(
                                       {.prefix = nstest::ip6(0x2001, 0xdb8, i, 0, 0, 0, 0, 0)})});
    const Buf ra = nstest::router_advertisement(peer_ll, our_ll, {}, options);
    auto nd = parse_nd(ra, peer_ll, our_ll);
    ASSERT_TRUE(nd);
    EXPECT_EQ(nd->source_mac, peer_mac);
    EXPECT_EQ(nd->prefix_count, ndp_max_prefixes);
    EXPECT_EQ(nd->prefixes[ndp_max_prefixes - 1].prefix.bytes[5], ndp_max_prefixes - 1);
}

TEST(Ndp, MessageErrors) {
    auto ns_with = [](const Buf& options) {
        return parse_nd(nstest::neighbor_solicitation(peer_ll, our_ll, our_ip6, options), peer_ll,
                        our_ll);
    };
    // Length 0 is invalid even for an unknown option (RFC 4861 4.6).
    EXPECT_EQ(ns_with(test::bytes({200, 0, 0, 0, 0, 0, 0, 0})).error(),
              NdpError::bad_option_length);
    EXPECT_EQ(ns_with(test::bytes({1, 0, 2, 0, 0, 0, 0, 1})).error(), NdpError::bad_option_length);
    // Length 2 (16 bytes) with 8 present: past the message.
    EXPECT_EQ(ns_with(test::bytes({200, 2, 0, 0, 0, 0, 0, 0})).error(),
              NdpError::bad_option_length);
    // A single stray byte after the last option.
    EXPECT_EQ(ns_with(concat({sllao, test::bytes({1})})).error(), NdpError::bad_option_length);
    // A link-layer address of another length is not Ethernet's.
    EXPECT_EQ(ns_with(test::bytes({1, 2, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})).error(),
              NdpError::bad_option);
    EXPECT_EQ(ns_with(test::bytes({5, 2, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0})).error(),
              NdpError::bad_option);
    EXPECT_EQ(ns_with(test::bytes({3, 1, 64, 0xc0, 0, 0, 0, 1})).error(), NdpError::bad_option);

    // Code must be 0.
    const Buf body = concat({Bytes(std::as_bytes(std::span(our_ip6.bytes)))});
    EXPECT_EQ(parse_nd(nstest::icmpv6(peer_ll, our_ll, 135, 1, 0, body), peer_ll, our_ll).error(),
              NdpError::bad_code);
    // Too short for the target.
    EXPECT_EQ(
        parse_nd(nstest::icmpv6(peer_ll, our_ll, 135, 0, 0, Bytes(body).first(15)), peer_ll, our_ll)
            .error(),
        NdpError::short_message);
    EXPECT_EQ(
        parse_nd(nstest::icmpv6(peer_ll, our_ll, 134, 0, 0, nstest::pattern(7)), peer_ll, our_ll)
            .error(),
        NdpError::short_message);
    // Multicast targets, in NS and NA.
    EXPECT_EQ(parse_nd(nstest::neighbor_solicitation(peer_ll, our_ll, nstest::all_nodes6), peer_ll,
                       our_ll)
                  .error(),
              NdpError::multicast_target);
    EXPECT_EQ(parse_nd(nstest::neighbor_advertisement(peer_ll, our_ll, nstest::all_nodes6, {}),
                       peer_ll, our_ll)
                  .error(),
              NdpError::multicast_target);
    // Not Neighbor Discovery.
    EXPECT_EQ(parse_nd(echo_literal, peer_ip6, our_ip6).error(), NdpError::not_ndp);
    EXPECT_EQ(
        parse_nd(nstest::icmpv6(peer_ll, our_ll, 137, 0, 0, nstest::pattern(32)), peer_ll, our_ll)
            .error(),
        NdpError::not_ndp);
}

TEST(Ndp, ValidateWithTheIpHeader) {
    const auto ip = [](const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t hops = 255) {
        return Ipv6Repr{.src = src, .dst = dst, .next_header = 58, .hop_limit = hops};
    };
    const NdpRepr ns{
        .type = Icmpv6Type::neighbor_solicitation, .target = our_ip6, .source_mac = peer_mac};
    const NdpRepr dad{.type = Icmpv6Type::neighbor_solicitation, .target = our_ip6};
    const NdpRepr na{
        .type = Icmpv6Type::neighbor_advertisement, .target = peer_ip6, .solicited = true};
    const NdpRepr unsolicited_na{.type = Icmpv6Type::neighbor_advertisement, .target = peer_ip6};
    const NdpRepr rs{.type = Icmpv6Type::router_solicitation, .source_mac = peer_mac};
    const NdpRepr ra{.type = Icmpv6Type::router_advertisement};
    const Ipv6Address sn = nstest::solicited_node6(our_ip6);

    EXPECT_TRUE(validate_nd(ip(peer_ll, sn), ns));
    EXPECT_EQ(validate_nd(ip(peer_ll, sn, 254), ns).error(), NdpError::bad_hop_limit);
    EXPECT_TRUE(validate_nd(ip(Ipv6Address::any(), sn), dad));
    EXPECT_EQ(validate_nd(ip(Ipv6Address::any(), sn), ns).error(), NdpError::bad_source);
    EXPECT_EQ(validate_nd(ip(Ipv6Address::any(), our_ip6), dad).error(), NdpError::bad_destination);
    EXPECT_EQ(validate_nd(ip(Ipv6Address::any(), nstest::all_nodes6), dad).error(),
              NdpError::bad_destination);

    EXPECT_TRUE(validate_nd(ip(peer_ll, our_ll), na));
    EXPECT_EQ(validate_nd(ip(peer_ll, nstest::all_nodes6), na).error(), NdpError::bad_destination);
    EXPECT_TRUE(validate_nd(ip(peer_ll, nstest::all_nodes6), unsolicited_na));
    EXPECT_EQ(validate_nd(ip(peer_ll, our_ll, 64), na).error(), NdpError::bad_hop_limit);

    EXPECT_TRUE(validate_nd(ip(peer_ll, nstest::all_routers6), rs));
    EXPECT_EQ(validate_nd(ip(Ipv6Address::any(), nstest::all_routers6), rs).error(),
              NdpError::bad_source);
    EXPECT_TRUE(validate_nd(ip(Ipv6Address::any(), nstest::all_routers6),
                            NdpRepr{.type = Icmpv6Type::router_solicitation}));

    EXPECT_TRUE(validate_nd(ip(peer_ll, nstest::all_nodes6), ra));
    EXPECT_EQ(validate_nd(ip(peer_ip6, nstest::all_nodes6), ra).error(), NdpError::bad_source);
    EXPECT_EQ(validate_nd(ip(peer_ll, nstest::all_nodes6, 1), ra).error(), NdpError::bad_hop_limit);
}

// ---- every truncation --------------------------------------------------------------------

// Every parser on every prefix of valid packets: errors where the cut falls inside what the
// parser needs, and never a result that points past the bytes it was given.
TEST(Ipv6Truncation, EveryPrefixOfValidPackets) {
    const Buf ra_message = nstest::router_advertisement(
        peer_ll, nstest::all_nodes6, {},
        concat({sllao, nstest::nd_mtu_option(1500), nstest::nd_prefix_option({})}));
    const Buf chained =
        nstest::ipv6({.next_header = proto::hop_by_hop},
                     nstest::ipv6_options_header(
                         proto::routing, option(5, 2),
                         nstest::routing_header(
                             proto::dest_opts, 0, 0,
                             nstest::ipv6_options_header(
                                 proto::fragment, option(1, 5),
                                 nstest::fragment_header(proto::udp, 0, false, 1, udp_body)))));
    ASSERT_TRUE(walk(chained));

    for (std::size_t n = 0; n < chained.size(); ++n) {
        const Bytes cut = Bytes(chained).first(n);
        auto ip = Ipv6Repr::parse(cut);
        ASSERT_FALSE(ip) << n;
        EXPECT_EQ(ip.error(), n < 40 ? Ipv6Error::short_header : Ipv6Error::bad_payload_len);
        if (n < 40) continue;
        auto chain = walk_ipv6_extensions(cut.subspan(40), proto::hop_by_hop);
        if (chain) {
            EXPECT_LE(chain->payload_at + chain->payload.size(), n) << n;
            EXPECT_TRUE(chain->fragment) << n;  // only a cut past every header succeeds
        } else {
            EXPECT_TRUE(chain.error().error == Ipv6ExtError::truncated ||
                        chain.error().error == Ipv6ExtError::bad_option)
                << n;
            EXPECT_LE(chain.error().pointer, n) << n;
        }
        EXPECT_EQ(Ipv6FragmentRepr::parse(cut.subspan(40)).has_value(), n >= 48);
    }

    for (std::size_t n = 0; n < ra_message.size(); ++n) {
        const Bytes cut = Bytes(ra_message).first(n);
        EXPECT_FALSE(Icmpv6Repr::parse(cut, peer_ll, nstest::all_nodes6)) << n;
        EXPECT_FALSE(UdpRepr::parse(cut, peer_ll, nstest::all_nodes6)) << n;
        EXPECT_FALSE(TcpRepr::parse(cut, peer_ll, nstest::all_nodes6)) << n;
        if (n < icmpv6_header_len) continue;
        // The Neighbor Discovery parser sees the body without the checksum's protection.
        const Icmpv6Repr icmp{.type = 134, .code = 0, .rest = 0, .data = cut.subspan(8)};
        auto nd = NdpRepr::parse(icmp);
        const bool whole_options = n == 16 || n == 24 || n == 32 || n == 64;
        EXPECT_EQ(nd.has_value(), whole_options) << n;
        for (const auto type : {Icmpv6Type::router_solicitation, Icmpv6Type::neighbor_solicitation,
                                Icmpv6Type::neighbor_advertisement}) {
            const Icmpv6Repr other{.type = std::uint8_t(type), .data = cut.subspan(8)};
            auto parsed = NdpRepr::parse(other);
            if (parsed) {
                EXPECT_LE(parsed->buffer_len(), n) << n;
            }
        }
    }
}

}  // namespace
}  // namespace netstack::wire
