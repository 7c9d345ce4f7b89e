#include "run_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include "processes.hpp"

namespace shmiflab {

using namespace std::chrono_literals;

std::expected<CommandResult, std::string> run_command(const std::vector<std::string>& argv,
                                                      std::chrono::milliseconds timeout) {
    // Everything the child needs is prepared before fork: it only makes system calls (the
    // caller may have threads, as ping-all has).
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const std::string exec_failed = "cannot run " + argv[0] + "\n";
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        return std::unexpected(std::string("pipe: ") + std::strerror(errno));
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        for (int fd : {out[0], out[1], in})
            if (fd >= 0) ::close(fd);
        return std::unexpected(std::string("fork: ") + std::strerror(error));
    }
    if (pid == 0) {
        if (in >= 0) ::dup2(in, 0);
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        ::execv(args[0], args.data());
        [[maybe_unused]] auto n = ::write(2, exec_failed.data(), exec_failed.size());
        ::_exit(127);
    }
    ::close(out[1]);
    if (in >= 0) ::close(in);

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    CommandResult result;
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) {
            result.timed_out = true;
            break;
        }
        pollfd readable{.fd = out[0], .events = POLLIN, .revents = 0};
        const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;  // the deadline is checked above
        const ssize_t n = ::read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // end of output: it exited (or closed both)
        result.output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    auto status = result.timed_out ? std::nullopt : wait_child(pid, deadline + 1s);
    if (!status) {
        result.timed_out = true;
        ::kill(pid, SIGKILL);
        status = wait_child(pid, std::chrono::steady_clock::now() + 5s);
    }
    if (status && WIFEXITED(*status) && !result.timed_out)
        result.exit_status = WEXITSTATUS(*status);
    return result;
}

std::string command_line(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& a : argv)
        line += (line.empty() ? "" : " ") + a;
    return line;
}

}  // namespace shmiflab
