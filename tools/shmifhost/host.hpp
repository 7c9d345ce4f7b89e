// One userspace stack on one bus interface, driven by a plain loop: the core every shmifhost
// mode shares. Owns the bus mapping, the BusDevice, the Stack and the BusPort that feeds it.
//
// The loop (step): wait on the bus cursor no longer than the stack's next timer (poll_at)
// and the caller's deadline, hand what came to the stack (BusPort, which flushes replies),
// then run due timers with steady_clock's now, then deliver socket events to whoever
// watches the socket (the services), then flush what they sent. The stack itself never reads
// a clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "netstack/address.hpp"
#include "netstack/bus_device.hpp"
#include "netstack/stack.hpp"
#include "services/watch_table.hpp"
#include "shmif/bus.hpp"

namespace shmifhost {

struct HostConfig {
    std::string bus;
    bool create_bus = false;
    std::string name = "eth0";
    netstack::IpCidr address;  // IPv4 or IPv6 (IPv6 is on: a link-local address too)
    std::optional<netstack::IpAddress> gateway;  // of the address's family
    netstack::MacAddress mac;                    // zero: derived from the seed
    // IP MTU. 1500 by default, as an Ethernet NIC (and a TAP) has: large datagrams fragment
    // as they would on a real segment. 0: as large as the bus carries (at most 65,535).
    std::size_t mtu = 1500;
    std::uint64_t seed = 0;  // 0: random
    // TCP connections the stack may hold, TIME-WAIT included (0: the stack's default, 16,384).
    std::size_t tcp_max_connections = 0;
};

class Host {
  public:
    // One line "what: why" on failure (bus unreadable, address refused, ...).
    static std::expected<std::unique_ptr<Host>, std::string> open(const HostConfig& config);

    // Runs the loop once: waits up to `max_wait` (also bounded by the next stack timer) for
    // frames, handles them and due timers. Returns frames handed to the stack.
    std::size_t step(std::chrono::nanoseconds max_wait);
    // Steps until `deadline` (or until `done()` holds, checked after every step).
    template <typename Done>
    void run_until(netstack::Instant deadline, Done done) {
        while (!done()) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) break;
            step(deadline - now);
        }
    }
    // Pushes frames the stack queued outside receive()/poll() (socket sends) onto the bus.
    void flush() { device_->flush(); }

    // Socket readiness, delivered by step().
    services::SocketWatcher& watches() { return watches_; }

    netstack::Stack& stack() { return *stack_; }
    netstack::InterfaceId interface() const { return interface_; }
    const netstack::BusDevice& device() const { return *device_; }
    const netstack::BusPort& port() const { return *port_; }
    const netstack::StackStats& stack_stats() const { return stack_->stats(); }
    const shmif::CursorStats& cursor_stats() const { return port_->cursor().stats(); }
    const HostConfig& config() const { return config_; }
    netstack::MacAddress mac() const;

  private:
    Host() = default;
    HostConfig config_;
    std::optional<shmif::Bus> bus_;
    std::unique_ptr<netstack::BusDevice> device_;
    std::unique_ptr<netstack::Stack> stack_;
    std::unique_ptr<netstack::BusPort> port_;
    netstack::InterfaceId interface_ = 0;
    services::WatchTable watches_;
};

// Every stack, device and cursor counter, one group per line, for --stats.
std::string stats_report(const Host& host);

}  // namespace shmifhost
