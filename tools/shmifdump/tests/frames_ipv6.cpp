#include "frames_ipv6.hpp"

#include <stdexcept>

namespace shmifdump::test {
namespace {

Ipv6Frames build() {
    Ipv6Frames f;
    // echo request fe80::1 > fe80::2, id 7, seq 9
    f.echo_request =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 000c 3a40"  // IPv6: payload length 12, next header 58, hop limit 64
            "fe80 0000 0000 0000 0000 0000 0000 0001"  // source fe80::1
            "fe80 0000 0000 0000 0000 0000 0000 0002"  // destination fe80::2
            "8000 e506 0007 0009 dead beef"  // ICMPv6 echo request, id 7, seq 9, 4 bytes of data
        );
    // echo reply fe80::2 > fe80::1, id 7, seq 9
    f.echo_reply =
        hex("0200 0000 0001 0200 0000 0002 86dd"  // Ethernet
            "6000 0000 000c 3a40"  // IPv6: payload length 12, next header 58, hop limit 64
            "fe80 0000 0000 0000 0000 0000 0000 0002"  // source fe80::2
            "fe80 0000 0000 0000 0000 0000 0000 0001"  // destination fe80::1
            "8100 e406 0007 0009 dead beef"  // ICMPv6 echo reply, id 7, seq 9, 4 bytes of data
        );
    // who has fe80::2, to its solicited-node group
    f.neighbor_solicitation = hex(
        "3333 ff00 0002 0200 0000 0001 86dd"  // Ethernet
        "6000 0000 0020 3aff"  // IPv6: payload length 32, next header 58, hop limit 255
        "fe80 0000 0000 0000 0000 0000 0000 0001"  // source fe80::1
        "ff02 0000 0000 0000 0000 0001 ff00 0002"  // destination ff02::1:ff00:2
        "8700 7a97 0000 0000 fe80 0000 0000 0000"  // ICMPv6 neighbor solicitation: reserved, target
                                                   // fe80::2, source link-layer address option
        "0000 0000 0000 0002 0101 0200 0000 0001");
    // fe80::2 answers, solicited and override
    f.neighbor_advertisement =
        hex("0200 0000 0001 0200 0000 0002 86dd"  // Ethernet
            "6000 0000 0020 3aff"  // IPv6: payload length 32, next header 58, hop limit 255
            "fe80 0000 0000 0000 0000 0000 0000 0002"  // source fe80::2
            "fe80 0000 0000 0000 0000 0000 0000 0001"  // destination fe80::1
            "8800 181a 6000 0000 fe80 0000 0000 0000"  // ICMPv6 neighbor advertisement: flags S O,
                                                       // target fe80::2, target link-layer address
                                                       // option
            "0000 0000 0000 0002 0201 0200 0000 0002");
    // fe80::1 asks the routers
    f.router_solicitation =
        hex("3333 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 0010 3aff"  // IPv6: payload length 16, next header 58, hop limit 255
            "fe80 0000 0000 0000 0000 0000 0000 0001"  // source fe80::1
            "ff02 0000 0000 0000 0000 0000 0000 0002"  // destination ff02::2
            "8500 7a2c 0000 0000 0101 0200 0000 0001"  // ICMPv6 router solicitation: reserved,
                                                       // source link-layer address option
        );
    // fe80::2 advertises 2001:db8:1::/64
    f.router_advertisement = hex(
        "3333 0000 0001 0200 0000 0002 86dd"  // Ethernet
        "6000 0000 0040 3aff"  // IPv6: payload length 64, next header 58, hop limit 255
        "fe80 0000 0000 0000 0000 0000 0000 0002"  // source fe80::2
        "ff02 0000 0000 0000 0000 0000 0000 0001"  // destination ff02::1
        "8600 2bd6 4000 0708 0000 0000 0000 0000"  // ICMPv6 router advertisement: hop limit 64, no
                                                   // flags, lifetime 1800, reachable 0, retrans 0;
                                                   // options: source link-layer address, MTU 1500,
                                                   // prefix 2001:db8:1::/64 (L A)
        "0101 0200 0000 0002 0501 0000 0000 05dc"
        "0304 40c0 0001 5180 0000 3840 0000 0000"
        "2001 0db8 0001 0000 0000 0000 0000 0000");
    // port unreachable about a UDP packet 2001:db8::1 > 2001:db8::2
    f.port_unreachable =
        hex("0200 0000 0001 0200 0000 0002 86dd"  // Ethernet
            "6000 0000 0038 3a40"  // IPv6: payload length 56, next header 58, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // source 2001:db8::2
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // destination 2001:db8::1
            "0104 b773 0000 0000 6000 0000 0008 1140"  // ICMPv6 destination unreachable, port;
                                                       // unused; the invoking IPv6 + UDP headers
            "2001 0db8 0000 0000 0000 0000 0000 0001"
            "2001 0db8 0000 0000 0000 0000 0000 0002"
            "9c40 829a 0008 0000");
    // packet too big, mtu 1280
    f.packet_too_big =
        hex("0200 0000 0001 0200 0000 0002 86dd"  // Ethernet
            "6000 0000 0038 3a40"  // IPv6: payload length 56, next header 58, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // source 2001:db8::2
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // destination 2001:db8::1
            "0200 b177 0000 0500 6000 0000 0008 1140"  // ICMPv6 packet too big, mtu 1280; the
                                                       // invoking IPv6 + UDP headers
            "2001 0db8 0000 0000 0000 0000 0000 0001"
            "2001 0db8 0000 0000 0000 0000 0000 0002"
            "9c40 829a 0008 0000");
    // hop limit exceeded in transit
    f.time_exceeded =
        hex("0200 0000 0001 0200 0000 0002 86dd"  // Ethernet
            "6000 0000 0038 3a40"  // IPv6: payload length 56, next header 58, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // source 2001:db8::2
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // destination 2001:db8::1
            "0300 b577 0000 0000 6000 0000 0008 1140"  // ICMPv6 time exceeded, in transit; unused;
                                                       // the invoking IPv6 + UDP headers
            "2001 0db8 0000 0000 0000 0000 0000 0001"
            "2001 0db8 0000 0000 0000 0000 0000 0002"
            "9c40 829a 0008 0000");
    // unrecognized next header, pointer 6
    f.parameter_problem =
        hex("0200 0000 0001 0200 0000 0002 86dd"  // Ethernet
            "6000 0000 0038 3a40"  // IPv6: payload length 56, next header 58, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // source 2001:db8::2
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // destination 2001:db8::1
            "0401 b470 0000 0006 6000 0000 0008 1140"  // ICMPv6 parameter problem, unrecognized
                                                       // next header; pointer 6; the invoking IPv6
                                                       // + UDP headers
            "2001 0db8 0000 0000 0000 0000 0000 0001"
            "2001 0db8 0000 0000 0000 0000 0000 0002"
            "9c40 829a 0008 0000");
    // UDP 2001:db8::1.5353 > 2001:db8::2.53, 20 bytes of data
    f.udp =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 001c 1140"  // IPv6: payload length 28, next header 17, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // source 2001:db8::1
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // destination 2001:db8::2
            "14e9 0035 001c 34bf 0001 0203 0405 0607"  // UDP: ports 5353 > 53, length 28, checksum;
                                                       // 20 bytes of data
            "0809 0a0b 0c0d 0e0f 1011 1213");
    // TCP SYN 2001:db8::1.40000 > 2001:db8::2.80
    f.tcp_syn = hex(
        "0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
        "6000 0000 0014 0640"  // IPv6: payload length 20, next header 6, hop limit 64
        "2001 0db8 0000 0000 0000 0000 0000 0001"  // source 2001:db8::1
        "2001 0db8 0000 0000 0000 0000 0000 0002"  // destination 2001:db8::2
        "9c40 0050 0000 0001 0000 0000 5002 ffff"  // TCP: ports 40000 > 80, seq 1, ack 0, offset 5,
                                                   // SYN, window 65535, checksum, urgent 0
        "b7dc 0000");
    // UDP behind hop-by-hop and destination options headers
    f.extensions_udp =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 001c 0040"  // IPv6: payload length 28, next header 0, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // source 2001:db8::1
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // destination 2001:db8::2
            "3c00 0104 0000 0000"                      // hop-by-hop: next 60, length 0, PadN
            "1100 0104 0000 0000"            // destination options: next 17, length 0, PadN
            "14e9 0035 000c 8d3f 0001 0203"  // UDP: ports 5353 > 53, length 12, checksum; 4 bytes
                                             // of data
        );
    // echo request through a segment routing header to 2001:db8::3 (its checksum is over that final
    // destination)
    f.routed_echo =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 0020 2b40"  // IPv6: payload length 32, next header 43, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // source 2001:db8::1
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // destination 2001:db8::2
            "3a02 0401 0000 0000 2001 0db8 0000 0000"  // routing: next 58, length 2, type 4 (SRH),
                                                       // segments left 1, last entry 0, flags, tag;
                                                       // Segment List[0] 2001:db8::3
            "0000 0000 0000 0003"
            "8000 2444 0001 0002"  // ICMPv6 echo request, id 1, seq 2
        );
    // first fragment of a UDP datagram (offset 0, more follow), id 0x1234
    f.first_fragment =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 0038 2c40"  // IPv6: payload length 56, next header 44, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // source 2001:db8::1
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // destination 2001:db8::2
            "1100 0001 0000 1234"                      // fragment: next 17, offset 0, M, id 0x1234
            "03e8 07d0 0614 381e 0007 0e15 1c23 2a31"  // UDP: ports 1000 > 2000, length 1556,
                                                       // checksum of the whole datagram; its first
                                                       // 40 bytes of data
            "383f 464d 545b 6269 7077 7e85 8c93 9aa1"
            "a8af b6bd c4cb d2d9 e0e7 eef5 fc03 0a11");
    // a later fragment (offset 1448, more follow), id 0x1234
    f.later_fragment =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 0018 2c40"  // IPv6: payload length 24, next header 44, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // source 2001:db8::1
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // destination 2001:db8::2
            "1100 05a9 0000 1234"  // fragment: next 17, offset 1448, M, id 0x1234
            "989f a6ad b4bb c2c9 d0d7 dee5 ecf3 fa01"  // 16 bytes of the datagram at offset 1448
        );
    // nothing after a destination options header
    f.no_next_header =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 0008 3c40"  // IPv6: payload length 8, next header 60, hop limit 64
            "2001 0db8 0000 0000 0000 0000 0000 0001"  // source 2001:db8::1
            "2001 0db8 0000 0000 0000 0000 0000 0002"  // destination 2001:db8::2
            "3b00 0104 0000 0000"  // destination options: next 59 (none), length 0, PadN
        );
    // echo request whose checksum is wrong (xor 0x5555)
    f.bad_checksum =
        hex("0200 0000 0002 0200 0000 0001 86dd"  // Ethernet
            "6000 0000 0008 3a40"  // IPv6: payload length 8, next header 58, hop limit 64
            "fe80 0000 0000 0000 0000 0000 0000 0001"  // source fe80::1
            "fe80 0000 0000 0000 0000 0000 0000 0002"  // destination fe80::2
            "8000 d7fd 0007 0009"  // ICMPv6 echo request, id 7, seq 9, checksum xor 0x5555
        );

    return f;
}

}  // namespace

std::vector<Bytes> Ipv6Frames::all() const {
    return {echo_request,
            echo_reply,
            neighbor_solicitation,
            neighbor_advertisement,
            router_solicitation,
            router_advertisement,
            port_unreachable,
            packet_too_big,
            time_exceeded,
            parameter_problem,
            udp,
            tcp_syn,
            extensions_udp,
            routed_echo,
            first_fragment,
            later_fragment,
            no_next_header,
            bad_checksum};
}

const Ipv6Frames& ipv6_frames() {
    static const Ipv6Frames frames = build();
    return frames;
}

Bytes hex(std::string_view text) {
    auto nibble = [](char c) -> unsigned {
        if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
        if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
        throw std::invalid_argument("hex: not a digit");
    };
    Bytes out;
    unsigned high = 0;
    bool have_high = false;
    for (const char c : text) {
        if (c == ' ') continue;
        if (have_high)
            out.push_back(static_cast<std::byte>(high << 4 | nibble(c)));
        else
            high = nibble(c);
        have_high = !have_high;
    }
    if (have_high) throw std::invalid_argument("hex: odd number of digits");
    return out;
}

}  // namespace shmifdump::test
