/* What the data interposers share: UDP descriptors' datagrams through libshmifsock's framing,
 * and forgetting descriptors that arrive with SCM_RIGHTS. */
#ifndef SHMIFRUN_UDP_FRAMING_H
#define SHMIFRUN_UDP_FRAMING_H

#include <sys/socket.h>
#include <sys/types.h>

#include "shim_state.h"

static inline int is_udp(int fd) {
    return shim_classify(fd) == FD_VIRTUAL_UDP;
}

static inline ssize_t udp_recv(int fd, struct msghdr* msg, int flags) {
    shmifsock_session* session = shim_session();
    return session ? shmifsock_recvmsg(session, fd, msg, flags) : -1;
}

static inline ssize_t udp_send(int fd, const struct msghdr* msg, int flags) {
    shmifsock_session* session = shim_session();
    return session ? shmifsock_sendmsg(session, fd, msg, flags) : -1;
}

/* Descriptors another process passed: what they are is found out when they are used. */
void forget_received(const struct msghdr* msg);

#endif
