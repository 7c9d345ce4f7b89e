// shmiflab: a whole virtual network from one file — buses and shmifd daemons with their
// interfaces, addresses and routes — brought up, checked and taken down as one lab, with
// programs run on its nodes and its picture drawn.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string_view>

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
exec: the program's own status (127: not found), or 1 or 2 when it could not be started.

Examples:
  shmiflab up examples/labs/two-routers.toml     start it; print nodes and addresses
  shmiflab ping-all two-routers                  every node pings what it should reach
  shmiflab status two-routers --json             nodes (pid, alive), frames per bus
  shmiflab up examples/labs/lossy-wan.toml       two sites over a lossy, slow link, captured
  shmiflab ping-all lossy-wan --attempts 5       more tries: the link loses frames
  shmiflab exec two-routers h1 -- sh             a shell whose programs use h1's network
  shmiflab graph two-routers --format svg        draw it (Graphviz's dot)
  shmiflab down two-routers                      stop it, keep the logs)";

// --dir as an absolute path without a trailing '/': the lab's files then have one spelling
// whatever the working directory or the way --dir is written, which matters since a node
// counts as running only while its daemon runs with the very path of its config.
std::string absolute_dir(const std::string& dir) {
    auto path = std::filesystem::absolute(dir).lexically_normal();
    if (!path.has_filename() && path.has_parent_path() && path != path.root_path())
        path = path.parent_path();
    return path.string();
}

void add_common(CLI::App* cmd, Common& common, const char* what) {
    cmd->add_option("LAB", common.lab, what)->required();
    cmd->add_option("--dir", common.base, "Where labs live (the lab is BASE/NAME)")
        ->default_str("$XDG_RUNTIME_DIR/shmiflab");
}

}  // namespace

int main_(int argc, char** argv) {
    CLI::App app{
        "shmiflab: a virtual network of shmifd daemons on shmif buses, from one "
        "topology file: up, down, status, ping-all, exec, graph",
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

    ExecArgs exec;
    auto* x = app.add_subcommand(
        "exec",
        "Run a program on a node's network: shmiflab exec LAB NODE -- PROGRAM [ARGS...]. On "
        "a shmifd node it runs under shmifrun, its IPv4 sockets in the node's stack; on a "
        "kernel node in its network namespace (ip netns exec, as root). shmiflab becomes "
        "PROGRAM: the exit status (127: not found), signals and terminal are PROGRAM's.\n"
        "Example: shmiflab exec two-hosts a -- curl http://10.0.0.2/");
    add_common(x, exec.common, lab_help);
    x->add_option("NODE", exec.node, "The node, as named in the topology")->required();
    // What follows NODE without `--` is a usage error, not options of shmiflab's.
    x->prefix_command();

    GraphArgs graph;
    auto* g = app.add_subcommand(
        "graph",
        "Draw the topology: Graphviz DOT (buses, nodes, interfaces with their addresses, "
        "links with their impairments, captures), or SVG through Graphviz's dot. A file is "
        "drawn as it is, running or not.\nExample: shmiflab graph examples/labs/two-routers.toml "
        "--format svg -o two-routers.svg");
    add_common(g, graph.common, lab_help);
    g->add_option("--format", graph.format, "dot, or svg (needs the package graphviz)")
        ->check(CLI::IsMember({"dot", "svg"}))
        ->capture_default_str();
    g->add_option("-o,--output", graph.output, "Write to FILE instead of standard output")
        ->type_name("FILE");

    // exec's PROGRAM and its arguments, all that follows `--`, are the program's: the parser
    // never sees them.
    int parsed_argc = argc;
    if (argc > 1 && std::string_view(argv[1]) == "exec")
        for (int i = 2; i < argc; ++i)
            if (std::string_view(argv[i]) == "--") {
                exec.program.assign(argv + i + 1, argv + argc);
                parsed_argc = i;
                break;
            }

    try {
        app.parse(parsed_argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() != 0)  // not --help
            if (auto words = shmif::tool::command_word_error(app))
                return report(exit_usage, *words);
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }
    for (Common* c : {&up.common, &down, &status.common, &ping.common, &exec.common, &graph.common})
        c->base = c->base.empty() ? default_base() : absolute_dir(c->base);

    if (u->parsed()) return run_up(up);
    if (d->parsed()) return run_down(down);
    if (s->parsed()) return run_status(status);
    if (x->parsed()) {
        exec.stray = x->remaining();
        return run_exec(exec);
    }
    if (g->parsed()) return run_graph(graph);
    return run_ping_all(ping);
}

}  // namespace shmiflab

int main(int argc, char** argv) {
    return shmiflab::main_(argc, argv);
}
