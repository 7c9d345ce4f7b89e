#include "control_channel.hpp"

#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace shmifsock {
namespace {
constexpr std::size_t kMaxFdsPerRead = 16;
}  // namespace

void collect_fds(msghdr& msg, std::vector<UniqueFd>& into) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const auto count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            into.emplace_back(fd);
        }
    }
}

std::expected<ControlChannel, int> ControlChannel::open(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path)
        return std::unexpected(ENAMETOOLONG);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(kernel::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return std::unexpected(errno);
    while (kernel::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) !=
           0) {
        if (errno != EINTR) return std::unexpected(errno);
    }
    return ControlChannel(std::move(fd));
}

std::expected<void, int> ControlChannel::send(std::string_view bytes) {
    while (!bytes.empty()) {
        iovec part{const_cast<char*>(bytes.data()), bytes.size()};
        msghdr msg{};
        msg.msg_iov = &part;
        msg.msg_iovlen = 1;
        const ssize_t n = kernel::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

std::expected<ReplyLine, int> ControlChannel::read_line() {
    for (;;) {
        if (const auto end = buffer_.find('\n'); end != std::string::npos) {
            ReplyLine line{buffer_.substr(0, end), std::move(pending_)};
            buffer_.erase(0, end + 1);
            pending_.clear();
            return line;
        }
        if (buffer_.size() > kMaxLine) return std::unexpected(EPROTO);
        char data[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(kMaxFdsPerRead * sizeof(int))];
        iovec part{data, sizeof data};
        msghdr msg{};
        msg.msg_iov = &part;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = kernel::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(errno);
        }
        collect_fds(msg, pending_);
        if (msg.msg_flags & MSG_CTRUNC) return std::unexpected(EPROTO);  // descriptors lost
        if (n == 0) return std::unexpected(ECONNRESET);
        buffer_.append(data, static_cast<std::size_t>(n));
    }
}

}  // namespace shmifsock
