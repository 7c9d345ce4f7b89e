#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace shmif::testing::detail {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

// The exit status, or nullopt while it runs (until the deadline).
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
    for (;;) {
        int status = 0;
        const pid_t got = ::waitpid(pid, &status, WNOHANG);
        if (got == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (got < 0 && errno != EINTR) return -1;
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace

Finished run(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
             std::chrono::milliseconds timeout) {
    Finished done;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        done.output = std::string("pipe: ") + std::strerror(errno);
        return done;
    }
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    ::posix_spawn_file_actions_adddup2(&actions, fds[1], 2);

    std::vector<std::string> env_text = extra_env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        const auto name = entry.substr(0, entry.find('=') + 1);
        // The extra variables win over the environment's.
        bool replaced = false;
        for (const auto& extra : extra_env)
            replaced = replaced || extra.starts_with(name);
        if (!replaced) env_text.push_back(entry);
    }
    std::vector<char*> args, env;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env_text)
        env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);

    pid_t pid = -1;
    const int spawned =
        ::posix_spawn(&pid, argv.at(0).c_str(), &actions, nullptr, args.data(), env.data());
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (spawned != 0) {
        ::close(fds[0]);
        done.output = argv[0] + ": " + std::strerror(spawned);
        return done;
    }

    const auto deadline = Clock::now() + timeout;
    bool timed_out = false;
    for (;;) {
        pollfd p{fds[0], POLLIN, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0 && Clock::now() >= deadline) {
            timed_out = true;
            break;
        }
        if (ready <= 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // end of file: it (and whatever shares its output) is done
        done.output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    auto status = timed_out ? std::nullopt : wait_until(pid, deadline + std::chrono::seconds(5));
    if (!status) {
        ::kill(pid, SIGKILL);
        wait_until(pid, Clock::now() + std::chrono::seconds(5));
        done.output +=
            "\n(killed: it did not finish within " + std::to_string(timeout.count()) + " ms)";
        return done;
    }
    done.status = *status;
    return done;
}

std::optional<std::string> find_program(const std::string& name) {
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const auto dir = dirs.substr(start, end - start);
        const auto candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

}  // namespace shmif::testing::detail
