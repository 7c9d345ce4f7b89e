// shmiflab ping-all LAB: every node pings, from its own stack (a shmifd through its control
// socket, the kernel with ping in its namespace), every address of every other node it
// should reach; a matrix, exit 1 on any miss.
#include <fmt/format.h>

#include <thread>

#include "commands.hpp"
#include "kernel_node.hpp"
#include "lab_dir.hpp"
#include "node_control.hpp"
#include "reachability.hpp"

namespace shmiflab {

namespace {

struct Outcome {
    Probe probe;
    bool replied = false;
    std::string error;  // when the request itself failed
};

// One echo request from `node`: answered or not; an error when it could not be sent.
std::expected<bool, std::string> echo(const Lab& lab, const Node& node,
                                      netstack::Ipv4Address address, int timeout_ms) {
    if (node.kind == NodeKind::kernel) return kernel_ping(lab, node, address, timeout_ms);
    auto reply =
        node_call(lab.dir.socket(node.name), "ping",
                  {{"addr", address.to_string()}, {"count", 1}, {"timeout_ms", timeout_ms}},
                  std::chrono::milliseconds(timeout_ms + 5000));
    if (!reply) return std::unexpected(reply.error());
    return reply->value("received", 0) > 0;
}

// Up to `attempts` echo requests: the first may be spent resolving neighbours along the way,
// and a lossy link may drop any.
Outcome ping(const Lab& lab, const Probe& probe, int timeout_ms, int attempts) {
    Outcome out{.probe = probe, .replied = false, .error = {}};
    for (int attempt = 0; attempt < attempts && !out.replied; ++attempt) {
        auto replied = echo(lab, lab.topology.nodes[probe.from], probe.address, timeout_ms);
        if (!replied) {
            out.error = replied.error();
            return out;
        }
        out.replied = *replied;
    }
    return out;
}

}  // namespace

int run_ping_all(const PingAllArgs& args) {
    auto found = find_lab(args.common.lab, args.common.base);
    if (!found) return report(exit_failure, found.error());
    const Lab& lab = *found;
    const auto& nodes = lab.topology.nodes;

    // One thread per pinging node, each writing only its own slot.
    std::vector<std::vector<Outcome>> results(nodes.size());
    {
        std::vector<std::jthread> threads;
        for (std::size_t from = 0; from < nodes.size(); ++from)
            threads.emplace_back([&, from] {
                for (const auto& probe : expected_probes(lab.topology, from))
                    results[from].push_back(ping(lab, probe, args.timeout_ms, args.attempts));
            });
    }

    // Cells: replies/pings from the row's node to the column's addresses; "-" none expected.
    std::size_t width = 4;
    for (const auto& n : nodes)
        width = std::max(width, n.name.size());
    fmt::print("{:<{}}", "FROM\\TO", width + 2);
    for (const auto& n : nodes)
        fmt::print("  {:>{}}", n.name, width);
    fmt::print("\n");
    std::vector<std::string> misses;
    for (std::size_t from = 0; from < nodes.size(); ++from) {
        fmt::print("{:<{}}", nodes[from].name, width + 2);
        for (std::size_t to = 0; to < nodes.size(); ++to) {
            int sent = 0, ok = 0;
            for (const auto& r : results[from])
                if (r.probe.to == to) {
                    ++sent;
                    ok += r.replied ? 1 : 0;
                }
            fmt::print("  {:>{}}", sent == 0 ? "-" : fmt::format("{}/{}", ok, sent), width);
        }
        fmt::print("\n");
        for (const auto& r : results[from])
            if (!r.replied)
                misses.push_back(fmt::format("{} -> {} ({}): {}", nodes[from].name,
                                             r.probe.address.to_string(), nodes[r.probe.to].name,
                                             r.error.empty() ? "no reply" : r.error));
    }
    std::size_t total = 0;
    for (const auto& r : results)
        total += r.size();
    for (const auto& m : misses)
        fmt::print("MISS {}\n", m);
    fmt::print("{} of {} addresses answered\n", total - misses.size(), total);
    return misses.empty() ? exit_ok : exit_failure;
}

}  // namespace shmiflab
