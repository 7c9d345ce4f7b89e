#include "control_test_util.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "shmifd/control/protocol.hpp"

extern char** environ;

namespace shmifd::control::test {

void ScriptedHandler::handle(Request request, Done done) {
    if (script_) return script_(std::move(request), std::move(done));
    done(nlohmann::json{{"cmd", request.cmd}, {"args", request.args}});
}

void LaterPool::after(std::chrono::milliseconds delay, std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back([delay, fn = std::move(fn)] {
        std::this_thread::sleep_for(delay);
        fn();
    });
}

void LaterPool::join() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        threads.swap(threads_);
    }
    for (auto& thread : threads)
        thread.join();
}

ServerHarness::ServerHarness(ServerOptions options, int threads)
    : socket_(dir_.file("run/control.sock")) {
    if (options.path.empty()) options.path = socket_;
    socket_ = options.path;
    server_.emplace(io_, handler_, options);
    server_->start();
    guard_.emplace(io_.get_executor());
    for (int i = 0; i < threads; ++i)
        threads_.emplace_back([this] { io_.run(); });
}

ServerHarness::~ServerHarness() {
    guard_.reset();
    io_.stop();
    for (auto& thread : threads_)
        thread.join();
    server_.reset();
}

ControlClient ServerHarness::connect() const {
    auto client = ControlClient::connect(socket_, 5s);
    if (!client) throw std::runtime_error("connect: " + client.error().message);
    return std::move(*client);
}

int ServerHarness::raw_connect() const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool ServerHarness::stop(std::chrono::milliseconds limit) {
    auto stopped = std::make_shared<std::promise<void>>();
    auto future = stopped->get_future();
    server_->stop([stopped] { stopped->set_value(); });
    return future.wait_for(limit) == std::future_status::ready;
}

nlohmann::json call(ControlClient& client, const std::string& cmd, nlohmann::json args) {
    Request request;
    request.cmd = cmd;
    request.args = std::move(args);
    auto reply = client.call(std::move(request), 5s);
    if (!reply) {
        ADD_FAILURE() << "call " << cmd << ": " << reply.error().message;
        return nullptr;
    }
    if (reply->result) return nlohmann::json{{"ok", true}, {"result", *reply->result}};
    return nlohmann::json{{"ok", false},
                          {"code", reply->result.error().code},
                          {"message", reply->result.error().message}};
}

nlohmann::json read_reply(ControlClient& client, std::chrono::milliseconds timeout) {
    auto line = client.read_line(timeout);
    if (!line) {
        ADD_FAILURE() << "read_line: " << line.error().message;
        return nullptr;
    }
    return nlohmann::json::parse(*line, nullptr, false);
}

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> environment_with(const std::vector<std::string>& changes) {
    std::vector<std::string> env;
    for (char** entry = environ; *entry; ++entry)
        env.emplace_back(*entry);
    for (const auto& change : changes) {
        const std::string name = change.substr(0, change.find('=') + 1);
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(name); });
        if (change.size() > name.size()) env.push_back(change);
    }
    return env;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          std::chrono::milliseconds limit) {
    shmif::test::TempDir dir;
    const std::string out = dir.file("out"), err = dir.file("err");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    auto environment = environment_with(env);
    std::vector<char*> envp;
    for (auto& entry : environment)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ProcessResult result;
    if (rc != 0) {
        ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(rc);
        return result;
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            ADD_FAILURE() << argv[0] << " did not finish in time";
            break;
        }
        std::this_thread::sleep_for(5ms);
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    result.out = slurp(out);
    result.err = slurp(err);
    return result;
}

long resident_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    return -1;
}

}  // namespace shmifd::control::test
