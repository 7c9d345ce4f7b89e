// ping: echo requests at an interval, replies printed as ping(8) prints them, a summary
// at the end (also on SIGINT/SIGTERM). Exit 0 when any reply came, 1 when none did.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "exit_status.hpp"
#include "modes.hpp"
#include "stop_signals.hpp"

namespace shmifhost {
namespace {

using Clock = std::chrono::steady_clock;

double ms(std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

constexpr std::size_t kIpv4Header = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kIcmpHeader = 8;  // ICMP and ICMPv6 alike

}  // namespace

int ping(Host& host, const PingOptions& o) {
    auto& stack = host.stack();
    auto sock = stack.ping_open();
    if (!sock) {
        fmt::print(stderr, "shmifhost: ping: {}\n", netstack::describe(sock.error()));
        return shmif::tool::exit_failure;
    }
    const std::string to = o.to.to_string();
    fmt::print("PING {} ({}) {}({}) bytes of data.\n", to, to, o.size,
               o.size + kIcmpHeader + (o.to.is_v4() ? kIpv4Header : kIpv6Header));
    std::fflush(stdout);

    const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(o.interval);
    const auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(o.timeout);
    std::map<std::uint16_t, netstack::Instant> sent_at;  // seq -> when
    std::vector<double> rtts;
    std::uint64_t sent = 0, received = 0, duplicates = 0, corrupted = 0, errors = 0;
    std::vector<bool> seen(65536, false);
    const auto start = Clock::now();
    auto next_send = start;
    netstack::Instant last_send{};

    auto drain_replies = [&] {
        for (int i = 0; i < 4096; ++i) {
            auto reply = stack.ping_receive(*sock);
            if (!reply) break;
            const auto it = sent_at.find(reply->seq);
            if (it == sent_at.end()) continue;  // not one of ours (a late wrap-around)
            const double rtt = ms(reply->received - it->second);
            const bool dup = seen[reply->seq];
            seen[reply->seq] = true;
            if (dup)
                ++duplicates;
            else {
                ++received;
                rtts.push_back(rtt);
            }
            if (!reply->payload_ok) ++corrupted;
            if (!o.quiet)
                fmt::print("{} bytes from {}: icmp_seq={} ttl={} time={:.3f} ms{}{}\n",
                           reply->payload_size + kIcmpHeader, reply->from.to_string(), reply->seq,
                           reply->ttl, rtt, dup ? " (DUP!)" : "",
                           reply->payload_ok ? "" : " (BAD PAYLOAD)");
        }
        if (auto err = stack.take_error(*sock)) {
            ++errors;
            if (!o.quiet)
                fmt::print("From {}: icmp type {} code {}\n", err->from.to_string(), err->type,
                           err->code);
        }
        std::fflush(stdout);
    };

    while (shmif::tool::stop_requested == 0) {
        const auto now = Clock::now();
        const bool all_sent = o.count != 0 && sent >= o.count;
        if (!all_sent && now >= next_send) {
            const auto seq = static_cast<std::uint16_t>(sent + 1);
            if (auto ok = stack.ping_send(*sock, o.to, seq, o.size, now); !ok) {
                fmt::print(stderr, "shmifhost: ping {}: {}\n", to, netstack::describe(ok.error()));
                return shmif::tool::exit_failure;
            }
            host.flush();
            sent_at[seq] = now;
            seen[seq] = false;
            ++sent;
            last_send = now;
            next_send += interval;
            continue;
        }
        if (all_sent && (received >= sent || now >= last_send + timeout)) break;
        const auto until = all_sent ? last_send + timeout : next_send;
        host.step(std::max<std::chrono::nanoseconds>(until - now, std::chrono::nanoseconds(0)));
        drain_replies();
    }
    drain_replies();

    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    fmt::print("\n--- {} ping statistics ---\n", to);
    std::string line = fmt::format("{} packets transmitted, {} received", sent, received);
    if (duplicates > 0) line += fmt::format(", +{} duplicates", duplicates);
    if (corrupted > 0) line += fmt::format(", +{} corrupted", corrupted);
    if (errors > 0) line += fmt::format(", +{} errors", errors);
    const double loss =
        sent == 0 ? 0.0 : 100.0 * static_cast<double>(sent - received) / static_cast<double>(sent);
    line += fmt::format(", {:g}% packet loss, time {}ms", loss, elapsed.count());
    fmt::print("{}\n", line);
    if (!rtts.empty()) {
        double sum = 0, sum2 = 0;
        for (const double r : rtts) {
            sum += r;
            sum2 += r * r;
        }
        const double n = static_cast<double>(rtts.size());
        const double avg = sum / n;
        const double mdev = std::sqrt(std::max(0.0, sum2 / n - avg * avg));
        fmt::print("rtt min/avg/max/mdev = {:.3f}/{:.3f}/{:.3f}/{:.3f} ms\n",
                   *std::min_element(rtts.begin(), rtts.end()), avg,
                   *std::max_element(rtts.begin(), rtts.end()), mdev);
    }
    std::fflush(stdout);
    return received > 0 ? shmif::tool::exit_ok : shmif::tool::exit_failure;
}

}  // namespace shmifhost
