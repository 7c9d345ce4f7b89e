// Fuzz target: arbitrary TCP segments into a Stack that has a listener (port 80) and an
// established connection (peer 10.0.0.2:40000 -> 10.0.0.1:80), with time moving on and the
// application reading, writing and closing in between.
//
// Input: records of [control][length: 2 bytes, big-endian][TCP segment: length bytes]; a
// short last record takes what is left. The rig wraps each segment in IPv4 (10.0.0.2 ->
// 10.0.0.1) and Ethernet. control bits 0-2 = time step before it (kSteps), bit 3 = poll()
// after it, bit 4 = "relative": seq and ack are offsets from the established connection's
// initial numbers (so short inputs reach its states), bit 5 = keep the checksum as given
// (else it is fixed up), bits 6-7 = an application action (read and accept, write — urgent
// when the record's first byte has its top bit set — close one socket). Reading takes each
// out-of-band byte that has arrived, as a program reading MSG_OOB would. Records that take no
// time (step 0) and follow one without an action or poll arrive together, in one
// Stack::ReceiveBatch (one bus read: ACKs held to its end, devices flushed once).
// make_tcp_rx_corpus.py writes seeds in this format.
//
// Cheap invariants: frames fit the device, poll_at() after poll(now) lies in the future,
// the connection count stays within max_connections, every socket's queues stay within
// their configured bounds, and an urgent byte said to be ready can be read.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "netstack/device.hpp"
#include "netstack/stack.hpp"
#include "wire/checksum.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace {

using namespace netstack;
using namespace std::chrono_literals;

constexpr std::array<Duration, 8> kSteps = {0ms, 1ms, 40ms, 200ms, 1s, 10s, 61s, 2h};
constexpr std::size_t kMaxConnections = 32;
constexpr std::size_t kBuffer = 16 * 1024;

const MacAddress us_mac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x02}};
const Ipv4Address us = Ipv4Address::from_octets(10, 0, 0, 1);
const Ipv4Address peer = Ipv4Address::from_octets(10, 0, 0, 2);

void check(bool ok) {
    if (!ok) std::abort();
}

class CheckingDevice : public Device {
  public:
    TxStatus transmit(std::span<const std::byte> frame) override {
        check(frame.size() >= 14 && frame.size() <= max_frame());
        last.assign(frame.begin(), frame.end());
        return TxStatus::sent;
    }
    std::size_t max_frame() const override { return 1514; }
    std::vector<std::byte> last;
};

struct Rig {
    Rig() : stack(config()) {
        iface = *stack.add_interface({.name = "eth0", .mac = us_mac}, device);
        check(stack.add_address(iface, {us, 24}, clock.now()).has_value());
        listener = *stack.tcp_open();
        check(stack.tcp_bind(listener, {Ipv4Address::any(), 80}).has_value());
        check(stack.tcp_listen(listener, 4).has_value());
        // The established connection: SYN, read our SYN-ACK, ACK.
        deliver(wire::TcpRepr{.src_port = 40000,
                              .dst_port = 80,
                              .seq = peer_iss,
                              .flags = wire::tcp_flag::syn,
                              .window = 65535,
                              .mss = 1460,
                              .window_scale = 2,
                              .sack_permitted = true,
                              .timestamps = wire::TcpTimestamps{1, 0}},
                true);
        our_iss = read_synack();
        deliver(wire::TcpRepr{.src_port = 40000,
                              .dst_port = 80,
                              .seq = peer_iss + 1,
                              .ack = our_iss + 1,
                              .flags = wire::tcp_flag::ack,
                              .window = 65535,
                              .timestamps = wire::TcpTimestamps{2, 1}},
                true);
        if (auto s = stack.tcp_accept(listener)) sockets.push_back(*s);
    }
    static StackConfig config() {
        StackConfig c;
        c.tcp.max_connections = kMaxConnections;
        c.tcp.syn_queue = 8;
        c.tcp.max_out_of_order = 16;
        c.tcp.send_buffer = kBuffer;
        c.tcp.receive_buffer = kBuffer;
        c.tcp.max_receive_buffer = 4 * kBuffer;
        c.tcp.isn_secret = 42;
        c.arp.max_entries = 4;
        return c;
    }

    std::uint32_t read_synack() {
        // Ethernet 14 + IPv4 20 + TCP sequence number at offset 4.
        if (device.last.size() < 14 + 20 + 8) return 0;
        return wire::load32(device.last, 14 + 20 + 4);
    }

    void deliver(const wire::TcpRepr& seg, bool fix_checksum) {
        std::vector<std::byte> tcp(seg.buffer_len());
        seg.emit(tcp, peer, us);
        send_segment(tcp, fix_checksum);
    }

    void send_segment(std::span<const std::byte> tcp_bytes, bool fix_checksum) {
        std::vector<std::byte> frame(14 + 20 + tcp_bytes.size());
        wire::EthernetRepr{
            .dst = us_mac, .src = peer_mac, .ethertype = std::uint16_t(wire::EtherType::ipv4)}
            .emit(frame);
        auto ip = std::span(frame).subspan(14);
        wire::Ipv4Repr{.src = peer,
                       .dst = us,
                       .protocol = std::uint8_t(wire::IpProtocol::tcp),
                       .payload_len = tcp_bytes.size()}
            .emit(ip);
        auto tcp = ip.subspan(20);
        std::ranges::copy(tcp_bytes, tcp.begin());
        if (fix_checksum && tcp.size() >= 20) {
            wire::store16(tcp, 16, 0);
            const auto sum =
                wire::pseudo_header(peer, us, 6, static_cast<std::uint16_t>(tcp.size()))
                    .add(tcp)
                    .finish();
            wire::store16(tcp, 16, sum);
        }
        stack.receive(iface, frame, clock.now());
    }

    void act(unsigned action, std::span<const std::byte> data) {
        const Instant now = clock.now();
        switch (action) {
            case 1: {  // read everything, accept what waits
                std::array<std::byte, 4096> buffer{};
                for (SocketId s : sockets)
                    for (int i = 0; i < 16; ++i) {
                        take_urgent(s);
                        auto r = stack.tcp_receive(s, buffer, now);
                        if (!r || *r == 0) break;
                    }
                while (auto s = stack.tcp_accept(listener))
                    if (sockets.size() < 8) sockets.push_back(*s);
                std::vector<SocketEvent> events;
                stack.take_events(events);
                break;
            }
            case 2: {  // write the record's bytes on every socket
                const bool urgent = !data.empty() && (std::to_integer<unsigned>(data[0]) & 0x80);
                for (SocketId s : sockets)
                    (void)(urgent ? stack.tcp_send_urgent(s, data, now)
                                  : stack.tcp_send(s, data, now));
                break;
            }
            case 3:  // close (or abort, by the first byte) the oldest socket
                if (!sockets.empty()) {
                    if (!data.empty() && (std::to_integer<unsigned>(data[0]) & 1))
                        (void)stack.tcp_abort(sockets.front(), now);
                    else
                        (void)stack.tcp_close(sockets.front(), now);
                    sockets.erase(sockets.begin());
                }
                break;
            default:
                break;
        }
    }

    void take_urgent(SocketId s) {
        const auto urgent = stack.tcp_urgent(s);
        if (!urgent) return;
        if (urgent->at_mark || urgent->byte_ready) check(urgent->remaining >= 1);
        if (urgent->byte_ready) check(stack.tcp_receive_urgent(s).has_value());
    }

    void check_state() {
        const auto next = stack.poll_at();
        if (next) check(*next > clock.now());
        const auto all = stack.tcp_connections();
        check(all.size() <= kMaxConnections + 1);
        for (const auto& info : all) {
            check(info.send_queued <= kBuffer);
            check(info.receive_queued <= 4 * kBuffer);
            check(info.out_of_order_queued <= 16);
        }
    }

    ManualClock clock;
    CheckingDevice device;
    Stack stack;
    InterfaceId iface = 0;
    SocketId listener = 0;
    std::vector<SocketId> sockets;
    std::uint32_t peer_iss = 1000;
    std::uint32_t our_iss = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Rig rig;
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    std::size_t at = 0;
    std::vector<std::byte> segment;
    std::optional<Stack::ReceiveBatch> batch;
    for (std::size_t records = 0; at < size && records < 256; ++records) {
        const unsigned control = data[at++];
        std::size_t length = 0;
        if (at + 2 <= size) {
            length = std::size_t{data[at]} << 8 | data[at + 1];
            at += 2;
        }
        length = std::min(length, size - at);
        segment.assign(bytes + at, bytes + at + length);
        at += length;

        if (kSteps[control & 7] != 0ms) batch.reset();
        rig.clock.advance(kSteps[control & 7]);
        if ((control & 0x10) && segment.size() >= 12) {
            wire::store32(segment, 4, wire::load32(segment, 4) + rig.peer_iss + 1);
            wire::store32(segment, 8, wire::load32(segment, 8) + rig.our_iss + 1);
        }
        if (!batch) batch.emplace(rig.stack, rig.clock.now());
        rig.send_segment(segment, (control & 0x20) == 0);
        // The application and the timers run between batches, never inside one.
        if ((control >> 6) != 0 || (control & 0x08)) batch.reset();
        rig.act(control >> 6,
                std::span(segment).subspan(std::min<std::size_t>(20, segment.size())));
        if (control & 0x08) {
            rig.stack.poll(rig.clock.now());
            rig.check_state();
        }
    }
    batch.reset();
    // Let every timer run out: retransmissions, keepalives, TIME-WAIT, half-open ones.
    for (int i = 0; i < 64; ++i) {
        rig.clock.advance(2min);
        rig.stack.poll(rig.clock.now());
        rig.check_state();
    }
    return 0;
}
