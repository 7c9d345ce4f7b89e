// shmiflab exec LAB NODE -- PROGRAM [ARGS...]: PROGRAM on the node's network, in place of
// shmiflab (exec), so that its exit status, signals and terminal are its own: under shmifrun
// in a shmifd node's stack, or in a kernel node's network namespace.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <expected>
#include <filesystem>

#include "commands.hpp"
#include "lab_dir.hpp"
#include "shmifd_path.hpp"
#include "teardown.hpp"

namespace shmiflab {

namespace {

constexpr const char* kUsage = "shmiflab exec LAB NODE -- PROGRAM [ARGS...]";

// Where `ip netns` keeps the namespaces it names.
std::string netns_file(const std::string& name) {
    return "/run/netns/" + name;
}

// `program` names a file to run: a path that is executable, or a name found in PATH.
bool runnable(const std::string& program) {
    if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
    return find_in_path(program).has_value();
}

// The program that runs PROGRAM on the node, and its arguments before PROGRAM's.
std::expected<std::vector<std::string>, std::string> wrapper(const Lab& lab, const Node& node) {
    const auto running = running_nodes(lab);
    const bool lab_down = running.empty();
    const std::string lab_not_running =
        fmt::format("lab {} is not running (shmiflab up FILE starts it)", lab.topology.name);
    if (node.kind == NodeKind::kernel) {
        const auto ns = netns_name(lab.topology.name, node.name);
        std::error_code ec;
        if (!std::filesystem::exists(netns_file(ns), ec))
            return std::unexpected(lab_down ? lab_not_running
                                            : fmt::format("node {} (kernel): no network "
                                                          "namespace {}",
                                                          node.name, ns));
        if (::geteuid() != 0)
            return std::unexpected(fmt::format(
                "node {} is a kernel node: entering its namespace {} needs root", node.name, ns));
        return std::vector<std::string>{"ip", "netns", "exec", ns};
    }
    if (std::ranges::none_of(running, [&](const RunningNode& r) { return r.name == node.name; }))
        return std::unexpected(lab_down ? lab_not_running
                                        : fmt::format("node {} is not running (its log: {})",
                                                      node.name, lab.dir.log(node.name)));
    auto shmifrun = find_shmifrun();
    if (!shmifrun) return std::unexpected(shmifrun.error());
    return std::vector<std::string>{*shmifrun, "-s", lab.dir.socket(node.name), "--"};
}

}  // namespace

int run_exec(const ExecArgs& args) {
    if (!args.stray.empty())
        return report(exit_usage, fmt::format("exec: the program goes after --: {}", kUsage));
    if (args.program.empty())
        return report(exit_usage, fmt::format("exec: no program: {}", kUsage));
    auto lab = find_lab(args.common.lab, args.common.base);
    if (!lab) return report(exit_failure, lab.error());
    const auto& nodes = lab->topology.nodes;
    const auto node = std::ranges::find(nodes, args.node, &Node::name);
    if (node == nodes.end()) {
        std::string names;
        for (const auto& n : nodes)
            names += (names.empty() ? "" : ", ") + n.name;
        return report(exit_failure, fmt::format("lab {} has no node {} (its nodes: {})",
                                                lab->topology.name, args.node, names));
    }
    auto argv = wrapper(*lab, *node);
    if (!argv) return report(exit_failure, argv.error());
    // ip netns exec exits 1 when the program is missing: 127, as shmifrun and shells say.
    if (node->kind == NodeKind::kernel && !runnable(args.program.front()))
        return report(127, args.program.front() + ": command not found");
    argv->insert(argv->end(), args.program.begin(), args.program.end());
    std::vector<char*> c_argv;
    for (auto& a : *argv)
        c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    std::fflush(nullptr);
    // shmifrun is a path; ip is looked up in PATH.
    ::execvp(c_argv[0], c_argv.data());
    const int error = errno;
    return report(exit_failure, fmt::format("{}: {}{}", (*argv)[0], std::strerror(error),
                                            (*argv)[0] == "ip" ? " (install iproute2)" : ""));
}

}  // namespace shmiflab
