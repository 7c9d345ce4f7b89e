// IPv4 input validation (RFC 791, RFC 1122 3.2.1): every malformed header is counted.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace nstest {
namespace {

struct Ipv4Input : ::testing::Test {
    Ipv4Input() { h.learn_peer(); }
    void inject_ip(const Ipv4Spec& spec, const Bytes& payload = pattern(20)) {
        h.inject(ethernet({}, ipv4(spec, payload)));
    }
    Harness h;
};

TEST_F(Ipv4Input, ShortPacket) {
    h.inject(ethernet({}, pattern(12)));
    EXPECT_EQ(h.stats().ipv4.drop_short, 1u);
}

TEST_F(Ipv4Input, BadVersion) {
    inject_ip({.version = 6});
    EXPECT_EQ(h.stats().ipv4.drop_bad_version, 1u);
}

TEST_F(Ipv4Input, BadHeaderLength) {
    inject_ip({.ihl = 4});
    Bytes frame = udp_frame(pattern(12));
    frame[14] = std::byte{0x4f};  // a 60-byte header in a 40-byte packet
    h.inject(frame);
    EXPECT_EQ(h.stats().ipv4.drop_bad_header_len, 2u);
}

TEST_F(Ipv4Input, BadTotalLength) {
    inject_ip({.total_length = 200});  // longer than the frame
    inject_ip({.total_length = 16});   // shorter than the header
    EXPECT_EQ(h.stats().ipv4.drop_bad_total_len, 2u);
}

TEST_F(Ipv4Input, EthernetPaddingIsIgnored) {
    const auto s = h.stack.udp_open();
    ASSERT_TRUE(s);
    ASSERT_TRUE(h.stack.udp_bind(*s, {Ipv4Address::any(), 5000}));
    Bytes frame = udp_frame(text("a"));
    frame.resize(60);  // padded to the Ethernet minimum
    h.inject(frame);
    Bytes buffer(64);
    const auto d = h.stack.udp_receive(*s, buffer);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->size, 1u);
}

TEST_F(Ipv4Input, BadChecksum) {
    inject_ip({.bad_checksum = true});
    EXPECT_EQ(h.stats().ipv4.drop_bad_checksum, 1u);
    EXPECT_TRUE(h.sent().empty());
}

TEST_F(Ipv4Input, BadSource) {
    h.inject(echo_request_frame(1, 1, pattern(8), {.src = Ipv4Address::broadcast()}));
    h.inject(echo_request_frame(1, 1, pattern(8), {.src = ip(224, 0, 0, 1)}));
    EXPECT_EQ(h.stats().ipv4.drop_bad_source, 2u);
    EXPECT_TRUE(h.sent().empty());
}

TEST_F(Ipv4Input, NotForUs) {
    h.inject(echo_request_frame(1, 1, pattern(8), {.dst = ip(10, 0, 0, 77)}));
    EXPECT_EQ(h.stats().ipv4.drop_not_for_us, 1u);
    EXPECT_TRUE(h.sent().empty());
}

TEST_F(Ipv4Input, OptionsAreSkipped) {
    h.inject(echo_request_frame(1, 1, pattern(8), {.ihl = 6}));
    const auto out = icmp_frames(h.sent(), 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].icmp->payload, pattern(8));
    EXPECT_EQ(h.stats().ipv4.rx_packets, 1u);
}

}  // namespace
}  // namespace nstest
