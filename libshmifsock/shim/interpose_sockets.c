/* The calls that create sockets or name addresses: AF_INET and AF_INET6 sockets are the
 * daemon's, every other family the kernel's; a call on a descriptor goes where the descriptor
 * belongs. Name resolution (getaddrinfo) is left alone: it answers from the host's files and
 * resolvers, and the addresses it gives are used on the daemon's sockets. */
/* No _GNU_SOURCE here: with it glibc declares the address arguments as transparent unions,
 * which these definitions could not match. accept4 is declared by hand for that reason. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "real_libc.h"
#include "shim_state.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

SHIM_EXPORT int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags);

/* Forwards a call on `fd` to libshmifsock when it is virtual (`virtual_call` may use
 * `session`), else to the kernel. */
#define ROUTE(fd, virtual_call, kernel_call)             \
    do {                                                 \
        if (shim_is_virtual(shim_classify(fd))) {        \
            shmifsock_session* session = shim_session(); \
            if (session == NULL) return -1;              \
            return virtual_call;                         \
        }                                                \
        return kernel_call;                              \
    } while (0)

SHIM_EXPORT int socket(int domain, int type, int protocol) {
    /* AF_INET6 is the daemon's too (dual stack: IPv4 peers as ::ffff:a.b.c.d), unless
     * $SHMIFRUN_INET6=kernel leaves it to the host. */
    const int virtual_domain = domain == AF_INET || (domain == AF_INET6 && !shim_inet6_to_kernel());
    if (!virtual_domain) {
        const int fd = real_libc()->socket(domain, type, protocol);
        if (fd >= 0) fd_table_set(fd, FD_KERNEL);
        return fd;
    }
    shmifsock_session* session = shim_session();
    if (session == NULL) return -1;
    const char* family = domain == AF_INET ? "AF_INET" : "AF_INET6";
    const int fd = shmifsock_socket(session, domain, type, protocol);
    if (fd >= 0) {
        const int udp = (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_DGRAM;
        fd_table_set(fd, udp ? FD_VIRTUAL_UDP : FD_VIRTUAL_TCP);
        shim_debug("socket(%s, %s) = %d", family, udp ? "udp" : "tcp", fd);
    } else {
        shim_debug("socket(%s, type %d, protocol %d) failed: errno %d", family, type, protocol,
                   errno);
    }
    return fd;
}

SHIM_EXPORT int bind(int fd, const struct sockaddr* addr, socklen_t len) {
    ROUTE(fd, shmifsock_bind(session, fd, addr, len), real_libc()->bind(fd, addr, len));
}

SHIM_EXPORT int listen(int fd, int backlog) {
    ROUTE(fd, shmifsock_listen(session, fd, backlog), real_libc()->listen(fd, backlog));
}

/* A new descriptor's number may carry an entry from a descriptor closed where the shim could
 * not see it: each accepted one is recorded as what it is. */
static int accepted(int fd, enum fd_kind kind) {
    if (fd >= 0) fd_table_set(fd, kind);
    return fd;
}

SHIM_EXPORT int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
    ROUTE(fd, accepted(shmifsock_accept4(session, fd, addr, len, flags), FD_VIRTUAL_TCP),
          accepted(real_libc()->accept4(fd, addr, len, flags), FD_KERNEL));
}

SHIM_EXPORT int accept(int fd, struct sockaddr* addr, socklen_t* len) {
    ROUTE(fd, accepted(shmifsock_accept4(session, fd, addr, len, 0), FD_VIRTUAL_TCP),
          accepted(real_libc()->accept(fd, addr, len), FD_KERNEL));
}

SHIM_EXPORT int connect(int fd, const struct sockaddr* addr, socklen_t len) {
    ROUTE(fd, shmifsock_connect_socket(session, fd, addr, len),
          real_libc()->connect(fd, addr, len));
}

SHIM_EXPORT int getsockname(int fd, struct sockaddr* addr, socklen_t* len) {
    ROUTE(fd, shmifsock_getsockname(session, fd, addr, len),
          real_libc()->getsockname(fd, addr, len));
}

SHIM_EXPORT int getpeername(int fd, struct sockaddr* addr, socklen_t* len) {
    ROUTE(fd, shmifsock_getpeername(session, fd, addr, len),
          real_libc()->getpeername(fd, addr, len));
}

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
    ROUTE(fd, shmifsock_setsockopt(session, fd, level, name, value, len),
          real_libc()->setsockopt(fd, level, name, value, len));
}

SHIM_EXPORT int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
    ROUTE(fd, shmifsock_getsockopt(session, fd, level, name, value, len),
          real_libc()->getsockopt(fd, level, name, value, len));
}
