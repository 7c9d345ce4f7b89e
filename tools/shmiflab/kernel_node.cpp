#include "kernel_node.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "processes.hpp"
#include "run_command.hpp"
#include "shmifd_path.hpp"

namespace shmiflab {

namespace {

using namespace std::chrono_literals;

constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;
// ip and sysctl return at once; this only bounds a hung one.
constexpr auto kCommandTimeout = 10s;

std::string netns_path(const std::string& netns) {
    return "/run/netns/" + netns;  // where `ip netns add` mounts it
}

bool netns_exists(const std::string& netns) {
    std::error_code ec;
    return std::filesystem::exists(netns_path(netns), ec);
}

std::string interface_name(std::size_t itf) {
    return "eth" + std::to_string(itf);
}

// The last non-empty line of a program's output: ip's and ping's error.
std::string last_line(const std::string& text) {
    std::istringstream lines(text);
    std::string last;
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) last = line;
    return last;
}

// Runs `program args...` (the program found as a system program); its output, or why it
// failed as "ip -n NS ...: RTNETLINK answers: File exists".
std::expected<std::string, std::string> run_system(const std::string& program,
                                                   std::vector<std::string> args) {
    const auto shown = program + " " + command_line(args);
    const auto path = find_system_program(program);
    if (path.empty())
        return std::unexpected(shown + ": no " + program + " in PATH, /usr/sbin or /sbin");
    args.insert(args.begin(), path);
    auto ran = run_command(args, kCommandTimeout);
    if (!ran) return std::unexpected(shown + ": " + ran.error());
    if (ran->timed_out)
        return std::unexpected(
            fmt::format("{}: no end within {} s", shown, kCommandTimeout.count()));
    if (ran->exit_status != 0) {
        const auto why = last_line(ran->output);
        return std::unexpected(
            shown + ": " + (why.empty() ? fmt::format("exit status {}", ran->exit_status) : why));
    }
    return ran->output;
}

std::expected<std::string, std::string> ip(std::vector<std::string> args) {
    return run_system("ip", std::move(args));
}

// "<BROADCAST,MULTICAST,UP,LOWER_UP>" of `ip -o link show` holds UP.
bool link_is_up(const std::string& ip_link_line) {
    const auto open = ip_link_line.find('<');
    const auto close = ip_link_line.find('>', open);
    if (open == std::string::npos || close == std::string::npos) return false;
    std::istringstream flags(ip_link_line.substr(open + 1, close - open - 1));
    for (std::string flag; std::getline(flags, flag, ',');)
        if (flag == "UP") return true;
    return false;
}

// Sets one kernel node up, writing every command and its outcome to the node's log (what
// `up` shows the end of when a node fails).
class KernelNodeSetup {
  public:
    KernelNodeSetup(const Lab& lab, const Node& node)
        : lab_(lab),
          node_(node),
          netns_(netns_name(lab.topology.name, node.name)),
          log_(lab.dir.log(node.name), std::ios::app) {}

    std::expected<void, std::string> run(const std::string& shmiftap,
                                         std::chrono::milliseconds timeout) {
        if (auto ok = step("ip", {"netns", "add", netns_}); !ok) return ok;
        if (auto ok = step("ip", {"-n", netns_, "link", "set", "lo", "up"}); !ok) return ok;
        std::vector<pid_t> taps;
        for (std::size_t i = 0; i < node_.interfaces.size(); ++i) {
            auto pid = start_tap(shmiftap, i);
            if (!pid) return std::unexpected(pid.error());
            taps.push_back(*pid);
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (std::size_t i = 0; i < taps.size(); ++i)
            if (auto ok = wait_tap_up(i, taps[i], deadline, timeout); !ok) return ok;
        for (std::size_t i = 0; i < node_.interfaces.size(); ++i)
            for (const auto& address : node_.interfaces[i].addresses)
                if (auto ok = step("ip", {"-n", netns_, "addr", "add", address.to_string(), "dev",
                                          interface_name(i)});
                    !ok)
                    return ok;
        for (const auto& route : node_.routes)
            if (auto ok = step("ip", {"-n", netns_, "route", "add", route.dst.to_string(), "via",
                                      route.via.to_string()});
                !ok)
                return ok;
        if (node_.forwarding) {
            const auto sysctl = find_system_program("sysctl");
            if (sysctl.empty()) return fail("forwarding: no sysctl in PATH, /usr/sbin or /sbin");
            if (auto ok =
                    step("ip", {"netns", "exec", netns_, sysctl, "-qw", "net.ipv4.ip_forward=1"});
                !ok)
                return ok;
        }
        return {};
    }

  private:
    std::unexpected<std::string> fail(const std::string& why) {
        log_ << "shmiflab: " << why << '\n' << std::flush;
        return std::unexpected(why);
    }

    std::expected<void, std::string> step(const std::string& program,
                                          std::vector<std::string> args) {
        log_ << "+ " << program << ' ' << command_line(args) << '\n' << std::flush;
        auto done = run_system(program, std::move(args));
        if (!done) return fail(done.error());
        log_ << *done << std::flush;
        return {};
    }

    // shmiftap inside the namespace: `ip netns exec` execs it, so the pid is shmiftap's.
    std::expected<pid_t, std::string> start_tap(const std::string& shmiftap, std::size_t itf) {
        const auto& spec = node_.interfaces[itf];
        const auto log = tap_log_file(lab_.dir, node_.name, itf);
        std::error_code ignored;
        std::filesystem::remove(log, ignored);  // a log of this run only
        const auto ip_program = find_system_program("ip");
        if (ip_program.empty()) return fail("no ip in PATH, /usr/sbin or /sbin");
        const auto mtu = std::to_string(spec.mtu != 0 ? spec.mtu : 1500);
        const std::vector<std::string> argv{ip_program,
                                            "netns",
                                            "exec",
                                            netns_,
                                            shmiftap,
                                            "--bus",
                                            lab_.dir.bus(spec.bus),
                                            "--tap",
                                            interface_name(itf),
                                            "--up",
                                            "--mtu",
                                            mtu};
        log_ << "+ ip " << command_line({argv.begin() + 1, argv.end()}) << " (log " << log << ")\n"
             << std::flush;
        auto pid = start_detached(argv, log);
        if (!pid) return fail(interface_name(itf) + ": " + pid.error());
        const auto pid_file = tap_pid_file(lab_.dir, node_.name, itf);
        if (!write_pid_file(pid_file, *pid)) {
            stop_all({*pid}, 1s);
            return fail("cannot write " + pid_file);
        }
        return *pid;
    }

    std::expected<void, std::string> wait_tap_up(std::size_t itf, pid_t tap,
                                                 std::chrono::steady_clock::time_point deadline,
                                                 std::chrono::milliseconds timeout) {
        const auto name = interface_name(itf);
        for (;;) {
            if (!alive(tap)) {
                const auto log = tap_log_file(lab_.dir, node_.name, itf);
                log_ << "the end of " << log << ":\n" << tail_of(log, 10) << std::flush;
                return fail(name + ": shmiftap exited before its TAP was up (see " + log + ")");
            }
            if (auto shown = ip({"-n", netns_, "-o", "link", "show", "dev", name});
                shown && link_is_up(*shown))
                return {};
            if (std::chrono::steady_clock::now() >= deadline)
                return fail(
                    fmt::format("{}: the TAP was not up within {} ms", name, timeout.count()));
            std::this_thread::sleep_for(20ms);
        }
    }

    const Lab& lab_;
    const Node& node_;
    const std::string netns_;
    std::ofstream log_;
};

}  // namespace

std::uint64_t effective_capabilities() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("CapEff:")) return std::stoull(line.substr(7), nullptr, 16);
    return 0;
}

std::optional<std::string> kernel_privilege_error(const Topology& lab,
                                                  std::uint64_t effective_capabilities) {
    if (!lab.has_kernel_nodes()) return std::nullopt;
    const auto has = [&](int cap) { return (effective_capabilities >> cap & 1) != 0; };
    if (has(kCapSysAdmin) && has(kCapNetAdmin)) return std::nullopt;
    std::string kernels;
    for (const auto& node : lab.nodes)
        if (node.kind == NodeKind::kernel) kernels += (kernels.empty() ? "" : ", ") + node.name;
    return "lab " + lab.name + " has kernel nodes (" + kernels +
           "): their network namespaces and TAPs need root (CAP_SYS_ADMIN and CAP_NET_ADMIN); "
           "run shmiflab as root (sudo)";
}

std::string tap_pid_file(const LabDir& dir, const std::string& node, std::size_t itf) {
    return dir.path + "/" + node + "." + interface_name(itf) + ".pid";
}

std::string tap_log_file(const LabDir& dir, const std::string& node, std::size_t itf) {
    return dir.path + "/" + node + "." + interface_name(itf) + ".log";
}

std::vector<std::string> existing_namespaces(const Lab& lab) {
    std::vector<std::string> existing;
    for (const auto& node : lab.topology.nodes)
        if (node.kind == NodeKind::kernel && netns_exists(netns_name(lab.topology.name, node.name)))
            existing.push_back(netns_name(lab.topology.name, node.name));
    return existing;
}

std::expected<void, std::string> start_kernel_node(const Lab& lab, const Node& node,
                                                   const std::string& shmiftap,
                                                   std::chrono::milliseconds timeout) {
    return KernelNodeSetup(lab, node).run(shmiftap, timeout);
}

KernelNodeState kernel_node_state(const Lab& lab, const Node& node) {
    KernelNodeState state;
    state.netns = netns_name(lab.topology.name, node.name);
    state.netns_exists = netns_exists(state.netns);
    for (std::size_t i = 0; i < node.interfaces.size(); ++i) {
        const auto pid = read_pid_file(tap_pid_file(lab.dir, node.name, i));
        state.taps.push_back(pid);
        // A reused pid runs something else: ours names the lab's bus.
        if (pid && runs_with(*pid, lab.dir.bus(node.interfaces[i].bus)))
            state.running_taps.push_back(*pid);
    }
    return state;
}

void take_down_kernel_nodes(const Lab& lab) {
    for (const auto& node : lab.topology.nodes) {
        if (node.kind != NodeKind::kernel) continue;
        const auto state = kernel_node_state(lab, node);
        // The TAPs go with their shmiftaps; then the namespace, empty.
        stop_all(state.running_taps, 3s);
        if (state.netns_exists) (void)ip({"netns", "delete", state.netns});
        std::error_code ignored;
        for (std::size_t i = 0; i < node.interfaces.size(); ++i)
            std::filesystem::remove(tap_pid_file(lab.dir, node.name, i), ignored);
    }
}

std::expected<bool, std::string> kernel_ping(const Lab& lab, const Node& node,
                                             netstack::Ipv4Address address, int timeout_ms) {
    const auto ping = find_system_program("ping");
    if (ping.empty()) return std::unexpected("no ping in PATH, /usr/sbin or /sbin");
    const auto ip_program = find_system_program("ip");
    if (ip_program.empty()) return std::unexpected("no ip in PATH, /usr/sbin or /sbin");
    auto ran = run_command(
        {ip_program, "netns", "exec", netns_name(lab.topology.name, node.name), ping, "-n", "-q",
         "-c", "1", "-W", fmt::format("{:.3f}", timeout_ms / 1000.0), address.to_string()},
        std::chrono::milliseconds(timeout_ms) + 5s);
    if (!ran) return std::unexpected(ran.error());
    if (ran->timed_out) return std::unexpected("ping did not end in time");
    // ping: 0 answered, 1 no answer, anything else an error (no route, no namespace).
    if (ran->exit_status == 0 || ran->exit_status == 1) return ran->exit_status == 0;
    const auto why = last_line(ran->output);
    return std::unexpected(why.empty() ? fmt::format("ping: exit status {}", ran->exit_status)
                                       : why);
}

}  // namespace shmiflab
