#define _GNU_SOURCE
#include "real_libc.h"

#include <dlfcn.h>
#include <pthread.h>

static struct real_libc g_real;
static pthread_once_t g_resolved = PTHREAD_ONCE_INIT;

/* dlsym returns void*; the cast to a function pointer is what POSIX promises works. */
#define RESOLVE(member, name) *(void**)(&g_real.member) = dlsym(RTLD_NEXT, name)

static void resolve(void) {
    RESOLVE(socket, "socket");
    RESOLVE(bind, "bind");
    RESOLVE(listen, "listen");
    RESOLVE(accept, "accept");
    RESOLVE(accept4, "accept4");
    RESOLVE(connect, "connect");
    RESOLVE(getsockname, "getsockname");
    RESOLVE(getpeername, "getpeername");
    RESOLVE(setsockopt, "setsockopt");
    RESOLVE(getsockopt, "getsockopt");
    RESOLVE(close, "close");
    RESOLVE(dup, "dup");
    RESOLVE(dup2, "dup2");
    RESOLVE(dup3, "dup3");
    RESOLVE(fcntl, "fcntl");
    RESOLVE(fcntl64, "fcntl64");
    RESOLVE(read, "read");
    RESOLVE(write, "write");
    RESOLVE(readv, "readv");
    RESOLVE(writev, "writev");
    RESOLVE(recv, "recv");
    RESOLVE(send, "send");
    RESOLVE(recvfrom, "recvfrom");
    RESOLVE(sendto, "sendto");
    RESOLVE(recvmsg, "recvmsg");
    RESOLVE(sendmsg, "sendmsg");
    RESOLVE(recvmmsg, "recvmmsg");
    RESOLVE(sendmmsg, "sendmmsg");
    RESOLVE(read_chk, "__read_chk");
    RESOLVE(recv_chk, "__recv_chk");
    RESOLVE(recvfrom_chk, "__recvfrom_chk");
}

const struct real_libc* real_libc(void) {
    pthread_once(&g_resolved, resolve);
    return &g_real;
}

/* Early, so that a signal handler's first read() does not have to call dlsym. */
__attribute__((constructor(101))) static void resolve_at_load(void) {
    (void)real_libc();
}
