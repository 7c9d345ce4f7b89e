// Fuzz target: arbitrary frames into a Stack that has two interfaces, several addresses of
// both IP versions (IPv6 on: link-local addresses, DAD, Neighbor Discovery), default routes,
// forwarding on, a dual-stack UDP socket and a ping socket, with time moving on.
//
// Input: records of [control][length: 2 bytes, big-endian][frame: length bytes]; a short last
// record takes what is left. control bit 0 = interface, bits 1-3 = time step before the frame
// (see kSteps), bit 4 = poll() after it, bits 5-7 = an extra action (drain the socket, send a
// datagram or a ping over IPv4 or IPv6, toggle promiscuous, flush neighbours).
// make_netstack_rx_corpus.py writes seeds in this format.
//
// Cheap invariants: the stack never transmits a frame shorter than an Ethernet header or
// longer than the device carries, poll_at() after poll(now) lies in the
// future, and the neighbour table and socket queue respect their bounds. Each frame is also
// judged by Stack::owned_elsewhere on shard 1 of 2 of a host with eth0's addresses, and what
// it calls another shard's is fed to that shard: it must do nothing with it (no TCP segment
// taken in, nothing sent), as a daemon's worker that never copies such frames assumes.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "netstack/device.hpp"
#include "netstack/stack.hpp"

namespace {

using namespace netstack;
using namespace std::chrono_literals;

constexpr std::array<Duration, 8> kSteps = {0ms, 1ms, 10ms, 100ms, 1s, 5s, 31s, 61s};
constexpr std::size_t kMaxNeighbours = 16;
constexpr std::size_t kQueueDatagrams = 4;

void check(bool ok) {
    if (!ok) std::abort();
}

Ipv4Address a(std::uint8_t b0, std::uint8_t b1, std::uint8_t b2, std::uint8_t b3) {
    return Ipv4Address::from_octets(b0, b1, b2, b3);
}

// 2001:db8:<net>::<host>
Ipv6Address a6(std::uint8_t net, std::uint8_t host) {
    Ipv6Address x{{0x20, 0x01, 0x0d, 0xb8, 0, net}};
    x.bytes[15] = host;
    return x;
}

// Checks each frame as it is offered and forgets it (the target links only `netstack`, so it
// carries its own device rather than netstack_devices' MemoryDevice).
class CheckingDevice : public Device {
  public:
    TxStatus transmit(std::span<const std::byte> frame) override {
        check(frame.size() >= 14);
        check(frame.size() <= max_frame());  // never offered a frame the link cannot carry
        ++frames_;
        return TxStatus::sent;
    }
    std::size_t max_frame() const override { return 1514; }
    std::uint64_t frames() const { return frames_; }

  private:
    std::uint64_t frames_ = 0;
};

struct Rig {
    Rig() : stack(config()) {
        InterfaceConfig c0;
        c0.name = "eth0";
        c0.mac = {{0x02, 0, 0, 0, 0, 0x01}};
        c0.vlan = VlanPolicy::strip;
        InterfaceConfig c1;
        c1.name = "eth1";
        c1.mac = {{0x02, 0, 0, 0, 0, 0x11}};
        c1.mtu = 576;
        ids[0] = *stack.add_interface(c0, devices[0]);
        ids[1] = *stack.add_interface(c1, devices[1]);
        check(stack.add_address(ids[0], {a(10, 0, 0, 1), 24}, clock.now()).has_value());
        check(stack.add_address(ids[0], {a(10, 0, 0, 3), 24}, clock.now()).has_value());
        check(stack.add_address(ids[1], {a(10, 0, 1, 1), 24}, clock.now()).has_value());
        Route def;
        def.destination = {Ipv4Address::any(), 0};
        def.gateway = a(10, 0, 1, 254);
        def.interface = ids[1];
        check(stack.add_route(def).has_value());
        check(stack.add_address(ids[0], Ipv6Cidr{a6(0, 1), 64}, clock.now()).has_value());
        check(stack.add_address(ids[1], Ipv6Cidr{a6(1, 1), 64}, clock.now()).has_value());
        Ipv6Route def6;
        def6.gateway = Ipv6Address{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe}};
        def6.interface = ids[1];
        check(stack.add_route(def6).has_value());
        udp = *stack.udp_open();
        check(stack.udp_bind(udp, {Ipv6Address::any(), 5000}).has_value());  // both families
        stack.udp_set_queue_limits(udp, kQueueDatagrams, 1 << 16);
        ping = *stack.ping_open();
    }
    // Shard 1 of 2 with eth0's MAC and addresses (DAD off, so they are ours at once).
    struct Steering {
        Steering() : stack(config()) {
            InterfaceConfig c;
            c.name = "eth0";
            c.mac = {{0x02, 0, 0, 0, 0, 0x01}};
            id = *stack.add_interface(c, device);
            check(stack.add_address(id, {a(10, 0, 0, 1), 24}, Instant{}).has_value());
            check(stack.add_address(id, Ipv6Cidr{a6(0, 1), 64}, Instant{}).has_value());
        }
        static StackConfig config() {
            StackConfig c;
            c.shard = {1, 2};
            c.ipv6.enabled = true;
            c.ipv6.dad_transmits = 0;
            return c;
        }
        void judge(std::span<const std::byte> frame, Instant now) {
            if (!stack.owned_elsewhere(id, frame)) return;
            const std::uint64_t sent = device.frames();
            const std::uint64_t taken = stack.stats().tcp.rx_segments;
            stack.receive(id, frame, now);
            check(device.frames() == sent);
            check(stack.stats().tcp.rx_segments == taken);
        }
        CheckingDevice device;
        Stack stack;
        InterfaceId id = 0;
    };

    static StackConfig config() {
        StackConfig c;
        c.forwarding = true;
        c.arp.max_entries = kMaxNeighbours;
        c.arp.max_pending_total = 32;
        c.reassembly.max_bytes = 64 * 1024;
        c.reassembly.max_datagrams = 8;
        c.ipv6.enabled = true;
        return c;
    }

    void check_state() {
        const auto next = stack.poll_at();
        if (next) check(*next > clock.now());
        check(stack.neighbours().size() <= kMaxNeighbours);
        const auto info = stack.udp_info(udp);
        check(info.has_value() && info->queued_datagrams <= kQueueDatagrams);
    }

    void act(unsigned action, std::span<const std::byte> frame) {
        const Instant now = clock.now();
        switch (action) {
            case 1: {  // drain the UDP socket
                std::array<std::byte, 128> buffer{};
                while (auto d = stack.udp_receive(udp, buffer))
                    check(d->size <= buffer.size());
                while (stack.ping_receive(ping)) {
                }
                std::vector<SocketEvent> events;
                stack.take_events(events);
                break;
            }
            case 2:  // send the frame's bytes as a datagram to 10.0.0.2 (resolves ARP)
                (void)stack.udp_send_to(udp, frame, {a(10, 0, 0, 2), 7}, now);
                break;
            case 3:  // off-link: through the default gateway, fragmenting at MTU 576
                (void)stack.udp_send_to(udp, frame, {a(192, 0, 2, 1), 7}, now);
                break;
            case 4:
                (void)stack.ping_send(ping, a(10, 0, 0, 2),
                                      static_cast<std::uint16_t>(frame.size()), frame.size() * 8,
                                      now);
                break;
            case 5:
                if (frame.size() % 2 == 0) {
                    (void)stack.set_promiscuous(ids[0], !stack.interfaces()[0].promiscuous);
                } else {  // IPv6: on-link (Neighbor Discovery), or fragmented through the router
                    (void)stack.udp_send_to(udp, frame, {a6(frame.size() % 4 == 1 ? 0 : 9, 2), 7},
                                            now);
                    (void)stack.ping_send(ping, a6(0, 2), static_cast<std::uint16_t>(frame.size()),
                                          frame.size() * 8, now);
                }
                break;
            case 6:
                stack.flush_neighbours();
                break;
            default:
                break;
        }
    }

    ManualClock clock;
    std::array<CheckingDevice, 2> devices;
    Stack stack;
    std::array<InterfaceId, 2> ids{};
    SocketId udp = 0;
    SocketId ping = 0;
    Steering steering;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Rig rig;
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    std::size_t at = 0;
    for (std::size_t records = 0; at < size && records < 256; ++records) {
        const unsigned control = data[at++];
        std::size_t length = 0;
        if (at + 2 <= size) {
            length = std::size_t{data[at]} << 8 | data[at + 1];
            at += 2;
        }
        length = std::min(length, size - at);
        const std::span<const std::byte> frame(bytes + at, length);
        at += length;

        rig.clock.advance(kSteps[(control >> 1) & 7]);
        rig.stack.receive(rig.ids[control & 1], frame, rig.clock.now());
        rig.steering.judge(frame, rig.clock.now());
        rig.act(control >> 5, frame);
        if (control & 0x10) rig.stack.poll(rig.clock.now());
        if (control & 0x10) rig.check_state();
    }
    // Let every timer run out: ARP retries, reassembly timeouts, neighbour ageing.
    for (int i = 0; i < 8; ++i) {
        rig.clock.advance(61s);
        rig.stack.poll(rig.clock.now());
        rig.check_state();
    }
    return 0;
}
