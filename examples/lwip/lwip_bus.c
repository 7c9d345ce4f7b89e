/* lwip-bus: lwIP as one host on a shmif bus, joined through shmif.h alone.
 *
 * Debian's liblwip-dev is lwIP 2.1.3 built as the threaded unix port (NO_SYS 0, core
 * locking, the BSD-style socket API as lwip_socket() & co.). Three kinds of threads:
 *   - lwIP's tcpip thread (tcpip_init): the stack, its timers;
 *   - our bus reader: frames from the bus -> netif->input (tcpip_input queues them to it);
 *   - the application: the echo servers (a thread each, one per TCP connection) and the
 *     client actions on the main thread, all through lwIP's socket API.
 * The stack sends through link_output(), which writes each frame to the bus with
 * shmif_send(). See README.md for the options of Debian's build that matter here.
 *
 * lwip-bus BUS --addr ADDR/LEN [--mac MAC] [--gateway ADDR]
 *          [--udp-echo PORT] [--tcp-echo PORT] [--duration SECONDS]
 *          [--size BYTES] [--timeout MS] [--ping ADDR] [--udp-send ADDR:PORT]
 *          [--tcp-send ADDR:PORT]...
 * Client actions run in command-line order once the interface is up, each bounded by the
 * --timeout in force (default 5000 ms) and reported on one line of stdout:
 *   ping 10.0.0.1 ok size 4000 rtt_us 812 ttl 64
 *   udp 10.0.0.1:7 ok size 3000 rtt_us 640 tries 1
 *   tcp 10.0.0.1:7 ok bytes 100000 seconds 0.012
 *   tcp 10.0.0.1:7 fail bytes 100000 sent 65536 received 1460 timeout
 * Exit status: 0 all actions succeeded (or, serving only, stopped by SIGINT/SIGTERM or
 * --duration); 1 an action failed or the bus/stack could not be set up; 2 usage error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmif/shmif.h>

#include "lwip/etharp.h"
#include "lwip/inet_chksum.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/icmp.h"
#include "lwip/sockets.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

enum { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

/* ---------------------------------------------------------------------------------------- */
/* The link: a netif whose frames go to and come from the bus.                              */

#define RX_BATCH 16

static void sleep_ms(long ms) {
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}, NULL);
}

struct bus_link {
    shmif_bus* bus;
    shmif_writer* writer;
    shmif_cursor* cursor;
    uint32_t max_frame;
    struct netif netif;
    int open; /* cleared (under the core lock) before the writer goes away */
    unsigned char* tx_flat;
    pthread_t reader;
    atomic_int stop;
    atomic_ulong rx_frames, rx_filtered, rx_dropped, tx_frames, tx_errors;
};

/* netif->linkoutput: called by lwIP with the core lock held (from the tcpip thread, or from
 * an application thread inside a socket call), so calls never overlap and tx_flat needs no
 * lock of its own. With LWIP_NETIF_TX_SINGLE_PBUF (Debian sets it) the frame is one pbuf
 * and goes to the bus as it is; a chain is flattened first. */
static err_t link_output(struct netif* netif, struct pbuf* p) {
    struct bus_link* link = netif->state;
    if (!link->open) return ERR_IF;
    if (p->tot_len > link->max_frame) {
        atomic_fetch_add(&link->tx_errors, 1);
        return ERR_BUF;
    }
    const void* frame = p->payload;
    if (p->next != NULL) {
        pbuf_copy_partial(p, link->tx_flat, p->tot_len, 0);
        frame = link->tx_flat;
    }
    const int rc = shmif_send(link->writer, frame, p->tot_len);
    if (rc < 0) {
        atomic_fetch_add(&link->tx_errors, 1);
        return ERR_IF;
    }
    atomic_fetch_add(&link->tx_frames, 1);
    return ERR_OK;
}

static err_t link_netif_init(struct netif* netif) {
    netif->name[0] = 's';
    netif->name[1] = 'h';
    netif->output = etharp_output;
    netif->linkoutput = link_output;
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN; /* hwaddr itself is set before netif_add() */
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

/* The bus reader. It has nothing to wait for but the bus, so it blocks in shmif_recv() (a
 * short spin, then a futex sleep in the bus file: the quickest wake-up shmif.h offers). The
 * event-loop calls (shmif_cursor_fd() with prepare/finish_wait) are for a loop that waits on
 * other descriptors too; lwIP's threaded port has its own thread for timers and sockets, so
 * none is needed here. It blocks without a timeout: link_close() ends the wait with
 * shmif_cursor_wake() (SHMIF_EINTR), as a signal would.
 *
 * Each frame is copied into a PBUF_RAM pbuf: one heap block of exactly its length. Not
 * PBUF_POOL: Debian's liblwip (2.1.3+dfsg1-2) gives a pool pbuf up to 1536 bytes of payload
 * (PBUF_POOL_BUFSIZE in pbuf_alloc()) but allocates the pool's elements with 616 bytes
 * (memp_PBUF_POOL.size: the 24-byte struct pbuf and 592 bytes), so every pool pbuf holding
 * more than 592 bytes writes past its block. What breaks depends on what the frame's bytes
 * overwrite: glibc's "malloc(): corrupted top size" after a 1000-byte ping, or, for a frame
 * larger than one pool pbuf (a chain), a next pointer overwritten before pbuf_take() walks
 * it: "pbuf_take: invalid pbuf" or a segfault. See README.md. */
static void* bus_reader(void* arg) {
    struct bus_link* link = arg;
    struct shmif_frame frames[RX_BATCH];
    unsigned char* buffers = malloc((size_t)RX_BATCH * link->max_frame);
    if (buffers == NULL) {
        fprintf(stderr, "lwip-bus: no memory for the receive buffers\n");
        return NULL;
    }
    for (int i = 0; i < RX_BATCH; ++i)
        frames[i] = (struct shmif_frame){.buf = buffers + (size_t)i * link->max_frame,
                                         .cap = link->max_frame};
    int failing = 0;
    while (!atomic_load(&link->stop)) {
        const int n = shmif_recv(link->cursor, frames, RX_BATCH, -1);
        if (n == SHMIF_EINTR) continue; /* woken: the loop checks why */
        if (n < 0) {
            /* A damaged bus (shmifbus repair fixes it): say so once, retry gently. */
            if (!failing) fprintf(stderr, "lwip-bus: receive: %s\n", shmif_strerror(n));
            failing = 1;
            sleep_ms(100);
            continue;
        }
        failing = 0;
        for (int i = 0; i < n; ++i) {
            const size_t len = frames[i].len;
            const unsigned char* dst = frames[i].buf;
            /* The bus is a hub: every frame reaches every host. A NIC keeps only those for
             * its address, broadcast and multicast (the group bit); so do we, before a pbuf
             * and a place in the tcpip thread's mailbox are spent on the others. */
            if (len < SIZEOF_ETH_HDR ||
                ((dst[0] & 1) == 0 && memcmp(dst, link->netif.hwaddr, ETH_HWADDR_LEN) != 0)) {
                atomic_fetch_add(&link->rx_filtered, 1);
                continue;
            }
            if (len != frames[i].orig_len || len > 0xffff) { /* truncated, or beyond a pbuf */
                atomic_fetch_add(&link->rx_dropped, 1);
                continue;
            }
            struct pbuf* p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
            if (p == NULL) {
                atomic_fetch_add(&link->rx_dropped, 1);
                continue;
            }
            pbuf_take(p, frames[i].buf, (u16_t)len);
            /* tcpip_input: queued for the tcpip thread (its mailbox full: dropped, as by a
             * NIC whose ring is full). */
            if (link->netif.input(p, &link->netif) != ERR_OK) {
                pbuf_free(p);
                atomic_fetch_add(&link->rx_dropped, 1);
                continue;
            }
            atomic_fetch_add(&link->rx_frames, 1);
        }
    }
    free(buffers);
    return NULL;
}

static void tcpip_ready(void* arg) {
    sys_sem_signal((sys_sem_t*)arg);
}

/* Opens the bus, starts lwIP and brings the interface up. 0 or -1 (said on stderr). */
static int link_open(struct bus_link* link, const char* path, const ip4_addr_t* addr,
                     const ip4_addr_t* mask, const ip4_addr_t* gateway, const uint8_t* mac) {
    int rc = shmif_bus_open(path, &link->bus);
    if (rc == 0) rc = shmif_writer_new(link->bus, 0, &link->writer);
    /* Our own frames come back to every cursor of the bus: skip them by our sender id. */
    if (rc == 0)
        rc = shmif_cursor_new(link->bus, shmif_writer_sender(link->writer), SHMIF_START_NEXT,
                              &link->cursor);
    if (rc != 0) {
        fprintf(stderr, "lwip-bus: %s: %s\n", path, shmif_strerror(rc));
        return -1;
    }
    link->max_frame = shmif_bus_max_frame(link->bus);
    link->tx_flat = malloc(link->max_frame);
    if (link->tx_flat == NULL) return -1;

    sys_sem_t ready;
    if (sys_sem_new(&ready, 0) != ERR_OK) return -1;
    tcpip_init(tcpip_ready, &ready);
    sys_sem_wait(&ready);
    sys_sem_free(&ready);

    if (mac != NULL) {
        memcpy(link->netif.hwaddr, mac, ETH_HWADDR_LEN);
    } else {
        /* Locally administered, unicast, from the sender id (random per run). */
        const uint64_t id = shmif_writer_sender(link->writer);
        link->netif.hwaddr[0] = 0x02;
        for (int i = 1; i < ETH_HWADDR_LEN; ++i)
            link->netif.hwaddr[i] = (u8_t)(id >> (8 * (ETH_HWADDR_LEN - 1 - i)));
    }
    link->open = 1;
    LOCK_TCPIP_CORE();
    struct netif* added =
        netif_add(&link->netif, addr, mask, gateway, link, link_netif_init, tcpip_input);
    if (added != NULL) {
        netif_set_default(&link->netif);
        netif_set_link_up(&link->netif);
        netif_set_up(&link->netif);
    }
    UNLOCK_TCPIP_CORE();
    if (added == NULL) {
        fprintf(stderr, "lwip-bus: netif_add failed\n");
        return -1;
    }
    if (pthread_create(&link->reader, NULL, bus_reader, link) != 0) {
        fprintf(stderr, "lwip-bus: cannot start the bus reader\n");
        return -1;
    }
    return 0;
}

/* The reverse order: no more frames in, the interface gone (and link_output refusing, for
 * frames the tcpip thread still had queued), then the writer, the cursor, the bus. */
static void link_close(struct bus_link* link) {
    atomic_store(&link->stop, 1);
    shmif_cursor_wake(link->cursor); /* latched: seen even if the reader is not asleep yet */
    pthread_join(link->reader, NULL);
    LOCK_TCPIP_CORE();
    netif_set_down(&link->netif);
    netif_remove(&link->netif);
    link->open = 0;
    UNLOCK_TCPIP_CORE();
    shmif_cursor_free(link->cursor);
    shmif_writer_free(link->writer);
    shmif_bus_close(link->bus);
    free(link->tx_flat);
}

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                  */

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int ms_left(int64_t deadline) {
    const int64_t left = (deadline - now_ns()) / 1000000;
    return left < 0 ? 0 : (int)left;
}

/* SO_RCVTIMEO of an lwIP socket (0 ms would mean "forever" to lwIP: at least 1). */
static void set_recv_timeout(int s, int ms) {
    if (ms < 1) ms = 1;
    const struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    lwip_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Byte i of every payload we send: the /bytes/N pattern of shmifd's services. */
static unsigned char pattern(size_t i) {
    return (unsigned char)((i + i / 251) % 256);
}

static int parse_endpoint(const char* text, struct sockaddr_in* out) {
    char host[64];
    unsigned port = 0;
    char extra;
    if (sscanf(text, "%63[0-9.]:%u%c", host, &port, &extra) != 2 || port == 0 || port > 65535)
        return -1;
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = lwip_htons((u16_t)port);
    return lwip_inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Servers                                                                                  */

/* UDP echo: every datagram back to its sender, on one socket. */
static void* udp_echo_thread(void* arg) {
    const int s = (int)(intptr_t)arg;
    static unsigned char buf[65536];
    for (;;) {
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        const ssize_t n = lwip_recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&from, &from_len);
        if (n >= 0)
            lwip_sendto(s, buf, (size_t)n, 0, (struct sockaddr*)&from, from_len);
        else
            sleep_ms(10); /* out of memory, say: do not spin */
    }
    return NULL;
}

/* One TCP echo connection: what comes in goes back, until the peer closes. A peer that
 * neither sends nor reads for 10 s is dropped. */
static void* tcp_echo_connection(void* arg) {
    const int c = (int)(intptr_t)arg;
    const struct timeval idle = {.tv_sec = 10};
    lwip_setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    lwip_setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
    unsigned char buf[16384];
    for (;;) {
        const ssize_t n = lwip_recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        ssize_t done = 0;
        while (done < n) {
            const ssize_t w = lwip_send(c, buf + done, (size_t)(n - done), 0);
            if (w <= 0) goto out;
            done += w;
        }
    }
out:
    lwip_close(c);
    return NULL;
}

static void* tcp_echo_thread(void* arg) {
    const int listener = (int)(intptr_t)arg;
    for (;;) {
        const int c = lwip_accept(listener, NULL, NULL);
        if (c < 0) {
            sleep_ms(10); /* out of memory, say: do not spin */
            continue;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, tcp_echo_connection, (void*)(intptr_t)c) == 0)
            pthread_detach(t);
        else
            lwip_close(c);
    }
    return NULL;
}

/* A bound socket of `type` on `port` (a listening one for TCP), or -1. */
static int server_socket(int type, unsigned port) {
    const int s = lwip_socket(AF_INET, type, 0);
    if (s < 0) return -1;
    const int one = 1;
    lwip_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = lwip_htons((u16_t)port)};
    if (lwip_bind(s, (struct sockaddr*)&any, sizeof any) != 0 ||
        (type == SOCK_STREAM && lwip_listen(s, 16) != 0)) {
        lwip_close(s);
        return -1;
    }
    return s;
}

static int start_server(void* (*fn)(void*), int type, unsigned port) {
    const int s = server_socket(type, port);
    pthread_t t;
    if (s < 0 || pthread_create(&t, NULL, fn, (void*)(intptr_t)s) != 0) {
        fprintf(stderr, "lwip-bus: cannot serve %s port %u\n", type == SOCK_STREAM ? "TCP" : "UDP",
                port);
        return -1;
    }
    pthread_detach(t);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Client actions                                                                           */

/* One echo request of `size` payload bytes on a raw ICMP socket; the matching reply (same
 * source, id, sequence and payload) within the timeout. Large ones are fragmented by lwIP on
 * the way out and their replies reassembled on the way in. */
static int do_ping(const char* target, size_t size, int timeout_ms) {
    static u16_t seq;
    struct sockaddr_in to = {.sin_family = AF_INET};
    if (size > 65507 || lwip_inet_pton(AF_INET, target, &to.sin_addr) != 1) {
        printf("ping %s fail bad-target-or-size\n", target);
        return -1;
    }
    const int s = lwip_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    const size_t len = sizeof(struct icmp_echo_hdr) + size;
    unsigned char* request = malloc(len);
    unsigned char* reply = malloc(65536);
    int result = -1;
    if (s < 0 || request == NULL || reply == NULL) {
        printf("ping %s fail no-resources\n", target);
        goto out;
    }
    struct icmp_echo_hdr* echo = (struct icmp_echo_hdr*)request;
    const u16_t id = (u16_t)(0x4c00 ^ getpid());
    ++seq;
    echo->type = ICMP_ECHO;
    echo->code = 0;
    echo->chksum = 0;
    echo->id = lwip_htons(id);
    echo->seqno = lwip_htons(seq);
    for (size_t i = 0; i < size; ++i)
        request[sizeof *echo + i] = pattern(i);
    echo->chksum = inet_chksum(request, (u16_t)len);

    const int64_t start = now_ns();
    const int64_t deadline = start + (int64_t)timeout_ms * 1000000;
    if (lwip_sendto(s, request, len, 0, (struct sockaddr*)&to, sizeof to) != (ssize_t)len) {
        printf("ping %s fail size %zu send errno %d\n", target, size, errno);
        goto out;
    }
    for (;;) {
        const int left = ms_left(deadline);
        if (left == 0) {
            printf("ping %s fail size %zu timeout\n", target, size);
            goto out;
        }
        set_recv_timeout(s, left);
        struct sockaddr_in from;
        socklen_t from_len = sizeof from;
        /* A raw IPv4 socket receives the whole datagram, IP header first. */
        const ssize_t n = lwip_recvfrom(s, reply, 65536, 0, (struct sockaddr*)&from, &from_len);
        if (n < 20 || from.sin_addr.s_addr != to.sin_addr.s_addr) continue;
        const size_t ihl = (size_t)(reply[0] & 0x0f) * 4;
        if ((size_t)n < ihl + sizeof *echo) continue;
        const struct icmp_echo_hdr* got = (const struct icmp_echo_hdr*)(reply + ihl);
        if (got->type != ICMP_ER || lwip_ntohs(got->id) != id || lwip_ntohs(got->seqno) != seq)
            continue;
        const int64_t rtt_us = (now_ns() - start) / 1000;
        if ((size_t)n - ihl != len ||
            memcmp(reply + ihl + sizeof *echo, request + sizeof *echo, size) != 0) {
            printf("ping %s fail size %zu reply-differs got %zu\n", target, size,
                   (size_t)n - ihl - sizeof *echo);
            goto out;
        }
        printf("ping %s ok size %zu rtt_us %" PRId64 " ttl %u\n", target, size, rtt_us, reply[8]);
        result = 0;
        goto out;
    }
out:
    if (s >= 0) lwip_close(s);
    free(request);
    free(reply);
    return result;
}

/* `size` bytes to an echo service; the same bytes back from it within the timeout. Sent
 * again every second without an answer (UDP may be lost; on a bus it rarely is). */
static int do_udp_send(const char* target, size_t size, int timeout_ms) {
    struct sockaddr_in to;
    if (size > 65507 || parse_endpoint(target, &to) != 0) {
        printf("udp %s fail bad-target-or-size\n", target);
        return -1;
    }
    const int s = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    unsigned char* data = malloc(size + 1);
    unsigned char* reply = malloc(65536);
    int result = -1;
    if (s < 0 || data == NULL || reply == NULL) {
        printf("udp %s fail no-resources\n", target);
        goto out;
    }
    for (size_t i = 0; i < size; ++i)
        data[i] = pattern(i);
    const int64_t start = now_ns();
    const int64_t deadline = start + (int64_t)timeout_ms * 1000000;
    int tries = 0;
    while (ms_left(deadline) > 0) {
        ++tries;
        if (lwip_sendto(s, data, size, 0, (struct sockaddr*)&to, sizeof to) != (ssize_t)size) {
            printf("udp %s fail size %zu send errno %d\n", target, size, errno);
            goto out;
        }
        const int64_t resend = now_ns() + 1000 * 1000000LL;
        for (;;) {
            const int left = ms_left(resend < deadline ? resend : deadline);
            if (left == 0) break;
            set_recv_timeout(s, left);
            struct sockaddr_in from;
            socklen_t from_len = sizeof from;
            const ssize_t n = lwip_recvfrom(s, reply, 65536, 0, (struct sockaddr*)&from, &from_len);
            if (n < 0) continue; /* the timeout: the loop condition decides */
            if (from.sin_addr.s_addr != to.sin_addr.s_addr || from.sin_port != to.sin_port)
                continue;
            if ((size_t)n != size || memcmp(reply, data, size) != 0) {
                printf("udp %s fail size %zu reply-differs got %zd\n", target, size, n);
                goto out;
            }
            printf("udp %s ok size %zu rtt_us %" PRId64 " tries %d\n", target, size,
                   (now_ns() - start) / 1000, tries);
            result = 0;
            goto out;
        }
    }
    printf("udp %s fail size %zu timeout tries %d\n", target, size, tries);
out:
    if (s >= 0) lwip_close(s);
    free(data);
    free(reply);
    return result;
}

/* Connects to an echo service, sends `bytes` and checks every byte that comes back, within
 * the timeout. Non-blocking with lwip_poll(): writing and reading at once, as an echo client
 * must (one that sent everything before reading would stall once both directions' buffers
 * and windows are full). */
static int do_tcp_send(const char* target, size_t bytes, int timeout_ms) {
    struct sockaddr_in to;
    if (parse_endpoint(target, &to) != 0) {
        printf("tcp %s fail bad-target\n", target);
        return -1;
    }
    const int64_t start = now_ns();
    const int64_t deadline = start + (int64_t)timeout_ms * 1000000;
    size_t sent = 0, received = 0;
    const char* why = "timeout";
    unsigned char out[16384], in[16384];
    const int s = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || lwip_fcntl(s, F_SETFL, O_NONBLOCK) != 0) {
        why = "socket";
        goto fail;
    }
    if (lwip_connect(s, (struct sockaddr*)&to, sizeof to) != 0 && errno != EINPROGRESS) {
        why = "connect";
        goto fail;
    }
    struct pollfd p = {.fd = s, .events = POLLOUT};
    if (lwip_poll(&p, 1, ms_left(deadline)) != 1) goto fail;
    int error = 0;
    socklen_t error_len = sizeof error;
    lwip_getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &error_len);
    if (error != 0) {
        why = error == ECONNREFUSED ? "refused" : "connect-failed";
        goto fail;
    }
    while (received < bytes) {
        p.events = (short)(POLLIN | (sent < bytes ? POLLOUT : 0));
        p.revents = 0;
        const int left = ms_left(deadline);
        if (left == 0 || lwip_poll(&p, 1, left) < 0) goto fail;
        if (p.revents & POLLOUT) {
            size_t chunk = bytes - sent < sizeof out ? bytes - sent : sizeof out;
            for (size_t i = 0; i < chunk; ++i)
                out[i] = pattern(sent + i);
            const ssize_t n = lwip_send(s, out, chunk, 0);
            if (n > 0)
                sent += (size_t)n;
            else if (errno != EWOULDBLOCK && errno != EAGAIN) {
                why = "send-failed";
                goto fail;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = lwip_recv(s, in, sizeof in, 0);
            if (n == 0) {
                why = "closed-early";
                goto fail;
            }
            if (n < 0) {
                if (errno == EWOULDBLOCK || errno == EAGAIN) continue;
                why = "reset";
                goto fail;
            }
            for (ssize_t i = 0; i < n; ++i) {
                if (in[i] != pattern(received + (size_t)i)) {
                    received += (size_t)i;
                    why = "mismatch";
                    goto fail;
                }
            }
            received += (size_t)n;
            if (received > sent) {
                why = "more-than-sent";
                goto fail;
            }
        }
    }
    lwip_close(s);
    printf("tcp %s ok bytes %zu seconds %.6f\n", target, bytes, (double)(now_ns() - start) / 1e9);
    return 0;
fail:
    if (s >= 0) lwip_close(s);
    printf("tcp %s fail bytes %zu sent %zu received %zu %s\n", target, bytes, sent, received, why);
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Command line                                                                             */

enum action_kind { act_ping, act_udp, act_tcp };

struct action {
    enum action_kind kind;
    const char* target;
    size_t size; /* SIZE_MAX: the kind's default */
    int timeout_ms;
};

#define MAX_ACTIONS 64

static const char usage_text[] =
    "usage: lwip-bus BUS --addr ADDR/LEN [--mac MAC] [--gateway ADDR]\n"
    "                [--udp-echo PORT] [--tcp-echo PORT] [--duration SECONDS]\n"
    "                [--size BYTES] [--timeout MS] [--ping ADDR] [--udp-send ADDR:PORT]\n"
    "                [--tcp-send ADDR:PORT]...\n"
    "lwIP (Debian's liblwip) as one host on the shmif bus BUS.\n"
    "  --udp-echo, --tcp-echo  serve an echo service on PORT\n"
    "  --ping ADDR             one echo request of --size bytes (default 56)\n"
    "  --udp-send ADDR:PORT    --size bytes (default 64) to an echo service, checked back\n"
    "  --tcp-send ADDR:PORT    --size bytes (default 100000) to an echo service, checked back\n"
    "  --size, --timeout       apply to the actions after them (timeout default 5000 ms)\n"
    "Actions run in order and print one line each; without any, serve until SIGINT/SIGTERM\n"
    "(or --duration). Exit 0 when all succeeded, 1 when one failed, 2 on a usage error.\n";

static int usage(const char* why) {
    if (why != NULL) fprintf(stderr, "lwip-bus: %s\n", why);
    fputs(usage_text, stderr);
    return exit_usage;
}

static int parse_number(const char* text, unsigned long min, unsigned long max,
                        unsigned long* out) {
    char* end = NULL;
    errno = 0;
    const unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int main(int argc, char** argv) {
    enum {
        o_addr = 256,
        o_mac,
        o_gateway,
        o_udp_echo,
        o_tcp_echo,
        o_duration,
        o_size,
        o_timeout,
        o_ping,
        o_udp_send,
        o_tcp_send,
        o_help
    };
    static const struct option options[] = {
        {"addr", required_argument, NULL, o_addr},
        {"mac", required_argument, NULL, o_mac},
        {"gateway", required_argument, NULL, o_gateway},
        {"udp-echo", required_argument, NULL, o_udp_echo},
        {"tcp-echo", required_argument, NULL, o_tcp_echo},
        {"duration", required_argument, NULL, o_duration},
        {"size", required_argument, NULL, o_size},
        {"timeout", required_argument, NULL, o_timeout},
        {"ping", required_argument, NULL, o_ping},
        {"udp-send", required_argument, NULL, o_udp_send},
        {"tcp-send", required_argument, NULL, o_tcp_send},
        {"help", no_argument, NULL, o_help},
        {NULL, 0, NULL, 0},
    };
    const char* addr_text = NULL;
    ip4_addr_t addr, mask, gateway;
    ip4_addr_set_zero(&gateway);
    uint8_t mac[ETH_HWADDR_LEN];
    int have_mac = 0;
    unsigned long udp_echo = 0, tcp_echo = 0, duration = 0, timeout_ms = 5000;
    size_t size = SIZE_MAX;
    struct action actions[MAX_ACTIONS];
    int n_actions = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case o_addr: {
                addr_text = optarg;
                char host[32];
                unsigned long len = 0;
                const char* slash = strchr(optarg, '/');
                if (slash == NULL || (size_t)(slash - optarg) >= sizeof host ||
                    parse_number(slash + 1, 0, 32, &len) != 0)
                    return usage("--addr wants ADDR/LEN, e.g. 10.0.0.3/24");
                memcpy(host, optarg, (size_t)(slash - optarg));
                host[slash - optarg] = '\0';
                if (!ip4addr_aton(host, &addr)) return usage("--addr: not an IPv4 address");
                ip4_addr_set_u32(&mask, len == 0 ? 0 : lwip_htonl(~0u << (32 - len)));
                break;
            }
            case o_mac:
                if (sscanf(optarg, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0], &mac[1], &mac[2],
                           &mac[3], &mac[4], &mac[5]) != 6)
                    return usage("--mac wants six hex bytes, e.g. 02:00:00:00:00:03");
                have_mac = 1;
                break;
            case o_gateway:
                if (!ip4addr_aton(optarg, &gateway)) return usage("--gateway: not an address");
                break;
            case o_udp_echo:
                if (parse_number(optarg, 1, 65535, &udp_echo) != 0) return usage("bad port");
                break;
            case o_tcp_echo:
                if (parse_number(optarg, 1, 65535, &tcp_echo) != 0) return usage("bad port");
                break;
            case o_duration:
                if (parse_number(optarg, 1, 86400, &duration) != 0)
                    return usage("--duration: 1 to 86400 seconds");
                break;
            case o_size: {
                unsigned long v = 0;
                if (parse_number(optarg, 0, 1UL << 30, &v) != 0) return usage("bad --size");
                size = v;
                break;
            }
            case o_timeout:
                if (parse_number(optarg, 1, 3600000, &timeout_ms) != 0)
                    return usage("--timeout: 1 to 3600000 ms");
                break;
            case o_ping:
            case o_udp_send:
            case o_tcp_send:
                if (n_actions == MAX_ACTIONS) return usage("too many actions");
                actions[n_actions++] = (struct action){.kind = opt == o_ping       ? act_ping
                                                               : opt == o_udp_send ? act_udp
                                                                                   : act_tcp,
                                                       .target = optarg,
                                                       .size = size,
                                                       .timeout_ms = (int)timeout_ms};
                break;
            case o_help:
                usage(NULL);
                return exit_ok;
            default:
                return usage(NULL);
        }
    }
    if (optind != argc - 1) return usage("one BUS path expected");
    if (addr_text == NULL) return usage("--addr is required");
    const char* bus_path = argv[optind];

    /* SIGINT/SIGTERM are taken by sigwait() on the main thread when serving: block them
     * before any thread starts (lwIP's included), so that no other thread takes them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    static struct bus_link link;
    if (link_open(&link, bus_path, &addr, &mask, &gateway, have_mac ? mac : NULL) != 0)
        return exit_failure;
    if ((udp_echo && start_server(udp_echo_thread, SOCK_DGRAM, (unsigned)udp_echo) != 0) ||
        (tcp_echo && start_server(tcp_echo_thread, SOCK_STREAM, (unsigned)tcp_echo) != 0))
        return exit_failure;
    const u8_t* hw = link.netif.hwaddr;
    printf("lwip-bus: up %s mac %02x:%02x:%02x:%02x:%02x:%02x on %s sender %#" PRIx64
           " udp-echo %lu tcp-echo %lu\n",
           addr_text, hw[0], hw[1], hw[2], hw[3], hw[4], hw[5], bus_path,
           shmif_writer_sender(link.writer), udp_echo, tcp_echo);
    fflush(stdout);

    int status = exit_ok;
    if (n_actions == 0) {
        if (duration > 0) {
            const struct timespec limit = {.tv_sec = (time_t)duration};
            sigtimedwait(&stop_signals, NULL, &limit);
        } else {
            int sig;
            sigwait(&stop_signals, &sig);
        }
    } else {
        pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL); /* Ctrl-C ends a run of actions */
        for (int i = 0; i < n_actions; ++i) {
            const struct action* a = &actions[i];
            int rc = 0;
            switch (a->kind) {
                case act_ping:
                    rc = do_ping(a->target, a->size != SIZE_MAX ? a->size : 56, a->timeout_ms);
                    break;
                case act_udp:
                    rc = do_udp_send(a->target, a->size != SIZE_MAX ? a->size : 64, a->timeout_ms);
                    break;
                case act_tcp:
                    rc = do_tcp_send(a->target, a->size != SIZE_MAX ? a->size : 100000,
                                     a->timeout_ms);
                    break;
            }
            fflush(stdout);
            if (rc != 0) status = exit_failure;
        }
    }
    const uint64_t lost = shmif_cursor_lost(link.cursor); /* overwritten before we read them */
    link_close(&link);
    fprintf(stderr,
            "lwip-bus: rx %lu frames (%lu for others, %lu dropped, %" PRIu64
            " lost), tx %lu frames (%lu errors)\n",
            atomic_load(&link.rx_frames), atomic_load(&link.rx_filtered),
            atomic_load(&link.rx_dropped), lost, atomic_load(&link.tx_frames),
            atomic_load(&link.tx_errors));
    return status;
}
