/* Calls that end or copy descriptors: no daemon request (a virtual socket lives as long as
 * its descriptor), only the table follows them. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "real_libc.h"
#include "shim_state.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

SHIM_EXPORT int close(int fd) {
    fd_table_set(fd, FD_UNKNOWN);
    return real_libc()->close(fd);
}

SHIM_EXPORT int dup(int fd) {
    const int copy = real_libc()->dup(fd);
    if (copy >= 0) fd_table_copy(fd, copy);
    return copy;
}

SHIM_EXPORT int dup2(int fd, int target) {
    const int copy = real_libc()->dup2(fd, target);
    if (copy >= 0 && copy != fd) fd_table_copy(fd, copy);
    return copy;
}

SHIM_EXPORT int dup3(int fd, int target, int flags) {
    const int copy = real_libc()->dup3(fd, target, flags);
    if (copy >= 0) fd_table_copy(fd, copy);
    return copy;
}

/* fcntl's third argument is an int or a pointer by command; passing it on as a pointer-sized
 * value is what glibc itself does. */
static int fcntl_routed(int (*real)(int, int, ...), int fd, int cmd, void* arg) {
    const int result = real(fd, cmd, arg);
    if (result >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) fd_table_copy(fd, result);
    return result;
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...) {
    va_list args;
    va_start(args, cmd);
    void* arg = va_arg(args, void*);
    va_end(args);
    return fcntl_routed(real_libc()->fcntl, fd, cmd, arg);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...) {
    va_list args;
    va_start(args, cmd);
    void* arg = va_arg(args, void*);
    va_end(args);
    int (*real)(int, int, ...) = real_libc()->fcntl64 ? real_libc()->fcntl64 : real_libc()->fcntl;
    return fcntl_routed(real, fd, cmd, arg);
}
