// IPv6 reassembly (RFC 8200 4.5): order, exact duplicates, RFC 5722 overlaps, ends, bad
// lengths, the 65,535-byte payload limit, memory bounds, atomic fragments (RFC 6946), the
// timeout and its quote, the rebuilt header.
#include <gtest/gtest.h>

#include <algorithm>

#include "ip/ipv6_reassembler.hpp"
#include "wire/bytes.hpp"

namespace netstack::ip {
namespace {

using Result = std::expected<std::optional<std::vector<std::byte>>, Ipv6Reassembler::Error>;

const Ipv6Address src = *Ipv6Address::parse("2001:db8::2");
const Ipv6Address dst = *Ipv6Address::parse("2001:db8::1");
constexpr std::uint8_t udp = 17;

// The fixed header, Next Header 44 (Fragment), a stale Payload Length; with `hop_by_hop`, an
// 8-byte Hop-by-Hop Options header (PadN) between it and the Fragment header.
std::vector<std::byte> unfragmentable(bool hop_by_hop = false) {
    std::vector<std::byte> h(40);
    h[0] = std::byte{0x60};
    h[4] = std::byte{0x12};
    h[5] = std::byte{0x34};
    h[6] = std::byte{hop_by_hop ? std::uint8_t{0} : std::uint8_t{44}};
    h[7] = std::byte{64};
    std::ranges::copy(src.bytes, reinterpret_cast<std::uint8_t*>(h.data()) + 8);
    std::ranges::copy(dst.bytes, reinterpret_cast<std::uint8_t*>(h.data()) + 24);
    if (hop_by_hop) {
        const std::vector<std::byte> pad_n(8);
        h.insert(h.end(), pad_n.begin(), pad_n.end());
        h[40] = std::byte{44};  // then Fragment; length 0 (8 bytes); PadN of 4
        h[42] = std::byte{1};
        h[43] = std::byte{4};
    }
    return h;
}

bool held(const Result& r) {
    return r.has_value() && !r->has_value();
}

struct Fixture {
    ManualClock clock;
    ReassemblyConfig config{
        .timeout = std::chrono::seconds(60), .max_bytes = 4096, .max_datagrams = 4};
    Ipv6Stats stats;
    Ipv6Reassembler r{config, stats};
    std::vector<std::byte> head = unfragmentable();

    // A fragment of datagram `ident`: data bytes are (offset + i) & 0xff unless `fill` given.
    Result add(std::uint32_t ident, std::size_t offset, std::size_t len, bool more,
               std::optional<std::uint8_t> fill = {}, std::uint8_t next_header = udp,
               Ipv6Address from = src, bool no_icmp_errors = false) {
        std::vector<std::byte> data(len);
        for (std::size_t i = 0; i < len; ++i)
            data[i] = std::byte(fill ? *fill : static_cast<std::uint8_t>((offset + i) & 0xff));
        return r.add({.src = from,
                      .dst = dst,
                      .ident = ident,
                      .offset = offset,
                      .more = more,
                      .next_header = next_header,
                      .unfragmentable = head,
                      .next_header_at = head.size() == 40 ? 6u : 40u,
                      .data = data},
                     clock.now(), no_icmp_errors);
    }
    void expect_whole(const Result& result, std::size_t len) const {
        ASSERT_TRUE(result.has_value());
        ASSERT_TRUE(result->has_value());
        const auto& packet = **result;
        ASSERT_EQ(packet.size(), head.size() + len);
        EXPECT_EQ(wire::load16(packet, 4), head.size() - 40 + len) << "Payload Length fixed";
        const std::size_t next_header_at = head.size() == 40 ? 6 : 40;
        EXPECT_EQ(packet[next_header_at], std::byte{udp}) << "names what followed Fragment";
        for (std::size_t i = 0; i < head.size(); ++i) {
            if (i == 4 || i == 5 || i == next_header_at) continue;
            ASSERT_EQ(packet[i], head[i]) << "the rest of fragment 0's header, at " << i;
        }
        for (std::size_t i = 0; i < len; ++i)
            ASSERT_EQ(packet[head.size() + i], std::byte(i & 0xff)) << i;
    }
};

TEST(Ipv6Reassembler, InOrder) {
    Fixture f;
    EXPECT_TRUE(held(f.add(1, 0, 16, true)));
    EXPECT_TRUE(held(f.add(1, 16, 16, true)));
    f.expect_whole(f.add(1, 32, 5, false), 37);
    EXPECT_EQ(f.stats.frag_received, 3u);
    EXPECT_EQ(f.stats.frag_reassembled, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u);
    EXPECT_EQ(f.r.bytes_held(), 0u);
}

TEST(Ipv6Reassembler, OutOfOrderAndExactDuplicates) {
    Fixture f;
    EXPECT_TRUE(held(f.add(2, 32, 5, false)));
    EXPECT_TRUE(held(f.add(2, 16, 16, true)));
    EXPECT_TRUE(held(f.add(2, 16, 16, true))) << "an exact duplicate is dropped alone";
    EXPECT_EQ(f.r.bytes_held(), 21u + 2 * Ipv6Reassembler::fragment_overhead);
    f.expect_whole(f.add(2, 0, 16, true), 37);
    EXPECT_EQ(f.stats.frag_overlap, 0u);
}

TEST(Ipv6Reassembler, AnyOtherOverlapDiscardsTheDatagram) {
    Fixture f;
    // The same bytes at 16..24: IPv4 keeps this, RFC 5722 does not.
    EXPECT_TRUE(held(f.add(3, 0, 24, true)));
    EXPECT_TRUE(held(f.add(3, 16, 16, true)));
    EXPECT_EQ(f.stats.frag_overlap, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u);
    EXPECT_EQ(f.r.bytes_held(), 0u);
    EXPECT_TRUE(held(f.add(3, 24, 8, false))) << "the rest cannot complete it";
    EXPECT_EQ(f.r.datagrams(), 1u);

    // Same offset and length, other bytes: not a duplicate.
    EXPECT_TRUE(held(f.add(4, 8, 8, true)));
    EXPECT_TRUE(held(f.add(4, 8, 8, true, 0xee)));
    EXPECT_EQ(f.stats.frag_overlap, 2u);
    // A fragment that covers one held, with the same bytes.
    EXPECT_TRUE(held(f.add(5, 8, 8, true)));
    EXPECT_TRUE(held(f.add(5, 0, 24, true)));
    EXPECT_EQ(f.stats.frag_overlap, 3u);
    EXPECT_EQ(f.stats.frag_reassembled, 0u);
    EXPECT_EQ(f.r.datagrams(), 1u) << "only datagram 3's late tail";
}

TEST(Ipv6Reassembler, ConflictingEndsDiscard) {
    Fixture f;
    EXPECT_TRUE(held(f.add(6, 16, 8, false)));
    EXPECT_TRUE(held(f.add(6, 24, 8, false)));  // a second, different end
    EXPECT_EQ(f.stats.frag_overlap, 1u);
    EXPECT_TRUE(held(f.add(7, 0, 32, true)));
    f.expect_whole(f.add(7, 32, 8, false), 40);
    EXPECT_EQ(f.stats.frag_overlap, 1u) << "ends where the data ends: fine";
    EXPECT_TRUE(held(f.add(8, 32, 8, true)));
    EXPECT_TRUE(held(f.add(8, 8, 8, false))) << "ends before data already held";
    EXPECT_EQ(f.stats.frag_overlap, 2u);
    EXPECT_EQ(f.r.datagrams(), 0u);
}

TEST(Ipv6Reassembler, NonFinalFragmentsMustBeMultiplesOfEight) {
    Fixture f;
    EXPECT_EQ(f.add(9, 0, 12, true), std::unexpected(Ipv6Reassembler::Error::bad_length));
    EXPECT_EQ(f.add(9, 8, 0, true), std::unexpected(Ipv6Reassembler::Error::bad_length));
    EXPECT_EQ(f.stats.frag_bad_length, 2u);
    EXPECT_EQ(f.r.datagrams(), 0u) << "nothing held";
    EXPECT_TRUE(held(f.add(9, 8, 5, false))) << "the last one may be any length";
}

TEST(Ipv6Reassembler, PayloadPast65535IsAnError) {
    Fixture f;
    f.config.max_bytes = 1 << 20;
    // 65528 + 8 = 65,536 bytes of fragmentable part.
    EXPECT_EQ(f.add(10, 65528, 8, false), std::unexpected(Ipv6Reassembler::Error::too_big));
    EXPECT_EQ(f.stats.frag_too_big, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u);
    // 65520 + 8 fits the fixed header alone...
    EXPECT_TRUE(held(f.add(11, 65520, 8, false)));
    // ...but fragment 0's Hop-by-Hop header counts in the Payload Length too.
    f.head = unfragmentable(true);
    EXPECT_EQ(f.add(11, 0, 8, true), std::unexpected(Ipv6Reassembler::Error::too_big));
    EXPECT_EQ(f.stats.frag_too_big, 2u);
    EXPECT_EQ(f.r.datagrams(), 0u) << "discarded";
    EXPECT_EQ(f.r.bytes_held(), 0u);
}

TEST(Ipv6Reassembler, MemoryBounds) {
    Fixture f;
    f.config.max_bytes = 4 * (1024 + Ipv6Reassembler::fragment_overhead);
    for (std::uint32_t id = 20; id < 24; ++id)
        EXPECT_TRUE(held(f.add(id, 0, 1024, true)));
    EXPECT_EQ(f.r.bytes_held(), f.config.max_bytes);
    EXPECT_TRUE(held(f.add(20, 1024, 8, true)));
    EXPECT_EQ(f.stats.frag_memory_limit, 1u);
    EXPECT_TRUE(held(f.add(30, 0, 8, true))) << "a fifth datagram";
    EXPECT_EQ(f.stats.frag_memory_limit, 2u);
    EXPECT_EQ(f.r.datagrams(), 4u);

    Fixture g;
    g.config.max_fragments_per_datagram = 2;
    EXPECT_TRUE(held(g.add(31, 0, 8, true)));
    EXPECT_TRUE(held(g.add(31, 8, 8, true)));
    EXPECT_TRUE(held(g.add(31, 16, 8, false)));
    EXPECT_EQ(g.stats.frag_memory_limit, 1u);
    EXPECT_EQ(g.r.datagrams(), 0u) << "it could never complete: discarded";
}

TEST(Ipv6Reassembler, AtomicFragmentIsWholeAndApart) {
    Fixture f;
    EXPECT_TRUE(held(f.add(40, 16, 16, true)));
    f.expect_whole(f.add(40, 0, 24, false), 24);
    EXPECT_EQ(f.stats.frag_atomic, 1u);
    EXPECT_EQ(f.stats.frag_overlap, 0u) << "RFC 6946: not mixed with the held fragment";
    EXPECT_EQ(f.r.datagrams(), 1u);
}

TEST(Ipv6Reassembler, FragmentZeroGivesTheHeaderChain) {
    Fixture f;
    f.head = unfragmentable(true);
    // Later fragments' Next Header values are not used (RFC 8200 4.5).
    EXPECT_TRUE(held(f.add(41, 16, 8, false, {}, 6)));
    f.expect_whole(f.add(41, 0, 16, true), 24);
    EXPECT_EQ(f.stats.frag_reassembled, 1u);
}

TEST(Ipv6Reassembler, KeyedBySourceDestinationAndIdentification) {
    Fixture f;
    const Ipv6Address other = *Ipv6Address::parse("2001:db8::3");
    EXPECT_TRUE(held(f.add(42, 0, 16, true)));
    EXPECT_TRUE(held(f.add(42, 16, 8, false, 0xee, udp, other)));
    EXPECT_TRUE(held(f.add(43, 16, 8, false, 0xee)));
    EXPECT_EQ(f.r.datagrams(), 3u);
    EXPECT_EQ(f.stats.frag_overlap, 0u);
    f.expect_whole(f.add(42, 16, 8, false), 24);
}

TEST(Ipv6Reassembler, TimeoutQuotesFragmentZero) {
    Fixture f;
    f.config.max_bytes = 1 << 20;
    EXPECT_TRUE(held(f.add(50, 0, 16, true)));
    EXPECT_TRUE(held(f.add(51, 16, 16, false)));                    // no fragment 0
    EXPECT_TRUE(held(f.add(52, 0, 16, true, {}, udp, src, true)));  // to a multicast group
    EXPECT_TRUE(held(f.add(53, 0, 1400, true)));
    ASSERT_TRUE(f.r.next_deadline());
    EXPECT_EQ(*f.r.next_deadline(), f.clock.now() + std::chrono::seconds(60));
    std::vector<std::vector<std::byte>> expired;
    f.clock.advance(std::chrono::seconds(59));
    f.r.poll(f.clock.now(), expired);
    EXPECT_TRUE(expired.empty());
    f.clock.advance(std::chrono::seconds(1));
    f.r.poll(f.clock.now(), expired);
    EXPECT_EQ(f.stats.frag_timeout, 4u);
    ASSERT_EQ(expired.size(), 2u) << "fragment 0 came, not to a multicast group";
    // Fragment 0 as received: header, Fragment header (offset 0, M), data.
    const auto& q = expired[0];
    ASSERT_EQ(q.size(), 40u + 8 + 16);
    EXPECT_TRUE(std::ranges::equal(std::span(q).first(40), f.head));
    EXPECT_EQ(q[40], std::byte{udp});
    EXPECT_EQ(wire::load16(q, 42), 1) << "offset 0, M set";
    EXPECT_EQ(wire::load32(q, 44), 50u);
    EXPECT_EQ(q[48], std::byte{0});
    EXPECT_EQ(q[63], std::byte{15});
    EXPECT_EQ(expired[1].size(), Ipv6Reassembler::quote_limit) << "RFC 4443 2.4 (c)";
    EXPECT_EQ(wire::load32(expired[1], 44), 53u);
    EXPECT_EQ(f.r.datagrams(), 0u);
    EXPECT_EQ(f.r.bytes_held(), 0u);
    EXPECT_FALSE(f.r.next_deadline());
}

TEST(Ipv6Reassembler, BadCallerViewsAreRefused) {
    Fixture f;
    f.head.resize(39);
    EXPECT_TRUE(held(f.add(60, 0, 8, false)));
    EXPECT_EQ(f.stats.frag_atomic, 0u);
    EXPECT_EQ(f.r.datagrams(), 0u);
}

}  // namespace
}  // namespace netstack::ip
