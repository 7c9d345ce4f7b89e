/* libshmifsock: TCP and UDP sockets in shmifd's stack for test processes (daemon/PROTOCOL.md,
 * "The socket service").
 *
 * Every virtual socket is a real file descriptor (one end of a Unix socketpair whose other end
 * the daemon holds), so read, write, poll, epoll, select, fork, dup and close work on it
 * untouched. Only the calls below, which create sockets or name addresses, talk to the daemon.
 * UDP descriptors carry a 24-byte header in front of each datagram: send and receive UDP data
 * with shmifsock_sendto/recvfrom/sendmsg/recvmsg, never with plain read/write.
 *
 * Every call returns -1 with errno set as Linux would on failure. When the daemon is gone,
 * calls fail with ENOTCONN (no connection), EPIPE or ECONNRESET (it broke mid-request); none
 * hangs. A session is thread-safe (one request at a time) and fork-safe (a child opens its own
 * connection on its first request). */
#ifndef SHMIFSOCK_H
#define SHMIFSOCK_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHMIFSOCK_API __attribute__((visibility("default")))

typedef struct shmifsock_session shmifsock_session;

/* Connects to the daemon's control socket and checks that it answers. `control_socket_path`
 * NULL: $SHMIFSOCK_SOCKET when set and not empty, else shmifd's default ($SHMIFD_SOCKET, else
 * $XDG_RUNTIME_DIR/shmif/shmifd.sock, else /run/shmif/shmifd.sock). NULL with errno on
 * failure (that of connect(2), or EPROTO when what answers is not shmifd). */
SHMIFSOCK_API shmifsock_session* shmifsock_connect(const char* control_socket_path);
/* Closes the connection; the sockets it made live on (they belong to their descriptors). */
SHMIFSOCK_API void shmifsock_close_session(shmifsock_session* session);
/* The control socket the session talks to. */
SHMIFSOCK_API const char* shmifsock_session_path(const shmifsock_session* session);

/* socket(2): AF_INET with SOCK_STREAM (TCP) or SOCK_DGRAM (UDP), optionally or'ed with
 * SOCK_NONBLOCK and SOCK_CLOEXEC. Other families: EAFNOSUPPORT. */
SHMIFSOCK_API int shmifsock_socket(shmifsock_session* session, int domain, int type, int protocol);
SHMIFSOCK_API int shmifsock_bind(shmifsock_session* session, int fd, const struct sockaddr* addr,
                                 socklen_t addrlen);
SHMIFSOCK_API int shmifsock_listen(shmifsock_session* session, int fd, int backlog);
/* accept4(2): waits (or not, as the listener's O_NONBLOCK says) for a connection. */
SHMIFSOCK_API int shmifsock_accept4(shmifsock_session* session, int fd, struct sockaddr* addr,
                                    socklen_t* addrlen, int flags);
/* connect(2) (named so because shmifsock_connect opens a session). A blocking descriptor
 * waits for the outcome; a non-blocking one fails with EINPROGRESS and is writable once the
 * connection is established or failed: SO_ERROR (through shmifsock_getsockopt) tells which. */
SHMIFSOCK_API int shmifsock_connect_socket(shmifsock_session* session, int fd,
                                           const struct sockaddr* addr, socklen_t addrlen);
SHMIFSOCK_API int shmifsock_shutdown(shmifsock_session* session, int fd, int how);
SHMIFSOCK_API int shmifsock_getsockname(shmifsock_session* session, int fd, struct sockaddr* addr,
                                        socklen_t* addrlen);
SHMIFSOCK_API int shmifsock_getpeername(shmifsock_session* session, int fd, struct sockaddr* addr,
                                        socklen_t* addrlen);
/* Options the daemon keeps: SO_REUSEADDR, SO_RCVBUF, SO_SNDBUF, SO_BROADCAST, SO_KEEPALIVE,
 * SO_LINGER, TCP_NODELAY; read-only: SO_ERROR, SO_TYPE, SO_ACCEPTCONN, SO_DOMAIN,
 * SO_PROTOCOL, TCP_INFO (struct tcp_info of <linux/tcp.h>, filled as far as the daemon's
 * counters map). SO_RCVTIMEO, SO_SNDTIMEO and SO_OOBINLINE act on the descriptor itself (TCP
 * urgent data reaches it as the descriptor's own out-of-band byte: send and recv with
 * MSG_OOB, SIOCATMARK, POLLPRI and SIGURG work on it as on a kernel socket). A few options with
 * no meaning in the daemon's stack are accepted and ignored (SO_REUSEPORT, TCP_KEEPIDLE,
 * TCP_KEEPINTVL, TCP_KEEPCNT, IP_TOS, TCP_QUICKACK); others: ENOPROTOOPT. */
SHMIFSOCK_API int shmifsock_setsockopt(shmifsock_session* session, int fd, int level, int optname,
                                       const void* optval, socklen_t optlen);
SHMIFSOCK_API int shmifsock_getsockopt(shmifsock_session* session, int fd, int level, int optname,
                                       void* optval, socklen_t* optlen);

/* UDP data (framing only: no request to the daemon). `dest` NULL: the connected peer. */
SHMIFSOCK_API ssize_t shmifsock_sendto(shmifsock_session* session, int fd, const void* buf,
                                       size_t len, int flags, const struct sockaddr* dest,
                                       socklen_t destlen);
SHMIFSOCK_API ssize_t shmifsock_recvfrom(shmifsock_session* session, int fd, void* buf, size_t len,
                                         int flags, struct sockaddr* src, socklen_t* srclen);
SHMIFSOCK_API ssize_t shmifsock_sendmsg(shmifsock_session* session, int fd,
                                        const struct msghdr* msg, int flags);
SHMIFSOCK_API ssize_t shmifsock_recvmsg(shmifsock_session* session, int fd, struct msghdr* msg,
                                        int flags);

/* 1 when `fd` is a socket of the session's daemon (its id in *sock_id when not NULL), 0 when
 * it is anything else (another daemon's socket included), -1 with errno (EBADF) when `fd` is
 * not open. */
SHMIFSOCK_API int shmifsock_is_virtual(shmifsock_session* session, int fd, uint64_t* sock_id);

#ifdef __cplusplus
}
#endif

#endif
