// shmiflink-bench: frames per second through shmiflink (run as a real process between two
// bus files) for 64- and 1514-byte frames, with no impairment and with an impairment, and
// the latency a link adds with no impairment. The packet mode measures the same over a
// Linux interface pair with AF_PACKET (bench/shmiflink_bench.sh runs it on a veth pair,
// with and without netem, in a namespace it creates).
//
//   shmiflink-bench --shmiflink PATH [--secs S] [--dir D] [--netem WORDS] [--link-arg X]...
//   shmiflink-bench --packet TX_IF RX_IF --label TEXT [--secs S]     (root)
//
// Throughput: one thread (CPU 0) sends batches of 32 frames on bus A and reads bus B,
// keeping at most `window` frames in flight (below the impairment's queue limit, 1000 by
// default as in netem, and below what a ring holds); shmiflink's a-to-b thread is pinned to
// CPU 1, its b-to-a thread to CPU 0. frames/s = frames received / seconds.
// Latency: median of 20,000 round trips of a 64-byte frame. "direct": a pinger (CPU 0) and a
// ponger (CPU 1) on one bus, both polling; one-way = RTT / 2. "link": the pinger writes on
// A and polls B for the frame shmiflink (a-to-b on CPU 1, spinning) forwarded: one-way =
// that time. added = link one-way - direct one-way.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint16_t kEtherType = 0x88b5;  // IEEE local experimental

void pin_self(std::size_t cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
}

std::vector<std::byte> make_frame(std::size_t len) {
    std::vector<std::byte> f(len, std::byte{0x5a});
    for (std::size_t i = 0; i < 6; ++i)
        f[i] = std::byte{0xff};
    f[6] = std::byte{0x02};
    f[12] = std::byte{kEtherType >> 8};
    f[13] = std::byte{kEtherType & 0xff};
    return f;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// shmiflink as a child process, stdout and stderr in files.
class LinkProcess {
  public:
    LinkProcess(const std::string& bin, const std::string& a, const std::string& b,
                const std::vector<std::string>& extra, const std::string& log)
        : log_(log) {
        std::vector<std::string> args{bin, a, b, "--json", "--cpu-a-to-b", "1", "--cpu-b-to-a",
                                      "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& s : args)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        ::posix_spawn_file_actions_init(&fa);
        ::posix_spawn_file_actions_addopen(&fa, 1, (log + ".out").c_str(),
                                           O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::posix_spawn_file_actions_addopen(&fa, 2, (log + ".err").c_str(),
                                           O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (::posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        ::posix_spawn_file_actions_destroy(&fa);
        const auto end = Clock::now() + 5s;
        while (pid_ > 0 && Clock::now() < end &&
               slurp(log + ".err").find("linking") == std::string::npos)
            std::this_thread::sleep_for(5ms);  // polling a log file for the start-up line
    }
    bool ok() const { return pid_ > 0; }
    // Stops it; returns its JSON line (empty on failure).
    std::string stop() {
        if (pid_ <= 0) return {};
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return slurp(log_ + ".out");
    }
    ~LinkProcess() { stop(); }

  private:
    std::string log_;
    pid_t pid_ = -1;
};

// A JSON integer field of the a_to_b object ("a_to_b":{..."name":N...}), crude but enough.
std::uint64_t json_field(const std::string& json, const std::string& name) {
    const auto at = json.find("\"" + name + "\":");
    if (at == std::string::npos) return 0;
    return std::stoull(json.substr(at + name.size() + 3));
}

struct Tput {
    double fps = 0;
    std::uint64_t frames = 0;
};

Tput link_throughput(shmif::Bus& a, shmif::Bus& b, std::size_t size, std::size_t window,
                     double secs) {
    shmif::Writer writer(a, {.sender = 0x77});
    shmif::Cursor cursor(b, {.start = shmif::StartAt::next});
    const auto frame = make_frame(size);
    std::vector<shmif::FrameBytes> batch(32, shmif::FrameBytes(frame));
    std::vector<std::byte> storage(64 * 2048);
    std::vector<shmif::Frame> frames(64);
    for (std::size_t i = 0; i < frames.size(); ++i)
        frames[i] = {.data = storage.data() + i * 2048, .capacity = 2048};
    std::uint64_t sent = 0, received = 0, counted = 0;
    auto stalled_since = Clock::now();
    const auto start = Clock::now();
    const auto warm_end = start + 300ms;
    const auto end = warm_end + std::chrono::duration<double>(secs);
    std::uint64_t at_warm = 0;
    bool warm = false;
    for (;;) {
        const auto now = Clock::now();
        if (!warm && now >= warm_end) {
            warm = true;
            at_warm = received;
        }
        if (now >= end) break;
        if (sent - received + 32 <= window) {
            sent += writer.send_batch(batch).value_or(0);
            stalled_since = now;
        } else if (now - stalled_since > 200ms) {
            received = sent;  // frames the link dropped (queue limit): stop waiting for them
            stalled_since = now;
        }
        const std::size_t n = cursor.receive(frames);
        received += n;
        if (warm) counted += n;
        if (n) stalled_since = now;
    }
    (void)at_warm;
    return {static_cast<double>(counted) / secs, counted};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Pinger on `out_bus`, polling `in_bus` for the frame to come back. With `echo`, a ponger
// thread on CPU 1 reads out_bus and echoes on it (in_bus == out_bus).
double round_trip_us(shmif::Bus& out_bus, shmif::Bus& in_bus, bool echo, int count) {
    std::atomic<bool> stop{false}, ready{!echo};
    std::thread ponger;
    if (echo) {
        ponger = std::thread([&] {
            pin_self(1);
            shmif::Writer w(out_bus, {.sender = 0x99});
            shmif::Cursor c(out_bus, {.skip_sender = 0x99});
            ready = true;
            std::vector<std::byte> buf(2048);
            shmif::Frame f{.data = buf.data(), .capacity = buf.size()};
            while (!stop.load(std::memory_order_relaxed)) {
                if (c.receive(std::span(&f, 1)) == 1)
                    (void)w.send(std::span<const std::byte>(f.data, f.len));
            }
        });
    }
    pin_self(0);
    while (!ready)
        std::this_thread::yield();
    shmif::Writer w(out_bus, {.sender = 0x88});
    shmif::Cursor c(in_bus, {.skip_sender = 0x88});
    const auto frame = make_frame(64);
    std::vector<std::byte> buf(2048);
    shmif::Frame f{.data = buf.data(), .capacity = buf.size()};
    std::vector<double> rtts;
    bool lost = false;
    for (int i = 0; i < count + 500 && !lost; ++i) {
        const auto t0 = Clock::now();
        (void)w.send(frame);
        for (;;) {
            if (c.receive(std::span(&f, 1)) == 1) break;
            if (Clock::now() - t0 > 1s) {
                lost = true;
                break;
            }
        }
        if (i >= 500)
            rtts.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    stop = true;
    if (ponger.joinable()) ponger.join();
    return lost ? -1 : median(rtts);
}

int link_mode(const std::string& bin, const std::string& dir, double secs, const std::string& netem,
              const std::vector<std::string>& link_args) {
    const std::string a_path = dir + "/shmiflink-bench-" + std::to_string(::getpid()) + "-a";
    const std::string b_path = dir + "/shmiflink-bench-" + std::to_string(::getpid()) + "-b";
    const std::string log = "/tmp/shmiflink-bench-" + std::to_string(::getpid());
    auto a = shmif::Bus::create(a_path, {.size = 64u << 20});
    auto b = shmif::Bus::create(b_path, {.size = 64u << 20});
    if (!a || !b) {
        std::fprintf(stderr, "shmiflink-bench: cannot create buses in %s\n", dir.c_str());
        return 1;
    }
    pin_self(0);
    for (const std::string& impair : {std::string("none"), netem}) {
        for (std::size_t size : {64u, 1514u}) {
            std::vector<std::string> args{"--a-to-b", impair, "--seed", "1"};
            args.insert(args.end(), link_args.begin(), link_args.end());
            LinkProcess link(bin, a_path, b_path, args, log);
            if (!link.ok()) return 1;
            // Under netem's default queue limit of 1000 frames when frames wait.
            const std::size_t window = impair == "none" ? 16384 : 900;
            const Tput t = link_throughput(*a, *b, size, window, secs);
            const std::string json = link.stop();
            std::printf("| shmiflink | %-22s | %5zu | %12.0f | lost %llu, queue drops %llu |\n",
                        impair.c_str(), size, t.fps,
                        static_cast<unsigned long long>(json_field(json, "lost_frames")),
                        static_cast<unsigned long long>(json_field(json, "dropped_queue")));
            std::fflush(stdout);
        }
    }
    const double direct = round_trip_us(*a, *a, true, 20000);
    double oneway = -1;
    {
        LinkProcess link(bin, a_path, b_path, {"--spin-us", "2000000"}, log);
        oneway = round_trip_us(*a, *b, false, 20000);
        link.stop();
    }
    std::printf("\nlatency, 64-byte frames, median of 20,000, polling readers:\n");
    std::printf("  direct (one bus, pinger CPU 0 <-> ponger CPU 1): RTT %.2f us, one-way %.2f us\n",
                direct, direct / 2);
    std::printf("  through shmiflink (A -> B, link on CPU 1):       one-way %.2f us\n", oneway);
    std::printf("  added by the link:                                %.2f us\n",
                oneway - direct / 2);
    ::unlink(a_path.c_str());
    ::unlink(b_path.c_str());
    for (const char* ext : {".out", ".err"})
        ::unlink((log + ext).c_str());
    return 0;
}

int packet_socket(const std::string& ifname, bool rx) {
    const int fd = ::socket(AF_PACKET, SOCK_RAW, htons(rx ? kEtherType : 0));
    if (fd < 0) return -1;
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(rx ? kEtherType : 0);
    addr.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
    if (addr.sll_ifindex == 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    const int buf = 32 << 20;
    ::setsockopt(fd, SOL_SOCKET, rx ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, &buf, sizeof buf);
    return fd;
}

int packet_mode(const std::string& tx_if, const std::string& rx_if, const std::string& label,
                double secs) {
    const int tx = packet_socket(tx_if, false);
    const int rx = packet_socket(rx_if, true);
    if (tx < 0 || rx < 0) {
        std::fprintf(stderr, "shmiflink-bench: packet sockets on %s/%s: %s\n", tx_if.c_str(),
                     rx_if.c_str(), std::strerror(errno));
        return 1;
    }
    pin_self(0);
    const std::size_t window = label.find("delay") != std::string::npos ? 900 : 16384;
    for (std::size_t size : {64u, 1514u}) {
        auto frame = make_frame(size);
        std::vector<iovec> iov(32, iovec{frame.data(), frame.size()});
        std::vector<mmsghdr> out(32), in(64);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i].msg_hdr = msghdr{nullptr, 0, &iov[i], 1, nullptr, 0, 0};
        std::vector<std::byte> storage(64 * 2048);
        std::vector<iovec> riov(64);
        for (std::size_t i = 0; i < in.size(); ++i) {
            riov[i] = {storage.data() + i * 2048, 2048};
            in[i].msg_hdr = msghdr{nullptr, 0, &riov[i], 1, nullptr, 0, 0};
        }
        std::uint64_t sent = 0, received = 0, counted = 0;
        auto stalled_since = Clock::now();
        const auto warm_end = Clock::now() + 300ms;
        const auto end = warm_end + std::chrono::duration<double>(secs);
        for (;;) {
            const auto now = Clock::now();
            if (now >= end) break;
            if (sent - received + 32 <= window) {
                const int n = ::sendmmsg(tx, out.data(), 32, 0);
                if (n > 0) sent += static_cast<std::uint64_t>(n);
                stalled_since = now;
            } else if (now - stalled_since > 200ms) {
                received = sent;
                stalled_since = now;
            }
            const int n = ::recvmmsg(rx, in.data(), 64, MSG_DONTWAIT, nullptr);
            if (n > 0) {
                received += static_cast<std::uint64_t>(n);
                if (now >= warm_end) counted += static_cast<std::uint64_t>(n);
                stalled_since = now;
            }
        }
        std::printf("| %-9s | %-22s | %5zu | %12.0f | |\n", "kernel", label.c_str(), size,
                    static_cast<double>(counted) / secs);
        std::fflush(stdout);
        // Drain what is still queued before the next size.
        const auto drain_end = Clock::now() + 50ms;
        while (Clock::now() < drain_end)
            ::recvmmsg(rx, in.data(), 64, MSG_DONTWAIT, nullptr);
    }
    ::close(tx);
    ::close(rx);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string bin, dir = "/dev/shm", netem = "delay 1ms rate 10gbit", tx, rx, label;
    double secs = 2.0;
    std::vector<std::string> link_args;  // more shmiflink options for the throughput rows
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--shmiflink")
            bin = next();
        else if (arg == "--dir")
            dir = next();
        else if (arg == "--secs")
            secs = std::stod(next());
        else if (arg == "--netem")
            netem = next();
        else if (arg == "--packet") {
            tx = next();
            rx = next();
        } else if (arg == "--label")
            label = next();
        else if (arg == "--link-arg")
            link_args.push_back(next());
        else {
            std::fprintf(stderr,
                         "usage: shmiflink-bench --shmiflink PATH [--secs S] [--dir D] [--netem "
                         "WORDS]\n       shmiflink-bench --packet TX_IF RX_IF --label TEXT "
                         "[--secs S]\n");
            return 2;
        }
    }
    if (!tx.empty()) return packet_mode(tx, rx, label, secs);
    if (bin.empty()) {
        std::fprintf(stderr, "shmiflink-bench: --shmiflink PATH or --packet TX RX\n");
        return 2;
    }
    return link_mode(bin, dir, secs, netem, link_args);
}
