/* The libc functions the shim stands in front of, found with dlsym(RTLD_NEXT): what a call
 * that is not for the daemon goes on to. Resolved when the shim loads (a constructor), and on
 * first use for calls made even earlier (other libraries' constructors). */
#ifndef SHMIFRUN_REAL_LIBC_H
#define SHMIFRUN_REAL_LIBC_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

struct mmsghdr;
struct timespec;

struct real_libc {
    int (*socket)(int, int, int);
    int (*bind)(int, const struct sockaddr*, socklen_t);
    int (*listen)(int, int);
    int (*accept)(int, struct sockaddr*, socklen_t*);
    int (*accept4)(int, struct sockaddr*, socklen_t*, int);
    int (*connect)(int, const struct sockaddr*, socklen_t);
    int (*getsockname)(int, struct sockaddr*, socklen_t*);
    int (*getpeername)(int, struct sockaddr*, socklen_t*);
    int (*setsockopt)(int, int, int, const void*, socklen_t);
    int (*getsockopt)(int, int, int, void*, socklen_t*);
    int (*close)(int);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*fcntl)(int, int, ...);
    int (*fcntl64)(int, int, ...);
    ssize_t (*read)(int, void*, size_t);
    ssize_t (*write)(int, const void*, size_t);
    ssize_t (*readv)(int, const struct iovec*, int);
    ssize_t (*writev)(int, const struct iovec*, int);
    ssize_t (*recv)(int, void*, size_t, int);
    ssize_t (*send)(int, const void*, size_t, int);
    ssize_t (*recvfrom)(int, void*, size_t, int, struct sockaddr*, socklen_t*);
    ssize_t (*sendto)(int, const void*, size_t, int, const struct sockaddr*, socklen_t);
    ssize_t (*recvmsg)(int, struct msghdr*, int);
    ssize_t (*sendmsg)(int, const struct msghdr*, int);
    int (*recvmmsg)(int, struct mmsghdr*, unsigned int, int, struct timespec*);
    int (*sendmmsg)(int, struct mmsghdr*, unsigned int, int);
    /* _FORTIFY_SOURCE's checked variants, which fortified programs call instead */
    ssize_t (*read_chk)(int, void*, size_t, size_t);
    ssize_t (*recv_chk)(int, void*, size_t, size_t, int);
    ssize_t (*recvfrom_chk)(int, void*, size_t, size_t, int, struct sockaddr*, socklen_t*);
};

/* Never NULL; its members are NULL only for functions this libc lacks. */
const struct real_libc* real_libc(void);

#endif
