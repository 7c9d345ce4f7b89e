#include "processes.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace shmiflab {

using namespace std::chrono_literals;

std::expected<pid_t, std::string> start_detached(const std::vector<std::string>& argv,
                                                 const std::string& log) {
    // Everything the child needs is prepared before fork: it only makes system calls.
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) return std::unexpected(log + ": " + std::strerror(errno));
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const std::string exec_failed = "shmiflab: cannot run " + argv[0] + "\n";
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(out);
        if (in >= 0) ::close(in);
        return std::unexpected(std::string("fork: ") + std::strerror(error));
    }
    if (pid == 0) {
        ::setsid();
        if (in >= 0) ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execv(args[0], args.data());
        [[maybe_unused]] auto n = ::write(2, exec_failed.data(), exec_failed.size());
        ::_exit(127);
    }
    ::close(out);
    if (in >= 0) ::close(in);
    return pid;
}

std::optional<int> wait_child(pid_t pid, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return status;
        if (done < 0 && errno != EINTR) return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool alive(pid_t pid) {
    if (pid <= 0) return false;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    // A zombie that is not ours (its parent has not reaped it yet) has ended too.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    const auto paren = text.rfind(')');
    return !(paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z');
}

bool runs_with(pid_t pid, const std::string& marker) {
    if (!alive(pid)) return false;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string arg;
    while (std::getline(in, arg, '\0'))
        if (arg == marker) return true;
    return false;
}

namespace {

// Waits until none of `pids` is alive or `timeout` passed; the ones still alive.
std::vector<pid_t> wait_gone(std::vector<pid_t> pids, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::erase_if(pids, [](pid_t p) { return !alive(p); });
        if (pids.empty() || std::chrono::steady_clock::now() >= deadline) return pids;
        std::this_thread::sleep_for(10ms);
    }
}

}  // namespace

std::vector<pid_t> stop_all(const std::vector<pid_t>& pids, std::chrono::milliseconds grace) {
    for (pid_t p : pids)
        if (alive(p)) ::kill(p, SIGTERM);
    auto left = wait_gone(pids, grace);
    for (pid_t p : left)
        ::kill(p, SIGKILL);
    return wait_gone(std::move(left), 1s);
}

std::optional<pid_t> read_pid_file(const std::string& path) {
    std::ifstream in(path);
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return std::nullopt;
    return static_cast<pid_t>(pid);
}

bool write_pid_file(const std::string& path, pid_t pid) {
    std::ofstream out(path, std::ios::trunc);
    out << pid << '\n';
    return static_cast<bool>(out.flush());
}

std::string tail_of(const std::string& path, std::size_t lines) {
    std::ifstream in(path);
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);)
        all.push_back(std::move(line));
    std::ostringstream out;
    const std::size_t from = all.size() > lines ? all.size() - lines : 0;
    for (std::size_t i = from; i < all.size(); ++i)
        out << "    " << all[i] << '\n';
    return out.str();
}

}  // namespace shmiflab
