// Taking a lab apart: what `down` does, and what a failed `up` does to what it started.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "lab_dir.hpp"

namespace shmiflab {

// The pids of the lab's nodes that run now (pid file, and the process still runs that
// node's config: a reused pid is not ours); a kernel node's are its shmiftaps.
struct RunningNode {
    std::string name;
    pid_t pid;
};
std::vector<RunningNode> running_nodes(const Lab& lab);

// Stops `pids` (SIGTERM, SIGKILL after 3 s), then the kernel nodes' shmiftaps (deleting their
// namespaces), then the lab's links and captures (bus_tools.hpp: captures see the end), and
// removes the lab's buses, sockets, configs, pid files and lab.toml; logs and capture files
// stay. The pids that would not die (none, normally).
std::vector<pid_t> teardown(const Lab& lab, const std::vector<pid_t>& pids);

}  // namespace shmiflab
