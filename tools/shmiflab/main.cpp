// shmiflab: a whole virtual network from one file — buses and shmifd daemons with their
// interfaces, addresses and routes — brought up, checked and taken down as one lab.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>

#include "command_words.hpp"
#include "commands.hpp"
#include "lab_dir.hpp"
#include "version_flag.hpp"

namespace shmiflab {

int report(int status, const std::string& message) {
    fmt::print(stderr, "shmiflab: {}\n", message);
    return status;
}

namespace {

constexpr const char* kFooter =
    R"(A lab's directory is $XDG_RUNTIME_DIR/shmiflab/NAME (as root /run/shmiflab/NAME; else
/tmp/shmiflab-UID/NAME; --dir BASE puts it in BASE/NAME). It holds the buses (BUS.bus), each
node's shmifd config (NODE.toml), control socket (NODE.sock), log (NODE.log) and pid
(NODE.pid), each [[link]]'s shmiflink (link+A+B.log, .pid), each [[capture]]'s shmifdump
(capture+FILE.log, .pid) and its FILE, and lab.toml, the topology `up` started; `down` keeps
the logs and captures. Talk to a node with shmifctl -s DIR/NODE.sock.
shmiflink and shmifdump are found as shmifd is: $SHMIFLAB_SHMIFLINK, $SHMIFLAB_SHMIFDUMP,
beside shmiflab, PATH.

A node of kind = "kernel" is the Linux kernel's own stack in the network namespace
shmiflab-LAB-NODE, joined to each bus by a shmiftap (NODE.ethI.pid, NODE.ethI.log; NODE.log
has the ip commands `up` ran). Such a lab needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); use
the node with ip netns exec shmiflab-LAB-NODE COMMAND. `down` deletes the namespaces.

Exit status: 0 done; 1 failed (a node did not start, a lab of that name is already running,
kernel nodes without root or with a namespace that exists already, no such lab, a node,
link or capture stopped, or a ping missed); 2 usage or a bad topology file (FILE:LINE: what).

Examples:
  shmiflab up examples/labs/two-routers.toml     start it; print nodes and addresses
  shmiflab ping-all two-routers                  every node pings what it should reach
  shmiflab status two-routers --json             nodes (pid, alive), frames per bus
  shmiflab up examples/labs/lossy-wan.toml       two sites over a lossy, slow link, captured
  shmiflab ping-all lossy-wan --attempts 5       more tries: the link loses frames
  shmiflab down two-routers                      stop it, keep the logs)";

void add_common(CLI::App* cmd, Common& common, const char* what) {
    cmd->add_option("LAB", common.lab, what)->required();
    cmd->add_option("--dir", common.base, "Where labs live (the lab is BASE/NAME)")
        ->default_str("$XDG_RUNTIME_DIR/shmiflab");
}

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmiflab: a virtual network of shmifd daemons on shmif buses, from one "
        "topology file: up, down, status, ping-all",
        "shmiflab"};
    app.footer(kFooter);
    app.require_subcommand(1);
    shmif::tool::add_version_flag(app);
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmiflab: {} (see --help)\n", e.what());
    });
    constexpr const char* lab_help = "The lab's topology file, or its name";

    UpArgs up;
    auto* u = app.add_subcommand(
        "up",
        "Validate the topology file, create the lab's buses, start its links (shmiflink) and "
        "captures (shmifdump) and wait until each is attached to its buses, start one shmifd "
        "per node, wait until every node answers on its control socket, set up the kernel "
        "nodes (namespace, shmiftaps, addresses, routes; root only), and print the nodes and "
        "their addresses. If any part fails, everything started is stopped again.\n"
        "Example: shmiflab up examples/labs/two-hosts.toml");
    add_common(u, up.common, "The lab's topology file");
    u->add_option("--shmifd", up.shmifd,
                  "The daemon to run (default: $SHMIFLAB_SHMIFD, the shmifd beside shmiflab, "
                  "or shmifd in PATH)");
    u->add_option("--shmiftap", up.shmiftap,
                  "The bridge kernel nodes run (default: $SHMIFLAB_SHMIFTAP, the shmiftap "
                  "beside shmiflab, or shmiftap in PATH)");
    u->add_option("--timeout", up.timeout_s,
                  "Seconds to wait for the links and captures to attach, again for every node "
                  "to answer, and for each kernel node's TAPs")
        ->check(CLI::Range(0.1, 600.0))
        ->capture_default_str();

    Common down;
    auto* d = app.add_subcommand(
        "down",
        "Stop every node of the lab (SIGTERM, SIGKILL after 3 s) and its kernel nodes' "
        "shmiftaps (deleting their namespaces), then its links, then its captures (SIGTERM: "
        "each completes its file; SIGKILL after 30 s); remove its buses, sockets and configs; "
        "keep the logs and captures.\nExample: shmiflab down two-hosts");
    add_common(d, down, lab_help);

    StatusArgs status;
    auto* s = app.add_subcommand(
        "status",
        "Show the lab's nodes (pid, running or not; a kernel node's namespace and shmiftap "
        "pids), buses (frames written), links (netem words each way, pid, running) and "
        "captures (file, bytes so far, pid, running). Exit 1 when a node, link or capture is "
        "not running.\nExample: shmiflab status two-hosts --json");
    add_common(s, status.common, lab_help);
    s->add_flag("--json", status.json, "Print one JSON object");

    PingAllArgs ping;
    auto* p = app.add_subcommand(
        "ping-all",
        "Have every node ping every address of every other node it has a subnet or a route "
        "for (up to --attempts echo requests until one is answered; a kernel node runs ping "
        "in its namespace), and print the matrix. Exit 1 on any miss.\nExample: shmiflab "
        "ping-all two-routers");
    add_common(p, ping.common, lab_help);
    p->add_option("--timeout", ping.timeout_ms, "Milliseconds to wait for each reply")
        ->check(CLI::Range(10, 60000))
        ->capture_default_str();
    p->add_option("--attempts", ping.attempts,
                  "Echo requests per address until one is answered (the first may be spent "
                  "resolving neighbours; more for lossy links)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() != 0)  // not --help
            if (auto words = shmif::tool::command_word_error(app))
                return report(exit_usage, *words);
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }
    for (Common* c : {&up.common, &down, &status.common, &ping.common})
        if (c->base.empty()) c->base = default_base();

    if (u->parsed()) return run_up(up);
    if (d->parsed()) return run_down(down);
    if (s->parsed()) return run_status(status);
    return run_ping_all(ping);
}

}  // namespace shmiflab

int main(int argc, char** argv) {
    return shmiflab::main_(argc, argv);
}
