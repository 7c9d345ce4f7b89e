// Stacks on a real bus file: BusDevice and BusPort in one process, then two processes (fork)
// each running a stack on the same bus. Waits are bounded by real-time deadlines.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "netstack/bus_device.hpp"
#include "packets.hpp"
#include "temp_dir.hpp"

namespace nstest {
namespace {

using namespace netstack;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr Ipv4Address node_ip(std::uint8_t n) {
    return ip(10, 0, 0, n);
}

// A stack with one interface on the bus: 10.0.0.<n>/24, MAC 02:00:00:00:00:<n>.
class BusNode {
  public:
    BusNode(const shmif::Bus& bus, std::uint8_t n)
        : device_(bus, {.sender = 0x5000u + n}), stack_(config(n)) {
        InterfaceConfig c;
        c.name = "bus0";
        c.mac = mac(n);
        c.mtu = 1500;  // Ethernet's, so large pings fragment as they would on a real LAN
        const auto id = stack_.add_interface(c, device_);
        if (!id) throw std::runtime_error(std::string("add_interface: ") + describe(id.error()));
        id_ = *id;
        const auto added = stack_.add_address(id_, {node_ip(n), 24}, Clock::now());
        if (!added)
            throw std::runtime_error(std::string("add_address: ") + describe(added.error()));
        device_.flush();
        port_ = std::make_unique<BusPort>(bus, stack_, id_, device_);
    }
    static StackConfig config(std::uint8_t n) {
        StackConfig c;
        c.seed = n;
        return c;
    }
    // One turn of an event loop: frames in, timers, frames out.
    std::size_t turn() {
        const Instant now = Clock::now();
        const std::size_t got = port_->pump(now);
        stack_.poll(now);
        device_.flush();
        return got;
    }
    Stack& stack() { return stack_; }
    BusDevice& device() { return device_; }
    BusPort& port() { return *port_; }

  private:
    BusDevice device_;
    Stack stack_;
    InterfaceId id_ = 0;
    std::unique_ptr<BusPort> port_;
};

// Turns every node until `done` or the deadline; idles briefly when nothing moved.
template <typename Done>
bool run_until(std::initializer_list<BusNode*> nodes, Done done, Duration limit = 5s) {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
        std::size_t moved = 0;
        for (auto* node : nodes)
            moved += node->turn();
        if (done()) return true;
        if (moved == 0) std::this_thread::sleep_for(50us);
    }
    return done();
}

struct BusFixture : ::testing::Test {
    BusFixture() : bus(*shmif::Bus::create(dir.file("bus"), {})) {}
    shmif::test::TempDir dir;
    shmif::Bus bus;
};

TEST_F(BusFixture, DeviceBatchesAndCountsRefusals) {
    BusDevice device(bus, {.sender = 77}, 2);
    EXPECT_EQ(device.sender(), 77u);
    EXPECT_EQ(device.max_frame(), bus.max_frame());
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});
    EXPECT_EQ(device.transmit(pattern(60)), TxStatus::sent);
    EXPECT_EQ(device.transmit(pattern(61)), TxStatus::sent);
    EXPECT_EQ(device.transmit(Bytes(bus.max_frame() + 1)), TxStatus::dropped);
    EXPECT_EQ(device.stats().dropped_too_large, 1u);
    EXPECT_EQ(cursor.receive({}), 0u);
    Bytes storage(2 * 128);
    shmif::Frame frames[3] = {{storage.data(), 128}, {storage.data() + 128, 128}, {}};
    EXPECT_EQ(cursor.receive(frames), 0u) << "nothing on the bus before flush()";
    device.flush();
    EXPECT_EQ(device.writer_stats().batches, 1u);
    EXPECT_EQ(device.stats().sent, 2u);
    ASSERT_EQ(cursor.receive(std::span(frames, 2)), 2u);
    EXPECT_EQ(frames[0].len, 60u);
    EXPECT_EQ(frames[1].len, 61u);
    EXPECT_EQ(frames[0].sender, 77u);
    device.flush();
    EXPECT_EQ(device.writer_stats().batches, 1u) << "an empty flush sends nothing";
}

TEST_F(BusFixture, DeviceFlushesAFullBatchInsteadOfDropping) {
    // A datagram cut into more fragments than a batch holds must leave whole.
    BusDevice device(bus, {.sender = 77}, 2);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});
    for (std::size_t len = 60; len < 65; ++len)
        EXPECT_EQ(device.transmit(pattern(len)), TxStatus::sent) << len;
    EXPECT_EQ(device.stats().dropped_batch_full, 0u);
    EXPECT_EQ(device.stats().batches, 2u) << "two full batches went out early";
    device.flush();
    EXPECT_EQ(device.stats().sent, 5u);
    Bytes storage(5 * 128);
    std::vector<shmif::Frame> frames;
    for (std::size_t i = 0; i < 5; ++i)
        frames.push_back({storage.data() + i * 128, 128});
    ASSERT_EQ(cursor.receive(frames), 5u);
    for (std::size_t i = 0; i < 5; ++i)
        EXPECT_EQ(frames[i].len, 60 + i) << "in order";
}

TEST_F(BusFixture, DefaultMtuOnADefaultBus) {
    // A native bus carries frames up to 65,553 bytes by default; "mtu 0 = the device's
    // max_frame() - 14" must still give a usable interface, capped at IPv4's 65,535.
    BusDevice device(bus);
    Stack stack;
    InterfaceConfig c;
    c.name = "bus0";
    const auto id = stack.add_interface(c, device);
    ASSERT_TRUE(id) << describe(id.error());
    EXPECT_LE(stack.interfaces()[0].mtu, 65535u);
    EXPECT_GE(stack.interfaces()[0].mtu, 1500u);
}

TEST_F(BusFixture, TwoStacksPingAndUdpInOneProcess) {
    BusNode a(bus, 1);
    BusNode b(bus, 2);
    const auto p = a.stack().ping_open();
    ASSERT_TRUE(p);
    for (std::uint16_t seq = 1; seq <= 3; ++seq) {
        const std::size_t size = seq == 3 ? 8000 : 56;
        const auto sent = a.stack().ping_send(*p, node_ip(2), seq, size, Clock::now());
        ASSERT_TRUE(sent) << describe(sent.error());
        a.device().flush();
        std::optional<EchoReply> reply;
        ASSERT_TRUE(run_until({&a, &b},
                              [&] {
                                  if (auto r = a.stack().ping_receive(*p)) reply = *r;
                                  return reply.has_value();
                              }))
            << "ping " << seq;
        EXPECT_EQ(reply->seq, seq);
        EXPECT_EQ(reply->payload_size, size);
        EXPECT_TRUE(reply->payload_ok);
    }

    const auto sa = a.stack().udp_open();
    const auto sb = b.stack().udp_open();
    ASSERT_TRUE(sa && sb);
    ASSERT_TRUE(b.stack().udp_bind(*sb, {Ipv4Address::any(), 7}));
    ASSERT_TRUE(a.stack().udp_send_to(*sa, text("over the bus"), {node_ip(2), 7}, Clock::now()));
    a.device().flush();
    Bytes buffer(100);
    std::optional<Datagram> got;
    ASSERT_TRUE(run_until({&a, &b}, [&] {
        if (auto d = b.stack().udp_receive(*sb, buffer)) got = *d;
        return got.has_value();
    }));
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + 12), text("over the bus"));
    ASSERT_TRUE(b.stack().udp_send_to(*sb, text("back"), got->from, Clock::now()));
    b.device().flush();
    ASSERT_TRUE(
        run_until({&a, &b}, [&] { return a.stack().udp_receive(*sa, buffer).has_value(); }));

    // The sender rule: neither stack ever read its own frames back.
    EXPECT_EQ(a.stack().stats().ethernet.drop_own_source, 0u);
    EXPECT_EQ(b.stack().stats().ethernet.drop_own_source, 0u);
    EXPECT_GT(a.port().cursor().stats().skipped_own, 0u);
    EXPECT_EQ(a.port().stats().truncated, 0u);
}

// One side of the two-process test: pings the other (small and fragmented), sends it a UDP
// datagram and waits for the echo, echoes what it receives on port 7, then trades "done"
// datagrams on port 9 so neither leaves while the other still needs answers. Returns an empty
// string on success, else what failed.
std::string run_peer_checked(const std::string& path, std::uint8_t self, std::uint8_t other,
                             Duration limit) {
    auto bus = shmif::Bus::open(path);
    if (!bus) return "open: " + shmif::describe(bus.error());
    BusNode node(*bus, self);
    Stack& stack = node.stack();
    const auto echo = stack.udp_open();
    const auto done_socket = stack.udp_open();
    const auto client = stack.udp_open();
    const auto pinger = stack.ping_open();
    if (!echo || !done_socket || !client || !pinger) return "open sockets";
    if (!stack.udp_bind(*echo, {Ipv4Address::any(), 7}) ||
        !stack.udp_bind(*done_socket, {Ipv4Address::any(), 9}))
        return "bind";

    const Endpoint peer_echo{node_ip(other), 7};
    bool small_ping = false, big_ping = false, udp_back = false, peer_done = false;
    bool sent_done = false;  // we may not leave before telling the other side
    std::size_t echoed = 0;
    Bytes buffer(2048);
    const auto start = Clock::now();
    auto last_send = start - 1s;
    while (Clock::now() - start < limit) {
        const Instant now = Clock::now();
        const bool finished = small_ping && big_ping && udp_back;
        if (now - last_send >= 100ms) {  // (re)send whatever is still missing
            last_send = now;
            if (!small_ping) (void)stack.ping_send(*pinger, node_ip(other), 1, 56, now);
            if (!big_ping) (void)stack.ping_send(*pinger, node_ip(other), 2, 8000, now);
            if (!udp_back) (void)stack.udp_send_to(*client, text("hello"), peer_echo, now);
            if (finished) {
                (void)stack.udp_send_to(*done_socket, text("done"), {node_ip(other), 9}, now);
                sent_done = true;
            }
            node.device().flush();
        }
        if (node.turn() == 0) std::this_thread::sleep_for(50us);
        while (auto reply = stack.ping_receive(*pinger)) {
            if (!reply->payload_ok) return "corrupt echo reply";
            (reply->seq == 1 ? small_ping : big_ping) = true;
        }
        while (auto d = stack.udp_receive(*echo, buffer)) {
            (void)stack.udp_send_to(*echo, std::span(buffer).first(d->size), d->from, Clock::now());
            ++echoed;
        }
        if (auto d = stack.udp_receive(*client, buffer))
            udp_back =
                Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(d->size)) ==
                text("hello");
        if (stack.udp_receive(*done_socket, buffer)) peer_done = true;
        node.device().flush();
        if (sent_done && peer_done && echoed > 0) return "";
    }
    return "timed out: small ping " + std::to_string(small_ping) + ", big ping " +
           std::to_string(big_ping) + ", udp echo " + std::to_string(udp_back) + ", echoed " +
           std::to_string(echoed) + ", peer done " + std::to_string(peer_done);
}

std::string run_peer(const std::string& path, std::uint8_t self, std::uint8_t other,
                     Duration limit) {
    try {
        return run_peer_checked(path, self, other, limit);
    } catch (const std::exception& e) {
        return e.what();
    }
}

TEST_F(BusFixture, TwoProcessesPingAndUdpBothWays) {
    const std::string path = bus.path();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const std::string failure = run_peer(path, 2, 1, 10s);
        if (!failure.empty()) std::fprintf(stderr, "child: %s\n", failure.c_str());
        std::fflush(stderr);
        ::_exit(failure.empty() ? 0 : 1);
    }
    const std::string failure = run_peer(path, 1, 2, 10s);
    EXPECT_EQ(failure, "");
    // The child has the same 10 s limit; give it a little more, then stop it.
    int status = 0;
    const auto end = Clock::now() + 12s;
    pid_t waited = 0;
    while ((waited = ::waitpid(child, &status, WNOHANG)) == 0 && Clock::now() < end)
        std::this_thread::sleep_for(1ms);
    if (waited == 0) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
        FAIL() << "the child process did not finish";
    }
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's side failed (see its stderr)";
}

}  // namespace
}  // namespace nstest
