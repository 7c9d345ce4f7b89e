// The summary line of IPv6 frames: each kind decoded (ICMPv6, NDP, UDP, TCP, extension
// headers, fragments), checksums checked, and every cut of every frame said to be short
// without a read past its end (the frame is placed against an unreadable page).
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "frames_ipv6.hpp"
#include "summary.hpp"

namespace shmifdump::test {
namespace {

constexpr std::string_view kTo2 = "02:00:00:00:00:01 > 02:00:00:00:00:02, ";
constexpr std::string_view kTo1 = "02:00:00:00:00:02 > 02:00:00:00:00:01, ";

std::string s(const Bytes& b) {
    return summarize(b, b.size());
}
bool has(const std::string& line, std::string_view part) {
    return line.find(part) != std::string::npos;
}

// Bytes copied to the very end of a readable page, an unreadable one right after: reading
// past their end faults instead of going unnoticed.
class GuardedCopy {
  public:
    GuardedCopy() : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {
        void* p =
            ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
        base_ = static_cast<std::byte*>(p);
        if (::mprotect(base_ + page_, page_, PROT_NONE) != 0)
            throw std::runtime_error("mprotect failed");
    }
    ~GuardedCopy() { ::munmap(base_, 2 * page_); }
    GuardedCopy(const GuardedCopy&) = delete;
    GuardedCopy& operator=(const GuardedCopy&) = delete;
    std::span<const std::byte> place(std::span<const std::byte> bytes) {
        std::byte* at = base_ + page_ - bytes.size();
        std::copy(bytes.begin(), bytes.end(), at);
        return {at, bytes.size()};
    }

  private:
    std::size_t page_;
    std::byte* base_ = nullptr;
};

TEST(ShmifdumpSummaryIpv6, Echo) {
    const auto& f = ipv6_frames();
    EXPECT_EQ(
        s(f.echo_request),
        std::string(kTo2) + "IPv6 fe80::1 > fe80::2: ICMPv6 echo request, id 7, seq 9, length 66");
    EXPECT_EQ(
        s(f.echo_reply),
        std::string(kTo1) + "IPv6 fe80::2 > fe80::1: ICMPv6 echo reply, id 7, seq 9, length 66");
}

TEST(ShmifdumpSummaryIpv6, NeighborDiscovery) {
    const auto& f = ipv6_frames();
    EXPECT_EQ(s(f.neighbor_solicitation),
              "02:00:00:00:00:01 > 33:33:ff:00:00:02, IPv6 fe80::1 > ff02::1:ff00:2: ICMPv6 "
              "neighbor solicitation, who has fe80::2, source link-address 02:00:00:00:00:01, "
              "length 86");
    EXPECT_EQ(s(f.neighbor_advertisement),
              std::string(kTo1) +
                  "IPv6 fe80::2 > fe80::1: ICMPv6 neighbor advertisement, tgt is fe80::2, flags "
                  "[S O], target link-address 02:00:00:00:00:02, length 86");
    EXPECT_EQ(s(f.router_solicitation),
              "02:00:00:00:00:01 > 33:33:00:00:00:02, IPv6 fe80::1 > ff02::2: ICMPv6 router "
              "solicitation, source link-address 02:00:00:00:00:01, length 70");
    EXPECT_EQ(s(f.router_advertisement),
              "02:00:00:00:00:02 > 33:33:00:00:00:01, IPv6 fe80::2 > ff02::1: ICMPv6 router "
              "advertisement, hop limit 64, lifetime 1800s, source link-address "
              "02:00:00:00:00:02, mtu 1500, prefix 2001:db8:1::/64, length 118");
    // The R flag, and the M and O flags of a router advertisement.
    Bytes na = f.neighbor_advertisement;
    na[14 + 40 + 4] = std::byte{0xe0};
    EXPECT_TRUE(has(s(na), "tgt is fe80::2, flags [R S O], ")) << s(na);
    Bytes ra = f.router_advertisement;
    ra[14 + 40 + 5] = std::byte{0xc0};
    EXPECT_TRUE(has(s(ra), "lifetime 1800s, flags [M O], source")) << s(ra);
}

TEST(ShmifdumpSummaryIpv6, ErrorMessages) {
    const auto& f = ipv6_frames();
    const std::string head = std::string(kTo1) + "IPv6 2001:db8::2 > 2001:db8::1: ICMPv6 ";
    const std::string about = ", for 2001:db8::1 > 2001:db8::2, length 110";
    EXPECT_EQ(s(f.port_unreachable), head + "destination unreachable, port unreachable" + about);
    EXPECT_EQ(s(f.packet_too_big), head + "packet too big, mtu 1280" + about);
    EXPECT_EQ(s(f.time_exceeded), head + "time exceeded, hop limit exceeded in transit" + about);
    EXPECT_EQ(s(f.parameter_problem),
              head + "parameter problem, unrecognized next header, pointer 6" + about);
}

// One printer for UDP and TCP over both IP versions: the same words as the IPv4 lines.
TEST(ShmifdumpSummaryIpv6, UdpAndTcpAsOverIpv4) {
    const auto& f = ipv6_frames();
    EXPECT_EQ(s(f.udp), std::string(kTo2) +
                            "IPv6 2001:db8::1.5353 > 2001:db8::2.53: UDP, length 20, length 82");
    EXPECT_EQ(s(f.tcp_syn),
              std::string(kTo2) + "IPv6 2001:db8::1.40000 > 2001:db8::2.80: TCP [S], length 74");
}

TEST(ShmifdumpSummaryIpv6, ExtensionHeaders) {
    const auto& f = ipv6_frames();
    EXPECT_EQ(s(f.extensions_udp),
              std::string(kTo2) +
                  "IPv6 2001:db8::1.5353 > 2001:db8::2.53: hop-by-hop, dst-options, UDP, length 4, "
                  "length 82");
    // No "bad checksum": it was taken over the final destination, Segment List[0].
    EXPECT_EQ(s(f.routed_echo), std::string(kTo2) +
                                    "IPv6 2001:db8::1 > 2001:db8::2: routing (type 4, segleft 1), "
                                    "ICMPv6 echo request, id 1, seq 2, length 86");
    EXPECT_EQ(s(f.no_next_header),
              std::string(kTo2) +
                  "IPv6 2001:db8::1 > 2001:db8::2: dst-options, no next header, length 62");
}

// Only the first fragment carries the upper layer's header.
TEST(ShmifdumpSummaryIpv6, Fragments) {
    const auto& f = ipv6_frames();
    EXPECT_EQ(s(f.first_fragment),
              std::string(kTo2) +
                  "IPv6 2001:db8::1.1000 > 2001:db8::2.2000: frag (off 0, id 0x00001234, more), "
                  "UDP, length 1548, length 110");
    EXPECT_EQ(s(f.later_fragment),
              std::string(kTo2) +
                  "IPv6 2001:db8::1 > 2001:db8::2: frag (off 1448, id 0x00001234, more), proto "
                  "17, length 78");
}

// tcpdump -vv says of this frame: "bad icmp6 cksum 0xd7fd -> 0x82a8!".
TEST(ShmifdumpSummaryIpv6, BadChecksumIsFlagged) {
    const auto& f = ipv6_frames();
    EXPECT_EQ(s(f.bad_checksum),
              std::string(kTo2) +
                  "IPv6 fe80::1 > fe80::2: ICMPv6 echo request, id 7, seq 9, bad checksum 0xd7fd "
                  "(should be 0x82a8), length 62");
    // Any changed byte the checksum covers: the pseudo-header's source, the final
    // destination in the routing header, the message's last (odd) byte.
    Bytes src = f.echo_request;
    src[14 + 8 + 15] ^= std::byte{1};
    EXPECT_TRUE(has(s(src), "bad checksum")) << s(src);
    Bytes final_dst = f.routed_echo;
    final_dst[14 + 40 + 8 + 15] ^= std::byte{1};
    EXPECT_TRUE(has(s(final_dst), "bad checksum")) << s(final_dst);
    Bytes data = f.echo_request;
    data.back() ^= std::byte{1};
    EXPECT_TRUE(has(s(data), "bad checksum")) << s(data);
    // Not checked when the message was not all captured.
    EXPECT_FALSE(has(summarize(std::span(data).first(data.size() - 1), data.size()), "checksum"));
}

// Ethernet pads short frames to 60 bytes: the padding is not part of the packet.
TEST(ShmifdumpSummaryIpv6, EthernetPaddingIsNotThePackets) {
    Bytes padded = ipv6_frames().no_next_header;
    padded.resize(80, std::byte{0xee});
    EXPECT_EQ(s(padded),
              std::string(kTo2) +
                  "IPv6 2001:db8::1 > 2001:db8::2: dst-options, no next header, length 80");
    padded = ipv6_frames().echo_request;
    padded.resize(80, std::byte{0xee});
    EXPECT_FALSE(has(s(padded), "checksum")) << s(padded);
}

TEST(ShmifdumpSummaryIpv6, MalformedAndShortPacketsAreSaidToBe) {
    const auto& f = ipv6_frames();
    const std::string head = std::string(kTo2) + "IPv6 2001:db8::1 > 2001:db8::2: ";
    // A hop-by-hop header longer than the payload.
    Bytes chain = f.extensions_udp;
    chain[14 + 40 + 1] = std::byte{4};
    EXPECT_EQ(s(chain), head + "malformed extension header, length 82");
    // A fragment header that does not fit: payload length 4.
    Bytes frag = f.later_fragment;
    frag[14 + 5] = std::byte{4};
    EXPECT_EQ(s(frag), head + "malformed extension header, length 78");
    // A payload length past the frame's end.
    Bytes longer = f.udp;
    longer[14 + 5] = std::byte{29};
    EXPECT_EQ(s(longer), head + "bad length 29, length 82");
    // Not version 6.
    Bytes v4 = f.udp;
    v4[14] = std::byte{0x40};
    EXPECT_EQ(s(v4), std::string(kTo2) + "IPv6, bad header, length 82");
    // An NDP option of length 0; an ICMPv6 message too short for its type.
    Bytes option = f.neighbor_solicitation;
    option[14 + 40 + 24 + 1] = std::byte{0};
    EXPECT_TRUE(has(s(option), "who has fe80::2, malformed option")) << s(option);
    Bytes ns = f.neighbor_solicitation;
    ns[14 + 5] = std::byte{16};
    ns.resize(14 + 40 + 16);
    EXPECT_TRUE(has(s(ns), "ICMPv6 neighbor solicitation, bad length 16")) << s(ns);
}

TEST(ShmifdumpSummaryIpv6, BehindA8021QTag) {
    const Bytes& echo = ipv6_frames().echo_request;
    Bytes tagged(echo.begin(), echo.begin() + 12);
    for (const auto b : hex("8100 0005"))
        tagged.push_back(b);
    tagged.insert(tagged.end(), echo.begin() + 12, echo.end());
    EXPECT_EQ(s(tagged), std::string(kTo2) +
                             "802.1Q vlan 5, p 0, IPv6 fe80::1 > fe80::2: ICMPv6 echo request, id "
                             "7, seq 9, length 70");
}

// Every prefix of every frame: cut by the snap length (the wire length is the whole
// frame's) and as a frame of that length (its IPv6 payload length then too long).
TEST(ShmifdumpSummaryIpv6, EveryCutIsSaidToBeShortAndNeverReadPast) {
    GuardedCopy guard;
    for (const Bytes& frame : ipv6_frames().all()) {
        for (std::size_t n = 0; n < frame.size(); ++n) {
            const auto cut = guard.place(std::span(frame).first(n));
            const std::string snapped = summarize(cut, frame.size());
            const std::string shorter = summarize(cut, n);
            if (n < 14 + 40) {
                EXPECT_TRUE(has(snapped, "truncated")) << n << ": " << snapped;
                EXPECT_TRUE(has(shorter, "truncated")) << n << ": " << shorter;
            } else {
                EXPECT_TRUE(has(shorter, "bad length")) << n << ": " << shorter;
            }
        }
        EXPECT_FALSE(has(summarize(guard.place(frame), frame.size()), "truncated"));
    }
}

}  // namespace
}  // namespace shmifdump::test
