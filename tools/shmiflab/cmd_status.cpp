// shmiflab status LAB [--json]: nodes (pid, running; a kernel node's namespace and
// shmiftaps), buses (frames written), links and captures (pid, running; a capture's bytes so
// far).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bus_tools_status.hpp"
#include "commands.hpp"
#include "kernel_node.hpp"
#include "lab_dir.hpp"
#include "processes.hpp"
#include "shmif/bus.hpp"
#include "teardown.hpp"

namespace shmiflab {

namespace {

// Running: its namespace exists and every interface's shmiftap runs.
nlohmann::json kernel_node_row(const Lab& lab, const Node& node) {
    const auto state = kernel_node_state(lab, node);
    auto pids = nlohmann::json::array();
    for (const auto& pid : state.taps)
        pids.push_back(pid ? nlohmann::json(*pid) : nlohmann::json(nullptr));
    return {{"name", node.name},
            {"kind", "kernel"},
            {"pid", nullptr},  // one shmiftap per interface instead
            {"socket", nullptr},
            {"netns", state.netns},
            {"netns_exists", state.netns_exists},
            {"shmiftap_pids", pids},
            {"alive", state.running()}};
}

nlohmann::json node_rows(const Lab& lab) {
    auto rows = nlohmann::json::array();
    const auto running = running_nodes(lab);
    for (const auto& node : lab.topology.nodes) {
        if (node.kind == NodeKind::kernel) {
            rows.push_back(kernel_node_row(lab, node));
            continue;
        }
        auto pid = read_pid_file(lab.dir.pid(node.name));
        const bool up =
            std::ranges::any_of(running, [&](const RunningNode& r) { return r.name == node.name; });
        rows.push_back({{"name", node.name},
                        {"kind", "shmifd"},
                        {"pid", pid ? nlohmann::json(*pid) : nlohmann::json(nullptr)},
                        {"alive", up},
                        {"socket", lab.dir.socket(node.name)}});
    }
    return rows;
}

nlohmann::json bus_rows(const Lab& lab) {
    auto rows = nlohmann::json::array();
    for (const auto& spec : lab.topology.buses) {
        nlohmann::json row{{"name", spec.name},
                           {"path", lab.dir.bus(spec.name)},
                           {"format", shmif::format_name(spec.format)},
                           {"frames_written", nullptr},
                           {"frames_held", nullptr}};
        if (auto bus = shmif::Bus::open(lab.dir.bus(spec.name))) {
            const auto info = bus->info();
            // NetBSD's header keeps no totals.
            if (info.format == shmif::Format::native) row["frames_written"] = info.frames_written;
            row["frames_held"] = info.frames_held;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string cell(const nlohmann::json& value) {
    return value.is_null() ? "-" : value.dump();
}

// PID column: a kernel node's shmiftaps "PID,PID".
std::string pid_cell(const nlohmann::json& node) {
    if (!node.contains("shmiftap_pids")) return cell(node["pid"]);
    std::string pids;
    for (const auto& pid : node["shmiftap_pids"])
        pids += (pids.empty() ? "" : ",") + cell(pid);
    return pids.empty() ? "-" : pids;
}

}  // namespace

int run_status(const StatusArgs& args) {
    auto lab = find_lab(args.common.lab, args.common.base);
    if (!lab) return report(exit_failure, lab.error());
    const auto nodes = node_rows(*lab);
    const auto buses = bus_rows(*lab);
    const auto links = link_rows(*lab);
    const auto captures = capture_rows(*lab);
    auto up = [](const nlohmann::json& rows) {
        return std::ranges::all_of(rows,
                                   [](const nlohmann::json& r) { return r["alive"].get<bool>(); });
    };
    const bool all_up = up(nodes) && up(links) && up(captures);
    if (args.json) {
        fmt::print("{}\n", nlohmann::json{{"lab", lab->topology.name},
                                          {"dir", lab->dir.path},
                                          {"nodes", nodes},
                                          {"buses", buses},
                                          {"links", links},
                                          {"captures", captures}}
                               .dump());
    } else {
        std::size_t w = 4;  // the name column fits the longest name
        for (const auto& row : {nodes, buses})
            for (const auto& r : row)
                w = std::max(w, r["name"].get<std::string>().size());
        fmt::print("lab {} in {}\n{:<{}}  {:>8}  {}\n", lab->topology.name, lab->dir.path, "NODE",
                   w, "PID", "STATE");
        for (const auto& n : nodes)
            fmt::print("{:<{}}  {:>8}  {}{}\n", n["name"].get<std::string>(), w, pid_cell(n),
                       n["alive"].get<bool>() ? "running" : "stopped",
                       n.contains("netns")
                           ? fmt::format("  kernel, netns {}{}", n["netns"].get<std::string>(),
                                         n["netns_exists"].get<bool>() ? "" : " (gone)")
                           : "");
        fmt::print("{:<{}}  {:<6}  {:>14}  {:>11}\n", "BUS", w, "FORMAT", "FRAMES_WRITTEN",
                   "FRAMES_HELD");
        for (const auto& b : buses)
            fmt::print("{:<{}}  {:<6}  {:>14}  {:>11}\n", b["name"].get<std::string>(), w,
                       b["format"].get<std::string>(), cell(b["frames_written"]),
                       cell(b["frames_held"]));
        print_bus_tool_rows(links, captures);
    }
    return all_up ? exit_ok : exit_failure;
}

}  // namespace shmiflab
