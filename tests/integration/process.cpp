#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace shmif::test {

Pipe::Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read_end = fds[0];
    write_end = fds[1];
}

Pipe::~Pipe() {
    close_read();
    close_write();
}

void Pipe::close_read() {
    if (read_end >= 0) ::close(read_end);
    read_end = -1;
}

void Pipe::close_write() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
}

Child Child::spawn_peer(const std::vector<std::string>& args,
                        const std::vector<std::pair<int, int>>& fd_map) {
    std::vector<std::string> all{SHMIF_TEST_PEER};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears close-on-exec on the target, so only the mapped descriptors are inherited.
    for (auto [from, to] : fd_map)
        posix_spawn_file_actions_adddup2(&actions, from, to);
    Child c;
    const int rc = ::posix_spawn(&c.pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        c.pid_ = -1;
        throw std::runtime_error("posix_spawn of the peer failed");
    }
    return c;
}

Child::Child(Child&& other) noexcept : pid_(other.pid_), status_(other.status_) {
    other.pid_ = -1;
}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        pid_ = std::exchange(other.pid_, -1);
        status_ = other.status_;
    }
    return *this;
}

Child::~Child() {
    kill_and_reap();
}

bool Child::wait_for(std::chrono::milliseconds timeout) {
    if (pid_ < 0) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = st;
            pid_ = -1;
            return true;
        }
        if (r < 0 && errno != EINTR) {
            pid_ = -1;
            status_ = -1;
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
}

void Child::kill_and_reap() {
    if (pid_ < 0) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = st;
    pid_ = -1;
}

bool Child::exited_ok() const {
    return pid_ < 0 && WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
}

bool Child::killed_by(int signal) const {
    return pid_ < 0 && WIFSIGNALED(status_) && WTERMSIG(status_) == signal;
}

bool read_exact(int fd, void* buf, std::size_t n, std::chrono::milliseconds timeout) {
    auto* p = static_cast<char*>(buf);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (n > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd pfd{fd, POLLIN, 0};
        const int pr = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return false;
        const ssize_t r = ::read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

std::optional<ReportFile> read_report(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    ReportFile f;
    if (!in.read(reinterpret_cast<char*>(&f.report), sizeof f.report)) return std::nullopt;
    if (f.report.count > (1U << 26)) return std::nullopt;
    f.records.resize(f.report.count);
    const auto bytes = static_cast<std::streamsize>(f.records.size() * sizeof(WriterSeq));
    if (bytes > 0 && !in.read(reinterpret_cast<char*>(f.records.data()), bytes))
        return std::nullopt;
    return f;
}

char process_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return 0;
    // "pid (comm) S ...": the state follows the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) return 0;
    return line[close + 2];
}

}  // namespace shmif::test
