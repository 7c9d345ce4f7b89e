/* A program run under libshmifrun.so by shim_fake_daemon_test.cpp: makes the calls its first
 * argument names on ordinary libc functions, unaware of the shim, and exits 0 when every call
 * did what it should. Its datagrams go to the test's fake daemon, which checks their framing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define CHECK(condition)                                                              \
    do {                                                                              \
        if (!(condition)) {                                                           \
            fprintf(stderr, "shim_probe: %s failed (errno %d)\n", #condition, errno); \
            return 1;                                                                 \
        }                                                                             \
    } while (0)

static struct sockaddr_in destination(void) {
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons(53);
    inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
    return to;
}

/* UDP through every data call; fd 100 is left open for an exec'd image. */
static int udp(char* self) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    const struct sockaddr_in to = destination();
    CHECK(sendto(fd, "sendto", 6, 0, (const struct sockaddr*)&to, sizeof to) == 6);
    CHECK(write(fd, "write", 5) == 5);
    CHECK(send(fd, "send", 4, 0) == 4);
    struct iovec parts[2] = {{"write", 5}, {"v", 1}};
    CHECK(writev(fd, parts, 2) == 6);
    CHECK(dup2(fd, 100) == 100);
    CHECK(close(fd) == 0);
    CHECK(write(100, "dup2", 4) == 4);
    const int copy = fcntl(100, F_DUPFD_CLOEXEC, 50);
    CHECK(copy >= 50);
    CHECK(write(copy, "fcntl", 5) == 5);
    close(copy);
    char buf[32] = {0};
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    CHECK(recvfrom(100, buf, sizeof buf, 0, (struct sockaddr*)&from, &len) == 5);
    CHECK(memcmp(buf, "reply", 5) == 0 && len == sizeof from && from.sin_port == htons(99));
    CHECK(read(100, buf, sizeof buf) == 4 && memcmp(buf, "read", 4) == 0);
    char* argv[] = {self, "inherited", NULL};
    execv(self, argv);
    return 1;
}

/* After exec: the table is empty, fd 100 must be found to be a virtual UDP socket. */
static int inherited(void) {
    CHECK(write(100, "inherited", 9) == 9);
    return 0;
}

/* Other families and descriptors stay the kernel's, untouched. */
static int kernel(void) {
    int pair[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0);
    CHECK(write(pair[0], "plain", 5) == 5);
    char buf[8] = {0};
    CHECK(read(pair[1], buf, sizeof buf) == 5 && memcmp(buf, "plain", 5) == 0);
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_un nowhere;
    memset(&nowhere, 0, sizeof nowhere);
    nowhere.sun_family = AF_UNIX;
    strcpy(nowhere.sun_path, "/nonexistent/shim_probe.sock");
    CHECK(connect(fd, (struct sockaddr*)&nowhere, sizeof nowhere) == -1 && errno == ENOENT);
    return 0;
}

/* AF_INET6 sockets are the daemon's, as AF_INET ones: a virtual descriptor of family AF_INET6
 * that names [::]:0 before it is bound. */
static int inet6(void) {
    const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    int domain = 0;
    socklen_t len = sizeof domain;
    CHECK(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET6);
    struct sockaddr_in6 to;
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    to.sin6_port = htons(53);
    CHECK(inet_pton(AF_INET6, "::ffff:10.0.0.9", &to.sin6_addr) == 1);
    CHECK(sendto(fd, "six", 3, 0, (struct sockaddr*)&to, sizeof to) == 3);
    CHECK(sendto(fd, "six", 3, 0, (struct sockaddr*)&to, 23) == -1 && errno == EINVAL);
    return 0;
}

/* A TCP end-of-file: the peer's FIN (the daemon shut its end for writing) reads as one; when
 * the daemon closed its end, the read says why (the test's fake answers ECONNRESET). */
static int tcp_eof(void) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    char byte = 0;
    CHECK(read(fd, &byte, 1) == 0);
    CHECK(write(fd, "x", 1) == 1);   /* tells the test */
    struct pollfd gone = {fd, 0, 0}; /* until the daemon's end closes (POLLHUP) */
    CHECK(poll(&gone, 1, 10000) == 1);
    CHECK(read(fd, &byte, 1) == -1 && errno == ECONNRESET);
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    if (strcmp(argv[1], "udp") == 0) return udp(argv[0]);
    if (strcmp(argv[1], "inherited") == 0) return inherited();
    if (strcmp(argv[1], "kernel") == 0) return kernel();
    if (strcmp(argv[1], "inet6") == 0) return inet6();
    if (strcmp(argv[1], "tcp_eof") == 0) return tcp_eof();
    return 2;
}
