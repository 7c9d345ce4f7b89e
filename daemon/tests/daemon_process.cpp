#include "daemon_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace shmifd::test {

pid_t spawn(const std::vector<std::string>& argv, const std::string& log,
            const std::vector<std::string>& env) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e)
        envp.push_back(*e);
    for (const auto& e : env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(timeout.count()));
        ::close(pidfd);
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text_file(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

DaemonProcess::DaemonProcess(std::string dir, std::string name, std::vector<std::string> args,
                             std::vector<std::string> env)
    : socket_(dir + "/" + name + ".sock"), log_(dir + "/" + name + ".log"), env_(std::move(env)) {
    argv_.push_back(SHMIFD_BIN);
    argv_.insert(argv_.end(), args.begin(), args.end());
    argv_.push_back("--socket");
    argv_.push_back(socket_);
    pid_ = spawn(argv_, log_, env_);
}

DaemonProcess::~DaemonProcess() {
    if (pid_ > 0) kill9();
}

std::vector<std::string> DaemonProcess::quick(const std::string& bus, const std::string& addr,
                                              int workers) {
    return {"--bus",       bus,    "--addr", addr, "--workers", std::to_string(workers),
            "--log-level", "debug"};
}

bool DaemonProcess::wait_ready(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        if (auto client = control::ControlClient::connect(socket_, 200ms)) {
            control::Request request;
            request.cmd = "version";
            auto reply = client->call(std::move(request), 2s);
            if (reply && reply->result) return true;
        }
        std::this_thread::sleep_for(20ms);  // the socket does not exist yet: poll for it
    }
    return false;
}

control::Result DaemonProcess::call(const std::string& cmd, nlohmann::json args,
                                    std::chrono::milliseconds timeout) {
    auto client = control::ControlClient::connect(socket_, 2s);
    if (!client) return std::unexpected(control::CommandError{"connect", client.error().message});
    control::Request request;
    request.cmd = cmd;
    request.args = std::move(args);
    auto reply = client->call(std::move(request), timeout);
    if (!reply) return std::unexpected(control::CommandError{"client", reply.error().message});
    return reply->result;
}

nlohmann::json DaemonProcess::ping(const std::string& to, int count, int timeout_ms) {
    return ok("ping",
              {{"addr", to}, {"count", count}, {"interval_ms", 20}, {"timeout_ms", timeout_ms}},
              std::chrono::milliseconds(count * 20 + timeout_ms + 5000));
}

nlohmann::json DaemonProcess::ok(const std::string& cmd, nlohmann::json args,
                                 std::chrono::milliseconds timeout) {
    const auto text = args.dump();
    auto result = call(cmd, std::move(args), timeout);
    if (!result) {
        ADD_FAILURE() << socket_ << ": " << cmd << " " << text << ": " << result.error().code
                      << ": " << result.error().message;
        return nlohmann::json::object();
    }
    return *result;
}

void DaemonProcess::signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> DaemonProcess::stop(int sig, std::chrono::milliseconds timeout) {
    signal(sig);
    auto status = wait_exit(pid_, timeout);
    if (status) pid_ = -1;
    return status;
}

void DaemonProcess::kill9() {
    ::kill(pid_, SIGKILL);
    (void)wait_exit(pid_, 10s);
    pid_ = -1;
}

void DaemonProcess::restart() {
    if (pid_ > 0) kill9();
    pid_ = spawn(argv_, log_, env_);
}

}  // namespace shmifd::test
