#define _GNU_SOURCE
#include "shim_state.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "shmifsock/wire.h"

static _Atomic(shmifsock_session*) g_session;
static pthread_mutex_t g_session_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_debug;
static int g_inet6_to_kernel;

static void reset_lock_in_child(void) {
    pthread_mutex_init(&g_session_lock, NULL);
}

__attribute__((constructor(102))) static void shim_init(void) {
    const char* debug = getenv("SHMIFRUN_DEBUG");
    g_debug = debug != NULL && *debug != '\0' && strcmp(debug, "0") != 0;
    const char* inet6 = getenv("SHMIFRUN_INET6");
    g_inet6_to_kernel = inet6 != NULL && strcmp(inet6, "kernel") == 0;
    /* A thread of the parent may hold the lock while it connects; the child starts afresh
     * (the session itself reconnects after a fork). */
    pthread_atfork(NULL, NULL, reset_lock_in_child);
}

int shim_inet6_to_kernel(void) {
    return g_inet6_to_kernel;
}

void shim_debug(const char* format, ...) {
    if (!g_debug) return;
    char line[512];
    int length = snprintf(line, sizeof line, "shmifrun[%d]: ", (int)getpid());
    va_list args;
    va_start(args, format);
    length += vsnprintf(line + length, sizeof line - (size_t)length - 1, format, args);
    va_end(args);
    if (length > (int)sizeof line - 2) length = (int)sizeof line - 2;
    line[length++] = '\n';
    syscall(SYS_write, 2, line, (size_t)length);
}

shmifsock_session* shim_session(void) {
    shmifsock_session* session = atomic_load(&g_session);
    if (session != NULL) return session;
    pthread_mutex_lock(&g_session_lock);
    session = atomic_load(&g_session);
    if (session == NULL) {
        session = shmifsock_connect(NULL);
        if (session != NULL) {
            atomic_store(&g_session, session);
            shim_debug("connected to %s", shmifsock_session_path(session));
        } else {
            shim_debug("cannot reach the daemon: %s", strerror(errno));
        }
    }
    pthread_mutex_unlock(&g_session_lock);
    if (session == NULL) errno = ENOTCONN;
    return session;
}

/* Whether the peer of `fd` has a daemon's name; EBADF (fd not open) is -1. */
static int named_by_a_daemon(int fd) {
    struct sockaddr_un address;
    socklen_t len = sizeof address;
    memset(&address, 0, sizeof address);
    if (syscall(SYS_getpeername, fd, &address, &len) != 0) return errno == EBADF ? -1 : 0;
    const size_t prefix = sizeof(SHMIFSOCK_NAME_PREFIX) - 1;
    const size_t path_offset = offsetof(struct sockaddr_un, sun_path);
    return address.sun_family == AF_UNIX && len > path_offset + 1 + prefix &&
           address.sun_path[0] == '\0' &&
           memcmp(address.sun_path + 1, SHMIFSOCK_NAME_PREFIX, prefix) == 0;
}

enum fd_kind shim_classify(int fd) {
    enum fd_kind kind = fd_table_get(fd);
    if (kind != FD_UNKNOWN) return kind;
    const int saved_errno = errno;
    const int named = named_by_a_daemon(fd);
    if (named < 0) { /* not open: nothing to remember */
        errno = saved_errno;
        return FD_KERNEL;
    }
    kind = FD_KERNEL;
    if (named) {
        shmifsock_session* session = shim_session();
        if (session != NULL && shmifsock_is_virtual(session, fd, NULL) == 1) {
            int type = 0;
            socklen_t len = sizeof type;
            syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len);
            kind = type == SOCK_STREAM ? FD_VIRTUAL_TCP : FD_VIRTUAL_UDP;
        }
        shim_debug("fd %d found to be %s", fd,
                   kind == FD_KERNEL        ? "another daemon's"
                   : kind == FD_VIRTUAL_TCP ? "virtual TCP"
                                            : "virtual UDP");
    }
    fd_table_set(fd, kind);
    errno = saved_errno;
    return kind;
}
