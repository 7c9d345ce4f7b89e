// Kernel nodes: the Linux kernel's own stack in a network namespace (netns_name), joined to
// each of its buses by one shmiftap per interface (eth0, eth1, ... inside the namespace).
// Namespaces and TAPs need root; everything here is done with ip(8) and shmiftap.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "lab_dir.hpp"
#include "netstack/address.hpp"
#include "topology.hpp"

namespace shmiflab {

// The effective capability set of this process (/proc/self/status CapEff; 0 if unreadable).
std::uint64_t effective_capabilities();

// Why `up` or `down` may not handle `lab` with these capabilities: it has kernel nodes and lacks
// CAP_SYS_ADMIN or CAP_NET_ADMIN. Nothing when allowed.
std::optional<std::string> kernel_privilege_error(const Topology& lab,
                                                  std::uint64_t effective_capabilities);

// A kernel node's shmiftap for interface `itf`: its pid file and log in the lab's directory
// ("NODE.ethI.pid": no node name holds a '.', so no node's own files are these).
std::string tap_pid_file(const LabDir& dir, const std::string& node, std::size_t itf);
std::string tap_log_file(const LabDir& dir, const std::string& node, std::size_t itf);

// The kernel nodes whose namespace exists now, as "NODE (NAMESPACE)" would name them.
std::vector<std::string> existing_namespaces(const Lab& lab);

// Creates the node's namespace, starts its shmiftaps (pid files written at once, so that
// teardown finds them), waits up to `timeout` for each TAP to be up, then sets addresses,
// routes and forwarding. On failure what was started stays for the caller's teardown.
std::expected<void, std::string> start_kernel_node(const Lab& lab, const Node& node,
                                                   const std::string& shmiftap,
                                                   std::chrono::milliseconds timeout);

struct KernelNodeState {
    std::string netns;
    bool netns_exists = false;
    std::vector<std::optional<pid_t>> taps;  // per interface, from the pid file
    std::vector<pid_t> running_taps;         // those that still run it
    bool running() const { return netns_exists && running_taps.size() == taps.size(); }
};
KernelNodeState kernel_node_state(const Lab& lab, const Node& node);

// Stops the kernel nodes' shmiftaps (bounded), deletes their namespaces, removes their pid
// files. Does nothing for a lab without kernel nodes.
void take_down_kernel_nodes(const Lab& lab);

// One echo request from the node's namespace (ping -c 1): whether it was answered; an error
// when ping could not run.
std::expected<bool, std::string> kernel_ping(const Lab& lab, const Node& node,
                                             netstack::Ipv4Address address, int timeout_ms);

}  // namespace shmiflab
