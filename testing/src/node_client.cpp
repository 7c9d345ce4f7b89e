// NodeClient: daemon/PROTOCOL.md over a fresh Unix stream connection per request: one JSON
// line out, one back, every step bounded by the call's deadline.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shmif/testing/lab.hpp"

namespace shmif::testing {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t max_reply = 64u << 20;  // udp.recv may carry 1 MiB as base64, and more

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// Until `events` on fd, or the deadline: "" when ready, else why not.
std::string wait_for(int fd, short events, Clock::time_point deadline, const char* what) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return std::string("timed out waiting to ") + what;
        pollfd p{fd, events, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left));
        if (ready > 0) return "";
        if (ready < 0 && errno != EINTR) return errno_text("poll");
    }
}

Reply failed(std::string why) {
    Reply reply;
    reply.error = std::move(why);
    return reply;
}

}  // namespace

NodeClient::NodeClient(std::string name, std::string socket)
    : name_(std::move(name)), socket_(std::move(socket)) {}

Reply NodeClient::call(const std::string& cmd, nlohmann::json args,
                       std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    const std::string who = "node " + name_ + " (" + socket_ + "): ";
    sockaddr_un address{};
    if (socket_.empty() || socket_.size() >= sizeof address.sun_path)
        return failed(who + "no usable control socket path");
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return failed(who + errno_text("socket"));
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_.c_str(), socket_.size() + 1);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        if (errno != EAGAIN && errno != EINPROGRESS) return failed(who + errno_text("connect"));
        // A full listen queue: wait for room.
        if (auto why = wait_for(fd.get(), POLLOUT, deadline, "connect"); !why.empty())
            return failed(who + why);
    }

    const std::string line =
        nlohmann::json{{"v", 1}, {"id", 1}, {"cmd", cmd}, {"args", std::move(args)}}.dump() + "\n";
    for (std::size_t sent = 0; sent < line.size();) {
        const ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (auto why = wait_for(fd.get(), POLLOUT, deadline, "send"); !why.empty())
                return failed(who + why);
        } else {
            return failed(who + errno_text("send"));
        }
    }

    std::string text;
    for (;;) {
        if (auto why = wait_for(fd.get(), POLLIN, deadline, "receive the reply"); !why.empty())
            return failed(who + why + " (" + cmd + ")");
        char buffer[65536];
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) return failed(who + errno_text("recv"));
        if (n == 0) return failed(who + "the daemon closed the connection without a reply");
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.find('\n') != std::string::npos) break;
        if (text.size() > max_reply) return failed(who + "reply line too long");
    }
    text.resize(text.find('\n'));
    auto reply = nlohmann::json::parse(text, nullptr, false);
    if (reply.is_discarded() || !reply.is_object())
        return failed(who + "the reply is not a JSON object: " + text.substr(0, 200));
    if (reply.value("ok", false)) {
        Reply ok;
        ok.ok = true;
        ok.result = reply.value("result", nlohmann::json::object());
        return ok;
    }
    const auto error = reply.value("error", nlohmann::json::object());
    return failed(who + cmd + ": " + error.value("code", std::string("?")) + ": " +
                  error.value("message", std::string()));
}

std::vector<std::string> NodeClient::addresses() const {
    std::vector<std::string> out;
    const auto reply = call("addr.list");
    if (!reply) {
        ADD_FAILURE() << reply.error;
        return out;
    }
    for (const auto& entry : reply.result.value("addresses", nlohmann::json::array()))
        if (entry.value("if", std::string()) != "lo" && !entry.value("auto", false))
            out.push_back(entry.value("addr", std::string()));
    return out;
}

}  // namespace shmif::testing
