/* bus_events: frames from a shmif bus received in an event loop, beside other descriptors.
 *
 * The loop serves three sources: the bus (the cursor's fd, shmif_cursor_fd()), a timerfd
 * that ticks every 100 ms (counted, and used for --timeout-ms) and a signalfd for SIGINT
 * and SIGTERM (they end the loop cleanly). The same protocol (shmif.h, shmif/README.md
 * "Event loops") runs over one of four ways of waiting:
 *   --loop poll      poll(2)
 *   --loop epoll     epoll(7), level-triggered
 *   --loop epoll-et  epoll(7), edge-triggered (EPOLLET) on the bus fd
 *   --loop uring     io_uring (liburing): one-shot IORING_OP_POLL_ADD, re-armed each round
 *
 * bus_events BUS --loop MODE [--count N] [--timeout-ms MS] [--skip SENDER]
 *   --count N        exit 0 once N frames came (default 0: run until SIGINT/SIGTERM)
 *   --timeout-ms MS  give up after MS milliseconds (checked at each tick; default: never)
 *   --skip SENDER    do not deliver the frames of this writer id (decimal or 0x hex)
 * Once set up it says so on stderr ("bus_events: waiting ..."); at the end it prints one
 * line on stdout: frames F bytes B ticks T wakeups W (wakeups: how often the bus fd woke
 * the loop). Exit status: 0 N frames came, or a signal ended the loop; 1 error; 2 usage;
 * 3 timeout. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <shmif/shmif.h>

enum { exit_ok = 0, exit_failure = 1, exit_usage = 2, exit_timeout = 3 };
enum source { src_bus, src_timer, src_signal, src_count };
#define BIT(s) (1U << (s))
#define BATCH 16
#define TICK_MS 100

struct app {
    shmif_cursor* cursor;
    int fd[src_count];
    struct shmif_frame rx[BATCH];
    uint64_t want;      /* --count; 0: until a signal */
    int64_t timeout_ms; /* --timeout-ms; 0: none */
    struct timespec start;
    uint64_t frames, bytes, ticks, wakeups;
    int status; /* the exit status, or -1 while running */
};

/* One way of waiting: sleeps until at least one source is readable and sets its bit in
 * *ready. Returns 0, or -1 with errno set. */
typedef int (*wait_fn)(void* ctx, const struct app* a, unsigned* ready);

static void fail(struct app* a, const char* what, int err) {
    fprintf(stderr, "bus_events: %s: %s\n", what, err < 0 ? shmif_strerror(err) : strerror(err));
    a->status = exit_failure;
}

/* ---- What every mode shares ---------------------------------------------------------- */

/* Step 1 of the protocol: receive until the bus has nothing more (a timeout of 0 never
 * blocks). The fd only says "something changed", so one wake-up may bring many frames. */
static void drain(struct app* a) {
    for (;;) {
        int n = BATCH;
        if (a->want != 0) {
            if (a->frames >= a->want) {
                a->status = exit_ok;
                return;
            }
            if (a->want - a->frames < BATCH) n = (int)(a->want - a->frames);
        }
        const int got = shmif_recv(a->cursor, a->rx, n, 0);
        if (got < 0) {
            fail(a, "shmif_recv", got);
            return;
        }
        if (got == 0) return;
        for (int i = 0; i < got; ++i)
            a->bytes += a->rx[i].len;
        a->frames += (uint64_t)got;
    }
}

static void on_tick(struct app* a) {
    uint64_t expirations = 0;
    if (read(a->fd[src_timer], &expirations, sizeof expirations) == sizeof expirations)
        a->ticks += expirations;
    if (a->timeout_ms <= 0) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t ms =
        (int64_t)(now.tv_sec - a->start.tv_sec) * 1000 + (now.tv_nsec - a->start.tv_nsec) / 1000000;
    if (ms >= a->timeout_ms) {
        fprintf(stderr, "bus_events: timed out after %" PRId64 " ms\n", ms);
        a->status = exit_timeout;
    }
}

static void on_signal(struct app* a) {
    struct signalfd_siginfo si;
    if (read(a->fd[src_signal], &si, sizeof si) == sizeof si) {
        fprintf(stderr, "bus_events: %s, stopping\n", strsignal((int)si.ssi_signo));
        a->status = exit_ok;
    }
}

/* The protocol, whatever the way of waiting. */
static int run_loop(struct app* a, wait_fn sleep_on, void* ctx) {
    while (a->status < 0) {
        drain(a); /* 1. receive everything */
        if (a->status >= 0) break;
        /* 2. Register as a sleeper, then look once more: 0 means frames came after the drain
         * (receive them; no finish needed), 1 that a writer will now make the fd readable. */
        const int r = shmif_cursor_prepare_wait(a->cursor);
        if (r == 0) continue;
        if (r < 0) {
            fail(a, "shmif_cursor_prepare_wait", r);
            break;
        }
        /* 3. Sleep on all the sources at once. */
        unsigned ready = 0;
        const int err = sleep_on(ctx, a, &ready) < 0 ? errno : 0;
        /* 4. Whatever woke us (frames, the timer, a signal, an error): unregister and drain
         * the fd, before anything else can return or sleep. */
        shmif_cursor_finish_wait(a->cursor);
        if (err != 0 && err != EINTR) {
            fail(a, "wait", err);
            break;
        }
        if (ready & BIT(src_bus)) ++a->wakeups; /* the frames are received at step 1 */
        if (ready & BIT(src_timer)) on_tick(a);
        if (ready & BIT(src_signal)) on_signal(a);
    }
    return a->status;
}

/* ---- poll(2) ----------------------------------------------------------------------------- */

static int poll_wait(void* ctx, const struct app* a, unsigned* ready) {
    (void)a;
    struct pollfd* p = ctx;
    if (poll(p, src_count, -1) < 0) return -1;
    for (int s = 0; s < src_count; ++s)
        if (p[s].revents != 0) *ready |= BIT(s);
    return 0;
}

static int run_poll(struct app* a) {
    struct pollfd p[src_count];
    for (int s = 0; s < src_count; ++s)
        p[s] = (struct pollfd){.fd = a->fd[s], .events = POLLIN};
    return run_loop(a, poll_wait, p);
}

/* ---- epoll(7) ---------------------------------------------------------------------------- */

static int epoll_wait_fn(void* ctx, const struct app* a, unsigned* ready) {
    (void)a;
    struct epoll_event ev[src_count];
    const int n = epoll_wait(*(int*)ctx, ev, src_count, -1);
    if (n < 0) return -1;
    for (int i = 0; i < n; ++i)
        *ready |= BIT(ev[i].data.u32);
    return 0;
}

/* The fds are registered once and stay. Edge-triggered works on the bus fd: inotify folds an
 * event into an unread twin without a new wake-up, but prepare has drained the fd, so the
 * event that ends our sleep is a fresh one, and a fresh edge. */
static int run_epoll(struct app* a, int edge) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        fail(a, "epoll_create1", errno);
        return a->status;
    }
    for (int s = 0; s < src_count; ++s) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
        if (s == src_bus && edge) ev.events |= EPOLLET;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, a->fd[s], &ev) < 0) {
            fail(a, "epoll_ctl", errno);
            close(ep);
            return a->status;
        }
    }
    run_loop(a, epoll_wait_fn, &ep);
    close(ep);
    return a->status;
}

static int run_epoll_level(struct app* a) {
    return run_epoll(a, 0);
}

static int run_epoll_edge(struct app* a) {
    return run_epoll(a, 1);
}

/* ---- io_uring ---------------------------------------------------------------------------- */

struct uring_ctx {
    struct io_uring ring;
    unsigned armed; /* sources with a poll in flight */
};

static int uring_wait(void* ctx, const struct app* a, unsigned* ready) {
    struct uring_ctx* u = ctx;
    /* A poll request is one-shot: arm again each source whose poll completed. One still in
     * flight (the bus, when the timer woke us) stays: it fires on the next event. */
    for (int s = 0; s < src_count; ++s) {
        if (u->armed & BIT(s)) continue;
        struct io_uring_sqe* sqe = io_uring_get_sqe(&u->ring); /* the ring has room for all */
        io_uring_prep_poll_add(sqe, a->fd[s], POLLIN);
        io_uring_sqe_set_data64(sqe, (__u64)s);
        u->armed |= BIT(s);
    }
    const int rc = io_uring_submit_and_wait(&u->ring, 1);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    int err = 0;
    io_uring_for_each_cqe(&u->ring, head, cqe) {
        const unsigned s = (unsigned)io_uring_cqe_get_data64(cqe);
        u->armed &= ~BIT(s);
        if (cqe->res < 0)
            err = -cqe->res;
        else
            *ready |= BIT(s);
        ++seen;
    }
    io_uring_cq_advance(&u->ring, seen);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

static int run_uring(struct app* a) {
    struct uring_ctx u = {.armed = 0};
    const int rc = io_uring_queue_init(src_count, &u.ring, 0);
    if (rc < 0) {
        fail(a, "io_uring_queue_init", -rc);
        return a->status;
    }
    run_loop(a, uring_wait, &u);
    io_uring_queue_exit(&u.ring); /* cancels the polls still in flight */
    return a->status;
}

/* ---- Setting up -------------------------------------------------------------------------- */

static int usage(void) {
    fputs(
        "usage: bus_events BUS --loop poll|epoll|epoll-et|uring [--count N] [--timeout-ms MS]"
        " [--skip SENDER]\n",
        stderr);
    return exit_usage;
}

static int parse_u64(const char* s, int base, uint64_t* out) {
    char* end = NULL;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, base);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-') return -1;
    *out = v;
    return 0;
}

/* SIGINT and SIGTERM blocked and read from a signalfd; a 100 ms timerfd. */
static int open_sources(struct app* a) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return -1;
    a->fd[src_signal] = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a->fd[src_signal] < 0) return -1;
    a->fd[src_timer] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (a->fd[src_timer] < 0) return -1;
    const struct timespec tick = {.tv_nsec = TICK_MS * 1000000L};
    const struct itimerspec its = {.it_interval = tick, .it_value = tick};
    return timerfd_settime(a->fd[src_timer], 0, &its, NULL);
}

int main(int argc, char** argv) {
    static const struct option opts[] = {{"loop", required_argument, NULL, 'l'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"timeout-ms", required_argument, NULL, 't'},
                                         {"skip", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char* mode = NULL;
    uint64_t skip = 0, timeout_ms = 0;
    struct app a = {.fd = {-1, -1, -1}, .status = -1};
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        int bad = 0;
        if (o == 'l')
            mode = optarg;
        else if (o == 'n')
            bad = parse_u64(optarg, 10, &a.want);
        else if (o == 't')
            bad = parse_u64(optarg, 10, &timeout_ms) || timeout_ms > INT64_MAX;
        else if (o == 's')
            bad = parse_u64(optarg, 0, &skip);
        else
            return usage();
        if (bad) return usage();
    }
    if (optind != argc - 1 || mode == NULL) return usage();
    static const struct {
        const char* name;
        int (*run)(struct app*);
    } modes[] = {{"poll", run_poll},
                 {"epoll", run_epoll_level},
                 {"epoll-et", run_epoll_edge},
                 {"uring", run_uring}};
    int (*run)(struct app*) = NULL;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; ++i)
        if (strcmp(mode, modes[i].name) == 0) run = modes[i].run;
    if (run == NULL) return usage();
    a.timeout_ms = (int64_t)timeout_ms;
    const char* path = argv[optind];

    shmif_bus* bus = NULL;
    int rc = shmif_bus_open(path, &bus);
    if (rc < 0) {
        fprintf(stderr, "bus_events: %s: %s\n", path, shmif_strerror(rc));
        return exit_failure;
    }
    /* Frames up to the bus's maximum: none is ever cut. */
    const size_t cap = shmif_bus_max_frame(bus);
    unsigned char* buf = malloc(cap * BATCH);
    for (int i = 0; buf != NULL && i < BATCH; ++i)
        a.rx[i] = (struct shmif_frame){.buf = buf + cap * (size_t)i, .cap = cap};
    if (buf == NULL) {
        fail(&a, "malloc", ENOMEM);
    } else if ((rc = shmif_cursor_new(bus, skip, SHMIF_START_NEXT, &a.cursor)) < 0) {
        fail(&a, "shmif_cursor_new", rc);
    } else if ((a.fd[src_bus] = shmif_cursor_fd(a.cursor)) < 0) {
        /* Made on the first call (an inotify instance); the cursor owns it. */
        fail(&a, "shmif_cursor_fd", a.fd[src_bus]);
    } else if (open_sources(&a) < 0) {
        fail(&a, "signalfd/timerfd", errno);
    } else {
        clock_gettime(CLOCK_MONOTONIC, &a.start);
        fprintf(stderr, "bus_events: waiting on %s (loop %s)\n", path, mode);
        run(&a);
        printf("frames %" PRIu64 " bytes %" PRIu64 " ticks %" PRIu64 " wakeups %" PRIu64 "\n",
               a.frames, a.bytes, a.ticks, a.wakeups);
    }
    if (a.fd[src_timer] >= 0) close(a.fd[src_timer]);
    if (a.fd[src_signal] >= 0) close(a.fd[src_signal]);
    shmif_cursor_free(a.cursor); /* closes the bus fd: never close it yourself */
    shmif_bus_close(bus);
    free(buf);
    return a.status;
}
