#include "lab_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <utility>

#include "daemon_process.hpp"
#include "processes.hpp"
#include "run_command.hpp"
#include "shmifd_path.hpp"
#include "topology.hpp"

namespace shmiflab::test {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

std::vector<pid_t> processes_naming(const std::string& text) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
        const auto pid_text = e.path().filename().string();
        if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = std::stoi(pid_text);
        if (pid != ::getpid() &&
            read_file(e.path().string() + "/cmdline").find(text) != std::string::npos && alive(pid))
            out.push_back(pid);
    }
    return out;
}

LabRunner::LabRunner(Programs programs, std::chrono::milliseconds run_timeout, int up_seconds)
    : programs_(std::move(programs)), run_timeout_(run_timeout), up_seconds_(up_seconds) {
    programs_.try_emplace("SHMIFLAB_SHMIFD", SHMIFD_BIN);
}

std::string LabRunner::write_topology(const std::string& name, const std::string& text) {
    const auto file = dir_.file(name + ".toml");
    shmifd::test::write_text_file(file, text);
    return file;
}

Ran LabRunner::run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   std::chrono::milliseconds timeout) {
    const auto log = dir_.file("run-" + std::to_string(runs_++) + ".out");
    const pid_t pid = shmifd::test::spawn(argv, log, env);
    auto status = shmifd::test::wait_exit(pid, timeout);
    if (!status) {
        ::kill(pid, SIGKILL);
        shmifd::test::wait_exit(pid, 5s);
        ADD_FAILURE() << argv[0] << (argv.size() > 1 ? " " + argv[1] : "")
                      << " did not finish: " << read_file(log);
    }
    return {status.value_or(-1), read_file(log), pid};
}

std::vector<std::string> LabRunner::environment(const Programs& overrides) const {
    Programs programs = overrides;
    programs.insert(programs_.begin(), programs_.end());  // keeps the overrides
    std::vector<std::string> env;
    for (const auto& [key, value] : programs)
        env.push_back(key + "=" + value);
    return env;
}

Ran LabRunner::shmiflab_with(const Programs& overrides, const std::vector<std::string>& args,
                             std::optional<std::chrono::milliseconds> timeout) {
    std::vector<std::string> argv{SHMIFLAB_BIN};
    if (!args.empty()) argv.push_back(args.front());
    argv.insert(argv.end(), {"--dir", base()});
    if (!args.empty()) argv.insert(argv.end(), args.begin() + 1, args.end());
    return run(argv, environment(overrides), timeout.value_or(run_timeout_));
}

void LabRunner::take_down_at_end(const std::string& name) {
    if (std::ranges::find(labs_, name) == labs_.end()) labs_.push_back(name);
}

void LabRunner::up(const std::string& file, const std::string& name,
                   const std::vector<std::string>& extra) {
    take_down_at_end(name);
    // Generous: sanitizer builds start daemons slowly on a busy machine.
    std::vector<std::string> args{"up", file, "--timeout", std::to_string(up_seconds_)};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto ran = shmiflab(args);
    ASSERT_EQ(ran.status, 0) << ran.output;
    std::cout << ran.output;
}

std::optional<pid_t> LabRunner::pid_of(const std::string& name, const std::string& pid_file) const {
    return read_pid_file(lab_file(name, pid_file));
}

std::vector<pid_t> LabRunner::pids(const std::string& name) const {
    auto lab = load_topology(lab_file(name, "lab.toml"));
    std::vector<pid_t> out;
    if (!lab) return out;
    for (const auto& node : lab->nodes)
        if (auto pid = pid_of(name, node.name + ".pid")) out.push_back(*pid);
    return out;
}

std::vector<std::string> LabRunner::files(const std::string& name,
                                          const std::string& suffix) const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(lab_file(name), ec))
        if (e.path().string().ends_with(suffix)) out.push_back(e.path().string());
    return out;
}

std::vector<pid_t> LabRunner::lab_processes(const std::string& name) const {
    return processes_naming(name.empty() ? base() + "/" : lab_file(name));
}

void LabRunner::expect_no_process(const std::string& name) const {
    if (wait_until([&] { return lab_processes(name).empty(); }, 5s)) return;
    const auto left = lab_processes(name);
    ADD_FAILURE() << left.size() << " process(es) of lab " << name << " left"
                  << (left.empty() ? "" : ", e.g. pid " + std::to_string(left.front()));
}

void LabRunner::expect_gone(const std::vector<pid_t>& pids) {
    for (pid_t pid : pids)
        EXPECT_TRUE(wait_until([&] { return !alive(pid); }, 5s)) << "pid " << pid;
}

void LabRunner::TearDown() {
    for (const auto& name : labs_)
        if (std::filesystem::exists(lab_file(name, "lab.toml"))) shmiflab({"down", name}, 30s);
    // Whatever `down` missed (a test that failed): nothing may outlive the test.
    for (pid_t pid : lab_processes(""))
        ::kill(pid, SIGKILL);
}

std::string kernel_labs_unavailable() {
    if (::geteuid() != 0) return "needs root (network namespaces and TAPs)";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "no /dev/net/tun";
    const auto ip = find_system_program("ip");
    if (ip.empty()) return "no ip(8) (iproute2)";
    // Not "shmiflab-...": no lab's namespace, even for a moment.
    const auto probe = "labtest-probe-" + std::to_string(::getpid());
    auto added = run_command({ip, "netns", "add", probe}, 10s);
    if (!added || added->exit_status != 0)
        return "`ip netns add` failed: " + (added ? added->output : added.error());
    auto entered = run_command({ip, "netns", "exec", probe, "/bin/true"}, 10s);
    run_command({ip, "netns", "delete", probe}, 10s);
    if (!entered || entered->exit_status != 0)
        return "`ip netns exec` failed: " + (entered ? entered->output : entered.error());
    return {};
}

}  // namespace shmiflab::test
