// IPv6 test frames written out byte by byte, one per kind the summary line decodes. Their
// checksums were computed apart from shmifdump (a one-off script) and tcpdump -vv agrees
// with every one of them (test Shmifdump.TcpdumpAgreesWithTheIpv6Frames), except
// bad_checksum's, which is wrong on purpose.
#pragma once

#include <string_view>
#include <vector>

#include "frames.hpp"

namespace shmifdump::test {

struct Ipv6Frames {
    Bytes echo_request, echo_reply;
    Bytes neighbor_solicitation, neighbor_advertisement, router_solicitation, router_advertisement;
    Bytes port_unreachable, packet_too_big, time_exceeded, parameter_problem;
    Bytes udp, tcp_syn;
    Bytes extensions_udp;  // hop-by-hop and destination options before UDP
    Bytes routed_echo;     // a segment routing header (type 4) before ICMPv6
    Bytes first_fragment, later_fragment;
    Bytes no_next_header;
    Bytes bad_checksum;

    std::vector<Bytes> all() const;
};

const Ipv6Frames& ipv6_frames();

// "0200 0000 ..." to bytes: hex digits, spaces ignored.
Bytes hex(std::string_view text);

}  // namespace shmifdump::test
