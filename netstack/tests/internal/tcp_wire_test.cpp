// TcpRepr against segments made with scapy 2.5 (checksums included), options both ways, and
// every malformed-header error.
#include <gtest/gtest.h>

#include <vector>

#include "test_bytes.hpp"
#include "wire/tcp.hpp"

namespace netstack::wire {
namespace {

using test::bytes;
using test::ip;

const Ipv4Address peer = ip(10, 0, 0, 2);
const Ipv4Address us = ip(10, 0, 0, 1);

// IP(10.0.0.2 -> 10.0.0.1)/TCP(40000 -> 80, seq 0x01020304, S, window 65535,
// options [MSS 1460, SAckOK, Timestamp (100, 0), NOP, WScale 7])
const auto syn_segment =
    bytes({0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
           0xff, 0xff, 0x93, 0x03, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
           0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07});
// IP(10.0.0.1 -> 10.0.0.2)/TCP(80 -> 40000, seq 1000, ack 2000, PA, window 502,
// options [NOP, NOP, Timestamp (5, 6), NOP, NOP, SAck (3000, 4000, 5000, 6000)])/"hello"
const auto data_segment =
    bytes({0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0xd0, 0x18, 0x01,
           0xf6, 0xd8, 0x1a, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
           0x00, 0x06, 0x01, 0x01, 0x05, 0x12, 0x00, 0x00, 0x0b, 0xb8, 0x00, 0x00, 0x0f, 0xa0, 0x00,
           0x00, 0x13, 0x88, 0x00, 0x00, 0x17, 0x70, 0x68, 0x65, 0x6c, 0x6c, 0x6f});

TEST(TcpWire, ParsesSynWithOptions) {
    auto r = TcpRepr::parse(syn_segment, peer, us);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->src_port, 40000);
    EXPECT_EQ(r->dst_port, 80);
    EXPECT_EQ(r->seq, 0x01020304u);
    EXPECT_EQ(r->flags, tcp_flag::syn);
    EXPECT_EQ(r->window, 65535);
    EXPECT_EQ(r->mss, 1460);
    EXPECT_TRUE(r->sack_permitted);
    EXPECT_EQ(r->timestamps, (TcpTimestamps{100, 0}));
    EXPECT_EQ(r->window_scale, 7);
    EXPECT_TRUE(r->payload.empty());
    EXPECT_EQ(r->seq_len(), 1u);
}

TEST(TcpWire, EmitsSynLikeScapy) {
    TcpRepr r{.src_port = 40000,
              .dst_port = 80,
              .seq = 0x01020304,
              .flags = tcp_flag::syn,
              .window = 65535,
              .mss = 1460,
              .window_scale = 7,
              .sack_permitted = true,
              .timestamps = TcpTimestamps{100, 0}};
    std::vector<std::byte> out(r.buffer_len());
    r.emit(out, peer, us);
    EXPECT_EQ(out, syn_segment);
}

TEST(TcpWire, DataWithSackBlocksRoundTrips) {
    auto r = TcpRepr::parse(data_segment, us, peer);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->flags, tcp_flag::psh | tcp_flag::ack);
    EXPECT_EQ(r->ack, 2000u);
    ASSERT_EQ(r->sack_count, 2);
    EXPECT_EQ(r->sack[0], (TcpSackBlock{3000, 4000}));
    EXPECT_EQ(r->sack[1], (TcpSackBlock{5000, 6000}));
    EXPECT_EQ(r->seq_len(), 5u);
    std::vector<std::byte> out(r->buffer_len());
    r->emit(out, us, peer);
    EXPECT_EQ(out, data_segment);
}

TEST(TcpWire, SackBlocksAreCutToWhatFits) {
    TcpRepr r{.timestamps = TcpTimestamps{1, 2}, .sack_count = 4};
    EXPECT_EQ(r.options_len(), 12u + 4 + 3 * 8);  // 3 blocks beside timestamps
    r.timestamps.reset();
    EXPECT_EQ(r.options_len(), 4u + 4 * 8);
    std::vector<std::byte> out(r.buffer_len());
    r.emit(out, us, peer);
    auto back = TcpRepr::parse(out, us, peer);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->sack_count, 4);
}

TEST(TcpWire, RejectsBadChecksum) {
    auto bad = syn_segment;
    bad[17] ^= std::byte{1};
    EXPECT_EQ(TcpRepr::parse(bad, peer, us).error(), TcpError::bad_checksum);
    // The pseudo-header is covered: another source address fails too.
    EXPECT_EQ(TcpRepr::parse(syn_segment, ip(10, 0, 0, 3), us).error(), TcpError::bad_checksum);
}

// Over a loopback interface (TcpChecksum::loopback) nothing is summed, as on Linux's lo: the
// field holds the pseudo-header's folded sum, and arrivals are not checked.
TEST(TcpWire, LoopbackSegmentsCarryThePseudoHeaderSumUnchecked) {
    auto r = TcpRepr::parse(syn_segment, peer, us);
    ASSERT_TRUE(r.has_value());
    std::vector<std::byte> out(r->buffer_len());
    r->emit(out, peer, us, TcpChecksum::loopback);
    // 10.0.0.2 + 10.0.0.1 + protocol 6 + length 40: 0x0a00 + 0x0002 + 0x0a00 + 0x0001 + 0x0006
    // + 0x0028 = 0x1431.
    auto expected = syn_segment;
    expected[16] = std::byte{0x14};
    expected[17] = std::byte{0x31};
    EXPECT_EQ(out, expected);
    EXPECT_EQ(TcpRepr::parse(out, peer, us).error(), TcpError::bad_checksum)
        << "not a checksum a link would accept";
    auto back = TcpRepr::parse(out, peer, us, TcpChecksum::loopback);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->seq, r->seq);
    EXPECT_EQ(back->timestamps, r->timestamps);
    // Unchecked, whatever the field holds; the header's own rules still apply.
    auto garbled = syn_segment;
    garbled[17] ^= std::byte{1};
    EXPECT_TRUE(TcpRepr::parse(garbled, peer, us, TcpChecksum::loopback).has_value());
    EXPECT_EQ(TcpRepr::parse(Bytes(syn_segment).first(19), peer, us, TcpChecksum::loopback).error(),
              TcpError::short_header);
}

TEST(TcpWire, RejectsShortAndBadOffset) {
    EXPECT_EQ(TcpRepr::parse(Bytes(syn_segment).first(19), peer, us).error(),
              TcpError::short_header);
    // Data offset 40 bytes in a 39-byte segment.
    EXPECT_EQ(TcpRepr::parse(Bytes(syn_segment).first(39), peer, us).error(),
              TcpError::short_header);
    auto low = syn_segment;
    low[12] = std::byte{0x40};  // 4 words
    EXPECT_EQ(TcpRepr::parse(low, peer, us).error(), TcpError::bad_offset);
}

// A header with `options` (a multiple of 4 bytes) and a correct checksum.
std::vector<std::byte> with_options(std::initializer_list<std::uint8_t> options) {
    TcpRepr r{.src_port = 1, .dst_port = 2, .flags = tcp_flag::ack};
    std::vector<std::byte> out(tcp_header_len + options.size());
    r.emit(out, peer, us);
    std::size_t at = tcp_header_len;
    for (auto b : options)
        out[at++] = std::byte{b};
    out[12] = std::byte(static_cast<std::uint8_t>(out.size() / 4 << 4));
    out[16] = out[17] = std::byte{0};
    // The checksum again, by hand, with the options in place.
    std::uint32_t sum = 0;
    auto add = [&](std::uint32_t w) { sum += w; };
    add(peer.value >> 16);
    add(peer.value & 0xffff);
    add(us.value >> 16);
    add(us.value & 0xffff);
    add(6);
    add(static_cast<std::uint32_t>(out.size()));
    for (std::size_t i = 0; i < out.size(); i += 2)
        add(std::to_integer<std::uint32_t>(out[i]) << 8 |
            std::to_integer<std::uint32_t>(out[i + 1]));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    const auto c = static_cast<std::uint16_t>(~sum);
    out[16] = std::byte(c >> 8);
    out[17] = std::byte(c & 0xff);
    return out;
}

TEST(TcpWire, SkipsUnknownOptionsAndStopsAtEol) {
    auto r = TcpRepr::parse(with_options({30, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4}), peer, us);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->mss, 1460);
    // After EOL nothing is read, even garbage.
    r = TcpRepr::parse(with_options({0, 2, 99, 0}), peer, us);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->mss.has_value());
}

TEST(TcpWire, RejectsMalformedOptionLengths) {
    for (auto options : {std::vector<std::uint8_t>{2, 3, 0, 0},  // MSS of length 3
                         {3, 4, 1, 0},                           // window scale of length 4
                         {8, 12, 0, 0},                          // runs past the header
                         {30, 1, 0, 0},                          // length below 2
                         {1, 1, 1, 5},                           // kind without a length
                         {5, 6, 0, 0}}) {                        // SACK not a block multiple
        const auto seg = with_options({options[0], options[1], options[2], options[3]});
        EXPECT_EQ(TcpRepr::parse(seg, peer, us).error(), TcpError::bad_option)
            << int(options[0]) << "," << int(options[1]);
    }
}

}  // namespace
}  // namespace netstack::wire
