// shmiftap as a real process between a bus file and a TAP inside a network namespace the test
// creates (and deletes, also on failure). The kernel is the peer: its ARP requests must appear
// on the bus, and an ARP request written on the bus must get the kernel's reply back.
// Kernel-side tests need root and /dev/net/tun and skip without them; the CI runs them.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "frames.hpp"
#include "netns.hpp"
#include "process.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "tap_bridge.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using namespace std::chrono_literals;
using shmif::test::TempDir;

constexpr std::uint64_t kBridgeSender = 0x7a9;
constexpr std::uint64_t kTestSender = 0x7e57;
constexpr Mac kTestMac{0x02, 0x00, 0x00, 0x77, 0x00, 0x02};

#define SKIP_WITHOUT_KERNEL_SIDE()                                     \
    do {                                                               \
        static const std::string why = kernel_tests_unavailable();     \
        if (!why.empty()) GTEST_SKIP() << "kernel-side test: " << why; \
    } while (0)

// Reads frames from the cursor until one satisfies `match` or `timeout` passes.
std::optional<Bytes> await_frame(shmif::Cursor& cursor,
                                 const std::function<bool(const shmif::Frame&)>& match,
                                 std::chrono::milliseconds timeout) {
    std::vector<std::byte> storage(70000);
    shmif::Frame frame{storage.data(), storage.size()};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto got = cursor.receive_wait(std::span(&frame, 1), 50ms);
        if (got && *got == 1 && match(frame))
            return Bytes(storage.begin(), storage.begin() + static_cast<long>(frame.len));
    }
    return std::nullopt;
}

std::optional<shmif::Bus> open_bus(const std::string& path) {
    std::optional<shmif::Bus> bus;
    wait_until(
        [&] {
            auto b = shmif::Bus::open(path);
            if (b) bus.emplace(std::move(*b));
            return bus.has_value();
        },
        5s);
    return bus;
}

// Each test: a namespace whose kernel holds `kernel_cidr` on a TAP that shmiftap (in the I/O
// mode of the test's parameter) bridges onto dir/bus.
class ShmiftapKernel : public ::testing::TestWithParam<const char*> {
  protected:
    void start_bridge(const std::string& kernel_cidr) {
        ns.emplace(dir, "shmiftap");
        ASSERT_TRUE(ns->ok());
        bridge.emplace(dir, *ns,
                       TapBridgeOptions{.bus = dir.file("bus"),
                                        .sender = kBridgeSender,
                                        .kernel_cidr = kernel_cidr,
                                        .extra = {"--io", GetParam()}});
        std::string why;
        ASSERT_TRUE(bridge->ready(why)) << why;
    }

    TempDir dir;  // destroyed last: the namespace and the bridge live in it
    std::optional<NetNs> ns;
    std::optional<TapBridge> bridge;
};

TEST_P(ShmiftapKernel, KernelArpAppearsOnTheBus) {
    SKIP_WITHOUT_KERNEL_SIDE();
    ASSERT_NO_FATAL_FAILURE(start_bridge("10.77.1.1/24"));
    auto bus = open_bus(dir.file("bus"));
    ASSERT_TRUE(bus);
    shmif::Cursor cursor(*bus);

    // Nobody holds 10.77.1.2: the kernel keeps asking for it while ping runs.
    Process ping(dir, ns->exec({"ping", "-c", "3", "-i", "0.2", "-W", "1", "10.77.1.2"}));
    std::uint64_t sender = 0;
    const auto request = await_frame(
        cursor,
        [&](const shmif::Frame& f) {
            const auto arp = parse_arp(std::span(f.data, f.len));
            sender = f.sender;
            return arp && arp->op == 1 && arp->target_ip == Ip4{10, 77, 1, 2} &&
                   arp->sender_ip == Ip4{10, 77, 1, 1};
        },
        10s);
    ASSERT_TRUE(request) << "no ARP request for 10.77.1.2 on the bus";
    EXPECT_EQ(sender, kBridgeSender);
    ping.wait(10s);
}

TEST_P(ShmiftapKernel, BusArpRequestGetsTheKernelsReply) {
    SKIP_WITHOUT_KERNEL_SIDE();
    ASSERT_NO_FATAL_FAILURE(start_bridge("10.77.2.1/24"));
    auto bus = open_bus(dir.file("bus"));
    ASSERT_TRUE(bus);
    shmif::Cursor cursor(*bus, {.skip_sender = kTestSender});
    shmif::Writer writer(*bus, {.sender = kTestSender});
    const Bytes request = arp_request(kTestMac, {10, 77, 2, 2}, {10, 77, 2, 1});

    std::optional<Bytes> reply;
    // The bridge's cursor starts where the bus was when it attached: repeat until answered.
    for (int attempt = 0; attempt < 40 && !reply; ++attempt) {
        ASSERT_TRUE(writer.send(request));
        reply = await_frame(
            cursor,
            [&](const shmif::Frame& f) {
                const auto arp = parse_arp(std::span(f.data, f.len));
                return arp && arp->op == 2 && arp->sender_ip == Ip4{10, 77, 2, 1} &&
                       arp->target_mac == kTestMac && arp->target_ip == Ip4{10, 77, 2, 2};
            },
            250ms);
    }
    ASSERT_TRUE(reply) << "the kernel did not answer our ARP request";

    // The kernel learnt our MAC from the request (RFC 826: merge the sender's pair).
    std::string neigh;
    EXPECT_TRUE(ns->ip({"neigh", "show", "dev", "tap0"}, &neigh));
    EXPECT_NE(neigh.find("02:00:00:77:00:02"), std::string::npos) << neigh;

    // SIGTERM: counters on stderr, exit 0, at least our request in and the reply out.
    bridge->process().signal(SIGTERM);
    const Outcome done = bridge->process().wait(10s);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    EXPECT_NE(done.err.find("tap->bus "), std::string::npos) << done.err;
    EXPECT_NE(done.err.find("bus->tap "), std::string::npos) << done.err;
    EXPECT_EQ(done.err.find("bus->tap 0 frames"), std::string::npos) << done.err;
    EXPECT_EQ(done.err.find("tap->bus 0 frames"), std::string::npos) << done.err;
    EXPECT_NE(done.err.find("bus overruns 0, lost 0 frames"), std::string::npos) << done.err;
}

INSTANTIATE_TEST_SUITE_P(Io, ShmiftapKernel, ::testing::Values("uring", "plain"));

// Frames larger than the bus's max_frame are dropped and counted, not sent.
TEST(Shmiftap, OversizeFramesAreCountedNotSent) {
    SKIP_WITHOUT_KERNEL_SIDE();
    TempDir dir;
    auto made = shmif::Bus::create(dir.file("bus"), {.max_frame = 600});
    ASSERT_TRUE(made);
    NetNs ns(dir, "shmiftap");
    ASSERT_TRUE(ns.ok());
    TapBridge bridge(dir, ns,
                     {.bus = dir.file("bus"),
                      .sender = kBridgeSender,
                      .kernel_cidr = "10.77.3.1/24",
                      .extra = {}});
    std::string why;
    ASSERT_TRUE(bridge.ready(why)) << why;
    EXPECT_NE(bridge.process().err_so_far().find("warning: mtu 1500"), std::string::npos);
    // A static neighbour: the kernel sends the pings at once, 1,042-byte frames.
    ASSERT_TRUE(ns.ip({"neigh", "add", "10.77.3.2", "lladdr", "02:00:00:77:00:03", "dev", "tap0"}));
    shmif::Cursor cursor(*made);
    const Outcome ping =
        ns.run_inside({"ping", "-c", "3", "-i", "0.2", "-W", "1", "-s", "1000", "10.77.3.2"});
    EXPECT_EQ(ping.exit_code, 1);  // nobody answers
    const auto big = await_frame(
        cursor, [](const shmif::Frame& f) { return f.len > 600; }, 300ms);
    EXPECT_FALSE(big);
    bridge.process().signal(SIGTERM);
    const Outcome done = bridge.process().wait(10s);
    EXPECT_EQ(done.exit_code, 0);
    EXPECT_NE(done.err.find("(3 oversize dropped"), std::string::npos) << done.err;
}

// ---- without the kernel: options and errors --------------------------------------------------

TEST(ShmiftapCli, HelpAndUsageErrors) {
    TempDir dir;
    const Outcome help = run(dir, {SHMIFTAP_BIN, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("Exit status"), std::string::npos);
    EXPECT_EQ(run(dir, {SHMIFTAP_BIN, "--tap", "t0"}).exit_code, 2);  // no --bus
    const Outcome sender =
        run(dir, {SHMIFTAP_BIN, "--bus", dir.file("b"), "--tap", "t0", "--sender", "0"});
    EXPECT_EQ(sender.exit_code, 2);
    EXPECT_NE(sender.err.find("shmiftap: invalid --sender"), std::string::npos) << sender.err;
    EXPECT_EQ(
        run(dir, {SHMIFTAP_BIN, "--bus", dir.file("b"), "--tap", "t0", "--io", "x"}).exit_code, 2);
}

TEST(ShmiftapCli, MissingBusIsOneLineAndExit1) {
    TempDir dir;
    const Outcome r = run(dir, {SHMIFTAP_BIN, "--bus", dir.file("nope"), "--tap", "t0"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("shmiftap: " + dir.file("nope") + ": ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace shmifd::test
