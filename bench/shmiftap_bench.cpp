// shmiftap-bench: the two TAP I/O ways of shmiftap (tools/shmiftap/tap_io.hpp) side by side,
// each direction on its own, so the default can be chosen by measurement. Needs root (it
// moves itself into a fresh network namespace with unshare, so nothing outside is touched).
//
//   bus -> tap: the bus is pre-filled with N frames; timed is draining it with a Cursor and
//               TapWriter batches (the kernel takes each frame and drops it: not our MAC).
//   tap -> bus: a thread sends frames out of the TAP flat out through an AF_PACKET socket
//               (sendmmsg); timed is TapReader batches + Writer::send_batch for `secs`. The
//               kernel drops what the TAP's queue cannot hold (counted as its tx_dropped).
//
// Usage: shmiftap-bench [--secs S] [--frames N] [--batch B]
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "tap_device.hpp"
#include "tap_io.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using shmiftap::IoMode;

struct Options {
    double secs = 2.0;
    std::size_t frames = 200000;
    std::size_t batch = 64;
};

std::vector<std::byte> test_frame(std::size_t len) {
    // To a MAC nobody has, from another, local experimental EtherType, then padding.
    const std::uint8_t head[14] = {0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x98, 0x88, 0xb5};
    std::vector<std::byte> f;
    f.reserve(len);
    for (const std::uint8_t b : head)
        f.push_back(std::byte{b});
    f.resize(len, std::byte{0x5a});
    return f;
}

std::uint64_t sysfs_counter(const std::string& dev, const std::string& name) {
    std::ifstream in("/sys/class/net/" + dev + "/statistics/" + name);
    std::uint64_t v = 0;
    in >> v;
    return v;
}

// Frames per second draining a pre-filled bus into the TAP.
double bus_to_tap(const shmif::Bus& bus, shmiftap::TapDevice& tap, IoMode mode, std::size_t len,
                  const Options& o) {
    shmif::Writer writer(bus, {.sender = 7});
    const auto frame = test_frame(len);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});
    const std::size_t per_ring = bus.data_size() / (len + 64);
    const std::size_t total = std::min(o.frames, per_ring * 9 / 10);
    std::vector<shmif::FrameBytes> out(o.batch, shmif::FrameBytes(frame));
    for (std::size_t sent = 0; sent < total; sent += o.batch)
        (void)writer.send_batch(std::span(out).first(std::min(o.batch, total - sent)));
    auto w = shmiftap::make_tap_writer(tap.fd(), mode, o.batch);
    if (!w) return -1;
    std::vector<std::byte> storage(o.batch * (len + 64));
    std::vector<shmif::Frame> frames(o.batch);
    for (std::size_t i = 0; i < o.batch; ++i) {
        frames[i].data = storage.data() + i * (len + 64);
        frames[i].capacity = len + 64;
    }
    std::vector<shmif::FrameBytes> batch;
    std::size_t done = 0, failed = 0;
    const auto t0 = Clock::now();
    while (done + failed < total) {
        const std::size_t n = cursor.receive(frames);
        if (n == 0) break;
        batch.clear();
        for (std::size_t i = 0; i < n; ++i)
            batch.emplace_back(frames[i].data, frames[i].len);
        const auto r = (*w)->write(batch);
        done += r.written;
        failed += r.failed;
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (failed > 0) std::fprintf(stderr, "  (%zu tap writes failed)\n", failed);
    return static_cast<double>(done) / s;
}

// Frames per second pumped from the TAP onto the bus while a thread floods the TAP.
double tap_to_bus(const shmif::Bus& bus, shmiftap::TapDevice& tap, IoMode mode, std::size_t len,
                  const Options& o, double& offered) {
    auto r = shmiftap::make_tap_reader(tap.fd(), mode, o.batch);
    if (!r) return -1;
    std::atomic<bool> stop{false};
    std::uint64_t generated = 0;
    std::thread gen([&] {
        const int s = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        sockaddr_ll addr{};
        addr.sll_family = AF_PACKET;
        addr.sll_ifindex = static_cast<int>(::if_nametoindex(tap.name().c_str()));
        addr.sll_halen = 6;
        const auto frame = test_frame(len);
        std::vector<iovec> iov(64);
        std::vector<mmsghdr> msgs(64);
        for (std::size_t i = 0; i < msgs.size(); ++i) {
            iov[i] = {const_cast<std::byte*>(frame.data()), frame.size()};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &addr;
            msgs[i].msg_hdr.msg_namelen = sizeof addr;
        }
        while (!stop.load(std::memory_order_relaxed)) {
            const int n = ::sendmmsg(s, msgs.data(), static_cast<unsigned>(msgs.size()), 0);
            if (n > 0) generated += static_cast<std::uint64_t>(n);
        }
        ::close(s);
    });
    shmif::Writer writer(bus, {.sender = 9});
    std::vector<std::byte> storage(o.batch * 2048);
    std::vector<shmif::Frame> frames(o.batch);
    for (std::size_t i = 0; i < o.batch; ++i) {
        frames[i].data = storage.data() + i * 2048;
        frames[i].capacity = 2048;
    }
    std::vector<shmif::FrameBytes> batch;
    std::uint64_t pumped = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(o.secs);
    while (Clock::now() < end) {
        auto got = (*r)->read(frames, std::chrono::milliseconds(10));
        if (!got || *got == 0) continue;
        batch.clear();
        for (std::size_t i = 0; i < *got; ++i)
            batch.emplace_back(frames[i].data, frames[i].len);
        if (auto sent = writer.send_batch(batch)) pumped += *sent;
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    stop = true;
    gen.join();
    offered = static_cast<double>(generated) / s;
    return static_cast<double>(pumped) / s;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--secs") o.secs = std::atof(argv[i + 1]);
        if (k == "--frames") o.frames = std::strtoul(argv[i + 1], nullptr, 10);
        if (k == "--batch") o.batch = std::strtoul(argv[i + 1], nullptr, 10);
    }
    if (::geteuid() != 0 || ::unshare(CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "shmiftap-bench: needs root (unshare(CLONE_NEWNET) and a TAP)\n");
        return 77;
    }
    const std::string path = "/dev/shm/shmiftap-bench-" + std::to_string(::getpid());
    auto bus = shmif::Bus::create(path, {.size = 256u << 20, .max_frame = 65553});
    if (!bus) {
        std::fprintf(stderr, "shmiftap-bench: %s: %s\n", path.c_str(),
                     shmif::describe(bus.error()).c_str());
        return 1;
    }
    auto tap = shmiftap::TapDevice::open("bench0");
    if (!tap || !tap->set_up()) {
        std::fprintf(stderr, "shmiftap-bench: cannot make TAP bench0\n");
        ::unlink(path.c_str());
        return 1;
    }
    std::printf("shmiftap-bench: batch %zu, %.1f s per tap->bus run\n", o.batch, o.secs);
    std::printf("%-10s %6s %14s %14s %16s\n", "direction", "bytes", "plain fps", "io_uring fps",
                "uring/plain");
    for (const std::size_t len : {60ul, 1514ul}) {
        double rates[2];
        for (const IoMode m : {IoMode::plain, IoMode::uring})
            rates[m == IoMode::uring] = bus_to_tap(*bus, *tap, m, len, o);
        std::printf("%-10s %6zu %14.0f %14.0f %16.2f\n", "bus->tap", len, rates[0], rates[1],
                    rates[1] / rates[0]);
    }
    for (const std::size_t len : {60ul, 1514ul}) {
        double rates[2], offered[2];
        for (const IoMode m : {IoMode::plain, IoMode::uring}) {
            const auto dropped0 = sysfs_counter(tap->name(), "tx_dropped");
            rates[m == IoMode::uring] =
                tap_to_bus(*bus, *tap, m, len, o, offered[m == IoMode::uring]);
            const auto dropped = sysfs_counter(tap->name(), "tx_dropped") - dropped0;
            std::fprintf(stderr, "  tap->bus %zu B %s: offered %.0f fps, tap queue dropped %llu\n",
                         len, shmiftap::io_mode_name(m), offered[m == IoMode::uring],
                         static_cast<unsigned long long>(dropped));
        }
        std::printf("%-10s %6zu %14.0f %14.0f %16.2f\n", "tap->bus", len, rates[0], rates[1],
                    rates[1] / rates[0]);
    }
    ::unlink(path.c_str());
    return 0;
}
