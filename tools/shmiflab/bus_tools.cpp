#include "bus_tools.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "processes.hpp"
#include "shmifd_path.hpp"

namespace shmiflab {

namespace {

using namespace std::chrono_literals;

// What each tool prints on stderr once its cursors are placed on its buses: from then on it
// sees every frame written (tools/shmiflink/main.cpp, tools/shmifdump/capture.cpp).
constexpr const char* kLinkReady = "shmiflink: linking ";
constexpr const char* kCaptureReady = "shmifdump: listening on ";

// The arguments that tell the tool's process from any other: its buses, its capture file.
std::vector<std::string> markers(const Lab& lab, const BusTool& tool) {
    if (tool.kind == ToolKind::link) {
        const auto& link = lab.topology.links[tool.index];
        return {lab.dir.bus(link.a), lab.dir.bus(link.b)};
    }
    return {capture_path(lab.dir, lab.topology.captures[tool.index])};
}

std::vector<std::string> command(const Lab& lab, const ToolPrograms& programs,
                                 const BusTool& tool) {
    if (tool.kind == ToolKind::link) {
        const auto& link = lab.topology.links[tool.index];
        std::vector<std::string> argv{programs.shmiflink, lab.dir.bus(link.a), lab.dir.bus(link.b)};
        if (!link.a_to_b.empty()) argv.insert(argv.end(), {"--a-to-b", link.a_to_b});
        if (!link.b_to_a.empty()) argv.insert(argv.end(), {"--b-to-a", link.b_to_a});
        if (link.seed) argv.insert(argv.end(), {"--seed", std::to_string(*link.seed)});
        return argv;
    }
    const auto& capture = lab.topology.captures[tool.index];
    std::vector<std::string> argv{programs.shmifdump, lab.dir.bus(capture.bus), "-w",
                                  capture_path(lab.dir, capture)};
    if (capture.format == CaptureFormat::pcapng) argv.emplace_back("--pcapng");
    // After "--" a filter is never taken for an option.
    if (!capture.filter.empty()) argv.insert(argv.end(), {"--", capture.filter});
    return argv;
}

// The parent of `pid` as /proc/PID/stat says (0 if unknown).
pid_t parent_of(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream rest(text.substr(paren + 1));
    char state = 0;
    long parent = 0;
    rest >> state >> parent;
    return static_cast<pid_t>(parent);
}

bool ours(pid_t pid, const std::vector<std::string>& args) {
    if (!alive(pid)) return false;
    // Our child's pid cannot be reused before we reap it; it may not have exec'd yet.
    if (parent_of(pid) == ::getpid()) return true;
    return std::ranges::all_of(args, [&](const std::string& arg) { return runs_with(pid, arg); });
}

bool log_holds(const std::string& log, const char* line_start) {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(line_start)) return true;
    return false;
}

// Until every tool's start-up line is in its log, one exits, or the time is up.
std::expected<void, ToolFailure> wait_attached(const Lab& lab, std::vector<RunningTool> pending,
                                               std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (auto it = pending.begin(); it != pending.end();) {
            const auto* ready = it->tool.kind == ToolKind::link ? kLinkReady : kCaptureReady;
            if (!alive(it->pid)) return std::unexpected(ToolFailure{it->tool, "exited at start"});
            if (log_holds(lab.dir.log(it->tool.id), ready))
                it = pending.erase(it);
            else
                ++it;
        }
        if (pending.empty()) return {};
        if (std::chrono::steady_clock::now() >= deadline)
            return std::unexpected(
                ToolFailure{pending.front().tool,
                            fmt::format("not attached to its bus within {} ms", timeout.count())});
        std::this_thread::sleep_for(10ms);
    }
}

}  // namespace

std::vector<BusTool> bus_tools(const Topology& lab) {
    std::vector<BusTool> tools;
    for (std::size_t i = 0; i < lab.links.size(); ++i)
        tools.push_back({ToolKind::link, i, "link+" + lab.links[i].a + "+" + lab.links[i].b});
    for (std::size_t i = 0; i < lab.captures.size(); ++i)
        tools.push_back({ToolKind::capture, i, "capture+" + lab.captures[i].file});
    return tools;
}

std::string describe(const Topology& lab, const BusTool& tool) {
    if (tool.kind == ToolKind::link)
        return "link " + lab.links[tool.index].a + " - " + lab.links[tool.index].b;
    return "capture of " + lab.captures[tool.index].bus + " (" + lab.captures[tool.index].file +
           ")";
}

std::string capture_path(const LabDir& dir, const Capture& capture) {
    return dir.path + "/" + capture.file;
}

std::expected<ToolPrograms, std::string> find_tool_programs(const Topology& lab) {
    ToolPrograms programs;
    if (!lab.links.empty()) {
        auto found = find_shmiflink();
        if (!found) return std::unexpected(found.error());
        programs.shmiflink = *found;
    }
    if (!lab.captures.empty()) {
        auto found = find_shmifdump();
        if (!found) return std::unexpected(found.error());
        programs.shmifdump = *found;
    }
    return programs;
}

std::expected<std::vector<RunningTool>, ToolFailure> start_bus_tools(
    const Lab& lab, const ToolPrograms& programs, std::chrono::milliseconds timeout) {
    std::vector<RunningTool> started;
    for (const auto& tool : bus_tools(lab.topology)) {
        std::error_code ignored;
        std::filesystem::remove(lab.dir.log(tool.id), ignored);
        if (tool.kind == ToolKind::capture)
            std::filesystem::remove(capture_path(lab.dir, lab.topology.captures[tool.index]),
                                    ignored);
        auto pid = start_detached(command(lab, programs, tool), lab.dir.log(tool.id));
        if (!pid) return std::unexpected(ToolFailure{tool, pid.error()});
        if (!write_pid_file(lab.dir.pid(tool.id), *pid)) {
            stop_all({*pid}, 1s);  // no pid file: teardown would not find it
            return std::unexpected(ToolFailure{tool, "cannot write " + lab.dir.pid(tool.id)});
        }
        started.push_back({tool, *pid});
    }
    if (auto attached = wait_attached(lab, started, timeout); !attached)
        return std::unexpected(attached.error());
    return started;
}

std::vector<RunningTool> running_bus_tools(const Lab& lab) {
    std::vector<RunningTool> running;
    for (const auto& tool : bus_tools(lab.topology)) {
        auto pid = read_pid_file(lab.dir.pid(tool.id));
        if (pid && ours(*pid, markers(lab, tool))) running.push_back({tool, *pid});
    }
    return running;
}

std::vector<pid_t> stop_bus_tools(const Lab& lab) {
    const auto running = running_bus_tools(lab);
    std::vector<pid_t> links, captures;
    for (const auto& r : running)
        (r.tool.kind == ToolKind::link ? links : captures).push_back(r.pid);
    // Links first: a capture records until the end.
    auto left = stop_all(links, 3s);
    // On SIGTERM a capture flushes its queue and completes its file: a pcapng capture then
    // rewrites its whole pcap spool, which may take a while for a big one.
    auto captures_left = stop_all(captures, 30s);
    left.insert(left.end(), captures_left.begin(), captures_left.end());
    std::error_code ignored;
    for (const auto& tool : bus_tools(lab.topology))
        std::filesystem::remove(lab.dir.pid(tool.id), ignored);
    return left;
}

}  // namespace shmiflab
