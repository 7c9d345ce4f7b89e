#include "lane.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <string_view>

namespace shmifsock {

bool Lane::still_ours() const {
    sockaddr_un address{};
    socklen_t length = sizeof address;
    if (kernel::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return false;
    // Abstract: a leading NUL, then the name, not terminated.
    const auto offset = offsetof(sockaddr_un, sun_path) + 1;
    if (length <= offset || address.sun_path[0] != '\0') return false;
    return std::string_view(address.sun_path + 1, length - offset) == name_;
}

Lane::~Lane() {
    if (fd_ && !still_ours()) (void)fd_.release();
}

Lane::Sent Lane::send(const shmifsock_lane_change& change) {
    if (!still_ours()) {
        (void)fd_.release();  // the number is someone else's now: never ours to close
        return Sent::broken;
    }
    iovec part{const_cast<shmifsock_lane_change*>(&change), sizeof change};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    for (;;) {
        const ssize_t n = kernel::sendmsg(fd_.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(sizeof change)) return Sent::sent;
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Sent::full : Sent::broken;
    }
}

}  // namespace shmifsock
