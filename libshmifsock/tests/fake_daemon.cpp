#include "fake_daemon.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <span>
#include <stdexcept>
#include <vector>

#include "shmifd/control/pass_fds.hpp"

namespace shmifsock::test {

Answer Answer::success(nlohmann::json result) {
    Answer answer;
    answer.result = std::move(result);
    return answer;
}

Answer Answer::failure(const char* code, const char* errno_name) {
    Answer answer;
    answer.ok = false;
    answer.error = {{"code", code}, {"message", "fake"}};
    if (errno_name != nullptr) answer.error["errno"] = errno_name;
    return answer;
}

FakeDaemon::FakeDaemon(std::string path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0)
        throw std::runtime_error("fake daemon: cannot listen on " + path_);
    stop_ = ::eventfd(0, EFD_CLOEXEC);
    acceptor_ = std::thread([this] { accept_loop(); });
}

FakeDaemon::~FakeDaemon() {
    die();
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& t : threads_)
        t.join();
    ::close(stop_);
}

void FakeDaemon::die() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(stop_, &one, sizeof one);
    std::lock_guard lock(mutex_);
    for (const int fd : clients_)
        ::shutdown(fd, SHUT_RDWR);
}

std::vector<nlohmann::json> FakeDaemon::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void FakeDaemon::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{listener_, POLLIN, 0}, {stop_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents) break;
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        ++connections_;
        std::lock_guard lock(mutex_);
        clients_.push_back(fd);
        threads_.emplace_back([this, fd] { serve(fd); });
    }
    ::close(listener_);
    ::unlink(path_.c_str());
}

void FakeDaemon::serve(int fd) {
    std::string buffer;
    char data[4096];
    for (;;) {
        const auto end = buffer.find('\n');
        if (end == std::string::npos) {
            const ssize_t n = ::read(fd, data, sizeof data);
            if (n <= 0) break;
            buffer.append(data, static_cast<std::size_t>(n));
            continue;
        }
        const auto request = nlohmann::json::parse(buffer.substr(0, end));
        buffer.erase(0, end + 1);
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
        }
        const Answer answer = handler_(request);
        nlohmann::json reply = {
            {"v", 1}, {"id", request.value("id", nlohmann::json())}, {"ok", answer.ok}};
        if (answer.ok)
            reply["result"] = answer.result;
        else
            reply["error"] = answer.error;
        const std::string line = reply.dump() + "\n";
        // The descriptor rides on the first byte; the rest follows separately, as a daemon
        // writing through a stream may well do.
        const int fds[1] = {answer.fd};
        const bool sent =
            shmifd::control::send_with_fds(
                fd, line.data(), 1, std::span(fds, answer.fd >= 0 ? 1 : 0), MSG_NOSIGNAL) == 1 &&
            ::send(fd, line.data() + 1, line.size() - 1, MSG_NOSIGNAL) ==
                static_cast<ssize_t>(line.size() - 1);
        if (answer.fd >= 0) ::close(answer.fd);
        if (!sent) break;
    }
    std::lock_guard lock(mutex_);
    std::erase(clients_, fd);
    ::close(fd);
}

FakeSockets::FakeSockets() {
    static std::atomic<unsigned> instances{0};
    char tag[17];
    std::snprintf(tag, sizeof tag, "%08x%08x", static_cast<unsigned>(::getpid()), instances++);
    tag_ = tag;
}

FakeSockets::~FakeSockets() {
    for (const auto& [sock, fd] : ends_)
        ::close(fd);
}

Answer FakeSockets::open(const std::string& type, const std::string& domain) {
    int pair[2];
    if (::socketpair(AF_UNIX, (type == "tcp" ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC, 0,
                     pair) != 0)
        return Answer::failure("failed", "EMFILE");
    std::lock_guard lock(mutex_);
    const auto sock = next_++;
    const std::string name =
        "shmifd/" + tag_ + "/" + std::to_string(sock) + (domain == "inet6" ? "/6" : "");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    if (::bind(pair[1], reinterpret_cast<sockaddr*>(&address),
               static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) != 0) {
        ::close(pair[0]);
        ::close(pair[1]);
        return Answer::failure("failed", "EADDRINUSE");  // fails the test that asked
    }
    ends_[sock] = pair[1];
    Answer answer;
    answer.result = {{"sock", sock}, {"tag", tag_}, {"pair_sndbuf", kPairSndbuf}};
    answer.fd = pair[0];
    return answer;
}

int FakeSockets::daemon_end(std::uint64_t sock) const {
    std::lock_guard lock(mutex_);
    const auto it = ends_.find(sock);
    return it == ends_.end() ? -1 : it->second;
}

}  // namespace shmifsock::test
