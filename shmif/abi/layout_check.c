/* The C ABI of libshmif.so.0 beyond its symbol list: the size and field offsets of the public
 * structs of shmif.h and the values of its enums, as released (LP64: x86_64, aarch64). Built
 * with the shared library (target shmif_abi_layout); a failure here means a change that breaks
 * programs built against soname 0. Adding enum values is fine; changing a struct is not:
 * add a new struct and new functions instead. */
#include <stddef.h>

#include "shmif/shmif.h"

#define SHMIF_ABI_SIZE(type, size) \
    _Static_assert(sizeof(type) == (size), "ABI: sizeof(" #type ") changed")
#define SHMIF_ABI_OFFSET(type, field, offset) \
    _Static_assert(offsetof(type, field) == (offset), "ABI: offset of " #field " changed")
#define SHMIF_ABI_VALUE(name, value) _Static_assert((name) == (value), "ABI: " #name " changed")

SHMIF_ABI_SIZE(struct shmif_create_opts, 32);
SHMIF_ABI_OFFSET(struct shmif_create_opts, format, 0);
SHMIF_ABI_OFFSET(struct shmif_create_opts, size, 8);
SHMIF_ABI_OFFSET(struct shmif_create_opts, mode, 16);
SHMIF_ABI_OFFSET(struct shmif_create_opts, exclusive, 20);
SHMIF_ABI_OFFSET(struct shmif_create_opts, max_frame, 24);

SHMIF_ABI_SIZE(struct shmif_frame, 48);
SHMIF_ABI_OFFSET(struct shmif_frame, buf, 0);
SHMIF_ABI_OFFSET(struct shmif_frame, cap, 8);
SHMIF_ABI_OFFSET(struct shmif_frame, len, 16);
SHMIF_ABI_OFFSET(struct shmif_frame, orig_len, 24);
SHMIF_ABI_OFFSET(struct shmif_frame, sender, 32);
SHMIF_ABI_OFFSET(struct shmif_frame, time_ns, 40);

SHMIF_ABI_SIZE(struct shmif_iov, 16);
SHMIF_ABI_OFFSET(struct shmif_iov, data, 0);
SHMIF_ABI_OFFSET(struct shmif_iov, len, 8);

SHMIF_ABI_SIZE(enum shmif_format, 4);
SHMIF_ABI_SIZE(enum shmif_start, 4);
SHMIF_ABI_VALUE(SHMIF_FORMAT_NATIVE, 0);
SHMIF_ABI_VALUE(SHMIF_FORMAT_NETBSD, 1);
SHMIF_ABI_VALUE(SHMIF_START_NEXT, 0);
SHMIF_ABI_VALUE(SHMIF_START_OLDEST, 1);

SHMIF_ABI_VALUE(SHMIF_OK, 0);
SHMIF_ABI_VALUE(SHMIF_ENOTFOUND, -1);
SHMIF_ABI_VALUE(SHMIF_EPERM, -2);
SHMIF_ABI_VALUE(SHMIF_EEXIST, -3);
SHMIF_ABI_VALUE(SHMIF_ENOTBUS, -4);
SHMIF_ABI_VALUE(SHMIF_EVERSION, -5);
SHMIF_ABI_VALUE(SHMIF_ECORRUPT, -6);
SHMIF_ABI_VALUE(SHMIF_EINVAL, -7);
SHMIF_ABI_VALUE(SHMIF_ETOOBIG, -8);
SHMIF_ABI_VALUE(SHMIF_ELOCK, -9);
SHMIF_ABI_VALUE(SHMIF_ETIMEDOUT, -10);
SHMIF_ABI_VALUE(SHMIF_EIO, -11);
SHMIF_ABI_VALUE(SHMIF_EFENCED, -12);
SHMIF_ABI_VALUE(SHMIF_EINTR, -13);
SHMIF_ABI_VALUE(SHMIF_ETOOSHORT, -14);
SHMIF_ABI_VALUE(SHMIF_MIN_FRAME, 14);
SHMIF_ABI_VALUE(SHMIF_PEEK_MAX, 64);

SHMIF_ABI_SIZE(struct shmif_view, 48);
SHMIF_ABI_OFFSET(struct shmif_view, data, 0);
SHMIF_ABI_OFFSET(struct shmif_view, len, 8);
SHMIF_ABI_OFFSET(struct shmif_view, sender, 16);
SHMIF_ABI_OFFSET(struct shmif_view, time_ns, 24);
SHMIF_ABI_OFFSET(struct shmif_view, seq, 32);
SHMIF_ABI_OFFSET(struct shmif_view, pos, 40);
