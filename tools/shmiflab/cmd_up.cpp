// shmiflab up FILE: buses, one shmifd per node, wait for every control socket, print the
// nodes. All or nothing: a failure stops what was started and removes the buses.
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bus_tools.hpp"
#include "bus_tools_status.hpp"
#include "commands.hpp"
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

void print_table(const Lab& lab, const std::vector<Started>& started) {
    struct Row {
        std::string node, pid, itf, bus, addresses;
    };
    std::vector<Row> rows{{"NODE", "PID", "IF", "BUS", "ADDRESSES"}};
    for (std::size_t n = 0; n < lab.topology.nodes.size(); ++n) {
        const auto& node = lab.topology.nodes[n];
        for (std::size_t i = 0; i < node.interfaces.size(); ++i) {
            std::string addresses;
            for (const auto& a : node.interfaces[i].addresses)
                addresses += (addresses.empty() ? "" : " ") + a.to_string();
            rows.push_back({i == 0 ? node.name : "", i == 0 ? std::to_string(started[n].pid) : "",
                            "eth" + std::to_string(i), node.interfaces[i].bus, addresses});
        }
    }
    std::size_t w[4] = {};
    for (const auto& r : rows) {
        w[0] = std::max(w[0], r.node.size());
        w[1] = std::max(w[1], r.pid.size());
        w[2] = std::max(w[2], r.itf.size());
        w[3] = std::max(w[3], r.bus.size());
    }
    fmt::print("lab {} up in {}\n", lab.topology.name, lab.dir.path);
    for (const auto& r : rows)
        fmt::print("{:<{}}  {:>{}}  {:<{}}  {:<{}}  {}\n", r.node, w[0], r.pid, w[1], r.itf, w[2],
                   r.bus, w[3], r.addresses);
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
    auto shmifd = find_shmifd(args.shmifd);
    if (!shmifd) return report(exit_usage, shmifd.error());
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
        return report(exit_failure,
                      fmt::format("{}: {}; everything started was stopped, buses removed. The "
                                  "end of {}:\n{}",
                                  what, failure.why, log, tail_of(log, 10)));
    }
    print_table(lab, started);
    print_bus_tool_rows(link_rows(lab), capture_rows(lab));
    fmt::print("ready in {} ms\n", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - began)
                                       .count());
    return exit_ok;
}

}  // namespace shmiflab
