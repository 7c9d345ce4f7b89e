// UDP data: each datagram on the SOCK_SEQPACKET descriptor behind its 24-byte header. No
// request to the daemon; the header carries the address (a destination is checked against
// the socket's family, which the descriptor's name tells).
#include <climits>
#include <cstring>

#include "api_common.hpp"
#include "dgram_header.hpp"
#include "kernel.hpp"
#include "shmifsock.h"

using namespace shmifsock;

namespace {

constexpr auto kHeaderSize = static_cast<ssize_t>(sizeof(shmifsock_dgram));
constexpr std::size_t kMaxIov = IOV_MAX;
constexpr std::size_t kMaxPayload = 65507;  // an IPv4 UDP datagram's

std::size_t total_length(const iovec* iov, std::size_t count) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i)
        total += iov[i].iov_len;
    return total;
}

ssize_t send_framed(int fd, const shmifsock_dgram& header, const iovec* iov, std::size_t iovlen,
                    const msghdr* ancillary, int flags) {
    if (iovlen >= kMaxIov) return api::fail(EMSGSIZE);
    if (total_length(iov, iovlen) > kMaxPayload) return api::fail(EMSGSIZE);
    iovec parts[kMaxIov];
    parts[0] = {const_cast<shmifsock_dgram*>(&header), sizeof header};
    std::copy(iov, iov + iovlen, parts + 1);
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = iovlen + 1;
    if (ancillary != nullptr) {
        msg.msg_control = ancillary->msg_control;
        msg.msg_controllen = ancillary->msg_controllen;
    }
    // A UDP send never raises SIGPIPE; the pair's end would when the daemon is gone.
    const ssize_t n = kernel::sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
    if (n < 0) return -1;
    return n - kHeaderSize;
}

// Receives one datagram into `iov`; its source into `src`. MSG_TRUNC in *out_flags when the
// datagram was cut (here or by the daemon).
ssize_t recv_framed(int fd, const iovec* iov, std::size_t iovlen, sockaddr* src, socklen_t* srclen,
                    int flags, int* out_flags) {
    if (iovlen >= kMaxIov) return api::fail(EMSGSIZE);
    shmifsock_dgram header{};
    iovec parts[kMaxIov];
    parts[0] = {&header, sizeof header};
    std::copy(iov, iov + iovlen, parts + 1);
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = iovlen + 1;
    const ssize_t n = kernel::recvmsg(fd, &msg, flags);
    if (n < 0) return -1;
    if (n == 0) return api::fail(ECONNRESET);  // the daemon's end is gone
    if (n < kHeaderSize) return api::fail(EPROTO);
    if (header.flags & SHMIFSOCK_DGRAM_ERROR) {
        // Reported once, as Linux's sk_err: a peek takes it too.
        if (flags & MSG_PEEK) {
            iovec whole{&header, sizeof header};
            msghdr take{};
            take.msg_iov = &whole;
            take.msg_iovlen = 1;
            (void)kernel::recvmsg(fd, &take, MSG_DONTWAIT);
        }
        int number = 0;
        std::memcpy(&number, header.addr, sizeof number);
        return api::fail(number > 0 ? number : EPROTO);
    }
    source_from_header(header, src, srclen);
    if (out_flags != nullptr) {
        *out_flags = msg.msg_flags & ~MSG_CTRUNC;
        if (header.flags & SHMIFSOCK_DGRAM_TRUNCATED) *out_flags |= MSG_TRUNC;
    }
    return n - kHeaderSize;
}

}  // namespace

extern "C" {

ssize_t shmifsock_sendto(shmifsock_session* s, int fd, const void* buf, size_t len, int flags,
                         const struct sockaddr* dest, socklen_t destlen) {
    if (s == nullptr) return api::fail(EFAULT);
    const auto header =
        header_for_destination(dest != nullptr ? api::socket_domain(fd) : AF_INET, dest, destlen);
    if (!header) return api::fail(header.error());
    iovec part{const_cast<void*>(buf), len};
    return send_framed(fd, *header, &part, 1, nullptr, flags);
}

ssize_t shmifsock_recvfrom(shmifsock_session* s, int fd, void* buf, size_t len, int flags,
                           struct sockaddr* src, socklen_t* srclen) {
    if (s == nullptr) return api::fail(EFAULT);
    iovec part{buf, len};
    return recv_framed(fd, &part, 1, src, srclen, flags, nullptr);
}

ssize_t shmifsock_sendmsg(shmifsock_session* s, int fd, const struct msghdr* msg, int flags) {
    if (s == nullptr || msg == nullptr) return api::fail(EFAULT);
    const auto* dest = static_cast<const sockaddr*>(msg->msg_name);
    const auto header = header_for_destination(dest != nullptr ? api::socket_domain(fd) : AF_INET,
                                               dest, msg->msg_namelen);
    if (!header) return api::fail(header.error());
    return send_framed(fd, *header, msg->msg_iov, msg->msg_iovlen, msg, flags);
}

ssize_t shmifsock_recvmsg(shmifsock_session* s, int fd, struct msghdr* msg, int flags) {
    if (s == nullptr || msg == nullptr) return api::fail(EFAULT);
    int out_flags = 0;
    const ssize_t n =
        recv_framed(fd, msg->msg_iov, msg->msg_iovlen, static_cast<sockaddr*>(msg->msg_name),
                    msg->msg_name ? &msg->msg_namelen : nullptr, flags, &out_flags);
    if (n < 0) return n;
    if (msg->msg_name == nullptr) msg->msg_namelen = 0;
    msg->msg_controllen = 0;  // no IP_PKTINFO and the like from the daemon
    msg->msg_flags = out_flags;
    return n;
}

}  // extern "C"
