// Fragmentation on send: sizes, offsets, flags and option copying (RFC 791 3.2).
#include <gtest/gtest.h>

#include "ip/fragmenter.hpp"
#include "test_bytes.hpp"
#include "wire/ipv4.hpp"

namespace netstack::ip {
namespace {

using test::bytes;
using test::ip;
using wire::Ipv4Repr;

std::vector<std::byte> datagram(std::size_t payload_len, wire::Bytes options = {},
                                bool more = false, std::size_t offset = 0) {
    Ipv4Repr repr{.src = ip(1, 1, 1, 1),
                  .dst = ip(2, 2, 2, 2),
                  .protocol = 17,
                  .ident = 5,
                  .more_fragments = more,
                  .frag_offset = offset,
                  .payload_len = payload_len};
    std::vector<std::byte> out(20 + options.size() + payload_len);
    repr.emit(out, options);
    for (std::size_t i = 0; i < payload_len; ++i)
        out[20 + options.size() + i] = std::byte(i & 0xff);
    return out;
}

TEST(Fragmenter, SplitsOnEightByteBoundaries) {
    const auto d = datagram(1000);
    auto pieces = fragment(d, 300, 14);
    // (300 - 20) / 8 * 8 = 280 data bytes per fragment: 280, 280, 280, 160.
    ASSERT_EQ(pieces.size(), 4u);
    std::size_t expected_offset = 0;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        auto ip_bytes = wire::Bytes(pieces[i]).subspan(14);
        auto repr = Ipv4Repr::parse(ip_bytes);
        ASSERT_TRUE(repr);
        EXPECT_EQ(repr->frag_offset, expected_offset);
        EXPECT_EQ(repr->more_fragments, i + 1 < pieces.size());
        EXPECT_EQ(repr->ident, 5);
        EXPECT_LE(ip_bytes.size(), 300u);
        EXPECT_EQ(ip_bytes[20], std::byte(expected_offset & 0xff));
        expected_offset += repr->payload_len;
    }
    EXPECT_EQ(expected_offset, 1000u);
}

TEST(Fragmenter, RefragmentingKeepsTheOriginalOffsetAndMf) {
    const auto d = datagram(64, {}, true, 800);
    auto pieces = fragment(d, 60, 0);  // 40 data bytes per fragment
    ASSERT_EQ(pieces.size(), 2u);
    auto last = Ipv4Repr::parse(pieces[1]);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->frag_offset, 840u);
    EXPECT_TRUE(last->more_fragments) << "the original was not the last fragment";
}

TEST(Fragmenter, OnlyCopiedOptionsRepeat) {
    // NOP, then a copied option (type 0x83 loose source route, len 7), then an uncopied one
    // (0x07 record route, len 7), then end of list: 16 bytes.
    const auto options =
        bytes({0x01, 0x83, 0x07, 0x04, 1, 2, 3, 4, 0x07, 0x07, 0x04, 5, 6, 7, 8, 0x00});
    EXPECT_EQ(copied_options(options), bytes({0x83, 0x07, 0x04, 1, 2, 3, 4, 0x00}));
    const auto d = datagram(96, options);
    auto pieces = fragment(d, 36 + 48, 0);
    ASSERT_GE(pieces.size(), 2u);
    EXPECT_EQ(wire::Ipv4View(wire::Bytes(pieces[0])).header_len(), 36u);
    EXPECT_EQ(wire::Ipv4View(wire::Bytes(pieces[1])).header_len(), 28u);
    EXPECT_TRUE(Ipv4Repr::parse(pieces[1]));
}

TEST(Fragmenter, MalformedOptionsStopTheScan) {
    EXPECT_TRUE(copied_options(bytes({0x83, 0x01, 0, 0})).empty());  // length below 2
    EXPECT_TRUE(copied_options(bytes({0x83, 0x09, 0, 0})).empty());  // past the end
}

TEST(Fragmenter, MtuTooSmall) {
    EXPECT_TRUE(fragment(datagram(100), 27, 0).empty());
}

}  // namespace
}  // namespace netstack::ip
