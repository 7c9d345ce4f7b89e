// ControlClient: plain blocking-free POSIX I/O with poll() deadlines.
#include "shmifd/control/client.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "errno_text.hpp"

namespace shmifd::control {
namespace {

using Clock = std::chrono::steady_clock;

std::unexpected<ClientError> client_error(ClientError::Kind kind, std::string message) {
    return std::unexpected(ClientError{kind, std::move(message)});
}

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd entry{fd, events, 0};
        const int ready =
            ::poll(&entry, 1, static_cast<int>(std::min<long long>(left.count(), 60000)));
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return true;  // let the I/O call report the error
    }
}

}  // namespace

std::expected<ControlClient, ClientError> ControlClient::connect(
    const std::filesystem::path& path, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.native().empty() || path.native().size() >= sizeof(address.sun_path))
        return client_error(ClientError::Kind::connect,
                            fmt::format("{}: not a usable socket path", path.native()));
    std::memcpy(address.sun_path, path.c_str(), path.native().size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return client_error(ClientError::Kind::connect, "socket: " + errno_text(errno));
    ControlClient client(fd);
    // A Unix socket whose backlog is full answers EAGAIN: retry until the deadline.
    for (;;) {
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
            return client;
        const int error = errno;
        if (error == EINTR) continue;
        if (error == EINPROGRESS) {
            if (!wait_for(fd, POLLOUT, deadline)) break;
            int result = 0;
            socklen_t size = sizeof result;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &result, &size);
            if (result == 0) return client;
            return client_error(ClientError::Kind::connect,
                                fmt::format("{}: {}", path.native(), errno_text(result)));
        }
        if (error != EAGAIN)
            return client_error(ClientError::Kind::connect,
                                fmt::format("{}: {}", path.native(), errno_text(error)));
        if (Clock::now() >= deadline) break;
        ::usleep(10000);  // no event to wait for: the listener's queue is full
    }
    return client_error(ClientError::Kind::connect,
                        fmt::format("{}: connect timed out", path.native()));
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      next_id_(other.next_id_),
      buffer_(std::move(other.buffer_)) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        next_id_ = other.next_id_;
        buffer_ = std::move(other.buffer_);
    }
    return *this;
}

ControlClient::~ControlClient() {
    if (fd_ >= 0) ::close(fd_);
}

std::expected<void, ClientError> ControlClient::send_raw(std::string_view bytes,
                                                         std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            if (!wait_for(fd_, POLLOUT, deadline))
                return client_error(ClientError::Kind::timeout, "sending the request timed out");
            continue;
        }
        return client_error(ClientError::Kind::io, "send: " + errno_text(errno));
    }
    return {};
}

std::expected<std::string, ClientError> ControlClient::read_line(
    std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        char chunk[16384];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return client_error(ClientError::Kind::io, "the daemon closed the connection");
        if (errno == EINTR) continue;
        if (errno != EAGAIN)
            return client_error(ClientError::Kind::io, "receive: " + errno_text(errno));
        if (!wait_for(fd_, POLLIN, deadline))
            return client_error(ClientError::Kind::timeout, "no reply in time");
    }
}

std::expected<Reply, ClientError> ControlClient::call(Request request,
                                                      std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    if (request.id.is_null()) request.id = next_id_++;
    if (auto sent = send_raw(request_line(request), timeout); !sent)
        return std::unexpected(sent.error());
    // Replies come in request order; one with another id would be a stray from raw use.
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto line = read_line(std::max(left, std::chrono::milliseconds(0)));
        if (!line) return std::unexpected(line.error());
        auto reply = parse_reply(*line);
        if (!reply) return client_error(ClientError::Kind::protocol, reply.error());
        if (reply->id == request.id || reply->id.is_null()) return std::move(*reply);
    }
}

}  // namespace shmifd::control
