/* shmif.h - the C interface of libshmif, for C programs and other stacks.
 *
 * A thin layer over the C++ API (shmif/bus.hpp, writer.hpp, cursor.hpp). Functions that can
 * fail return 0 or a count on success and a negative shmif_err on failure;
 * shmif_strerror() turns it into text. The bus must outlive its writers and cursors. */
#ifndef SHMIF_SHMIF_H
#define SHMIF_SHMIF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum shmif_err {
    SHMIF_OK = 0,
    SHMIF_ENOTFOUND = -1,
    SHMIF_EPERM = -2,
    SHMIF_EEXIST = -3,
    SHMIF_ENOTBUS = -4,
    SHMIF_EVERSION = -5,
    SHMIF_ECORRUPT = -6,
    SHMIF_EINVAL = -7,
    SHMIF_ETOOBIG = -8,
    SHMIF_ELOCK = -9,
    SHMIF_ETIMEDOUT = -10,
    SHMIF_EIO = -11,
    SHMIF_EFENCED = -12, /* the writer stalled holding the bus and was taken over: the frames
                            of that send were dropped */
};

enum shmif_format { SHMIF_FORMAT_NATIVE = 0, SHMIF_FORMAT_NETBSD = 1 };
enum shmif_start { SHMIF_START_NEXT = 0, SHMIF_START_OLDEST = 1 };

typedef struct shmif_bus shmif_bus;
typedef struct shmif_writer shmif_writer;
typedef struct shmif_cursor shmif_cursor;

struct shmif_create_opts {
    enum shmif_format format;
    uint64_t size;      /* 0 = default */
    mode_t mode;        /* 0 = 0660 */
    int exclusive;      /* non-zero: fail with SHMIF_EEXIST if the path exists */
    uint32_t max_frame; /* native only; 0 = default */
};

struct shmif_frame {
    void* buf;       /* caller-owned */
    size_t cap;      /* bytes available at buf */
    size_t len;      /* bytes received (<= cap) */
    size_t orig_len; /* length on the bus */
    uint64_t sender;
    uint64_t time_ns; /* CLOCK_REALTIME */
};

struct shmif_iov {
    const void* data;
    size_t len;
};

const char* shmif_strerror(int err);

/* opts may be NULL (native, defaults). Attaches if the path already exists (unless
 * exclusive). */
int shmif_bus_create(const char* path, const struct shmif_create_opts* opts, shmif_bus** out);
int shmif_bus_open(const char* path, shmif_bus** out);
void shmif_bus_close(shmif_bus* bus);
uint32_t shmif_bus_max_frame(const shmif_bus* bus);

/* sender 0 = a random id; shmif_writer_sender() tells which. */
int shmif_writer_new(shmif_bus* bus, uint64_t sender, shmif_writer** out);
uint64_t shmif_writer_sender(const shmif_writer* w);
void shmif_writer_free(shmif_writer* w);
int shmif_send(shmif_writer* w, const void* frame, size_t len);
/* One lock and one wake-up for all; returns the number sent (oversized ones are skipped). */
int shmif_send_batch(shmif_writer* w, const struct shmif_iov* frames, int n);

/* skip_sender: frames from this id are not delivered (0 = none). */
int shmif_cursor_new(shmif_bus* bus, uint64_t skip_sender, enum shmif_start start,
                     shmif_cursor** out);
void shmif_cursor_free(shmif_cursor* c);
/* Receives up to n frames; waits up to timeout_ns for the first (0 = do not wait, negative =
 * forever). Returns the count, 0 when nothing came. */
int shmif_recv(shmif_cursor* c, struct shmif_frame* frames, int n, int64_t timeout_ns);
/* Sets how long shmif_recv() polls before it sleeps. */
void shmif_cursor_set_spin(shmif_cursor* c, int64_t spin_ns);
/* Frames overwritten before this cursor read them (native format: exact). */
uint64_t shmif_cursor_lost(const shmif_cursor* c);
/* For event loops: wait for POLLIN on shmif_cursor_fd() between prepare (returns 0 when frames
 * are already waiting: do not wait) and finish. */
int shmif_cursor_fd(shmif_cursor* c);
int shmif_cursor_prepare_wait(shmif_cursor* c);
void shmif_cursor_finish_wait(shmif_cursor* c);

#ifdef __cplusplus
}
#endif

#endif /* SHMIF_SHMIF_H */
