// A stack on MemoryDevices with a ManualClock: the fixture most netstack tests start from.
// Interface "eth0" (our_mac, 10.0.0.1/24) is there from the start unless asked otherwise;
// what setup transmitted (gratuitous ARP) is cleared so every test sees only its own frames.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netstack/memory_device.hpp"
#include "netstack/stack.hpp"
#include "netstack/time.hpp"
#include "packets.hpp"

namespace nstest {

using namespace netstack;
using namespace std::chrono_literals;

inline Ipv4Cidr cidr(Ipv4Address a, std::uint8_t len) {
    return {a, len};
}

class Harness {
  public:
    explicit Harness(StackConfig config = {}, bool with_eth0 = true);

    ManualClock clock;
    Stack stack;
    InterfaceId eth0 = 0;

    Instant now() const { return clock.now(); }
    // Adds an interface on its own MemoryDevice, with an address when given; clears what
    // adding it transmitted.
    InterfaceId add_interface(InterfaceConfig config, std::optional<Ipv4Cidr> address,
                              std::size_t max_frame = MemoryDevice::ethernet_max_frame);
    MemoryDevice& device(InterfaceId id);
    MemoryDevice& device() { return device(eth0); }

    void inject(const Bytes& frame, InterfaceId id) { stack.receive(id, frame, now()); }
    void inject(const Bytes& frame) { inject(frame, eth0); }
    void inject_all(const std::vector<Bytes>& frames, InterfaceId id);
    // Everything transmitted on the interface since the last call, parsed (a frame that does
    // not parse fails the test).
    std::vector<Parsed> sent(InterfaceId id);
    std::vector<Parsed> sent() { return sent(eth0); }
    void clear_sent();

    // Moves time on and runs the stack's timers.
    void advance(Duration d);
    // Teaches the stack a neighbour as RFC 826 does: an ARP request from it for our address
    // on that interface. The reply is discarded.
    void learn(MacAddress mac, Ipv4Address address, InterfaceId id);
    void learn_peer() { learn(peer_mac, peer_ip, eth0); }

    const StackStats& stats() const { return stack.stats(); }

  private:
    std::map<InterfaceId, std::unique_ptr<MemoryDevice>> devices_;
    std::map<InterfaceId, Ipv4Address> own_address_;
};

// The frames of `frames` that are IPv4 (with `protocol` if non-zero).
std::vector<Parsed> ip_frames(const std::vector<Parsed>& frames, std::uint8_t protocol = 0);
std::vector<Parsed> arp_frames(const std::vector<Parsed>& frames, std::uint16_t op = 0);
std::vector<Parsed> icmp_frames(const std::vector<Parsed>& frames, std::uint8_t type);

InterfaceConfig interface_config(const std::string& name, MacAddress mac);

// Several stacks on simulated links: in 1 ms steps of `clock`, `deliver(now)` moves the
// frames on the links, then `poll(now)` runs the stacks' timers, until `done()` or `limit`.
template <typename Deliver, typename Poll, typename Done>
bool run_simulated(ManualClock& clock, Deliver deliver, Poll poll, Done done, Duration limit) {
    const Instant end = clock.now() + limit;
    while (clock.now() < end) {
        deliver(clock.now());
        if (done()) return true;
        clock.advance(1ms);
        poll(clock.now());
    }
    return done();
}

}  // namespace nstest
