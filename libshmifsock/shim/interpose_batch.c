/* recvmmsg and sendmmsg, which only exist with _GNU_SOURCE (hence a file of their own: see
 * interpose_sockets.c). On UDP descriptors one datagram at a time; as Linux, a batch that fails
 * after its first datagram reports how many went. recvmmsg's timeout is not honoured there. */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "real_libc.h"
#include "shim_state.h"
#include "udp_framing.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr* msgs, unsigned int count, int flags,
                         struct timespec* timeout) {
    if (!is_udp(fd)) {
        const int n = real_libc()->recvmmsg(fd, msgs, count, flags, timeout);
        for (int i = 0; i < n; ++i)
            forget_received(&msgs[i].msg_hdr);
        return n;
    }
    unsigned int done = 0;
    int this_flags = flags & ~MSG_WAITFORONE;
    for (; done < count; ++done) {
        const ssize_t n = udp_recv(fd, &msgs[done].msg_hdr, this_flags);
        if (n < 0) return done > 0 ? (int)done : -1;
        msgs[done].msg_len = (unsigned int)n;
        if (flags & MSG_WAITFORONE) this_flags |= MSG_DONTWAIT;
    }
    return (int)done;
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr* msgs, unsigned int count, int flags) {
    if (!is_udp(fd)) return real_libc()->sendmmsg(fd, msgs, count, flags);
    unsigned int done = 0;
    for (; done < count; ++done) {
        const ssize_t n = udp_send(fd, &msgs[done].msg_hdr, flags);
        if (n < 0) return done > 0 ? (int)done : -1;
        msgs[done].msg_len = (unsigned int)n;
    }
    return (int)done;
}
