/* The shim's process-wide state: its session with the daemon (opened on the first AF_INET
 * or AF_INET6 socket, or the first inherited virtual descriptor), what each descriptor is, and the
 * debug log ($SHMIFRUN_DEBUG set and not "0": one line per decision on stderr; else silent). */
#ifndef SHMIFRUN_SHIM_STATE_H
#define SHMIFRUN_SHIM_STATE_H

#include "fd_table.h"
#include "shmifsock.h"

/* The session of $SHMIFSOCK_SOCKET (or shmifd's default socket); NULL with errno ENOTCONN
 * when the daemon cannot be reached (retried on the next call). */
shmifsock_session* shim_session(void);

/* What `fd` is; classified once (getpeername names the daemon's end) when not yet known.
 * Leaves errno as it was. */
enum fd_kind shim_classify(int fd);

static inline int shim_is_virtual(enum fd_kind kind) {
    return kind == FD_VIRTUAL_TCP || kind == FD_VIRTUAL_UDP;
}

/* $SHMIFRUN_INET6=kernel: AF_INET6 sockets go to the kernel instead of the daemon. */
int shim_inet6_to_kernel(void);

void shim_debug(const char* format, ...) __attribute__((format(printf, 1, 2)));

#endif
