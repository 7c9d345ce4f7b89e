// udp-send: `count` datagrams to one endpoint. The first waits in the stack for ARP (or
// Neighbor Discovery); the
// rest go once the next hop is resolved, so none is lost to the stack's pending-packet limit.
#include <fmt/format.h>

#include <cstdio>

#include "exit_status.hpp"
#include "modes.hpp"
#include "stop_signals.hpp"

namespace shmifhost {
namespace {

using Clock = std::chrono::steady_clock;

// The neighbour the datagram goes to: the gateway, or the destination when on-link.
std::optional<netstack::IpAddress> next_hop(const netstack::Stack& stack,
                                            const netstack::IpAddress& to) {
    if (to.is_v4()) {
        const auto route = stack.lookup_route(to.v4());
        if (!route) return std::nullopt;
        return route->gateway ? netstack::IpAddress(*route->gateway) : to;
    }
    const auto route = stack.lookup_route(to.v6());
    if (!route) return std::nullopt;
    return route->gateway ? netstack::IpAddress(*route->gateway) : to;
}

std::optional<netstack::NeighbourState> neighbour_state(const netstack::Stack& stack,
                                                        const netstack::IpAddress& address) {
    for (const auto& n : stack.neighbours())
        if (n.address == address) return n.state;
    return std::nullopt;
}

}  // namespace

int udp_send(Host& host, const UdpSendOptions& o) {
    auto& stack = host.stack();
    const std::string to = o.to.to_string();
    const auto& own = host.config().address;
    // Broadcasts and groups need no neighbour.
    const bool broadcast = o.to.address.is_multicast() ||
                           (o.to.address.is_v4() && o.to.address.v4().is_broadcast()) ||
                           (own.is_v4() && own.v4().has_broadcast() &&
                            o.to.address == netstack::IpAddress(own.v4().directed_broadcast()));
    const auto hop = next_hop(stack, o.to.address);
    if (!hop && !broadcast) {
        fmt::print(stderr, "shmifhost: {}: no route\n", to);
        return shmif::tool::exit_failure;
    }
    auto sock = stack.udp_open();
    if (!sock) {
        fmt::print(stderr, "shmifhost: udp: {}\n", netstack::describe(sock.error()));
        return shmif::tool::exit_failure;
    }
    if (auto b = stack.udp_bind(*sock, {netstack::IpAddress::any(o.to.family()), o.source_port});
        !b) {
        fmt::print(stderr, "shmifhost: udp port {}: {}\n", o.source_port,
                   netstack::describe(b.error()));
        return shmif::tool::exit_failure;
    }
    const auto payload = std::as_bytes(std::span(o.data));
    for (std::uint64_t i = 0; i < o.count && shmif::tool::stop_requested == 0; ++i) {
        if (auto ok = stack.udp_send_to(*sock, payload, o.to, Clock::now()); !ok) {
            fmt::print(stderr, "shmifhost: {}: {}\n", to, netstack::describe(ok.error()));
            return shmif::tool::exit_failure;
        }
        host.flush();
        if (broadcast) continue;
        // Wait (bounded) until the next hop answers before sending more.
        const auto deadline =
            Clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(o.resolve_timeout);
        bool failed = false;
        host.run_until(deadline, [&] {
            const auto state = neighbour_state(stack, *hop);
            failed = state == netstack::NeighbourState::failed;
            // Resolved: any state with a MAC (reachable, or stale/delay/probe when learnt
            // from the peer's own request).
            return failed || (state && state != netstack::NeighbourState::incomplete) ||
                   shmif::tool::stop_requested != 0;
        });
        const auto state = neighbour_state(stack, *hop);
        if (failed || !state || *state == netstack::NeighbourState::failed ||
            *state == netstack::NeighbourState::incomplete) {
            fmt::print(stderr, "shmifhost: {}: next hop {} did not answer {}\n", to,
                       hop->to_string(), hop->is_v4() ? "ARP" : "Neighbor Discovery");
            return shmif::tool::exit_failure;
        }
    }
    // A last step: frames still batched leave, and an ARP request for us gets its answer.
    host.step(std::chrono::milliseconds(0));
    return shmif::tool::exit_ok;
}

}  // namespace shmifhost
