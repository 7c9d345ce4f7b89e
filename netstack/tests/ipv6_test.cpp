// IPv6 in the stack: the link-local address and Duplicate Address Detection (RFC 4862),
// Neighbor Discovery (RFC 4861), ICMPv6 echo and errors (RFC 4443), extension headers and
// fragments (RFC 8200), UDP and TCP over IPv6, multicast filtering. On a manual clock, with
// packets built and read by packets_ipv6 (no code shared with wire/).
#include <gtest/gtest.h>

#include <algorithm>

#include "ipv6_fixture.hpp"

namespace nstest {
namespace {

TEST_F(Ipv6, LinkLocalAddressFromTheMacIsProbedThenAnnounced) {
    ASSERT_EQ(address_of(our_ll6).state, Ipv6AddressState::tentative);
    EXPECT_TRUE(address_of(our_ll6).automatic);
    h.advance(0ms);
    auto first = sent6();
    ASSERT_EQ(first.size(), 1u);
    // RFC 4862 5.4.2: from ::, to the solicited-node group, hop limit 255, no options.
    EXPECT_EQ(first[0].ip.src, Ipv6Address::any());
    EXPECT_EQ(first[0].ip.dst, solicited_node6(our_ll6));
    EXPECT_EQ(first[0].dst, solicited_node6(our_ll6).multicast_mac());
    EXPECT_EQ(first[0].ip.hop_limit, 255);
    EXPECT_EQ(first[0].icmp->type, icmpv6_type::neighbor_solicitation);
    EXPECT_EQ(first[0].target(), our_ll6);
    EXPECT_EQ(first[0].icmp->body.size(), 16u) << "no source link-layer option from ::";
    h.advance(999ms);
    EXPECT_EQ(address_of(our_ll6).state, Ipv6AddressState::tentative);
    h.advance(1ms);
    EXPECT_EQ(address_of(our_ll6).state, Ipv6AddressState::preferred);
    auto now_usable = sent6();
    // A Router Solicitation follows (router_discovery_test.cpp).
    ASSERT_EQ(now_usable.size(), 2u);
    auto announced = of_type(now_usable, icmpv6_type::neighbor_advertisement);
    ASSERT_EQ(announced.size(), 1u);
    EXPECT_EQ(announced[0].ip.dst, all_nodes6);
    EXPECT_EQ(announced[0].icmp->type, icmpv6_type::neighbor_advertisement);
    EXPECT_EQ(announced[0].icmp->rest & (na_solicited | na_override), na_override);
    EXPECT_EQ(announced[0].target(), our_ll6);
    EXPECT_EQ(announced[0].link_option(), our_mac);
    EXPECT_EQ(h.stats().ndp.dad_succeeded, 1u);
}

TEST_F(Ipv6, AnAdvertisementForATentativeAddressMakesItDuplicate) {
    h.advance(0ms);
    (void)sent6();
    h.inject(ipv6_frame(
        {.src = our_ll6, .dst = all_nodes6, .next_header = proto::icmpv6, .hop_limit = 255},
        neighbor_advertisement(our_ll6, all_nodes6, our_ll6, {.solicited = false, .override = true},
                               nd_link_option(2, peer_mac)),
        EthernetSpec{.dst = all_nodes6.multicast_mac(), .src = peer_mac, .type = ethertype::ipv6}));
    EXPECT_EQ(address_of(our_ll6).state, Ipv6AddressState::duplicate);
    EXPECT_EQ(h.stats().ndp.dad_duplicates, 1u);
    h.advance(5s);
    EXPECT_EQ(address_of(our_ll6).state, Ipv6AddressState::duplicate) << "never used (5.4.5)";
    EXPECT_TRUE(sent6().empty()) << "no announcement of a duplicate";
}

TEST_F(Ipv6, AnotherNodesProbeForATentativeAddressMakesItDuplicate) {
    h.advance(0ms);
    (void)sent6();
    h.inject(
        ipv6_frame({.src = Ipv6Address::any(),
                    .dst = solicited_node6(our_ll6),
                    .next_header = proto::icmpv6,
                    .hop_limit = 255},
                   neighbor_solicitation(Ipv6Address::any(), solicited_node6(our_ll6), our_ll6),
                   EthernetSpec{.dst = solicited_node6(our_ll6).multicast_mac(),
                                .src = peer_mac,
                                .type = ethertype::ipv6}));
    EXPECT_EQ(address_of(our_ll6).state, Ipv6AddressState::duplicate);
}

TEST_F(Ipv6, SolicitationsForOurAddressAreAnsweredAndTheSenderLearnt) {
    ASSERT_TRUE(h.stack.add_address(eth0, Ipv6Cidr{our_ip6, 64}, h.now()));
    (void)finish_dad();
    solicit_from_peer();
    auto answer = sent6();
    ASSERT_EQ(answer.size(), 1u);
    EXPECT_EQ(answer[0].dst, peer_mac);
    EXPECT_EQ(answer[0].ip.src, our_ip6);
    EXPECT_EQ(answer[0].ip.dst, peer_ip6);
    EXPECT_EQ(answer[0].ip.hop_limit, 255);
    EXPECT_EQ(answer[0].icmp->type, icmpv6_type::neighbor_advertisement);
    EXPECT_EQ(answer[0].icmp->rest & (na_router | na_solicited | na_override),
              na_solicited | na_override);
    EXPECT_EQ(answer[0].target(), our_ip6);
    EXPECT_EQ(answer[0].link_option(), our_mac);
    bool learnt = false;
    for (const auto& n : h.stack.neighbours())
        if (n.address == IpAddress(peer_ip6)) {
            learnt = true;
            EXPECT_EQ(n.mac, peer_mac);
            EXPECT_EQ(n.state, NeighbourState::stale) << "RFC 4861 7.2.3";
        }
    EXPECT_TRUE(learnt);

    // With a hop limit below 255 (off-link): no answer, counted.
    solicit_from_peer(64);
    EXPECT_TRUE(sent6().empty());
    EXPECT_EQ(h.stats().ndp.drop_invalid, 1u);
}

TEST_F(Ipv6, EchoRequestsAreAnsweredFromTheAddressAsked) {
    ready_with_peer();
    const Bytes payload = pattern(100);
    h.inject(ipv6_frame({.src = peer_ip6, .dst = our_ip6, .next_header = proto::icmpv6},
                        icmpv6_echo(peer_ip6, our_ip6, true, 0x1234, 7, payload)));
    auto reply = sent6();
    ASSERT_EQ(reply.size(), 1u);
    EXPECT_EQ(reply[0].dst, peer_mac);
    EXPECT_EQ(reply[0].ip.src, our_ip6);
    EXPECT_EQ(reply[0].ip.dst, peer_ip6);
    EXPECT_EQ(reply[0].icmp->type, icmpv6_type::echo_reply);
    EXPECT_EQ(reply[0].icmp->rest, 0x12340007u);
    EXPECT_EQ(reply[0].icmp->body, payload);
    EXPECT_EQ(h.stats().icmpv6.rx_echo_requests, 1u);
    EXPECT_EQ(h.stats().icmpv6.tx_echo_replies, 1u);
}

TEST_F(Ipv6, PingResolvesTheNeighbourThenGetsItsReply) {
    ASSERT_TRUE(h.stack.add_address(eth0, Ipv6Cidr{our_ip6, 64}, h.now()));
    (void)finish_dad();
    auto sock = h.stack.ping_open();
    ASSERT_TRUE(sock);
    ASSERT_TRUE(h.stack.ping_send(*sock, peer_ip6, 1, 56, h.now()));
    auto asked = sent6();
    ASSERT_EQ(asked.size(), 1u) << "the request waits for resolution";
    EXPECT_EQ(asked[0].icmp->type, icmpv6_type::neighbor_solicitation);
    EXPECT_EQ(asked[0].ip.src, our_ip6);
    EXPECT_EQ(asked[0].ip.dst, solicited_node6(peer_ip6));
    EXPECT_EQ(asked[0].target(), peer_ip6);
    EXPECT_EQ(asked[0].link_option(), our_mac);

    h.inject(ipv6_frame(
        {.src = peer_ip6, .dst = our_ip6, .next_header = proto::icmpv6, .hop_limit = 255},
        neighbor_advertisement(peer_ip6, our_ip6, peer_ip6, {}, nd_link_option(2, peer_mac))));
    auto request = sent6();
    ASSERT_EQ(request.size(), 1u);
    EXPECT_EQ(request[0].dst, peer_mac);
    EXPECT_EQ(request[0].icmp->type, icmpv6_type::echo_request);
    const auto id = *h.stack.ping_id(*sock);
    EXPECT_EQ(request[0].icmp->rest, std::uint32_t(id) << 16 | 1u);

    h.inject(
        ipv6_frame({.src = peer_ip6, .dst = our_ip6, .next_header = proto::icmpv6, .hop_limit = 61},
                   icmpv6_echo(peer_ip6, our_ip6, false, id, 1, request[0].icmp->body)));
    auto reply = h.stack.ping_receive(*sock);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->from, IpAddress(peer_ip6));
    EXPECT_EQ(reply->seq, 1);
    EXPECT_EQ(reply->payload_size, 56u);
    EXPECT_EQ(reply->ttl, 61);
    EXPECT_TRUE(reply->payload_ok);
}

TEST_F(Ipv6, LargePingsAreFragmentedAtTheSource) {
    ready_with_peer();
    auto sock = h.stack.ping_open();
    ASSERT_TRUE(sock);
    ASSERT_TRUE(h.stack.ping_send(*sock, peer_ip6, 1, 4000, h.now()));
    auto fragments = sent6();
    ASSERT_EQ(fragments.size(), 3u);
    std::size_t next_offset = 0;
    for (std::size_t i = 0; i < fragments.size(); ++i) {
        const auto& ip = fragments[i].ip;
        EXPECT_LE(ip.payload.size() + 40, 1500u);
        ASSERT_EQ(ip.next_header, proto::fragment);
        const auto offset_field = std::uint16_t(std::to_integer<int>(ip.payload[2]) << 8 |
                                                std::to_integer<int>(ip.payload[3]));
        EXPECT_EQ(std::size_t(offset_field >> 3) * 8, next_offset);
        EXPECT_EQ((offset_field & 1) != 0, i + 1 < fragments.size()) << "M on all but the last";
        EXPECT_EQ(std::to_integer<int>(ip.payload[0]), proto::icmpv6);
        if (i + 1 < fragments.size()) {
            EXPECT_EQ((ip.payload.size() - 8) % 8, 0u);
        }
        next_offset += ip.payload.size() - 8;
    }
    EXPECT_EQ(next_offset, 8u + 4000u) << "the ICMPv6 header and the payload";
    EXPECT_EQ(h.stats().ipv6.fragments_sent, 3u);
}

TEST_F(Ipv6, UdpOverIpv6BothWays) {
    ready_with_peer();
    auto sock = h.stack.udp_open();
    ASSERT_TRUE(sock);
    ASSERT_TRUE(h.stack.udp_bind(*sock, {Ipv6Address::any(), 5000}));
    const Bytes hello = text("hello over six");
    h.inject(ipv6_frame({.src = peer_ip6, .dst = our_ip6},
                        udp6({.src_port = 4000, .dst_port = 5000}, peer_ip6, our_ip6, hello)));
    std::vector<std::byte> buffer(100);
    auto got = h.stack.udp_receive(*sock, buffer);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->from, (Endpoint{peer_ip6, 4000}));
    EXPECT_EQ(got->to, (Endpoint{our_ip6, 5000}));
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got->size)),
              hello);

    ASSERT_TRUE(h.stack.udp_send_to(*sock, hello, {peer_ip6, 4000}, h.now()));
    auto out = sent6();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ip.next_header, proto::udp);
    EXPECT_EQ(out[0].ip.src, our_ip6);
    // The checksum over the pseudo-header sums to 0xffff (RFC 8200 8.1): complement 0.
    EXPECT_EQ(internet_checksum(out[0].ip.payload, pseudo_sum6(our_ip6, peer_ip6, proto::udp,
                                                               out[0].ip.payload.size())),
              0);

    // A zero UDP checksum is not allowed over IPv6 (RFC 8200 8.1).
    const auto before = h.stats().udp.drop_bad_checksum;
    h.inject(ipv6_frame(
        {.src = peer_ip6, .dst = our_ip6},
        udp6({.src_port = 4000, .dst_port = 5000, .checksum = false}, peer_ip6, our_ip6, hello)));
    EXPECT_EQ(h.stats().udp.drop_bad_checksum, before + 1);
    EXPECT_FALSE(h.stack.udp_receive(*sock, buffer));
}

// IPV6_V6ONLY (man 7 ipv6): a v6-only socket on [::]:P takes IPv6 only and shares P with
// 0.0.0.0:P, which gets the IPv4 datagrams; a dual-stack [::]:P would conflict with both.
TEST_F(Ipv6, AV6OnlySocketSharesItsPortWithAnIpv4One) {
    ready_with_peer();
    const auto only6 = h.stack.udp_open(), any4 = h.stack.udp_open(), dual = h.stack.udp_open();
    ASSERT_TRUE(only6 && any4 && dual);
    ASSERT_TRUE(h.stack.udp_set_v6_only(*only6, true));
    ASSERT_TRUE(h.stack.udp_bind(*only6, {Ipv6Address::any(), 5000}));
    EXPECT_EQ(h.stack.udp_set_v6_only(*only6, false).error(), SocketError::invalid)
        << "fixed once bound, as Linux";
    ASSERT_TRUE(h.stack.udp_bind(*any4, {Ipv4Address::any(), 5000}));
    EXPECT_EQ(h.stack.udp_bind(*dual, {Ipv6Address::any(), 5000}).error(),
              SocketError::address_in_use);

    h.inject(udp_frame(text("four"), {.src_port = 4000, .dst_port = 5000}));
    h.inject(
        ipv6_frame({.src = peer_ip6, .dst = our_ip6},
                   udp6({.src_port = 4000, .dst_port = 5000}, peer_ip6, our_ip6, text("six"))));
    std::vector<std::byte> buffer(100);
    const auto got4 = h.stack.udp_receive(*any4, buffer);
    ASSERT_TRUE(got4);
    EXPECT_EQ(got4->from, (Endpoint{peer_ip, 4000}));
    const auto got6 = h.stack.udp_receive(*only6, buffer);
    ASSERT_TRUE(got6);
    EXPECT_EQ(got6->from, (Endpoint{peer_ip6, 4000}));
    EXPECT_FALSE(h.stack.udp_receive(*only6, buffer)) << "the IPv4 datagram is not its";
    EXPECT_FALSE(h.stack.udp_receive(*any4, buffer));

    // IPv4 is refused to it: Linux's ENETUNREACH for peers, EINVAL for a local address.
    EXPECT_EQ(h.stack.udp_send_to(*only6, text("x"), {peer_ip, 4000}, h.now()).error(),
              SocketError::no_route);
    EXPECT_EQ(h.stack.udp_connect(*only6, {peer_ip, 4000}).error(), SocketError::no_route);
    ASSERT_TRUE(h.stack.udp_set_v6_only(*dual, true));
    EXPECT_EQ(h.stack.udp_bind(*dual, {our_ip, 5001}).error(), SocketError::invalid);

    // Alone on the port, it leaves IPv4 unanswered by any socket: port unreachable.
    ASSERT_TRUE(h.stack.close(*any4));
    const auto unreachable = h.stats().udp.drop_no_socket;
    h.inject(udp_frame(text("four"), {.src_port = 4000, .dst_port = 5000}));
    EXPECT_EQ(h.stats().udp.drop_no_socket, unreachable + 1);
    EXPECT_FALSE(h.stack.udp_receive(*only6, buffer));
}

TEST_F(Ipv6, AClosedPortAnswersPortUnreachableQuotingThePacket) {
    ready_with_peer();
    const Bytes datagram = udp6({.src_port = 4000, .dst_port = 9999}, peer_ip6, our_ip6, text("x"));
    h.inject(ipv6_frame({.src = peer_ip6, .dst = our_ip6}, datagram));
    auto out = sent6();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->type, icmpv6_type::unreachable);
    EXPECT_EQ(out[0].icmp->code, 4);
    EXPECT_EQ(out[0].icmp->body.size(), 40u + datagram.size()) << "the whole offending packet";
}

// RFC 4443 2.4 (d): an ICMPv6 error goes to the socket that sent the packet it quotes, found
// by the quote's addresses and ports (UDP, TCP) or echo identifier; what TCP makes of it is
// RFC 5461's (a port unreachable ends a connection being opened, Packet Too Big lowers MSS).
TEST_F(Ipv6, ErrorsReachTheSocketThatSentTheQuotedPacket) {
    ready_with_peer();
    const auto quote = [](const Sent6& sent) {
        return ipv6({.src = sent.ip.src, .dst = sent.ip.dst, .next_header = sent.ip.next_header},
                    sent.ip.payload);
    };
    const auto error_frame = [](std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                                const Bytes& quoted) {
        return ipv6_frame({.next_header = proto::icmpv6},
                          icmpv6(peer_ip6, our_ip6, type, code, rest, quoted));
    };
    const auto udp = h.stack.udp_open();
    ASSERT_TRUE(udp);
    ASSERT_TRUE(h.stack.udp_bind(*udp, {Ipv6Address::any(), 5000}));
    ASSERT_TRUE(h.stack.udp_connect(*udp, {peer_ip6, 4000}));
    ASSERT_TRUE(h.stack.udp_send(*udp, text("are you there"), h.now()));
    auto out = sent6();
    ASSERT_EQ(out.size(), 1u);
    const Bytes datagram = quote(out[0]);
    // About another port of ours: nobody's.
    Bytes other = datagram;
    other[40] = std::byte{0x14};  // source port 5000 (0x1388) becomes 0x1488
    h.inject(error_frame(icmpv6_type::unreachable, 4, 0, other));
    EXPECT_FALSE(h.stack.take_error(*udp));
    h.inject(error_frame(icmpv6_type::unreachable, 4, 0, datagram));
    const auto error = h.stack.take_error(*udp);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->from, IpAddress(peer_ip6));
    EXPECT_EQ(error->type, icmpv6_type::unreachable);
    EXPECT_EQ(error->code, 4);
    EXPECT_FALSE(h.stack.take_error(*udp)) << "cleared by reading";
    // A quote too short to name the ports is malformed.
    const auto malformed = h.stats().icmpv6.drop_malformed;
    h.inject(error_frame(icmpv6_type::unreachable, 4, 0,
                         Bytes(datagram.begin(), datagram.begin() + 44)));
    EXPECT_EQ(h.stats().icmpv6.drop_malformed, malformed + 1);
    EXPECT_FALSE(h.stack.take_error(*udp));

    // TCP: Packet Too Big about the SYN lowers the MSS the connection offers (seen in the
    // retransmitted SYN); port unreachable then refuses the connection being opened.
    const auto syn_mss = [](const Sent6& sent) -> std::uint32_t {
        const Bytes& tcp = sent.ip.payload;  // options after the 20-byte header, MSS first
        if (tcp.size() < 24 || tcp[20] != std::byte{2}) return 0;
        return std::to_integer<std::uint32_t>(tcp[22]) << 8 |
               std::to_integer<std::uint32_t>(tcp[23]);
    };
    const auto tcp = h.stack.tcp_open();
    ASSERT_TRUE(tcp);
    ASSERT_TRUE(h.stack.tcp_connect(*tcp, {peer_ip6, 80}, h.now()));
    out = sent6();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(syn_mss(out[0]), 1440u);  // MTU 1500 - 60
    const Bytes syn = quote(out[0]);
    h.inject(error_frame(icmpv6_type::too_big, 0, 600, syn));  // taken as 1280 (RFC 8201)
    h.advance(std::chrono::seconds(1));                        // the SYN's first RTO
    out = sent6();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(syn_mss(out[0]), 1220u);
    h.inject(error_frame(icmpv6_type::unreachable, 4, 0, syn));
    EXPECT_EQ(h.stack.tcp_take_error(*tcp), SocketError::connection_refused);
    EXPECT_EQ(h.stack.tcp_info(*tcp)->state, TcpState::closed);
}

TEST_F(Ipv6, ExtensionHeaderErrorsAnswerParameterProblems) {
    ready_with_peer();
    // RFC 5095: a type 0 routing header with segments left is refused, pointing at its type.
    h.inject(
        ipv6_frame({.src = peer_ip6, .dst = our_ip6, .next_header = proto::routing},
                   routing_header(proto::udp, 0, 1,
                                  udp6({.src_port = 1, .dst_port = 2}, peer_ip6, our_ip6, {}))));
    auto out = sent6();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->type, icmpv6_type::param_problem);
    EXPECT_EQ(out[0].icmp->code, 0);
    EXPECT_EQ(out[0].icmp->rest, 42u);
    // An unknown upper layer: code 1 at the next header field.
    h.inject(ipv6_frame({.src = peer_ip6, .dst = our_ip6, .next_header = 253}, pattern(8)));
    out = sent6();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->code, 1);
    EXPECT_EQ(out[0].icmp->rest, 6u);
    EXPECT_EQ(h.stats().ipv6.drop_unknown_protocol, 1u);
    // No error about an error, nor to a group (RFC 4443 2.4 (e)).
    h.inject(ipv6_frame({.src = peer_ip6, .dst = all_nodes6, .next_header = 253}, pattern(8)));
    EXPECT_TRUE(sent6().empty());
}

TEST_F(Ipv6, FragmentsAreReassembledBeforeDelivery) {
    ready_with_peer();
    const Bytes echo = icmpv6_echo(peer_ip6, our_ip6, true, 9, 1, pattern(2000));
    const std::span<const std::byte> all(echo);
    const Bytes first = fragment_header(proto::icmpv6, 0, true, 77, all.first(1232));
    const Bytes second = fragment_header(proto::icmpv6, 1232, false, 77, all.subspan(1232));
    h.inject(ipv6_frame({.src = peer_ip6, .dst = our_ip6, .next_header = proto::fragment}, second));
    EXPECT_TRUE(sent6().empty());
    h.inject(ipv6_frame({.src = peer_ip6, .dst = our_ip6, .next_header = proto::fragment}, first));
    auto out = sent6();
    ASSERT_FALSE(out.empty()) << "the reply (fragmented in its turn)";
    EXPECT_EQ(h.stats().icmpv6.rx_echo_requests, 1u);
}

TEST_F(Ipv6, MulticastToGroupsWeDidNotJoinIsDroppedAtTheLink) {
    const auto before = h.stats().ethernet.drop_not_for_us;
    const Ipv6Address mdns = ip6(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);
    h.inject(ipv6_frame({.src = peer_ll6, .dst = mdns},
                        udp6({.src_port = 5353, .dst_port = 5353}, peer_ll6, mdns, text("?"))));
    EXPECT_EQ(h.stats().ethernet.drop_not_for_us, before + 1);
    EXPECT_EQ(h.stats().ipv6.rx_packets, 0u);
}

TEST_F(Ipv6, ATentativeAddressReceivesNothing) {
    ASSERT_TRUE(h.stack.add_address(eth0, Ipv6Cidr{our_ip6, 64}, h.now()));
    h.inject(ipv6_frame({.src = peer_ip6, .dst = our_ip6, .next_header = proto::icmpv6},
                        icmpv6_echo(peer_ip6, our_ip6, true, 1, 1, pattern(8))));
    EXPECT_EQ(h.stats().ipv6.drop_tentative, 1u);
    EXPECT_EQ(h.stats().icmpv6.rx_echo_requests, 0u);
}

TEST_F(Ipv6, AddressesAndRoutesAreChecked) {
    EXPECT_EQ(h.stack.add_address(eth0, Ipv6Cidr{all_nodes6, 64}, h.now()).error(),
              ConfigError::invalid);
    EXPECT_EQ(h.stack.add_address(eth0, Ipv6Cidr{Ipv6Address::loopback(), 128}, h.now()).error(),
              ConfigError::invalid)
        << "::1 only on a loopback interface";
    ASSERT_TRUE(h.stack.add_address(eth0, Ipv6Cidr{our_ip6, 64}, h.now()));
    EXPECT_EQ(h.stack.add_address(eth0, Ipv6Cidr{our_ip6, 64}, h.now()).error(),
              ConfigError::exists);
    // The on-link route came with it; a default route via a link-local router is accepted,
    // one via a global address off every prefix is not.
    EXPECT_TRUE(h.stack.lookup_route(peer_ip6));
    EXPECT_TRUE(h.stack.add_route(
        Ipv6Route{.destination = {Ipv6Address::any(), 0}, .gateway = peer_ll6, .interface = eth0}));
    EXPECT_EQ(h.stack
                  .add_route(Ipv6Route{.destination = {Ipv6Address::any(), 0},
                                       .gateway = ip6(0x2001, 0xdb9, 0, 0, 0, 0, 0, 1),
                                       .interface = eth0})
                  .error(),
              ConfigError::invalid);
    const auto far = ip6(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1);
    ASSERT_TRUE(h.stack.lookup_route(far));
    EXPECT_EQ(h.stack.lookup_route(far)->gateway, peer_ll6);
    ASSERT_TRUE(h.stack.remove_address(eth0, Ipv6Cidr{our_ip6, 64}));
    EXPECT_FALSE(h.stack.lookup_route(peer_ip6)->destination.prefix_len == 64)
        << "the on-link route left with the address";
}

}  // namespace
}  // namespace nstest
