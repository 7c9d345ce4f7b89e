/* What each descriptor of the process is, so that a call on it goes to the right place
 * without asking every time: not yet known, a kernel descriptor (the call passes through), or
 * a virtual TCP or UDP socket of the daemon. Indexed by descriptor number, lock-free (any
 * thread, signal handlers included); descriptors past the table are never remembered and are
 * classified on every use. */
#ifndef SHMIFRUN_FD_TABLE_H
#define SHMIFRUN_FD_TABLE_H

enum fd_kind {
    FD_UNKNOWN = 0, /* inherited across exec, dup'ed by a call the shim does not see, new */
    FD_KERNEL,
    FD_VIRTUAL_TCP,
    FD_VIRTUAL_UDP,
};

#define FD_TABLE_SIZE 65536

enum fd_kind fd_table_get(int fd);
void fd_table_set(int fd, enum fd_kind kind);
/* `to` is now what `from` is (dup2 and friends). */
void fd_table_copy(int from, int to);

#endif
