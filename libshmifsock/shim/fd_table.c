#include "fd_table.h"

#include <stdatomic.h>

/* Zero-initialised: every descriptor starts unknown. 64 KiB, paged in as used. */
static _Atomic unsigned char g_kinds[FD_TABLE_SIZE];

static int in_table(int fd) {
    return fd >= 0 && fd < FD_TABLE_SIZE;
}

enum fd_kind fd_table_get(int fd) {
    if (!in_table(fd)) return FD_UNKNOWN;
    return (enum fd_kind)atomic_load_explicit(&g_kinds[fd], memory_order_relaxed);
}

void fd_table_set(int fd, enum fd_kind kind) {
    if (in_table(fd))
        atomic_store_explicit(&g_kinds[fd], (unsigned char)kind, memory_order_relaxed);
}

void fd_table_copy(int from, int to) {
    fd_table_set(to, fd_table_get(from));
}
