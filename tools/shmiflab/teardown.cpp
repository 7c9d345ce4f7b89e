#include "teardown.hpp"

#include <filesystem>

#include "bus_tools.hpp"
#include "kernel_node.hpp"
#include "processes.hpp"

namespace shmiflab {

using namespace std::chrono_literals;

std::vector<RunningNode> running_nodes(const Lab& lab) {
    std::vector<RunningNode> running;
    for (const auto& node : lab.topology.nodes) {
        if (node.kind == NodeKind::kernel) {
            for (pid_t tap : kernel_node_state(lab, node).running_taps)
                running.push_back({node.name, tap});
            continue;
        }
        auto pid = read_pid_file(lab.dir.pid(node.name));
        if (pid && runs_with(*pid, lab.dir.config(node.name))) running.push_back({node.name, *pid});
    }
    return running;
}

std::vector<pid_t> teardown(const Lab& lab, const std::vector<pid_t>& pids) {
    auto left = stop_all(pids, 3s);
    take_down_kernel_nodes(lab);
    const auto tools_left = stop_bus_tools(lab);  // after the nodes: captures see their end
    left.insert(left.end(), tools_left.begin(), tools_left.end());
    std::error_code ignored;
    for (const auto& bus : lab.topology.buses)
        std::filesystem::remove(lab.dir.bus(bus.name), ignored);
    for (const auto& node : lab.topology.nodes)
        for (const auto& path :
             {lab.dir.socket(node.name), lab.dir.config(node.name), lab.dir.pid(node.name)})
            std::filesystem::remove(path, ignored);
    std::filesystem::remove(lab.dir.topology(), ignored);
    return left;
}

}  // namespace shmiflab
