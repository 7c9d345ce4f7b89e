/* tp_shmif.c - our bus as a transport of ../shared/bench-peers (see its transport.h).
 *
 * arg = path of the bus file. Both sides create-or-attach the same bus, each with its own
 * writer (random sender id) and a cursor that starts at the next frame and skips that id,
 * so a side never sees its own frames. send = shmif_send_batch (one lock, one wake-up per
 * batch); recv = shmif_recv, waiting up to timeout_ms for the first frame (spin, then sleep).
 *
 * The bus is a broadcast medium with a finite ring and no back-pressure: a writer faster
 * than its reader laps it, and the frames overwritten unread show up as loss.
 *
 * Environment (read at open):
 *   SHMIF_FORMAT    native | netbsd   format of a bus this side creates (default below)
 *   SHMIF_BUS_SIZE  ring bytes of a native bus, suffix k/m/g allowed (default 16m; the file
 *                   is one 4 KiB header page more; the NetBSD format is always 1 MiB)
 *   SHMIF_SPIN_NS   how long recv polls before it sleeps (default: the library's, 50 us)
 *
 * Compile-time defaults, so that one source gives several transports in run.sh:
 *   -DTP_SHMIF_NETBSD    NetBSD format unless SHMIF_FORMAT says otherwise
 *   -DTP_SHMIF_SPIN_NS=N spin N ns unless SHMIF_SPIN_NS says otherwise
 *   -DTP_SHMIF_NAME="x"  the name bench.c prints */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shmif/shmif.h"
#include "transport.h"

#ifndef TP_SHMIF_NAME
#ifdef TP_SHMIF_NETBSD
#define TP_SHMIF_NAME "shmif-netbsd"
#else
#define TP_SHMIF_NAME "shmif-native"
#endif
#endif

/* Why 16 MiB: the ring is the only buffer between a writer and a reader that has been
 * descheduled, and on this 2-vCPU machine a reader that shares its core loses it for a whole
 * scheduler slice (3-4 ms, more under load). 16 MiB holds ~4.5 ms of traffic at the
 * 1514-byte target (30 Gbit/s) and ~17 ms at 10 Mpps of 64-byte frames (96-byte records);
 * the library's 2 MiB default holds 0.5 ms at 30 Gbit/s and loses frames whenever the reader
 * is preempted. Larger is slower: the writer walks the oldest records before it overwrites
 * them (native::reserve), and with a ring far beyond the caches each step of that walk is a
 * cache miss; on this machine 64 MiB gave ~25-40 % less than 16 MiB at 1514 bytes.
 * bench/README.md has the sweep. */
#define TP_SHMIF_DEFAULT_SIZE (16ull << 20)

struct tp {
    shmif_bus* bus;
    shmif_writer* w;
    shmif_cursor* c;
};

static unsigned long long parse_size(const char* s) {
    char* end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s) return 0;
    switch (*end) {
        case 'k':
        case 'K':
            v <<= 10;
            break;
        case 'm':
        case 'M':
            v <<= 20;
            break;
        case 'g':
        case 'G':
            v <<= 30;
            break;
        default:
            break;
    }
    return v;
}

static void s_close(tp_t* t) {
    if (!t) return;
    if (t->c) shmif_cursor_free(t->c);
    if (t->w) shmif_writer_free(t->w);
    if (t->bus) shmif_bus_close(t->bus);
    free(t);
}

static tp_t* s_open(const char* arg, enum tp_role role) {
    (void)role; /* both sides are alike: a writer and a cursor that skips it */
    struct tp* t = calloc(1, sizeof *t);
    if (!t) return NULL;
    struct shmif_create_opts o;
    memset(&o, 0, sizeof o);
#ifdef TP_SHMIF_NETBSD
    o.format = SHMIF_FORMAT_NETBSD;
#else
    o.format = SHMIF_FORMAT_NATIVE;
#endif
    const char* fmt = getenv("SHMIF_FORMAT");
    if (fmt && *fmt) {
        if (!strcmp(fmt, "netbsd"))
            o.format = SHMIF_FORMAT_NETBSD;
        else if (!strcmp(fmt, "native"))
            o.format = SHMIF_FORMAT_NATIVE;
        else {
            fprintf(stderr, "tp_shmif: SHMIF_FORMAT=%s: want native or netbsd\n", fmt);
            free(t);
            return NULL;
        }
    }
    if (o.format == SHMIF_FORMAT_NATIVE) {
        const char* sz = getenv("SHMIF_BUS_SIZE");
        o.size = ((sz && *sz) ? parse_size(sz) : TP_SHMIF_DEFAULT_SIZE) + 4096; /* + header page */
    }
    int rc = shmif_bus_create(arg, &o, &t->bus);
    if (rc < 0) {
        fprintf(stderr, "tp_shmif: bus %s: %s\n", arg, shmif_strerror(rc));
        free(t);
        return NULL;
    }
    rc = shmif_writer_new(t->bus, 0, &t->w);
    if (rc == 0) rc = shmif_cursor_new(t->bus, shmif_writer_sender(t->w), SHMIF_START_NEXT, &t->c);
    if (rc < 0) {
        fprintf(stderr, "tp_shmif: %s\n", shmif_strerror(rc));
        s_close(t);
        return NULL;
    }
    const char* spin = getenv("SHMIF_SPIN_NS");
    if (spin && *spin) shmif_cursor_set_spin(t->c, (int64_t)strtoll(spin, NULL, 0));
#ifdef TP_SHMIF_SPIN_NS
    else
        shmif_cursor_set_spin(t->c, (int64_t)(TP_SHMIF_SPIN_NS));
#endif
    return t;
}

static int s_send(tp_t* t, struct tp_frame* f, int n) {
    struct shmif_iov iov[TP_MAX_BATCH];
    if (n > TP_MAX_BATCH) n = TP_MAX_BATCH;
    for (int i = 0; i < n; i++) {
        iov[i].data = f[i].buf;
        iov[i].len = f[i].len;
    }
    int r = shmif_send_batch(t->w, iov, n, NULL); /* stops at a frame it cannot send */
    return r < 0 ? -1 : r;
}

static int s_recv(tp_t* t, struct tp_frame* f, int n, int timeout_ms) {
    struct shmif_frame fr[TP_MAX_BATCH];
    if (n > TP_MAX_BATCH) n = TP_MAX_BATCH;
    for (int i = 0; i < n; i++) {
        fr[i].buf = f[i].buf;
        fr[i].cap = TP_MAX_FRAME;
    }
    int r = shmif_recv(t->c, fr, n, (int64_t)timeout_ms * 1000000);
    if (r < 0) return -1;
    for (int i = 0; i < r; i++)
        f[i].len = fr[i].len;
    return r;
}

const struct tp_ops TP = {TP_SHMIF_NAME, s_open, s_send, s_recv, s_close};
