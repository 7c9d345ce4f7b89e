// serve: the stack answers ARP and echo requests by itself; here only the UDP ports.
#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "exit_status.hpp"
#include "modes.hpp"
#include "services/service_host.hpp"
#include "stop_signals.hpp"

namespace shmifhost {
namespace {

// Datagram text for one output line: one trailing newline dropped (socat and echo add it),
// other control bytes and non-ASCII escaped as \xNN so a line stays a line.
std::string printable(std::span<const std::byte> data) {
    if (!data.empty() && data.back() == std::byte{'\n'}) data = data.first(data.size() - 1);
    std::string out;
    out.reserve(data.size());
    for (const auto b : data) {
        const auto c = std::to_integer<unsigned char>(b);
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out.push_back(static_cast<char>(c));
        else
            out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

std::optional<netstack::SocketId> open_udp(Host& host, std::uint16_t port) {
    auto& stack = host.stack();
    auto s = stack.udp_open();
    if (!s) return std::nullopt;
    if (auto bound = stack.udp_bind(*s, {netstack::Ipv6Address::any(), port});
        !bound) {  // both families
        fmt::print(stderr, "shmifhost: udp port {}: {}\n", port, netstack::describe(bound.error()));
        return std::nullopt;
    }
    return *s;
}

}  // namespace

int serve(Host& host, const ServeOptions& options) {
    auto& stack = host.stack();
    std::optional<netstack::SocketId> echo, sink;
    if (options.udp_echo && !(echo = open_udp(host, *options.udp_echo)))
        return shmif::tool::exit_failure;
    if (options.udp_sink && !(sink = open_udp(host, *options.udp_sink)))
        return shmif::tool::exit_failure;
    services::ServiceHost services(host.stack(), host.watches(),
                                   [] { return std::chrono::steady_clock::now(); });
    for (const auto& spec : options.services) {
        if (auto added = services.add(spec); !added) {
            fmt::print(stderr, "shmifhost: {}\n", added.error());
            return shmif::tool::exit_failure;
        }
    }
    const auto start = std::chrono::steady_clock::now();
    const auto deadline =
        options.duration
            ? start + std::chrono::duration_cast<std::chrono::nanoseconds>(*options.duration)
            : netstack::Instant::max();
    std::vector<std::byte> buffer(65536);
    while (shmif::tool::stop_requested == 0) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) break;
        host.step(deadline - now);
        if (echo) {
            for (int i = 0; i < 1024; ++i) {  // bounded: the rest waits for the next step
                auto d = stack.udp_receive(*echo, buffer);
                if (!d) break;
                (void)stack.udp_send_to(*echo, std::span(buffer).first(d->size), d->from,
                                        std::chrono::steady_clock::now());
            }
            host.flush();
        }
        if (sink) {
            for (int i = 0; i < 1024; ++i) {
                auto d = stack.udp_receive(*sink, buffer);
                if (!d) break;
                fmt::print("{} {}\n", d->from.to_string(),
                           printable(std::span(buffer).first(d->size)));
                std::fflush(stdout);
            }
        }
    }
    for (const auto& [spec, c] : services.list())
        fmt::print(stderr,
                   "service {}: connections={} active={} bytes_received={} bytes_sent={} "
                   "datagrams={} requests={} errors={}\n",
                   spec.to_string(), c.connections, c.active, c.bytes_received, c.bytes_sent,
                   c.datagrams, c.requests, c.errors);
    return shmif::tool::exit_ok;
}

}  // namespace shmifhost
