/* Data calls. TCP data moves on the descriptor as it is (the kernel's calls), except that
 * addresses are kept away from the Unix socket beneath (a TCP socket ignores a destination
 * and reports no source). UDP descriptors carry a header per datagram, which these calls add
 * and strip, so read/write/send/recv and the rest see plain datagrams. Kernel descriptors go
 * straight through; descriptors received with SCM_RIGHTS are classified anew. */
/* No _GNU_SOURCE: see interpose_sockets.c. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "real_libc.h"
#include "shim_state.h"
#include "udp_framing.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

static ssize_t udp_recv_buffer(int fd, void* buf, size_t len, int flags, struct sockaddr* src,
                               socklen_t* srclen) {
    struct iovec part = {buf, len};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &part;
    msg.msg_iovlen = 1;
    msg.msg_name = src;
    msg.msg_namelen = srclen ? *srclen : 0;
    const ssize_t n = udp_recv(fd, &msg, flags);
    if (n >= 0 && srclen != NULL) *srclen = msg.msg_namelen;
    return n;
}

static ssize_t udp_send_buffer(int fd, const void* buf, size_t len, int flags,
                               const struct sockaddr* dest, socklen_t destlen) {
    struct iovec part = {(void*)buf, len};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &part;
    msg.msg_iovlen = 1;
    msg.msg_name = (void*)dest;
    msg.msg_namelen = dest ? destlen : 0;
    return udp_send(fd, &msg, flags);
}

/* Why a virtual TCP connection ended (SO_ERROR of the daemon's socket, taken once), or 0. */
static int ended_with(int fd) {
    shmifsock_session* session = shim_session();
    int error = 0;
    socklen_t size = sizeof error;
    if (session == NULL ||
        shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
        return 0;
    return error;
}

/* Whether the daemon's end of a descriptor is still open: an end-of-file then is the peer's
 * FIN (the daemon shut its end for writing), never an error, which the daemon reports by
 * closing its end (the descriptor hangs up at the same moment it reads end-of-file). */
static int daemon_end_open(int fd) {
    struct pollfd probe = {fd, POLLIN, 0};
    return poll(&probe, 1, 0) == 1 && (probe.revents & (POLLHUP | POLLERR)) == 0;
}

/* A virtual TCP descriptor reads end-of-file both when the peer closed (FIN) and when the
 * connection was reset or timed out; the daemon knows which (SO_ERROR of the ended socket),
 * and, as the kernel's read does once, the call then fails with ECONNRESET or ETIMEDOUT.
 * Asked only at an end-of-file of a virtual TCP descriptor whose daemon end is closed (a
 * round trip saved on every connection a server reads to its end); errno is kept otherwise. */
static ssize_t tcp_read_result(int fd, ssize_t n, size_t len) {
    if (n != 0 || len == 0 || fd_table_get(fd) != FD_VIRTUAL_TCP) return n;
    if (daemon_end_open(fd)) return n;
    const int saved = errno;
    const int error = ended_with(fd);
    if (error != 0) {
        shim_debug("read(%d): the connection ended with error %d", fd, error);
        errno = error;
        return -1;
    }
    errno = saved;
    return n;
}

/* A write after the connection was reset or timed out meets the daemon's end closed, and the
 * pair says EPIPE. The kernel's write says why (ECONNRESET, ETIMEDOUT) once and raises no
 * signal; after that EPIPE, with SIGPIPE unless MSG_NOSIGNAL. So virtual TCP writes go out
 * with MSG_NOSIGNAL, and the signal, when it is due, is raised here. */
static ssize_t tcp_write_result(int fd, ssize_t n, int flags) {
    if (n >= 0 || errno != EPIPE) return n;
    const int error = ended_with(fd);
    if (error != 0) {
        shim_debug("write(%d): the connection ended with error %d", fd, error);
        errno = error;
        return -1;
    }
    if ((flags & MSG_NOSIGNAL) == 0) raise(SIGPIPE);
    errno = EPIPE;
    return -1;
}

static ssize_t tcp_send(int fd, const void* buf, size_t len, int flags) {
    return tcp_write_result(fd, real_libc()->send(fd, buf, len, flags | MSG_NOSIGNAL), flags);
}

static ssize_t tcp_sendmsg(int fd, const struct msghdr* msg, int flags) {
    struct msghdr nameless = *msg;
    nameless.msg_name = NULL; /* a connected TCP socket ignores the destination */
    nameless.msg_namelen = 0;
    return tcp_write_result(fd, real_libc()->sendmsg(fd, &nameless, flags | MSG_NOSIGNAL), flags);
}

static size_t iov_bytes(const struct iovec* iov, size_t count) {
    size_t total = 0;
    for (size_t i = 0; i < count; ++i)
        total += iov[i].iov_len;
    return total;
}

void forget_received(const struct msghdr* msg) {
    if (msg->msg_control == NULL || msg->msg_controllen == 0) return;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(msg); c != NULL;
         c = CMSG_NXTHDR((struct msghdr*)msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fd_table_set(fd, FD_UNKNOWN);
        }
    }
}

SHIM_EXPORT ssize_t read(int fd, void* buf, size_t len) {
    if (is_udp(fd)) return udp_recv_buffer(fd, buf, len, 0, NULL, NULL);
    return tcp_read_result(fd, real_libc()->read(fd, buf, len), len);
}

SHIM_EXPORT ssize_t __read_chk(int fd, void* buf, size_t len, size_t buflen) {
    if (len <= buflen && is_udp(fd)) return udp_recv_buffer(fd, buf, len, 0, NULL, NULL);
    /* aborts when len > buflen */
    return tcp_read_result(fd, real_libc()->read_chk(fd, buf, len, buflen), len);
}

SHIM_EXPORT ssize_t write(int fd, const void* buf, size_t len) {
    switch (shim_classify(fd)) {
        case FD_VIRTUAL_UDP:
            return udp_send_buffer(fd, buf, len, 0, NULL, 0);
        case FD_VIRTUAL_TCP:
            return tcp_send(fd, buf, len, 0);
        default:
            return real_libc()->write(fd, buf, len);
    }
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec* iov, int count) {
    if (is_udp(fd)) {
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = (struct iovec*)iov;
        msg.msg_iovlen = count < 0 ? 0 : (size_t)count;
        if (count < 0) {
            errno = EINVAL;
            return -1;
        }
        return udp_recv(fd, &msg, 0);
    }
    const ssize_t n = real_libc()->readv(fd, iov, count);
    return count > 0 ? tcp_read_result(fd, n, iov_bytes(iov, (size_t)count)) : n;
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec* iov, int count) {
    if (is_udp(fd)) {
        if (count < 0) {
            errno = EINVAL;
            return -1;
        }
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = (struct iovec*)iov;
        msg.msg_iovlen = (size_t)count;
        return udp_send(fd, &msg, 0);
    }
    if (count > 0 && shim_classify(fd) == FD_VIRTUAL_TCP) {
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = (struct iovec*)iov;
        msg.msg_iovlen = (size_t)count;
        return tcp_sendmsg(fd, &msg, 0);
    }
    return real_libc()->writev(fd, iov, count);
}

SHIM_EXPORT ssize_t recv(int fd, void* buf, size_t len, int flags) {
    if (is_udp(fd)) return udp_recv_buffer(fd, buf, len, flags, NULL, NULL);
    return tcp_read_result(fd, real_libc()->recv(fd, buf, len, flags), len);
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags) {
    if (len <= buflen && is_udp(fd)) return udp_recv_buffer(fd, buf, len, flags, NULL, NULL);
    return tcp_read_result(fd, real_libc()->recv_chk(fd, buf, len, buflen, flags), len);
}

SHIM_EXPORT ssize_t send(int fd, const void* buf, size_t len, int flags) {
    switch (shim_classify(fd)) {
        case FD_VIRTUAL_UDP:
            return udp_send_buffer(fd, buf, len, flags, NULL, 0);
        case FD_VIRTUAL_TCP:
            return tcp_send(fd, buf, len, flags);
        default:
            return real_libc()->send(fd, buf, len, flags);
    }
}

static ssize_t recvfrom_routed(int fd, void* buf, size_t len, int flags, struct sockaddr* src,
                               socklen_t* srclen) {
    switch (shim_classify(fd)) {
        case FD_VIRTUAL_UDP:
            return udp_recv_buffer(fd, buf, len, flags, src, srclen);
        case FD_VIRTUAL_TCP: {
            const ssize_t n = real_libc()->recvfrom(fd, buf, len, flags, NULL, NULL);
            if (n >= 0 && srclen != NULL) *srclen = 0; /* as TCP: no source address */
            return tcp_read_result(fd, n, len);
        }
        default:
            return real_libc()->recvfrom(fd, buf, len, flags, src, srclen);
    }
}

SHIM_EXPORT ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* src,
                             socklen_t* srclen) {
    return recvfrom_routed(fd, buf, len, flags, src, srclen);
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen, int flags,
                                   struct sockaddr* src, socklen_t* srclen) {
    if (len > buflen) return real_libc()->recvfrom_chk(fd, buf, len, buflen, flags, src, srclen);
    return recvfrom_routed(fd, buf, len, flags, src, srclen);
}

SHIM_EXPORT ssize_t sendto(int fd, const void* buf, size_t len, int flags,
                           const struct sockaddr* dest, socklen_t destlen) {
    switch (shim_classify(fd)) {
        case FD_VIRTUAL_UDP:
            return udp_send_buffer(fd, buf, len, flags, dest, destlen);
        case FD_VIRTUAL_TCP: /* a connected TCP socket ignores the destination */
            return tcp_send(fd, buf, len, flags);
        default:
            return real_libc()->sendto(fd, buf, len, flags, dest, destlen);
    }
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
    switch (shim_classify(fd)) {
        case FD_VIRTUAL_UDP:
            return udp_recv(fd, msg, flags);
        case FD_VIRTUAL_TCP: {
            struct msghdr nameless = *msg;
            nameless.msg_name = NULL;
            nameless.msg_namelen = 0;
            const ssize_t n = real_libc()->recvmsg(fd, &nameless, flags);
            if (n >= 0) {
                msg->msg_namelen = 0;
                msg->msg_controllen = nameless.msg_controllen;
                msg->msg_flags = nameless.msg_flags;
            }
            return tcp_read_result(fd, n, iov_bytes(msg->msg_iov, msg->msg_iovlen));
        }
        default: {
            const ssize_t n = real_libc()->recvmsg(fd, msg, flags);
            if (n >= 0) forget_received(msg);
            return n;
        }
    }
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
    switch (shim_classify(fd)) {
        case FD_VIRTUAL_UDP:
            return udp_send(fd, msg, flags);
        case FD_VIRTUAL_TCP:
            return tcp_sendmsg(fd, msg, flags);
        default:
            return real_libc()->sendmsg(fd, msg, flags);
    }
}
