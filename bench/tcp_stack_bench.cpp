// tcp_stack_bench: how fast the stack itself moves a TCP stream, one thread, no system
// calls, no scheduler: what shmifd's worker spends per byte on top of its descriptors.
//
//   lo     one Stack, a connection to itself over 127.0.0.1 (the loopback bypass): the path
//          of a port forward to a server run under shmifrun on the same daemon
//   hub    two Stacks joined by a MemoryHub at MTU 1500 (frames copied across, checksums
//          made and checked): the path between two daemons on one bus, less the bus
//
// The sender fills its send buffer in place (tcp_send_space/commit, copying from a source
// buffer as the daemon's recv(2) into it does) and the receiver drains its receive buffer in
// place (tcp_receive_view/commit, copying out as the daemon's send(2) does). Each case runs
// several times; the table shows the median run in Gbit/s of payload. The bytes received are
// checked against the pattern sent.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "netstack/memory_device.hpp"
#include "netstack/stack.hpp"

namespace {

using namespace netstack;
using Clock = std::chrono::steady_clock;

constexpr Ipv4Address kLocalhost = Ipv4Address::from_octets(127, 0, 0, 1);
constexpr Ipv4Address kIpA = Ipv4Address::from_octets(10, 0, 0, 1);
constexpr Ipv4Address kIpB = Ipv4Address::from_octets(10, 0, 0, 2);
constexpr std::size_t kChunk = 64 * 1024;  // what one recv(2) of the daemon's splice takes

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "tcp_stack_bench: %s\n", what);
    std::exit(1);
}

StackConfig config(std::uint64_t seed) {
    StackConfig c;
    c.seed = seed;
    return c;
}

InterfaceId add(Stack& stack, Device& device, const InterfaceConfig& c, Ipv4Cidr address) {
    const auto id = stack.add_interface(c, device);
    if (!id || !stack.add_address(*id, address, Clock::now())) fail("cannot configure a stack");
    return *id;
}

// A connection from `client` to `server` (listening at `at`), established by `run`.
template <typename Run>
std::pair<SocketId, SocketId> connect(Stack& client, Stack& server, Endpoint at, Run run) {
    const SocketId listener = *server.tcp_open();
    if (!server.tcp_bind(listener, at) || !server.tcp_listen(listener, 4)) fail("cannot listen");
    const SocketId c = *client.tcp_open();
    if (!client.tcp_connect(c, at, Clock::now())) fail("cannot connect");
    run();
    const auto accepted = server.tcp_accept(listener);
    if (!accepted) fail("the connection was not accepted");
    return {c, *accepted};
}

// Moves `total` bytes from `tx` (on `sender`) to `rx` (on `receiver`); `run` carries frames
// between them (nothing for a connection to itself). Returns payload Gbit/s.
template <typename Run>
double stream(Stack& sender, SocketId tx, Stack& receiver, SocketId rx, std::size_t total,
              Run run) {
    std::vector<std::byte> source(kChunk + 251), sink(kChunk);
    for (std::size_t i = 0; i < source.size(); ++i)
        source[i] = static_cast<std::byte>(i % 251);
    std::size_t sent = 0, received = 0;
    const auto start = Clock::now();
    for (std::size_t turn = 0; received < total; ++turn) {
        const Instant now = Clock::now();
        if (sent < total) {
            if (auto room = sender.tcp_send_space(tx, std::min(kChunk, total - sent));
                room && !room->empty()) {
                std::memcpy(room->data(), source.data() + sent % 251, room->size());
                sent += room->size();
                (void)sender.tcp_send_commit(tx, room->size(), now);
            }
        }
        run(now);
        for (;;) {
            const auto view = receiver.tcp_receive_view(rx);
            if (!view || view->empty()) break;
            std::memcpy(sink.data(), view->data(), std::min(view->size(), sink.size()));
            const std::size_t n = std::min(view->size(), sink.size());
            if (sink[0] != static_cast<std::byte>(received % 251)) fail("bytes out of order");
            received += n;
            (void)receiver.tcp_receive_commit(rx, n, now);
        }
        if (turn % 64 == 0) {  // timers (delayed ACKs) as a worker's loop runs them
            sender.poll(now);
            receiver.poll(now);
            run(now);
        }
        if (turn > total) fail("the stream stalled");
    }
    const std::chrono::duration<double> took = Clock::now() - start;
    return static_cast<double>(total) * 8 / took.count() / 1e9;
}

double loopback_case(std::size_t total) {
    Stack stack(config(1));
    MemoryDevice device(65553);  // the daemon's loopback bus's largest frame
    InterfaceConfig lo;
    lo.name = "lo";
    lo.loopback = true;
    (void)add(stack, device, lo, {kLocalhost, 8});
    const auto [tx, rx] = connect(stack, stack, {kLocalhost, 5001}, [] {});
    const double gbps = stream(stack, tx, stack, rx, total, [&](Instant) {
        if (!device.empty()) fail("a segment crossed the loopback link instead of the bypass");
    });
    return gbps;
}

double hub_case(std::size_t total) {
    Stack a(config(1)), b(config(2));
    MemoryDevice da, db;
    InterfaceConfig eth;
    eth.name = "eth0";
    eth.mtu = 1500;
    eth.mac = {{0x02, 0, 0, 0, 0, 1}};
    const InterfaceId ia = add(a, da, eth, {kIpA, 24});
    eth.mac = {{0x02, 0, 0, 0, 0, 2}};
    const InterfaceId ib = add(b, db, eth, {kIpB, 24});
    MemoryHub hub;
    hub.attach(a, ia, da);
    hub.attach(b, ib, db);
    const auto [tx, rx] = connect(a, b, {kIpB, 5001}, [&] { hub.deliver(Clock::now()); });
    return stream(a, tx, b, rx, total, [&](Instant now) { hub.deliver(now); });
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else {
            std::fprintf(stderr,
                         "usage: %s [--quick]\n"
                         "Prints the payload Gbit/s one thread moves through the stack's TCP: "
                         "a connection to itself over 127.0.0.1 (lo), and two stacks joined "
                         "by a memory hub at MTU 1500 (hub). Median of several runs.\n",
                         argv[0]);
            return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    const int runs = quick ? 3 : 7;
    const std::size_t lo_bytes = quick ? 256u << 20 : 1u << 30;
    const std::size_t hub_bytes = quick ? 64u << 20 : 256u << 20;
    std::vector<double> lo, hub;
    for (int run = 0; run < runs; ++run) {  // alternating, so that drift spreads over both
        lo.push_back(loopback_case(lo_bytes));
        hub.push_back(hub_case(hub_bytes));
    }
    std::printf("tcp stack bench: median of %d runs (lo %zu MiB, hub %zu MiB each)\n", runs,
                lo_bytes >> 20, hub_bytes >> 20);
    std::printf("%-44s %8.2f Gbit/s\n", "lo: one stack, 127.0.0.1, bypass", median(lo));
    std::printf("%-44s %8.2f Gbit/s\n", "hub: two stacks, MTU 1500, memory hub", median(hub));
    return 0;
}
