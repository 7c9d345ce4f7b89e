// The system calls libshmifsock makes on its own descriptors, issued with syscall(2) so that
// they never pass through an LD_PRELOAD shim that interposes the libc wrappers (libshmifrun
// would otherwise see the library's own control connection and recurse into itself).
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace shmifsock::kernel {

inline int socket(int domain, int type, int protocol) {
    return static_cast<int>(::syscall(SYS_socket, domain, type, protocol));
}
inline int connect(int fd, const sockaddr* addr, socklen_t len) {
    return static_cast<int>(::syscall(SYS_connect, fd, addr, len));
}
inline int close(int fd) {
    return static_cast<int>(::syscall(SYS_close, fd));
}
inline ssize_t read(int fd, void* buf, size_t len) {
    return ::syscall(SYS_read, fd, buf, len);
}
inline ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
    return ::syscall(SYS_sendmsg, fd, msg, flags);
}
inline ssize_t recvmsg(int fd, msghdr* msg, int flags) {
    return ::syscall(SYS_recvmsg, fd, msg, flags);
}
inline int getpeername(int fd, sockaddr* addr, socklen_t* len) {
    return static_cast<int>(::syscall(SYS_getpeername, fd, addr, len));
}
inline int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
    return static_cast<int>(::syscall(SYS_getsockopt, fd, level, name, value, len));
}
inline int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
    return static_cast<int>(::syscall(SYS_setsockopt, fd, level, name, value, len));
}
inline int shutdown(int fd, int how) {
    return static_cast<int>(::syscall(SYS_shutdown, fd, how));
}
inline int fcntl(int fd, int cmd, long arg = 0) {
    return static_cast<int>(::syscall(SYS_fcntl, fd, cmd, arg));
}
inline int poll(pollfd* fds, nfds_t n, int timeout_ms) {
    return static_cast<int>(::syscall(SYS_poll, fds, n, timeout_ms));
}

}  // namespace shmifsock::kernel
