// tcp-rr-bench: the kernel's side of bench/tcp_bench.sh, plain sockets. netperf's shapes
// (netperf is not in Debian): an echo server and the TCP_RR / TCP_CRR clients, plus a bulk
// reader and writer for the kernel-to-shmifd stream through shmiftap.
//
//   tcp-rr-bench server PORT                 echo every connection, one at a time, until killed
//   tcp-rr-bench rr ADDR:PORT [SIZE] [SECS]  one connection, SIZE-byte requests (default 1),
//                                            one in flight, for SECS (default 5)
//   tcp-rr-bench crr ADDR:PORT [SECS]        connect, 1 byte, its echo, close; repeated
//   tcp-rr-bench fetch ADDR:PORT BYTES [http]  read BYTES (from chargen; http: GET /bytes/N)
//   tcp-rr-bench send ADDR:PORT BYTES        write BYTES (to discard), FIN, wait for the peer's
//
// rr/crr print "transactions N seconds S per_second R p50_us A p99_us B max_us C", fetch/send
// "bytes N seconds S gbit/s G", as shmifhost's --tcp-rr/--tcp-crr/--tcp-fetch/--tcp-send do
// (theirs without max_us).
// TCP_NODELAY everywhere. Exit 0 on success, 1 on a socket error, 2 on usage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "tcp-rr-bench: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: tcp-rr-bench server PORT | rr ADDR:PORT [SIZE] [SECS] | crr ADDR:PORT "
                 "[SECS] | fetch ADDR:PORT BYTES [http] | send ADDR:PORT BYTES\n");
    std::exit(2);
}

sockaddr_in parse_endpoint(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) usage();
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(std::atoi(text.c_str() + colon + 1)));
    if (inet_pton(AF_INET, text.substr(0, colon).c_str(), &sa.sin_addr) != 1) usage();
    return sa;
}

void no_delay(int fd) {
    const int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int connect_to(const sockaddr_in& sa) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    no_delay(fd);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) die("connect");
    return fd;
}

void write_all(int fd, const char* data, std::size_t n) {
    while (n > 0) {
        const auto w = write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write");
        }
        data += w;
        n -= static_cast<std::size_t>(w);
    }
}

// Reads exactly n bytes; false at end of stream.
bool read_all(int fd, char* data, std::size_t n) {
    while (n > 0) {
        const auto r = read(fd, data, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("read");
        }
        if (r == 0) return false;
        data += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

int serve(int port) {
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    const int one = 1;
    (void)setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    if (bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind");
    if (listen(listener, 128) != 0) die("listen");
    std::vector<char> buffer(256 * 1024);
    for (;;) {
        const int fd = accept(listener, nullptr, nullptr);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            die("accept");
        }
        no_delay(fd);
        for (;;) {
            const auto r = read(fd, buffer.data(), buffer.size());
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            write_all(fd, buffer.data(), static_cast<std::size_t>(r));
        }
        close(fd);
    }
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(p / 100 * static_cast<double>(sorted.size()));
    return sorted[std::min(rank, sorted.size() - 1)];
}

int transactions(const sockaddr_in& sa, bool crr, std::size_t size, double secs) {
    std::vector<char> request(size, 'r'), response(size);
    std::vector<double> latencies;
    const auto start = Clock::now();
    const auto end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
    int fd = crr ? -1 : connect_to(sa);
    for (;;) {
        const auto began = Clock::now();
        if (began >= end) break;
        if (crr) fd = connect_to(sa);
        write_all(fd, request.data(), size);
        if (!read_all(fd, response.data(), size)) {
            std::fprintf(stderr, "tcp-rr-bench: the peer closed early\n");
            return 1;
        }
        latencies.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - began).count());
        if (crr) close(fd);
    }
    if (!crr) close(fd);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    // The longest transaction too: one stall (a lost SYN waits a second) hides behind p99.
    std::printf(
        "transactions %zu seconds %.6f per_second %.1f p50_us %.1f p99_us %.1f max_us %.1f\n",
        latencies.size(), seconds, static_cast<double>(latencies.size()) / seconds,
        percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 100));
    return latencies.empty() ? 1 : 0;
}

int stream(const sockaddr_in& sa, bool sending, std::uint64_t bytes, bool http) {
    std::vector<char> buffer(256 * 1024, 'x');
    const auto start = Clock::now();
    const int fd = connect_to(sa);
    std::uint64_t moved = 0;
    if (sending) {
        while (moved < bytes) {
            const auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), bytes - moved));
            write_all(fd, buffer.data(), n);
            moved += n;
        }
        shutdown(fd, SHUT_WR);
        while (read(fd, buffer.data(), buffer.size()) > 0) {
        }
    } else {
        if (http) {
            char addr[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof addr);
            const std::string request = "GET /bytes/" + std::to_string(bytes) +
                                        " HTTP/1.1\r\nHost: " + addr +
                                        "\r\nConnection: close\r\n\r\n";
            write_all(fd, request.data(), request.size());
            std::string head;
            char c = 0;
            while (head.size() < 8192 && head.find("\r\n\r\n") == std::string::npos) {
                if (!read_all(fd, &c, 1)) break;
                head.push_back(c);
            }
            if (!head.starts_with("HTTP/1.1 200")) {
                std::fprintf(stderr, "tcp-rr-bench: bad response head\n");
                return 1;
            }
        }
        while (moved < bytes) {
            const auto r = read(fd, buffer.data(), buffer.size());
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) die("read");
            if (r == 0) break;
            moved += static_cast<std::uint64_t>(r);
        }
        moved = std::min(moved, bytes);
    }
    close(fd);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("bytes %llu seconds %.6f gbit/s %.3f\n", static_cast<unsigned long long>(moved),
                seconds, static_cast<double>(moved) * 8 / seconds / 1e9);
    return moved == bytes ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) usage();
    const std::string mode = argv[1];
    if (mode == "server") return serve(std::atoi(argv[2]));
    const auto sa = parse_endpoint(argv[2]);
    if (mode == "rr")
        return transactions(sa, false, argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1,
                            argc > 4 ? std::atof(argv[4]) : 5.0);
    if (mode == "crr") return transactions(sa, true, 1, argc > 3 ? std::atof(argv[3]) : 5.0);
    if ((mode == "fetch" || mode == "send") && argc > 3)
        return stream(sa, mode == "send", std::strtoull(argv[3], nullptr, 10),
                      argc > 4 && std::string(argv[4]) == "http");
    usage();
}
