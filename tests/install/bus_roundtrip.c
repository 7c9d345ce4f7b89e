/* A C program of a libshmif user, built against the installed package (install_test.sh):
 * creates a bus in a fresh temporary directory, sends frames with one writer and receives
 * them with a cursor, checks every byte and length, prints "ok". Exits 1 on any mismatch. */
#define _POSIX_C_SOURCE 200809L

#include <shmif/shmif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NFRAMES 4
#define SENDER 0x5348u

static int fail(const char* what, int err) {
    fprintf(stderr, "bus_roundtrip: %s: %s\n", what, shmif_strerror(err));
    return 1;
}

static int run(const char* path) {
    static const size_t lens[NFRAMES] = {14, 60, 1400, 1514};
    static unsigned char sent[NFRAMES][1514];
    static unsigned char got[NFRAMES][2048];
    struct shmif_frame frames[NFRAMES];
    shmif_bus* bus = NULL;
    shmif_writer* w = NULL;
    shmif_cursor* c = NULL;
    int rc = 1, err, n = 0;

    if ((err = shmif_bus_create(path, NULL, &bus)) != SHMIF_OK) return fail("bus_create", err);
    if ((err = shmif_writer_new(bus, SENDER, &w)) != SHMIF_OK) {
        fail("writer_new", err);
        goto out;
    }
    /* skip_sender is another id: this cursor sees the writer's frames. */
    if ((err = shmif_cursor_new(bus, SENDER + 1, SHMIF_START_NEXT, &c)) != SHMIF_OK) {
        fail("cursor_new", err);
        goto out;
    }
    for (int i = 0; i < NFRAMES; ++i) {
        for (size_t j = 0; j < lens[i]; ++j)
            sent[i][j] = (unsigned char)(i * 53 + j * 7 + 1);
        if ((err = shmif_send(w, sent[i], lens[i])) != SHMIF_OK) {
            fail("send", err);
            goto out;
        }
    }
    while (n < NFRAMES) {
        for (int i = 0; i < NFRAMES; ++i) {
            frames[i].buf = got[i];
            frames[i].cap = sizeof got[i];
        }
        /* Up to 5 s for the first of what is left. */
        int r = shmif_recv(c, frames, NFRAMES - n, 5000000000LL);
        if (r < 0) {
            fail("recv", r);
            goto out;
        }
        if (r == 0) {
            fprintf(stderr, "bus_roundtrip: received %d of %d frames, then nothing\n", n, NFRAMES);
            goto out;
        }
        for (int i = 0; i < r; ++i, ++n) {
            if (frames[i].len != lens[n] || frames[i].orig_len != lens[n]) {
                fprintf(stderr, "bus_roundtrip: frame %d: %zu bytes (on the bus %zu), sent %zu\n",
                        n, frames[i].len, frames[i].orig_len, lens[n]);
                goto out;
            }
            if (memcmp(frames[i].buf, sent[n], lens[n]) != 0 || frames[i].sender != SENDER) {
                fprintf(stderr, "bus_roundtrip: frame %d: bytes or sender differ\n", n);
                goto out;
            }
        }
    }
    if ((err = shmif_recv(c, frames, 1, 0)) != 0) {
        fprintf(stderr, "bus_roundtrip: an extra frame (%d)\n", err);
        goto out;
    }
    rc = 0;
out:
    shmif_cursor_free(c);
    shmif_writer_free(w);
    shmif_bus_close(bus);
    return rc;
}

int main(void) {
    const char* tmp = getenv("TMPDIR");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/shmif-roundtrip-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("bus_roundtrip: mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/test.bus", dir);
    int rc = run(path);
    unlink(path);
    rmdir(dir);
    if (rc == 0) puts("ok");
    return rc;
}
