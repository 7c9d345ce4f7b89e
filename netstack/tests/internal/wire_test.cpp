// Wire views and reprs against known-good packets (generated with scapy 2.5, checksums
// included), and round trips through emit().
#include <gtest/gtest.h>

#include <algorithm>

#include "netstack/address.hpp"
#include "test_bytes.hpp"
#include "wire/arp.hpp"
#include "wire/checksum.hpp"
#include "wire/ethernet.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"
#include "wire/udp.hpp"

namespace netstack::wire {
namespace {

using test::bytes;
using test::ip;

// Ether(02:..:01 -> 02:..:02)/IP(10.0.0.1 -> 10.0.0.2, id 0x1234)/ICMP(echo, id 0x4242,
// seq 7)/"abcdefgh"
const auto icmp_frame =
    bytes({0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
           0x00, 0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x54, 0xa3,
           0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x08, 0x00, 0x24, 0x21, 0x42,
           0x42, 0x00, 0x07, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68});
// IP(192.168.1.10 -> 192.168.1.20, id 1, DF)/UDP(40000 -> 53)/"hello"
const auto udp_frame = bytes(
    {0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
     0x00, 0x21, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11, 0xb7, 0x5c, 0xc0, 0xa8, 0x01, 0x0a, 0xc0, 0xa8,
     0x01, 0x14, 0x9c, 0x40, 0x00, 0x35, 0x00, 0x0d, 0x9c, 0x1d, 0x68, 0x65, 0x6c, 0x6c, 0x6f});
// ARP who-has 10.0.0.2 tell 10.0.0.1
const auto arp_frame =
    bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
           0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
           0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02});
// Dot1Q(vlan 5, prio 3)/IP(10.0.0.1 -> 10.0.0.2, id 9)/UDP(1 -> 2)
const auto vlan_frame = bytes(
    {0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x81, 0x00, 0x60, 0x05,
     0x08, 0x00, 0x45, 0x00, 0x00, 0x1c, 0x00, 0x09, 0x00, 0x00, 0x40, 0x11, 0x66, 0xc6, 0x0a, 0x00,
     0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xeb, 0xd8});

const MacAddress mac1{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress mac2{{0x02, 0, 0, 0, 0, 0x02}};

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement).
    const auto data = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
    EXPECT_EQ(Checksum{}.add(data).sum(), 0xddf2);
    EXPECT_EQ(checksum(data), 0x220d);
}

TEST(Checksum, OddLengthPadsWithZero) {
    EXPECT_EQ(Checksum{}.add(bytes({0x12, 0x34, 0x56})).sum(), 0x1234 + 0x5600);
}

TEST(Checksum, PiecesEqualTheWhole) {
    const Bytes header = Bytes(icmp_frame).subspan(14, 20);
    EXPECT_EQ(Checksum{}.add(header.first(8)).add(header.subspan(8)).sum(),
              Checksum{}.add(header).sum());
    EXPECT_TRUE(checksum_ok(header));
}

// The word-wise sum against RFC 1071's definition (big-endian 16-bit words, an odd last
// byte padded), for every length up to 300, every start alignment, and pieces of even
// lengths: carries, tails and byte order all show up somewhere in there.
TEST(Checksum, MatchesTheDefinitionForEveryLengthAndAlignment) {
    std::vector<std::byte> data(320);
    std::uint32_t x = 12345;
    for (auto& b : data) {
        x = x * 1103515245u + 12345u;
        b = std::byte(x >> 23);  // high bits: many 0xff bytes (carries)
    }
    auto reference = [](Bytes d) {
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i + 1 < d.size(); i += 2)
            sum += std::uint64_t(d[i]) << 8 | std::uint64_t(d[i + 1]);
        if (d.size() % 2) sum += std::uint64_t(d.back()) << 8;
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        return static_cast<std::uint16_t>(sum);
    };
    for (std::size_t offset = 0; offset < 8; ++offset) {
        for (std::size_t len = 0; len <= 300; ++len) {
            const Bytes d = Bytes(data).subspan(offset, len);
            ASSERT_EQ(Checksum{}.add(d).sum(), reference(d)) << offset << "+" << len;
            const std::size_t cut = (len / 3) & ~std::size_t{1};
            ASSERT_EQ(Checksum{}.add(d.first(cut)).add(d.subspan(cut)).sum(), reference(d))
                << offset << "+" << len << " cut " << cut;
        }
    }
    std::vector<std::byte> ones(1 << 16, std::byte{0xff});  // the most carries there are
    EXPECT_EQ(Checksum{}.add(ones).sum(), 0xffff);
}

TEST(Checksum, IncrementalUpdateMatchesRecomputation) {
    auto packet = icmp_frame;
    auto ip_bytes = MutableBytes(packet).subspan(14, 20);
    Ipv4View view(ip_bytes);
    const std::uint16_t before = view.checksum();
    const auto old_word = static_cast<std::uint16_t>(view.ttl() << 8 | view.protocol());
    view.set_ttl(63);
    const auto new_word = static_cast<std::uint16_t>(63 << 8 | view.protocol());
    const std::uint16_t patched = checksum_update(before, old_word, new_word);
    view.fill_checksum();
    EXPECT_EQ(patched, view.checksum());
}

TEST(Ethernet, ParsesAndEmits) {
    auto eth = EthernetRepr::parse(icmp_frame);
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->dst, mac2);
    EXPECT_EQ(eth->src, mac1);
    EXPECT_EQ(eth->ethertype, 0x0800);
    EXPECT_FALSE(eth->vlan_tci);
    std::vector<std::byte> out(eth->buffer_len());
    eth->emit(out);
    EXPECT_TRUE(std::ranges::equal(out, Bytes(icmp_frame).first(14)));
    EXPECT_FALSE(EthernetRepr::parse(Bytes(icmp_frame).first(13)));
}

TEST(Ethernet, VlanTag) {
    auto eth = EthernetRepr::parse(vlan_frame);
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->ethertype, 0x0800);
    ASSERT_TRUE(eth->vlan_tci);
    EXPECT_EQ(*eth->vlan_tci & 0x0fff, 5);
    EXPECT_EQ(*eth->vlan_tci >> 13, 3);
    EXPECT_EQ(eth->buffer_len(), 18u);
    std::vector<std::byte> out(18);
    eth->emit(out);
    EXPECT_TRUE(std::ranges::equal(out, Bytes(vlan_frame).first(18)));
    EXPECT_FALSE(EthernetRepr::parse(Bytes(vlan_frame).first(17)));
}

TEST(Arp, ParsesAndEmits) {
    auto arp = ArpRepr::parse(Bytes(arp_frame).subspan(14));
    ASSERT_TRUE(arp);
    EXPECT_EQ(arp->operation, ArpOperation::request);
    EXPECT_EQ(arp->sender_mac, mac1);
    EXPECT_EQ(arp->sender_ip, ip(10, 0, 0, 1));
    EXPECT_TRUE(arp->target_mac.is_zero());
    EXPECT_EQ(arp->target_ip, ip(10, 0, 0, 2));
    std::vector<std::byte> out(ArpRepr::buffer_len());
    arp->emit(out);
    EXPECT_TRUE(std::ranges::equal(out, Bytes(arp_frame).subspan(14)));
}

TEST(Arp, RejectsOtherHardwareAndShortPackets) {
    auto packet = std::vector<std::byte>(arp_frame.begin() + 14, arp_frame.end());
    EXPECT_FALSE(ArpRepr::parse(Bytes(packet).first(27)));
    packet[1] = std::byte{6};  // IEEE 802 hardware type
    EXPECT_FALSE(ArpRepr::parse(packet));
    packet[1] = std::byte{1};
    packet[7] = std::byte{3};  // RARP request
    EXPECT_FALSE(ArpRepr::parse(packet));
}

TEST(Ipv4, ParsesAKnownPacket) {
    auto repr = Ipv4Repr::parse(Bytes(udp_frame).subspan(14));
    ASSERT_TRUE(repr);
    EXPECT_EQ(repr->src, ip(192, 168, 1, 10));
    EXPECT_EQ(repr->dst, ip(192, 168, 1, 20));
    EXPECT_EQ(repr->protocol, 17);
    EXPECT_EQ(repr->ttl, 64);
    EXPECT_EQ(repr->ident, 1);
    EXPECT_TRUE(repr->dont_fragment);
    EXPECT_FALSE(repr->is_fragment());
    EXPECT_EQ(repr->payload_len, 13u);
}

TEST(Ipv4, EmitReproducesTheKnownHeader) {
    auto repr = Ipv4Repr::parse(Bytes(icmp_frame).subspan(14));
    ASSERT_TRUE(repr);
    std::vector<std::byte> out(20);
    repr->emit(out);
    EXPECT_TRUE(std::ranges::equal(out, Bytes(icmp_frame).subspan(14, 20)));
}

TEST(Ipv4, AcceptsEthernetPaddingAndRejectsBadHeaders) {
    auto padded = std::vector<std::byte>(udp_frame.begin() + 14, udp_frame.end());
    padded.resize(46);  // Ethernet minimum payload
    auto repr = Ipv4Repr::parse(padded);
    ASSERT_TRUE(repr);
    EXPECT_EQ(repr->payload_len, 13u);

    auto packet = std::vector<std::byte>(udp_frame.begin() + 14, udp_frame.end());
    EXPECT_EQ(Ipv4Repr::parse(Bytes(packet).first(19)).error(), Ipv4Error::short_header);
    auto bad = packet;
    bad[0] = std::byte{0x65};
    EXPECT_EQ(Ipv4Repr::parse(bad).error(), Ipv4Error::bad_version);
    bad = packet;
    bad[0] = std::byte{0x44};
    EXPECT_EQ(Ipv4Repr::parse(bad).error(), Ipv4Error::bad_header_len);
    bad = packet;
    bad[0] = std::byte{0x4f};  // 60-byte header in a 33-byte packet
    EXPECT_EQ(Ipv4Repr::parse(bad).error(), Ipv4Error::bad_header_len);
    bad = packet;
    bad[3] = std::byte{0x40};  // total length 64 > 33
    EXPECT_EQ(Ipv4Repr::parse(bad).error(), Ipv4Error::bad_total_len);
    bad = packet;
    bad[3] = std::byte{0x10};  // total length 16 < header
    EXPECT_EQ(Ipv4Repr::parse(bad).error(), Ipv4Error::bad_total_len);
    bad = packet;
    bad[8] = std::byte{0x3f};  // TTL changed, checksum not
    EXPECT_EQ(Ipv4Repr::parse(bad).error(), Ipv4Error::bad_checksum);
}

TEST(Ipv4, FragmentFieldsInEightByteUnits) {
    Ipv4Repr repr{.src = ip(1, 2, 3, 4),
                  .dst = ip(5, 6, 7, 8),
                  .protocol = 17,
                  .more_fragments = true,
                  .frag_offset = 1480,
                  .payload_len = 8};
    std::vector<std::byte> out(28);
    repr.emit(out);
    EXPECT_EQ(load16(out, 6), 0x2000 | 185);  // MF, 1480 / 8
    auto back = Ipv4Repr::parse(out);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->frag_offset, 1480u);
    EXPECT_TRUE(back->more_fragments);
    EXPECT_TRUE(back->is_fragment());
}

TEST(Icmp, ParsesAndEmitsAnEcho) {
    const Bytes message = Bytes(icmp_frame).subspan(34);
    auto icmp = IcmpRepr::parse(message);
    ASSERT_TRUE(icmp);
    EXPECT_EQ(icmp->type, 8);
    EXPECT_EQ(icmp->echo_id(), 0x4242);
    EXPECT_EQ(icmp->echo_seq(), 7);
    EXPECT_EQ(icmp->data.size(), 8u);
    std::vector<std::byte> out(icmp->buffer_len());
    icmp->emit(out);
    EXPECT_TRUE(std::ranges::equal(out, message));

    auto corrupt = std::vector<std::byte>(message.begin(), message.end());
    corrupt.back() ^= std::byte{1};
    EXPECT_EQ(IcmpRepr::parse(corrupt).error(), IcmpError::bad_checksum);
    EXPECT_EQ(IcmpRepr::parse(message.first(7)).error(), IcmpError::short_header);
}

TEST(Udp, ParsesAndEmitsAKnownDatagram) {
    const Bytes segment = Bytes(udp_frame).subspan(34);
    const auto src = ip(192, 168, 1, 10), dst = ip(192, 168, 1, 20);
    auto udp = UdpRepr::parse(segment, src, dst);
    ASSERT_TRUE(udp);
    EXPECT_EQ(udp->src_port, 40000);
    EXPECT_EQ(udp->dst_port, 53);
    EXPECT_EQ(udp->payload.size(), 5u);
    std::vector<std::byte> out(udp->buffer_len());
    udp->emit(out, src, dst);
    EXPECT_TRUE(std::ranges::equal(out, segment));
    // The pseudo-header is covered: another destination fails the checksum.
    EXPECT_EQ(UdpRepr::parse(segment, src, ip(192, 168, 1, 21)).error(), UdpError::bad_checksum);
}

TEST(Udp, ZeroChecksumMeansNone) {
    auto segment = std::vector<std::byte>(udp_frame.begin() + 34, udp_frame.end());
    segment[6] = segment[7] = std::byte{0};
    EXPECT_TRUE(UdpRepr::parse(segment, ip(9, 9, 9, 9), ip(8, 8, 8, 8)));
}

TEST(Udp, ComputedZeroIsSentAsAllOnes) {
    // Payload e0 1f from 10.0.0.1:1000 to 10.0.0.2:2000 sums to a zero checksum (scapy).
    const auto payload = bytes({0xe0, 0x1f});
    const UdpRepr udp{.src_port = 1000, .dst_port = 2000, .payload = payload};
    std::vector<std::byte> out(udp.buffer_len());
    udp.emit(out, ip(10, 0, 0, 1), ip(10, 0, 0, 2));
    EXPECT_EQ(load16(out, 6), 0xffff);
    EXPECT_TRUE(UdpRepr::parse(out, ip(10, 0, 0, 1), ip(10, 0, 0, 2)));
}

TEST(Udp, LengthField) {
    auto segment = std::vector<std::byte>(udp_frame.begin() + 34, udp_frame.end());
    const auto src = ip(192, 168, 1, 10), dst = ip(192, 168, 1, 20);
    EXPECT_EQ(UdpRepr::parse(Bytes(segment).first(7), src, dst).error(), UdpError::short_header);
    segment[5] = std::byte{7};
    EXPECT_EQ(UdpRepr::parse(segment, src, dst).error(), UdpError::bad_length);
    segment[5] = std::byte{14};
    EXPECT_EQ(UdpRepr::parse(segment, src, dst).error(), UdpError::bad_length);
}

}  // namespace
}  // namespace netstack::wire
