// shmiflab down LAB: stop every node, remove buses, sockets and configs, delete the kernel
// nodes' namespaces, keep the logs.
#include <fmt/format.h>

#include <set>

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
    const auto left = teardown(*lab, pids);
    if (!left.empty())
        return report(exit_failure, fmt::format("lab {}: {} node(s) would not die (pid {})",
                                                lab->topology.name, left.size(), left.front()));
    fmt::print("lab {} down: {} node(s) stopped; logs kept in {}\n", lab->topology.name,
               nodes.size(), lab->dir.path);
    return exit_ok;
}

}  // namespace shmiflab
