// shmiflab up FILE: buses, one shmifd per node, wait for every control socket, then the
// kernel nodes (namespace, shmiftaps, addresses, routes), print the nodes. All or nothing: a
// failure stops what was started and removes the buses and namespaces.
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bus_tools.hpp"
#include "bus_tools_status.hpp"
#include "commands.hpp"
#include "kernel_node.hpp"
#include "lab_dir.hpp"
#include "node_config.hpp"
#include "node_control.hpp"
#include "processes.hpp"
#include "shmif/bus.hpp"
#include "shmifd_path.hpp"
#include "teardown.hpp"

namespace shmiflab {

namespace {

using namespace std::chrono_literals;

struct Started {
    std::string node;
    pid_t pid;
};

// Why `up` gives up: which node (if one) and what happened.
struct Failure {
    std::string node;
    std::string why;
    std::string what = {};  // what failed, if not the node: "link A - B"
    std::string log = {};   // its log, if not the node's
};

std::expected<void, Failure> create_buses(const Lab& lab) {
    for (const auto& bus : lab.topology.buses) {
        shmif::CreateOptions options{.format = bus.format, .size = bus.size, .exclusive = true};
        auto created = shmif::Bus::create(lab.dir.bus(bus.name), options);
        if (!created)
            return std::unexpected(Failure{"", "bus " + bus.name + ": " + lab.dir.bus(bus.name) +
                                                   ": " + shmif::describe(created.error())});
    }
    return {};
}

std::expected<void, Failure> start_nodes(const Lab& lab, const std::string& shmifd,
                                         std::vector<Started>& started) {
    for (const auto& node : lab.topology.nodes) {
        if (node.kind == NodeKind::kernel) continue;  // start_kernel_nodes
        const auto config = lab.dir.config(node.name);
        std::ofstream(config, std::ios::trunc) << node_config(lab.topology, node, lab.dir);
        auto pid = start_detached({shmifd, "--config", config}, lab.dir.log(node.name));
        if (!pid) return std::unexpected(Failure{node.name, pid.error()});
        started.push_back({node.name, *pid});
        if (!write_pid_file(lab.dir.pid(node.name), *pid))
            return std::unexpected(Failure{node.name, "cannot write " + lab.dir.pid(node.name)});
    }
    return {};
}

// Until every node answers `version`, one dies, or the time is up.
std::expected<void, Failure> wait_ready(const Lab& lab, std::vector<Started> pending,
                                        std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last_error;
    while (!pending.empty()) {
        for (auto it = pending.begin(); it != pending.end();) {
            if (!alive(it->pid))
                return std::unexpected(
                    Failure{it->node, "shmifd exited before its control socket answered"});
            auto reply =
                node_call(lab.dir.socket(it->node), "version", nlohmann::json::object(), 200ms);
            if (reply) {
                it = pending.erase(it);
            } else {
                last_error = reply.error();
                ++it;
            }
        }
        if (pending.empty()) break;
        if (std::chrono::steady_clock::now() >= deadline)
            return std::unexpected(Failure{
                pending.front().node, fmt::format("no answer on its control socket within {} ms "
                                                  "({})",
                                                  timeout.count(), last_error)});
        std::this_thread::sleep_for(20ms);
    }
    return {};
}

// The kernel nodes, each in its namespace, after the shmifd nodes answered.
std::expected<void, Failure> start_kernel_nodes(const Lab& lab, const std::string& shmiftap,
                                                std::chrono::milliseconds timeout) {
    for (const auto& node : lab.topology.nodes)
        if (node.kind == NodeKind::kernel)
            if (auto started = start_kernel_node(lab, node, shmiftap, timeout); !started)
                return std::unexpected(Failure{node.name, started.error()});
    return {};
}

// One row per interface; a kernel node's PID is that interface's shmiftap.
void print_table(const Lab& lab) {
    struct Row {
        std::string node, kind, pid, itf, bus, addresses;
    };
    const auto pid_text = [](std::optional<pid_t> pid) { return pid ? std::to_string(*pid) : "-"; };
    std::vector<Row> rows{{"NODE", "KIND", "PID", "IF", "BUS", "ADDRESSES"}};
    for (const auto& node : lab.topology.nodes) {
        const bool kernel = node.kind == NodeKind::kernel;
        for (std::size_t i = 0; i < node.interfaces.size(); ++i) {
            std::string addresses;
            for (const auto& a : node.interfaces[i].addresses)
                addresses += (addresses.empty() ? "" : " ") + a.to_string();
            std::string pid;
            if (kernel)
                pid = pid_text(read_pid_file(tap_pid_file(lab.dir, node.name, i)));
            else if (i == 0)
                pid = pid_text(read_pid_file(lab.dir.pid(node.name)));
            rows.push_back({i == 0 ? node.name : "", i == 0 ? (kernel ? "kernel" : "shmifd") : "",
                            pid, "eth" + std::to_string(i), node.interfaces[i].bus, addresses});
        }
    }
    std::size_t w[5] = {};
    for (const auto& r : rows) {
        w[0] = std::max(w[0], r.node.size());
        w[1] = std::max(w[1], r.kind.size());
        w[2] = std::max(w[2], r.pid.size());
        w[3] = std::max(w[3], r.itf.size());
        w[4] = std::max(w[4], r.bus.size());
    }
    fmt::print("lab {} up in {}\n", lab.topology.name, lab.dir.path);
    for (const auto& r : rows)
        fmt::print("{:<{}}  {:<{}}  {:>{}}  {:<{}}  {:<{}}  {}\n", r.node, w[0], r.kind, w[1],
                   r.pid, w[2], r.itf, w[3], r.bus, w[4], r.addresses);
    for (const auto& node : lab.topology.nodes)
        if (node.kind == NodeKind::kernel)
            fmt::print("kernel node {}: network namespace {} (ip netns exec {} COMMAND)\n",
                       node.name, netns_name(lab.topology.name, node.name),
                       netns_name(lab.topology.name, node.name));
}

}  // namespace

int run_up(const UpArgs& args) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(args.common.lab, ec))
        return report(exit_usage, args.common.lab + ": no such topology file");
    auto topology = load_topology(args.common.lab);
    if (!topology) return report(exit_usage, topology.error());
    LabDir dir{args.common.base + "/" + topology->name};
    const Lab lab{std::move(*topology), std::move(dir)};
    if (auto denied = kernel_privilege_error(lab.topology, effective_capabilities()))
        return report(exit_failure, *denied + "; nothing started");
    auto shmifd = find_shmifd(args.shmifd);
    if (!shmifd) return report(exit_usage, shmifd.error());
    std::string shmiftap;
    if (lab.topology.has_kernel_nodes()) {
        auto found = find_shmiftap(args.shmiftap);
        if (!found) return report(exit_usage, found.error());
        shmiftap = *found;
    }
    auto tool_programs = find_tool_programs(lab.topology);
    if (!tool_programs) return report(exit_usage, tool_programs.error());

    // A lab of that name that ran before, as its lab.toml says, and what it left behind.
    if (auto before = find_lab(lab.topology.name, args.common.base)) {
        if (auto running = running_nodes(*before); !running.empty())
            return report(
                exit_failure,
                fmt::format("lab {} is already running in {} (node {}, pid {})", lab.topology.name,
                            lab.dir.path, running.front().name, running.front().pid));
        if (auto running = running_bus_tools(*before); !running.empty())
            return report(
                exit_failure,
                fmt::format("lab {} is already running in {} ({}, pid {})", lab.topology.name,
                            lab.dir.path, describe(before->topology, running.front().tool),
                            running.front().pid));
        teardown(*before, {});
    }
    // A namespace no stopped lab of this name accounts for is someone else's: left alone.
    if (auto taken = existing_namespaces(lab); !taken.empty())
        return report(
            exit_failure,
            fmt::format("network namespace {} exists already and lab {} in {} did not "
                        "leave it; remove it with `ip netns delete {}`; nothing started",
                        taken.front(), lab.topology.name, args.common.base, taken.front()));
    // Only the files a lab makes go, never the whole directory; old logs too.
    teardown(lab, {});
    for (const auto& node : lab.topology.nodes)
        std::filesystem::remove(lab.dir.log(node.name), ec);
    std::filesystem::create_directories(lab.dir.path, ec);
    if (ec) return report(exit_failure, lab.dir.path + ": " + ec.message());
    std::filesystem::copy_file(args.common.lab, lab.dir.topology(), ec);
    if (ec) return report(exit_failure, lab.dir.topology() + ": " + ec.message());

    const auto began = std::chrono::steady_clock::now();
    const auto timeout = std::chrono::milliseconds(static_cast<long>(args.timeout_s * 1000));
    std::vector<Started> started;
    auto outcome = create_buses(lab);
    // Links and captures before the nodes: a capture holds the lab's first frames.
    if (outcome)
        if (auto tools = start_bus_tools(lab, *tool_programs, timeout); !tools)
            outcome = std::unexpected(Failure{"", tools.error().why,
                                              describe(lab.topology, tools.error().tool),
                                              lab.dir.log(tools.error().tool.id)});
    if (outcome) outcome = start_nodes(lab, *shmifd, started);
    if (outcome) outcome = wait_ready(lab, started, timeout);
    if (outcome) outcome = start_kernel_nodes(lab, shmiftap, timeout);
    if (!outcome) {
        std::vector<pid_t> pids;
        for (const auto& s : started)
            pids.push_back(s.pid);
        teardown(lab, pids);
        const auto& failure = outcome.error();
        if (failure.node.empty() && failure.what.empty())
            return report(exit_failure, failure.why + "; nothing started");
        const auto what = failure.what.empty() ? "node " + failure.node : failure.what;
        const auto log = failure.log.empty() ? lab.dir.log(failure.node) : failure.log;
        return report(
            exit_failure,
            fmt::format("{}: {}; everything started was stopped, buses {}removed. The "
                        "end of {}:\n{}",
                        what, failure.why, lab.topology.has_kernel_nodes() ? "and namespaces " : "",
                        log, tail_of(log, 10)));
    }
    print_table(lab);
    print_bus_tool_rows(link_rows(lab), capture_rows(lab));
    fmt::print("ready in {} ms\n", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - began)
                                       .count());
    return exit_ok;
}

}  // namespace shmiflab
