#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <thread>

extern char** environ;

namespace shmifd::test {
namespace {

std::atomic<int> process_count{0};

}  // namespace

std::string slurp(const std::string& path) {
    std::string text;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return text;
    char buf[4096];
    for (int i = 0; i < 16384; ++i) {  // 64 MiB at most
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        if (n == 0) break;
        text.append(buf, n);
    }
    std::fclose(f);
    return text;
}

Process::Process(const shmif::test::TempDir& dir, std::vector<std::string> argv) {
    const int n = ++process_count;
    out_path_ = dir.file("proc" + std::to_string(n) + ".out");
    err_path_ = dir.file("proc" + std::to_string(n) + ".err");
    std::vector<char*> args;
    for (auto& a : argv) {
        command_ += (command_.empty() ? "" : " ") + a;
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) pid_ = -1;
}

Process::~Process() {
    if (pid_ > 0 && !exited_) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
    }
}

bool Process::running() {
    if (pid_ <= 0 || exited_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        exited_ = true;
        status_ = st;
        return false;
    }
    return true;
}

void Process::signal(int sig) const {
    if (pid_ > 0 && !exited_) ::kill(pid_, sig);
}

Outcome Process::wait(std::chrono::milliseconds timeout) {
    Outcome r;
    if (pid_ > 0 && !wait_until([this] { return !running(); }, timeout)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        exited_ = true;
        status_ = -1;
    }
    if (exited_ && status_ >= 0 && WIFEXITED(status_)) r.exit_code = WEXITSTATUS(status_);
    r.out = slurp(out_path_);
    r.err = slurp(err_path_);
    return r;
}

std::string Process::err_so_far() const {
    return slurp(err_path_);
}

std::string Process::out_so_far() const {
    return slurp(out_path_);
}

Outcome run(const shmif::test::TempDir& dir, std::vector<std::string> argv,
            std::chrono::milliseconds timeout) {
    Process p(dir, std::move(argv));
    return p.wait(timeout);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return condition();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace shmifd::test
