// netstack_bench: how much one Stack handles, and what a ping costs over a real bus.
//
//   icmp echo      echo requests into one stack, replies out through a MemoryDevice
//   udp 64 B       64-byte datagrams into a socket, received and drained one by one
//   udp send       64-byte datagrams sent from a socket to a resolved neighbour, to the wire
//   (both over IPv4 and over IPv6, in the same run, with the IPv6/IPv4 ratio)
//   ping rtt (1p)  two stacks on one bus file in one process, turned in one loop
//   ping rtt (2p)  two processes on one bus file, pinned to CPUs 0 and 1, busy polling
//
// Frames fed to the stack are captured from a second stack (no hand-built bytes). Each case
// runs several times; the table shows the median run. --quick for a rougher, shorter run.
// The rate cases run in many short rounds, IPv4 and IPv6 back to back (the first of the pair
// alternating): the ratio is the median of each round's ratio, so that a shared machine's
// load, which changes between rounds, mostly cancels.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netstack/bus_device.hpp"
#include "netstack/memory_device.hpp"
#include "netstack/stack.hpp"

namespace {

using namespace netstack;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr Ipv4Address kIpA = Ipv4Address::from_octets(10, 0, 0, 1);
constexpr Ipv4Address kIpB = Ipv4Address::from_octets(10, 0, 0, 2);
constexpr Ipv6Address kIp6A{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
constexpr Ipv6Address kIp6B{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

IpAddress address_a(IpFamily f) {
    return f == IpFamily::v4 ? IpAddress(kIpA) : IpAddress(kIp6A);
}

StackConfig unlimited(std::uint64_t seed) {
    StackConfig c;
    c.seed = seed;
    c.icmp.per_second = 0;  // measure the stack, not the rate limit
    c.ipv6.enabled = true;
    c.ipv6.dad_transmits = 0;  // addresses usable at once
    return c;
}

// One interface with an Ethernet MTU (a bus carries more; 1500 keeps the cases comparable).
InterfaceId attach(Stack& stack, Device& device, std::uint8_t n, Ipv4Address address) {
    InterfaceConfig c;
    c.name = "eth0";
    c.mac = {{0x02, 0, 0, 0, 0, n}};
    c.mtu = 1500;
    const auto id = stack.add_interface(c, device);
    const Ipv6Cidr address6{n == 1 ? kIp6A : kIp6B, 64};
    if (!id || !stack.add_address(*id, {address, 24}, Clock::now()) ||
        !stack.add_address(*id, address6, Clock::now())) {
        std::fprintf(stderr, "netstack_bench: cannot configure a stack\n");
        std::exit(1);
    }
    return *id;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Stack A (the one measured) and stack B (which makes the input frames), ARP done.
struct Pair {
    Pair() : a(unlimited(1)), b(unlimited(2)) {
        ia = attach(a, da, 1, kIpA);
        ib = attach(b, db, 2, kIpB);
        hub.attach(a, ia, da);
        hub.attach(b, ib, db);
        const SocketId p = *b.ping_open();
        (void)b.ping_send(p, kIpA, 0, 8, Clock::now());  // ARP and ND, both ways
        (void)b.ping_send(p, kIp6A, 0, 8, Clock::now());
        hub.deliver(Clock::now());
    }
    // The next frame B transmits for `send`, captured instead of delivered.
    template <typename Send>
    FrameBuffer capture(Send send) {
        db.clear();
        send();
        auto frame = db.pop();
        if (!frame) {
            std::fprintf(stderr, "netstack_bench: stack B sent nothing to capture\n");
            std::exit(1);
        }
        return *frame;
    }
    Stack a, b;
    MemoryDevice da, db;
    InterfaceId ia = 0, ib = 0;
    MemoryHub hub;
};

// Frames per second over `frames` calls of `one`.
template <typename One>
double rate(std::size_t frames, One one) {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < frames; ++i)
        one(i);
    const std::chrono::duration<double> took = Clock::now() - start;
    return static_cast<double>(frames) / took.count();
}

double icmp_echo_rate(std::size_t frames, IpFamily family) {
    Pair pair;
    const SocketId p = *pair.b.ping_open();
    const FrameBuffer request =
        pair.capture([&] { (void)pair.b.ping_send(p, address_a(family), 1, 56, Clock::now()); });
    const Instant now = Clock::now();
    const double r = rate(frames, [&](std::size_t) {
        pair.a.receive(pair.ia, request, now);
        pair.da.clear();
    });
    const auto replies = family == IpFamily::v4 ? pair.a.stats().icmp.tx_echo_replies
                                                : pair.a.stats().icmpv6.tx_echo_replies;
    if (replies < frames) {
        std::fprintf(stderr, "netstack_bench: only %llu echo replies\n",
                     static_cast<unsigned long long>(replies));
        std::exit(1);
    }
    return r;
}

double udp_rate(std::size_t frames, IpFamily family) {
    Pair pair;
    const SocketId rx = *pair.a.udp_open();
    (void)pair.a.udp_bind(rx, {IpAddress::any(family), 5000});
    const SocketId tx = *pair.b.udp_open();
    const std::vector<std::byte> payload(64);
    const FrameBuffer datagram = pair.capture([&] {
        (void)pair.b.udp_send_to(tx, payload, {address_a(family), 5000}, Clock::now());
    });
    std::vector<std::byte> buffer(2048);
    const Instant now = Clock::now();
    std::size_t received = 0;
    const double r = rate(frames, [&](std::size_t) {
        pair.a.receive(pair.ia, datagram, now);
        if (pair.a.udp_receive(rx, buffer)) ++received;
    });
    if (received != frames) {
        std::fprintf(stderr, "netstack_bench: %zu of %zu datagrams received\n", received, frames);
        std::exit(1);
    }
    return r;
}

double udp_send_rate(std::size_t frames, IpFamily family) {
    Pair pair;
    const SocketId tx = *pair.a.udp_open();
    const std::vector<std::byte> payload(64);
    const Endpoint to{family == IpFamily::v4 ? IpAddress(kIpB) : IpAddress(kIp6B), 5000};
    const Instant now = Clock::now();
    const std::uint64_t before = pair.a.stats().udp.tx_datagrams;
    const double r = rate(frames, [&](std::size_t) {
        (void)pair.a.udp_send_to(tx, payload, to, now);
        pair.da.clear();
    });
    if (const auto sent = pair.a.stats().udp.tx_datagrams - before; sent != frames) {
        std::fprintf(stderr, "netstack_bench: %llu of %zu datagrams sent\n",
                     static_cast<unsigned long long>(sent), frames);
        std::exit(1);
    }
    return r;
}

// A stack on a bus, turned by hand.
struct BusNode {
    BusNode(const shmif::Bus& bus, std::uint8_t n, Ipv4Address address)
        : device(bus, {.sender = 0x7000u + n}), stack(unlimited(n)) {
        id = attach(stack, device, n, address);
        device.flush();
        port = std::make_unique<BusPort>(bus, stack, id, device);
    }
    void turn() {
        const Instant now = Clock::now();
        port->pump(now);
        stack.poll(now);
    }
    BusDevice device;
    Stack stack;
    InterfaceId id = 0;
    std::unique_ptr<BusPort> port;
};

// Round trips of `pings` pings from `a` to kIpB, `turn_others` running whatever must answer.
// Returns the RTTs in microseconds (the first, ARP-resolving ping is not counted).
template <typename Others>
std::vector<double> ping_rtts(BusNode& a, std::size_t pings, Others turn_others) {
    const SocketId p = *a.stack.ping_open();
    std::vector<double> rtts;
    for (std::size_t seq = 0; seq <= pings; ++seq) {
        const auto start = Clock::now();
        (void)a.stack.ping_send(p, kIpB, static_cast<std::uint16_t>(seq), 56, start);
        a.device.flush();
        bool got = false;
        while (!got && Clock::now() - start < 1s) {
            turn_others();
            a.turn();
            got = a.stack.ping_receive(p).has_value();
        }
        if (!got) {
            std::fprintf(stderr, "netstack_bench: ping %zu lost\n", seq);
            std::exit(1);
        }
        const std::chrono::duration<double, std::micro> rtt = Clock::now() - start;
        if (seq > 0) rtts.push_back(rtt.count());
    }
    return rtts;
}

std::string bus_path(const char* tag) {
    const std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    return base + "/netstack-bench-" + tag + "-" + std::to_string(::getpid());
}

std::vector<double> bus_rtt_one_process(std::size_t pings) {
    const std::string path = bus_path("1p");
    auto bus = shmif::Bus::create(path, {});
    if (!bus) {
        std::fprintf(stderr, "netstack_bench: %s: %s\n", path.c_str(),
                     shmif::describe(bus.error()).c_str());
        std::exit(1);
    }
    std::vector<double> rtts;
    {
        BusNode a(*bus, 1, kIpA);
        BusNode b(*bus, 2, kIpB);
        rtts = ping_rtts(a, pings, [&] { b.turn(); });
    }
    std::filesystem::remove(path);
    return rtts;
}

void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(cpu), &set);
    (void)::sched_setaffinity(0, sizeof set, &set);
}

std::vector<double> bus_rtt_two_processes(std::size_t pings) {
    const std::string path = bus_path("2p");
    auto bus = shmif::Bus::create(path, {});
    if (!bus) std::exit(1);
    // The responder says when its cursor is on the bus: a request written before would be
    // missed, and the first ping would wait for ARP's retry.
    int ready[2];
    if (::pipe(ready) != 0) std::exit(1);
    const pid_t child = ::fork();
    if (child < 0) std::exit(1);
    if (child == 0) {  // the responder: busy-polls until killed (bounded by 60 s)
        pin(1);
        auto own = shmif::Bus::open(path);
        if (!own) ::_exit(1);
        BusNode b(*own, 2, kIpB);
        const char byte = 1;
        if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
        const auto end = Clock::now() + 60s;
        while (Clock::now() < end)
            b.turn();
        ::_exit(0);
    }
    pin(0);
    char byte = 0;
    if (::read(ready[0], &byte, 1) != 1) std::exit(1);
    ::close(ready[0]);
    ::close(ready[1]);
    std::vector<double> rtts;
    {
        BusNode a(*bus, 1, kIpA);
        rtts = ping_rtts(a, pings, [] {});
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    cpu_set_t all;  // unpin again for the next case
    CPU_ZERO(&all);
    for (std::size_t cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        CPU_SET(cpu, &all);
    (void)::sched_setaffinity(0, sizeof all, &all);
    std::filesystem::remove(path);
    return rtts;
}

// Which cases a run measures (--only picks one; the default is all of them).
struct Cases {
    bool icmp4 = true, icmp6 = true, udp4 = true, udp6 = true, send4 = true, send6 = true,
         bus = true;
    bool pick(std::string_view name) {
        icmp4 = name == "icmp4";
        icmp6 = name == "icmp6";
        udp4 = name == "udp4";
        udp6 = name == "udp6";
        send4 = name == "send4";
        send6 = name == "send6";
        bus = name == "bus";
        if (name == "rates") icmp4 = icmp6 = udp4 = udp6 = send4 = send6 = true;
        return icmp4 || icmp6 || udp4 || udp6 || send4 || send6 || bus;
    }
};

void print_rate(const char* name, const std::vector<double>& v) {
    if (!v.empty()) std::printf("%-40s %10.2f Mf/s\n", name, median(v) / 1e6);
}
// The IPv6 rate and the median of the rounds' IPv6/IPv4 ratios (v4[i] and v6[i] ran back to
// back).
void print_rate_v6(const char* name, const std::vector<double>& v6, const std::vector<double>& v4) {
    if (v6.empty()) return;
    if (v4.empty()) return print_rate(name, v6);
    std::vector<double> ratios;
    for (std::size_t i = 0; i < v6.size(); ++i)
        ratios.push_back(v6[i] / v4[i]);
    std::printf("%-40s %10.2f Mf/s  (%.2f x IPv4)\n", name, median(v6) / 1e6, median(ratios));
}

// One round of a case over both families (those enabled), `first` first.
template <typename Case>
void both_families(bool v4, bool v6, IpFamily first, Case run, std::vector<double>& out4,
                   std::vector<double>& out6) {
    const IpFamily second = first == IpFamily::v4 ? IpFamily::v6 : IpFamily::v4;
    for (const IpFamily f : {first, second}) {
        if (f == IpFamily::v4 && v4) out4.push_back(run(IpFamily::v4));
        if (f == IpFamily::v6 && v6) out6.push_back(run(IpFamily::v6));
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    Cases cases;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc && cases.pick(argv[i + 1])) {
            ++i;
        } else {
            std::fprintf(stderr,
                         "usage: %s [--quick] [--only "
                         "icmp4|icmp6|udp4|udp6|send4|send6|rates|bus]\n"
                         "Prints frames per second one netstack Stack handles (ICMP echo, 64-byte "
                         "UDP; over IPv4 and IPv6) and ping round trips over a shmif bus (one "
                         "process; two processes "
                         "pinned to CPUs 0 and 1). Median of several runs.\n"
                         "--only runs one case (for a profiler), 'rates' the six rate cases, "
                         "'bus' the two ping cases.\n",
                         argv[0]);
            return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    const int runs = quick ? 3 : 5;
    const std::size_t frames = quick ? 50'000 : 300'000;
    const std::size_t pings = quick ? 500 : 3'000;

    std::vector<double> icmp, udp, icmp6, udp6, send, send6, p50_1, p99_1, p50_2, p99_2;
    const int rounds = runs * 4;  // of the rate cases, each with a quarter of a run's frames
    for (int round = 0; round < rounds; ++round) {
        const IpFamily first = round % 2 == 0 ? IpFamily::v4 : IpFamily::v6;
        const auto icmp_case = [&](IpFamily f) { return icmp_echo_rate(frames / 4, f); };
        const auto udp_case = [&](IpFamily f) { return udp_rate(frames / 4, f); };
        both_families(cases.icmp4, cases.icmp6, first, icmp_case, icmp, icmp6);
        both_families(cases.udp4, cases.udp6, first, udp_case, udp, udp6);
        const auto send_case = [&](IpFamily f) { return udp_send_rate(frames / 4, f); };
        both_families(cases.send4, cases.send6, first, send_case, send, send6);
    }
    for (int run = 0; run < runs && cases.bus; ++run) {
        const auto one = bus_rtt_one_process(pings);
        p50_1.push_back(percentile(one, 0.5));
        p99_1.push_back(percentile(one, 0.99));
        const auto two = bus_rtt_two_processes(pings);
        p50_2.push_back(percentile(two, 0.5));
        p99_2.push_back(percentile(two, 0.99));
    }
    std::printf(
        "netstack bench: rates the median of %d rounds of %zu frames, pings of %d runs of "
        "%zu\n",
        rounds, frames / 4, runs, pings);
    std::printf("%-40s %14s\n", "case", "result");
    print_rate("icmp echo request -> reply", icmp);
    print_rate("udp 64 B datagram -> socket -> drained", udp);
    print_rate_v6("icmpv6 echo request -> reply", icmp6, icmp);
    print_rate_v6("udp 64 B over IPv6 -> drained", udp6, udp);
    print_rate("udp 64 B sendto -> wire", send);
    print_rate_v6("udp 64 B sendto over IPv6 -> wire", send6, send);
    if (!cases.bus) return 0;
    std::printf("%-40s %10.1f us  (p99 %.1f us)\n", "ping rtt, bus, one process (p50)",
                median(p50_1), median(p99_1));
    std::printf("%-40s %10.1f us  (p99 %.1f us)\n", "ping rtt, bus, two processes (p50)",
                median(p50_2), median(p99_2));
    return 0;
}
