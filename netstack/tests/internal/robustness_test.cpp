// Seeded mutations of valid frames thrown at a stack: every one must be consumed without a
// crash (run under ASan/UBSan in the sanitizer builds), and the counters must add up.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "netstack/stack.hpp"
#include "test_bytes.hpp"
#include "wire/ethernet.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"
#include "wire/udp.hpp"

namespace netstack {
namespace {

using test::ip;

class NullDevice : public Device {
  public:
    TxStatus transmit(std::span<const std::byte>) override {
        ++sent;
        return TxStatus::sent;
    }
    std::size_t max_frame() const override { return 1514; }
    std::size_t sent = 0;
};

const MacAddress our_mac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x02}};

// A frame from the peer to us: Ethernet + IPv4 (+ options) + payload of the protocol.
std::vector<std::byte> ip_frame(std::uint8_t protocol, std::size_t payload_len, bool more,
                                std::size_t offset, std::uint16_t ident) {
    wire::Ipv4Repr repr{.src = ip(10, 0, 0, 2),
                        .dst = ip(10, 0, 0, 1),
                        .protocol = protocol,
                        .ident = ident,
                        .more_fragments = more,
                        .frag_offset = offset,
                        .payload_len = payload_len};
    std::vector<std::byte> frame(14 + 24 + payload_len);
    wire::EthernetView<wire::MutableBytes> eth(frame);
    eth.set_dst(our_mac);
    eth.set_src(peer_mac);
    eth.set_ethertype(0x0800);
    const auto options = test::bytes({0x01, 0x01, 0x01, 0x00});
    repr.emit(wire::MutableBytes(frame).subspan(14), options);
    auto payload = wire::MutableBytes(frame).subspan(38);
    if (protocol == 17 && payload_len >= 8) {
        std::vector<std::byte> data(payload_len - 8, std::byte{0x5a});
        wire::UdpRepr{.src_port = 1234, .dst_port = 7, .payload = data}.emit(payload, repr.src,
                                                                             repr.dst);
    } else if (protocol == 1 && payload_len >= 8) {
        std::vector<std::byte> data(payload_len - 8, std::byte{0x11});
        wire::IcmpRepr{.type = 8, .rest = 0x00010001, .data = data}.emit(payload);
    }
    return frame;
}

TEST(Robustness, MutatedFramesAreAlwaysConsumed) {
    ManualClock clock;
    Stack stack(StackConfig{
        .forwarding = true,
        .reassembly = {
            .timeout = std::chrono::seconds(1), .max_bytes = 64 * 1024, .max_datagrams = 8}});
    NullDevice device;
    const auto eth0 = *stack.add_interface({.name = "eth0", .mac = our_mac}, device);
    ASSERT_TRUE(stack.add_address(eth0, *Ipv4Cidr::parse("10.0.0.1/24"), clock.now()));
    ASSERT_TRUE(stack.add_route({.destination = *Ipv4Cidr::parse("0.0.0.0/0"),
                                 .gateway = ip(10, 0, 0, 9),
                                 .interface = eth0}));
    const auto s = *stack.udp_open();
    ASSERT_TRUE(stack.udp_bind(s, {Ipv4Address::any(), 7}));
    stack.udp_set_queue_limits(s, 4, 4096);

    std::vector<std::vector<std::byte>> seeds = {
        ip_frame(17, 40, false, 0, 1), ip_frame(1, 64, false, 0, 2), ip_frame(17, 64, true, 0, 3),
        ip_frame(17, 16, false, 64, 3), ip_frame(99, 8, false, 0, 4)};
    // An ARP request for us.
    seeds.push_back(
        test::bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0,    0, 0,  0x02, 0x08, 0x06,
                     0,    1,    8,    0,    6,    4,    0,    1, 0x02, 0, 0,  0,    0,    0x02,
                     10,   0,    0,    2,    0,    0,    0,    0, 0,    0, 10, 0,    0,    1}));
    std::mt19937 rng(12345);
    std::vector<SocketEvent> events;
    std::array<std::byte, 2048> buffer{};
    for (int i = 0; i < 20000; ++i) {
        auto frame = seeds[rng() % seeds.size()];
        const int mutations = static_cast<int>(rng() % 4);
        for (int m = 0; m < mutations; ++m) {
            switch (rng() % 3) {
                case 0:  // flip a byte
                    frame[rng() % frame.size()] ^= std::byte(1 + rng() % 255);
                    break;
                case 1:  // truncate
                    frame.resize(rng() % (frame.size() + 1));
                    break;
                default:  // extend with junk
                    frame.resize(frame.size() + rng() % 64, std::byte(rng() & 0xff));
                    break;
            }
            if (frame.empty()) break;
        }
        stack.receive(eth0, frame, clock.now());
        if (i % 500 == 0) {
            clock.advance(std::chrono::milliseconds(700));
            stack.poll(clock.now());
            stack.take_events(events);
            while (stack.udp_receive(s, buffer)) {
            }
        }
    }
    const auto& st = stack.stats();
    EXPECT_EQ(st.ethernet.rx_frames, 20000u);
    EXPECT_GT(st.udp.rx_datagrams, 0u);
    EXPECT_GT(st.ipv4.drop_bad_checksum, 0u);
    EXPECT_GT(st.arp.rx_requests, 0u);
    EXPECT_GT(device.sent, 0u);
}

}  // namespace
}  // namespace netstack
