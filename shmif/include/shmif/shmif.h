/* shmif.h - the C interface of libshmif: attach your own stack to a bus.
 *
 * A bus is a virtual Ethernet segment held in a memory-mapped file. A writer puts frames on
 * it; a cursor reads every frame put on it after its start, at its own pace (a cursor that
 * falls a whole ring behind loses the oldest frames and counts them; it never slows writers).
 * No handshake: any process that can open the file can send and receive.
 *
 * Conventions, for every function below:
 * - Errors. A function that can fail returns 0 (or a count) on success and a negative
 *   enum shmif_err on failure; shmif_strerror() gives its text. Each function lists the
 *   errors it can return. A NULL handle or pointer argument is SHMIF_EINVAL, never a crash.
 *   A function with an `out` argument sets *out to NULL when it fails (except for a NULL
 *   `out`). A bus header damaged after attaching (a stray write into the file) makes any
 *   call on it fail with SHMIF_ECORRUPT; `shmifbus repair` mends it.
 * - Blocking. Only the calls marked "blocks" wait: for the bus lock (writers, up to 1 s, then
 *   SHMIF_ELOCK) or for frames (cursors, up to the caller's timeout). On the NetBSD format
 *   readers take the bus lock too, as NetBSD's own do: a cursor call may wait for a writer's
 *   batch to end (and takes a lock held over 1 s as abandoned).
 * - Memory. Creating and freeing handles allocates and frees. Nothing else allocates after
 *   its first calls: internal buffers grow to the largest batch or peek used, then stay.
 * - Threads. A bus handle may be used from any number of threads at once. A writer or a
 *   cursor is used by one thread at a time (give each thread its own: many writers on one
 *   bus in one process are fine). The one exception: shmif_cursor_wake() may be called from
 *   any thread, and from a signal handler, while another uses the cursor.
 * - Lifetimes. Free writers and cursors before closing their bus.
 *
 * The C ABI is stable within soname libshmif.so.0: functions are only added, structs never
 * change. Event loops (poll, epoll, io_uring): see shmif/README.md. */
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
    SHMIF_ENOTFOUND = -1,  /* the bus file does not exist */
    SHMIF_EPERM = -2,      /* the file (or, to create one, its directory) may not be used */
    SHMIF_EEXIST = -3,     /* create with exclusive set, and the path is taken */
    SHMIF_ENOTBUS = -4,    /* wrong magic or size: not a bus */
    SHMIF_EVERSION = -5,   /* a bus of a version this library does not speak */
    SHMIF_ECORRUPT = -6,   /* the bus header contradicts itself */
    SHMIF_EINVAL = -7,     /* an argument is NULL or out of range, or the call is out of order */
    SHMIF_ETOOBIG = -8,    /* frame longer than the bus's maximum (shmif_bus_max_frame()) */
    SHMIF_ELOCK = -9,      /* the bus lock could not be had in 1 s: its holder could not be
                              taken over (too much of the ring held for writers stalled before
                              it). Native format only; NetBSD breaks a lock held 1 s */
    SHMIF_ETIMEDOUT = -10, /* not returned here: a receive that times out returns 0 */
    SHMIF_EIO = -11,       /* out of memory, descriptors or disk space, or another system call
                              failed */
    SHMIF_EFENCED = -12,   /* the writer stalled holding the bus and was taken over: the frames
                              of that send were dropped. The next send works. */
    SHMIF_EINTR = -13,     /* a wait was interrupted: a signal handler ran, or
                              shmif_cursor_wake() was called */
    SHMIF_ETOOSHORT = -14, /* frame shorter than an Ethernet header (SHMIF_MIN_FRAME) */
};

/* The shortest frame a writer accepts: a destination, a source and an EtherType. */
#define SHMIF_MIN_FRAME 14
/* The most views one shmif_peek() fills. */
#define SHMIF_PEEK_MAX 64

enum shmif_format {
    SHMIF_FORMAT_NATIVE = 0, /* lock-free readers, crash-safe writers, frames up to 64 KiB */
    SHMIF_FORMAT_NETBSD = 1, /* NetBSD's if_shmem v3: rump kernels can attach */
};
enum shmif_start {
    SHMIF_START_NEXT = 0,   /* only frames sent from now on */
    SHMIF_START_OLDEST = 1, /* everything the ring still holds, then on */
};

typedef struct shmif_bus shmif_bus;
typedef struct shmif_writer shmif_writer;
typedef struct shmif_cursor shmif_cursor;

struct shmif_create_opts {
    enum shmif_format format;
    uint64_t size;      /* bytes of the file; 0 = the default */
    mode_t mode;        /* 0 = 0660 */
    int exclusive;      /* non-zero: fail with SHMIF_EEXIST if the path exists */
    uint32_t max_frame; /* native only; 0 = the default */
};

/* A frame received by copy into the caller's buffer. */
struct shmif_frame {
    void* buf;        /* caller-owned */
    size_t cap;       /* bytes available at buf */
    size_t len;       /* bytes received (<= cap; a longer frame is cut to cap) */
    size_t orig_len;  /* length on the bus: larger than len when cut */
    uint64_t sender;  /* the writer's id */
    uint64_t time_ns; /* CLOCK_REALTIME of the send */
};

/* A frame seen in place in the ring (shmif_peek()). */
struct shmif_view {
    const void* data; /* native: points into the ring, valid as shmif_view_valid() says */
    size_t len;
    uint64_t sender;
    uint64_t time_ns;
    uint64_t seq; /* native: the bus's frame sequence number */
    uint64_t pos; /* native: the record's ring position */
};

struct shmif_iov {
    const void* data;
    size_t len;
};

/* Text of an error (or "success" for 0); never NULL. */
const char* shmif_strerror(int err);

/* ---- Buses ---- */

/* Creates the bus file at path, or attaches to it if it exists (unless opts->exclusive).
 * opts may be NULL: native format, default size. The file appears whole or not at all.
 * Errors: SHMIF_EINVAL (NULL path or out, an unknown format, a size too small for a frame),
 * SHMIF_ENOTFOUND (no such directory), SHMIF_EEXIST, SHMIF_EPERM, SHMIF_ENOTBUS,
 * SHMIF_EVERSION, SHMIF_ECORRUPT (an existing file), SHMIF_EIO. */
int shmif_bus_create(const char* path, const struct shmif_create_opts* opts, shmif_bus** out);
/* Attaches to an existing bus of either format.
 * Errors: SHMIF_EINVAL, SHMIF_ENOTFOUND, SHMIF_EPERM, SHMIF_ENOTBUS, SHMIF_EVERSION,
 * SHMIF_ECORRUPT, SHMIF_EIO. */
int shmif_bus_open(const char* path, shmif_bus** out);
/* Unmaps the bus; the file stays. NULL is ignored. */
void shmif_bus_close(shmif_bus* bus);
/* The longest frame the bus carries (0 for NULL). */
uint32_t shmif_bus_max_frame(const shmif_bus* bus);

/* ---- Writers ---- */

/* A writer with the id `sender` (0 = a random id; shmif_writer_sender() tells which).
 * Errors: SHMIF_EINVAL, SHMIF_EIO. */
int shmif_writer_new(shmif_bus* bus, uint64_t sender, shmif_writer** out);
uint64_t shmif_writer_sender(const shmif_writer* w); /* 0 for NULL */
/* Frees the writer; a batch still open (shmif_acquire) is committed first. NULL ignored. */
void shmif_writer_free(shmif_writer* w);

/* Sends one frame (copied). Blocks for the bus lock.
 * Errors: SHMIF_EINVAL (NULL frame, or a zero-copy batch is open: shmif_commit() it first),
 * SHMIF_ETOOSHORT, SHMIF_ETOOBIG, SHMIF_ELOCK, SHMIF_EFENCED, SHMIF_ECORRUPT. */
int shmif_send(shmif_writer* w, const void* frame, size_t len);

/* Sends frames[0..n) in order under one lock and one wake-up of readers. Blocks for the bus
 * lock. Stops at the first frame it cannot send and returns how many it sent (0..n): all of
 * frames[0..returned) are on the bus, none after. When fewer than n, *err (if err is not NULL)
 * says why frames[returned] was not sent:
 *   SHMIF_EINVAL, SHMIF_ETOOSHORT, SHMIF_ETOOBIG - that frame alone: skip it and send the rest;
 *   SHMIF_ELOCK, SHMIF_EFENCED, SHMIF_ECORRUPT, SHMIF_EIO - the whole call:
 *   frames[returned..n) were dropped.
 * Otherwise *err is 0. A negative return (SHMIF_EINVAL) means the call itself was wrong (NULL
 * writer or frames, n < 0, a zero-copy batch open) and nothing was sent. */
int shmif_send_batch(shmif_writer* w, const struct shmif_iov* frames, int n, int* err);

/* Zero-copy sending: shmif_acquire() hands out a slot of len bytes in the ring for the next
 * frame (*slot), to be filled before the next shmif_acquire() or shmif_commit();
 * shmif_commit() publishes every acquired frame at once, in order. The first acquire takes the
 * bus lock (blocks) and shmif_commit() releases it: between them other writers wait, so fill
 * and commit promptly. A writer that holds the lock while stopped (SIGSTOP, a breakpoint, a
 * frozen cgroup) for 10 ms, or while running for 500 ms, is taken over: its frames are
 * dropped and its next call says SHMIF_EFENCED. On the NetBSD format a slot is a staging buffer
 * copied in at the next call, and readers take the lock too: they wait for the commit, and break a
 * lock held over 1 s as abandoned (NetBSD's lock word names no owner). shmif_acquire() errors:
 * SHMIF_EINVAL, SHMIF_ETOOSHORT and SHMIF_ETOOBIG (the batch stays open: earlier slots are kept),
 * SHMIF_ELOCK and SHMIF_ECORRUPT (no batch was opened), SHMIF_EFENCED (the batch is over: nothing
 * of it will be sent; commit to close it). */
int shmif_acquire(shmif_writer* w, size_t len, void** slot);
/* Takes back the frame of the last shmif_acquire(), which is then never sent (for a copy found
 * torn: see shmif_view_valid()). Only the last one; does nothing if there is none. */
void shmif_drop_last(shmif_writer* w);
/* Publishes the open batch, releases the lock, wakes sleeping readers. Returns the frames
 * published (0 when no batch is open).
 * Errors: SHMIF_EINVAL, SHMIF_EFENCED (taken over while stalled: the batch was dropped;
 * frames a batch over a quarter of the ring published early are on the bus). */
int shmif_commit(shmif_writer* w);

/* ---- Cursors ---- */

/* A cursor starting at `start`; frames from skip_sender are not delivered (0 = none: give
 * the id of your own writer so you do not read your own frames).
 * Errors: SHMIF_EINVAL, SHMIF_EIO. */
int shmif_cursor_new(shmif_bus* bus, uint64_t skip_sender, enum shmif_start start,
                     shmif_cursor** out);
void shmif_cursor_free(shmif_cursor* c); /* NULL ignored */

/* Receives up to n frames by copy into frames[i].buf (each frames[i].cap bytes; fills len,
 * orig_len, sender, time_ns). timeout_ns: 0 = never block; > 0 = block up to that long for the
 * first frame; < 0 = block until one comes. Blocking spins for a while (50 us by default,
 * shmif_cursor_set_spin()), then sleeps. Returns the count; 0 when nothing came in time.
 * Frames from skip_sender do not count and do not end the wait.
 * Errors: SHMIF_EINVAL (NULL c or frames, n < 0, a NULL buf with cap > 0), SHMIF_EINTR (while
 * it slept: a signal handler ran, or shmif_cursor_wake() was called; a handler installed with
 * SA_RESTART may let a native-format wait go on, as read(2) would. A signal before the sleep,
 * during the spin, is not seen: end your loop with shmif_cursor_wake()). */
int shmif_recv(shmif_cursor* c, struct shmif_frame* frames, int n, int64_t timeout_ns);

/* Waits as shmif_recv() does, without receiving: returns 1 when frames may be waiting (own
 * frames count here: shmif_peek() then moves past them and returns 0; loop), 0 on timeout.
 * Errors: SHMIF_EINVAL, SHMIF_EINTR. */
int shmif_wait(shmif_cursor* c, int64_t timeout_ns);

/* Ends a shmif_recv() or shmif_wait() that sleeps on c in another thread with SHMIF_EINTR; if
 * none sleeps, the next one to start returns SHMIF_EINTR at once (one wake, one return). Safe
 * from any thread and from a signal handler. Takes effect at once on Linux 5.16 and later,
 * within 10 ms before. NULL ignored. */
void shmif_cursor_wake(shmif_cursor* c);

/* Zero-copy receiving: shmif_peek() fills views[0..returned) with the next frames, without
 * moving the cursor and without blocking (at most min(n, SHMIF_PEEK_MAX); 0 when none).
 * Native format: the bytes are read in the ring, where a writer a whole lap ahead may
 * overwrite them: use what a view shows, then ask shmif_view_valid() before acting on it.
 * NetBSD format: views point to copies, valid until the next peek. shmif_advance(c, k) moves
 * past the first k views of the last peek (counting them as received).
 * Errors: SHMIF_EINVAL. */
int shmif_peek(shmif_cursor* c, struct shmif_view* views, int n);
/* 1 when nothing has overwritten the view's bytes yet, 0 when they may be torn (native: the
 * cursor was lapped; drop what you read; 0 also for NULL arguments). */
int shmif_view_valid(const shmif_cursor* c, const struct shmif_view* view);
void shmif_advance(shmif_cursor* c, int count);

/* How long shmif_recv()/shmif_wait() spin before they sleep (0 = sleep at once). */
void shmif_cursor_set_spin(shmif_cursor* c, int64_t spin_ns);
/* Frames overwritten before this cursor read them (native format: exact; 0 for NULL). */
uint64_t shmif_cursor_lost(const shmif_cursor* c);

/* Event loops: an fd to wait on beside your others (shmif/README.md has the recipe for poll,
 * epoll and io_uring). shmif_cursor_fd() returns it: an inotify descriptor watching the bus
 * file, made by the first call that needs it (this, a prepare, a blocking NetBSD receive),
 * owned by the cursor (do not read or close it), the same until shmif_cursor_free(); or
 * SHMIF_EIO when none can be made (out of inotify instances or descriptors, or the bus file
 * was removed from its path: inotify watches the path).
 * The protocol, level-triggered or edge-triggered alike (the cursor drains the fd itself):
 *   1. receive until shmif_recv(c, ..., 0) returns 0;
 *   2. r = shmif_cursor_prepare_wait(c): 1 = wait on the fd (POLLIN), then call
 *      shmif_cursor_finish_wait(c) whatever ended the wait; 0 = frames are already waiting:
 *      go to 1 (no finish needed); negative = an error (SHMIF_EINVAL, SHMIF_EIO): do not wait.
 * A wake-up may bring nothing for this cursor (every cursor with an fd wakes on any commit).
 * Costs: native, each prepare makes the next batch on the bus pay one pwrite(2) to wake the
 * fds; NetBSD, every batch pays one. prepare blocks on the NetBSD format only (it takes the
 * bus lock to look at the ring, up to 1 s). */
int shmif_cursor_fd(shmif_cursor* c);
int shmif_cursor_prepare_wait(shmif_cursor* c);
void shmif_cursor_finish_wait(shmif_cursor* c);

#ifdef __cplusplus
}
#endif

#endif /* SHMIF_SHMIF_H */
