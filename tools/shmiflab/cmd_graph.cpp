// shmiflab graph LAB [--format dot|svg] [-o FILE]: the topology as Graphviz DOT, or as SVG
// drawn by Graphviz's dot.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "lab_dir.hpp"
#include "lab_graph.hpp"
#include "processes.hpp"
#include "shmifd_path.hpp"

extern char** environ;

namespace shmiflab {

namespace {

using namespace std::chrono_literals;

// dot draws a lab in well under a second; a minute means it hangs.
constexpr auto kDotTimeout = 60s;

int write_dot(const std::string& dot, const std::string& output) {
    if (output.empty() || output == "-") {
        std::fwrite(dot.data(), 1, dot.size(), stdout);
        return std::fflush(stdout) == 0
                   ? exit_ok
                   : report(exit_failure, std::string("standard output: ") + std::strerror(errno));
    }
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out << dot;
    if (!out.flush()) return report(exit_failure, output + ": cannot write it");
    return exit_ok;
}

// `dot -Tsvg [-o OUTPUT]` with the DOT text on its standard input.
int write_svg(const std::string& dot, const std::string& output) {
    const auto program = find_in_path("dot");
    if (!program)
        return report(exit_failure,
                      "--format svg needs Graphviz's dot, which is not in PATH (install the "
                      "package graphviz)");
    std::vector<std::string> argv{"dot", "-Tsvg"};
    if (!output.empty() && output != "-") argv.insert(argv.end(), {"-o", output});
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return report(exit_failure, std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
    pid_t pid = 0;
    const int spawned =
        ::posix_spawn(&pid, program->c_str(), &actions, nullptr, args.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(fds[0]);
    if (spawned != 0) {
        ::close(fds[1]);
        return report(exit_failure, *program + ": " + std::strerror(spawned));
    }
    // Should dot stop reading early, its exit status says why, not a SIGPIPE of ours.
    std::signal(SIGPIPE, SIG_IGN);
    for (std::size_t written = 0; written < dot.size();) {
        const auto n = ::write(fds[1], dot.data() + written, dot.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
    const auto status = wait_child(pid, std::chrono::steady_clock::now() + kDotTimeout);
    if (!status) {
        ::kill(pid, SIGKILL);
        wait_child(pid, std::chrono::steady_clock::now() + 5s);
        return report(exit_failure, "dot did not finish within a minute; killed");
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
        return report(exit_failure, "dot failed to draw the lab (see its message above)");
    return exit_ok;
}

}  // namespace

int run_graph(const GraphArgs& args) {
    // A file is drawn as it is now, running or not; a name is the running lab's lab.toml.
    std::error_code ec;
    Topology topology;
    if (std::filesystem::is_regular_file(args.common.lab, ec)) {
        auto loaded = load_topology(args.common.lab);
        if (!loaded) return report(exit_usage, loaded.error());
        topology = std::move(*loaded);
    } else {
        auto lab = find_lab(args.common.lab, args.common.base);
        if (!lab) return report(exit_failure, lab.error());
        topology = std::move(lab->topology);
    }
    const auto dot = to_dot(topology);
    return args.format == "svg" ? write_svg(dot, args.output) : write_dot(dot, args.output);
}

}  // namespace shmiflab
