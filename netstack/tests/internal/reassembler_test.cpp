// IPv4 reassembly: order, duplicates, overlaps, timeout, memory bounds, size limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "ip/fragmenter.hpp"
#include "ip/reassembler.hpp"
#include "test_bytes.hpp"

namespace netstack::ip {
namespace {

using test::ip;
using wire::Bytes;
using wire::Ipv4Repr;

// One fragment of datagram `ident`: data bytes are (offset + i) & 0xff unless `fill` given.
std::vector<std::byte> fragment_packet(std::uint16_t ident, std::size_t offset, std::size_t len,
                                       bool more, std::optional<std::uint8_t> fill = {}) {
    Ipv4Repr repr{.src = ip(10, 0, 0, 2),
                  .dst = ip(10, 0, 0, 1),
                  .protocol = 17,
                  .ident = ident,
                  .more_fragments = more,
                  .frag_offset = offset,
                  .payload_len = len};
    std::vector<std::byte> packet(20 + len);
    repr.emit(packet);
    for (std::size_t i = 0; i < len; ++i)
        packet[20 + i] = std::byte(fill ? *fill : static_cast<std::uint8_t>((offset + i) & 0xff));
    return packet;
}

struct Fixture {
    ManualClock clock;
    ReassemblyConfig config{
        .timeout = std::chrono::seconds(30), .max_bytes = 4096, .max_datagrams = 4};
    Ipv4Stats stats;
    Reassembler r{config, stats};

    std::optional<std::vector<std::byte>> add(const std::vector<std::byte>& packet) {
        auto repr = Ipv4Repr::parse(packet);
        EXPECT_TRUE(repr);
        return r.add(packet, *repr, clock.now());
    }
};

void expect_whole(const std::vector<std::byte>& datagram, std::size_t payload_len) {
    auto repr = Ipv4Repr::parse(datagram);
    ASSERT_TRUE(repr);
    EXPECT_FALSE(repr->is_fragment());
    ASSERT_EQ(repr->payload_len, payload_len);
    for (std::size_t i = 0; i < payload_len; ++i)
        ASSERT_EQ(datagram[20 + i], std::byte(i & 0xff)) << i;
}

TEST(Reassembler, InOrder) {
    Fixture f;
    EXPECT_FALSE(f.add(fragment_packet(1, 0, 16, true)));
    EXPECT_FALSE(f.add(fragment_packet(1, 16, 16, true)));
    auto whole = f.add(fragment_packet(1, 32, 5, false));
    ASSERT_TRUE(whole);
    expect_whole(*whole, 37);
    EXPECT_EQ(f.stats.frag_received, 3u);
    EXPECT_EQ(f.stats.frag_reassembled, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u);
    EXPECT_EQ(f.r.bytes_held(), 0u);
}

TEST(Reassembler, OutOfOrderAndDuplicates) {
    Fixture f;
    EXPECT_FALSE(f.add(fragment_packet(2, 32, 5, false)));
    EXPECT_FALSE(f.add(fragment_packet(2, 16, 16, true)));
    EXPECT_FALSE(f.add(fragment_packet(2, 16, 16, true)));  // exact duplicate: ignored
    EXPECT_EQ(f.r.bytes_held(), 21u + 2 * Reassembler::fragment_overhead);
    auto whole = f.add(fragment_packet(2, 0, 16, true));
    ASSERT_TRUE(whole);
    expect_whole(*whole, 37);
    EXPECT_EQ(f.stats.frag_overlap, 0u);
}

TEST(Reassembler, ConsistentOverlapIsKept) {
    Fixture f;
    EXPECT_FALSE(f.add(fragment_packet(3, 0, 24, true)));
    EXPECT_FALSE(f.add(fragment_packet(3, 16, 16, true)));  // same bytes at 16..24
    auto whole = f.add(fragment_packet(3, 32, 8, false));
    ASSERT_TRUE(whole);
    expect_whole(*whole, 40);
}

TEST(Reassembler, InconsistentOverlapDiscardsTheDatagram) {
    Fixture f;
    EXPECT_FALSE(f.add(fragment_packet(4, 0, 24, true)));
    EXPECT_FALSE(f.add(fragment_packet(4, 16, 16, true, 0xee)));  // different bytes at 16..24
    EXPECT_EQ(f.stats.frag_overlap, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u);
    EXPECT_EQ(f.r.bytes_held(), 0u);
    // What comes later starts a new datagram that cannot complete from the remainder.
    EXPECT_FALSE(f.add(fragment_packet(4, 32, 8, false)));
    EXPECT_EQ(f.stats.frag_reassembled, 0u);
}

TEST(Reassembler, ConflictingEndsDiscard) {
    Fixture f;
    EXPECT_FALSE(f.add(fragment_packet(5, 16, 8, false)));
    EXPECT_FALSE(f.add(fragment_packet(5, 16, 16, false)));  // a second, different end
    EXPECT_EQ(f.stats.frag_overlap, 1u);
    EXPECT_FALSE(f.add(fragment_packet(6, 0, 32, true)));
    EXPECT_FALSE(f.add(fragment_packet(6, 8, 8, false)));  // ends before data already held
    EXPECT_EQ(f.stats.frag_overlap, 2u);
    EXPECT_EQ(f.r.datagrams(), 0u);
}

TEST(Reassembler, NonFinalFragmentsMustBeMultiplesOfEight) {
    Fixture f;
    EXPECT_FALSE(f.add(fragment_packet(7, 0, 12, true)));
    EXPECT_EQ(f.stats.drop_bad_total_len, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u);
}

TEST(Reassembler, TimeoutReportsTheFirstFragment) {
    Fixture f;
    EXPECT_FALSE(f.add(fragment_packet(8, 0, 16, true)));
    EXPECT_FALSE(f.add(fragment_packet(9, 16, 16, false)));  // no fragment 0
    ASSERT_TRUE(f.r.next_deadline());
    EXPECT_EQ(*f.r.next_deadline(), f.clock.now() + std::chrono::seconds(30));
    std::vector<std::vector<std::byte>> expired;
    f.clock.advance(std::chrono::seconds(29));
    f.r.poll(f.clock.now(), expired);
    EXPECT_TRUE(expired.empty());
    f.clock.advance(std::chrono::seconds(1));
    f.r.poll(f.clock.now(), expired);
    EXPECT_EQ(f.stats.frag_timeout, 2u);
    ASSERT_EQ(expired.size(), 1u) << "only the datagram whose fragment 0 arrived";
    EXPECT_EQ(expired[0].size(), 28u) << "header + 8 data bytes (RFC 792)";
    EXPECT_EQ(wire::load16(expired[0], 4), 8);
    EXPECT_EQ(f.r.datagrams(), 0u);
    EXPECT_FALSE(f.r.next_deadline());
}

TEST(Reassembler, MemoryBounds) {
    Fixture f;
    // Four 1024-byte fragments of distinct datagrams, with their overhead, fill the bound.
    f.config.max_bytes = 4 * (1024 + Reassembler::fragment_overhead);
    for (std::uint16_t id = 10; id < 14; ++id)
        EXPECT_FALSE(f.add(fragment_packet(id, 0, 1024, true)));
    EXPECT_EQ(f.r.bytes_held(), f.config.max_bytes);
    EXPECT_FALSE(f.add(fragment_packet(10, 1024, 8, true)));
    EXPECT_EQ(f.stats.frag_memory_limit, 1u);
    EXPECT_FALSE(f.add(fragment_packet(20, 0, 8, true)));  // a fifth datagram
    EXPECT_EQ(f.stats.frag_memory_limit, 2u);
    EXPECT_EQ(f.r.datagrams(), 4u);
}

TEST(Reassembler, TooBig) {
    Fixture f;
    f.config.max_bytes = 1 << 20;
    EXPECT_FALSE(f.add(fragment_packet(30, 0, 8, true)));
    // Offset 65512 + 8 data + 20 header = 65540 > 65535.
    EXPECT_FALSE(f.add(fragment_packet(30, 65512, 8, false)));
    EXPECT_EQ(f.stats.frag_too_big, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u);
}

// Fragment 0 of datagram `ident` with 40 bytes of options (a 60-byte header).
std::vector<std::byte> first_fragment_with_options(std::uint16_t ident, std::size_t len) {
    auto plain = fragment_packet(ident, 0, len, true);
    std::vector<std::byte> packet(plain.begin(), plain.begin() + 20);
    packet.insert(packet.end(), 40, std::byte{1});  // NOP options
    packet.insert(packet.end(), plain.begin() + 20, plain.end());
    packet[0] = std::byte{0x4f};  // version 4, IHL 15
    wire::Ipv4View view{wire::MutableBytes(packet)};
    view.set_total_len(static_cast<std::uint16_t>(packet.size()));
    view.fill_checksum();
    return packet;
}

TEST(Reassembler, TooBigCountsFragmentZerosHeader) {
    // 20 + 65500 fits, but fragment 0's 60-byte header makes the datagram 65,560 bytes.
    for (bool first_last : {false, true}) {
        Fixture f;
        f.config.max_bytes = 1 << 20;
        if (first_last) {
            EXPECT_FALSE(f.add(fragment_packet(31, 65496, 4, false)));
        }
        EXPECT_FALSE(f.add(first_fragment_with_options(31, 8)));
        if (!first_last) {
            EXPECT_FALSE(f.add(fragment_packet(31, 65496, 4, false)));
        }
        EXPECT_EQ(f.stats.frag_too_big, 1u) << first_last;
        EXPECT_EQ(f.r.datagrams(), 0u) << first_last;
        EXPECT_EQ(f.r.bytes_held(), 0u) << first_last;
    }
}

TEST(Reassembler, TinyFragmentsAreChargedTheirOverhead) {
    Fixture f;
    f.config.max_bytes = 4 * (8 + Reassembler::fragment_overhead);
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_FALSE(f.add(fragment_packet(40, 8 * i, 8, true)));
    EXPECT_EQ(f.r.bytes_held(), f.config.max_bytes);
    EXPECT_EQ(f.stats.frag_memory_limit, 0u);
    EXPECT_FALSE(f.add(fragment_packet(40, 32, 8, true)));
    EXPECT_EQ(f.stats.frag_memory_limit, 1u) << "40 data bytes, but the bound is reached";
}

TEST(Reassembler, FragmentsPerDatagramAreBounded) {
    Fixture f;
    f.config.max_bytes = 1 << 20;
    f.config.max_fragments_per_datagram = 3;
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_FALSE(f.add(fragment_packet(41, 8 * i, 8, true)));
    EXPECT_EQ(f.stats.frag_memory_limit, 0u);
    EXPECT_FALSE(f.add(fragment_packet(41, 24, 8, false)));
    EXPECT_EQ(f.stats.frag_memory_limit, 1u);
    EXPECT_EQ(f.r.datagrams(), 0u) << "it could never complete: discarded";
    EXPECT_EQ(f.r.bytes_held(), 0u);
}

TEST(Reassembler, DefaultFragmentBoundTakesA64KiBDatagramAtMtu576) {
    ReassemblyConfig config;
    Ipv4Stats stats;
    Reassembler r{config, stats};
    std::vector<std::byte> datagram(65535);
    Ipv4Repr repr{.src = ip(10, 0, 0, 2),
                  .dst = ip(10, 0, 0, 1),
                  .protocol = 17,
                  .ident = 42,
                  .payload_len = datagram.size() - 20};
    repr.emit(datagram);
    auto pieces = fragment(datagram, 576, 0);
    EXPECT_GT(pieces.size(), 100u);
    std::optional<std::vector<std::byte>> whole;
    for (const auto& piece : pieces) {
        auto parsed = Ipv4Repr::parse(piece);
        ASSERT_TRUE(parsed);
        whole = r.add(piece, *parsed, Instant{});
    }
    ASSERT_TRUE(whole);
    EXPECT_EQ(*whole, datagram);
}

TEST(Reassembler, OverlapFarBehindTheInsertionPointIsSeen) {
    Fixture f;
    f.config.max_bytes = 1 << 20;
    EXPECT_FALSE(f.add(fragment_packet(43, 0, 64, true)));
    EXPECT_FALSE(f.add(fragment_packet(43, 8, 8, true)));
    EXPECT_FALSE(f.add(fragment_packet(43, 16, 8, true)));
    // Starts after both short fragments but inside the long one, with other bytes.
    EXPECT_FALSE(f.add(fragment_packet(43, 48, 24, true, 0xee)));
    EXPECT_EQ(f.stats.frag_overlap, 1u);
}

TEST(Reassembler, NoTimeExceededForADatagramSentToABroadcast) {
    Fixture f;
    EXPECT_FALSE(f.r.add(fragment_packet(50, 0, 16, true),
                         *Ipv4Repr::parse(fragment_packet(50, 0, 16, true)), f.clock.now(), true));
    EXPECT_FALSE(f.add(fragment_packet(51, 0, 16, true)));
    f.clock.advance(std::chrono::seconds(30));
    std::vector<std::vector<std::byte>> expired;
    f.r.poll(f.clock.now(), expired);
    EXPECT_EQ(f.stats.frag_timeout, 2u);
    ASSERT_EQ(expired.size(), 1u) << "RFC 1122 3.2.2: only the one sent to a host";
    EXPECT_EQ(wire::load16(expired[0], 4), 51);
}

TEST(Reassembler, UndoesTheFragmenter) {
    Fixture f;
    f.config.max_bytes = 1 << 20;
    std::vector<std::byte> payload(3000);
    std::iota(reinterpret_cast<std::uint8_t*>(payload.data()),
              reinterpret_cast<std::uint8_t*>(payload.data()) + payload.size(), std::uint8_t{0});
    Ipv4Repr repr{.src = ip(10, 0, 0, 2),
                  .dst = ip(10, 0, 0, 1),
                  .protocol = 17,
                  .ident = 77,
                  .payload_len = payload.size()};
    std::vector<std::byte> datagram(20 + payload.size());
    repr.emit(datagram);
    std::ranges::copy(payload, datagram.begin() + 20);
    auto pieces = fragment(datagram, 1500, 0);
    ASSERT_EQ(pieces.size(), 3u);
    std::optional<std::vector<std::byte>> whole;
    for (auto it = pieces.rbegin(); it != pieces.rend(); ++it)
        whole = f.add(*it);
    ASSERT_TRUE(whole);
    EXPECT_EQ(*whole, datagram);
}

}  // namespace
}  // namespace netstack::ip
