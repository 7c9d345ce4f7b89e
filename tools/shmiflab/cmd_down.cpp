// shmiflab down LAB: stop every node (and the kernel nodes' shmiftaps, deleting their
// namespaces), then the links and captures; remove buses, sockets and configs, keep the logs
// and captures.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "bus_tools.hpp"
#include "commands.hpp"
#include "kernel_node.hpp"
#include "lab_dir.hpp"
#include "teardown.hpp"

namespace shmiflab {

int run_down(const Common& args) {
    auto lab = find_lab(args.lab, args.base);
    if (!lab) return report(exit_failure, lab.error());
    if (auto denied = kernel_privilege_error(lab->topology, effective_capabilities()))
        return report(exit_failure, *denied);
    std::vector<pid_t> pids;
    std::set<std::string> nodes;  // a kernel node runs one shmiftap per interface
    for (const auto& node : running_nodes(*lab)) {
        pids.push_back(node.pid);
        nodes.insert(node.name);
    }
    const auto tools = running_bus_tools(*lab);
    const auto links =
        std::ranges::count(tools, ToolKind::link, [](const RunningTool& r) { return r.tool.kind; });
    const auto left = teardown(*lab, pids);
    if (!left.empty())
        return report(exit_failure, fmt::format("lab {}: {} process(es) would not die (pid {})",
                                                lab->topology.name, left.size(), left.front()));
    // A lab without links or captures says what it always said.
    const auto tools_stopped = tools.empty() ? ""
                                             : fmt::format(", then {} link(s) and {} capture(s)",
                                                           links, std::ssize(tools) - links);
    fmt::print("lab {} down: {} node(s) stopped{}; logs{} kept in {}\n", lab->topology.name,
               nodes.size(), tools_stopped, lab->topology.captures.empty() ? "" : " and captures",
               lab->dir.path);
    return exit_ok;
}

}  // namespace shmiflab
