// The lab's links (one shmiflink per [[link]]) and captures (one shmifdump per [[capture]]):
// processes on the lab's buses beside its nodes. `up` starts them after the buses and before
// the nodes, so that a capture holds the lab's first frames; teardown stops them after the
// nodes, links first, captures last (SIGTERM: shmifdump completes its file).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "lab_dir.hpp"
#include "topology.hpp"

namespace shmiflab {

enum class ToolKind : std::uint8_t { link, capture };

// One link or capture of a lab.
struct BusTool {
    ToolKind kind;
    std::size_t index;  // into the topology's links or captures
    // "link+A+B" or "capture+FILE": the stem of its log and pid file in the lab's directory.
    // No name of a lab (node, bus, capture file) holds a '+', so no other file is named so.
    std::string id;
};

// Every link, then every capture.
std::vector<BusTool> bus_tools(const Topology& lab);

// "link A - B", "capture of BUS (FILE)": for messages.
std::string describe(const Topology& lab, const BusTool& tool);

// Where the capture's file is.
std::string capture_path(const LabDir& dir, const Capture& capture);

// The shmiflink and shmifdump to run ($SHMIFLAB_SHMIFLINK, $SHMIFLAB_SHMIFDUMP, beside
// shmiflab, PATH), looked for only when the lab has links or captures.
struct ToolPrograms {
    std::string shmiflink, shmifdump;
};
std::expected<ToolPrograms, std::string> find_tool_programs(const Topology& lab);

struct RunningTool {
    BusTool tool;
    pid_t pid;
};

// Why `up` gives up on a tool: which one, and what happened.
struct ToolFailure {
    BusTool tool;
    std::string why;
};

// Starts every link and capture (their old logs and capture files go first), each detached
// with its own log and pid file, then waits until each has attached to its buses (its
// start-up line, printed once its bus cursors are placed, is in its log), one exits, or
// `timeout` passes. On failure the ones started keep running: teardown() stops them.
std::expected<std::vector<RunningTool>, ToolFailure> start_bus_tools(
    const Lab& lab, const ToolPrograms& programs, std::chrono::milliseconds timeout);

// The lab's links and captures that run now: a pid file, and the process is this one's child
// (just started, maybe not yet exec'd) or runs with the tool's buses or capture file among
// its arguments (a reused pid is not ours).
std::vector<RunningTool> running_bus_tools(const Lab& lab);

// Stops the running links, then the running captures, and removes their pid files; logs
// and capture files stay. The pids that would not die (none, normally).
std::vector<pid_t> stop_bus_tools(const Lab& lab);

}  // namespace shmiflab
