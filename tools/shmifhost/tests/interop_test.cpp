// Our stack against the Linux kernel's: a namespace with a TAP (10.77.1.1/24, the kernel),
// shmiftap bridging it to a bus, shmifhost serving 10.77.1.2/24 on the bus (UDP echo on 7,
// a sink on 9). Pings both ways, 8,000-byte pings that fragment both ways, UDP both ways
// with socat, the kernel's neighbour table, and a capture on the TAP that tshark must find
// free of malformed frames and bad checksums. Root and /dev/net/tun, else skipped.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "netns.hpp"
#include "process.hpp"
#include "tap_bridge.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using namespace std::chrono_literals;
using shmif::test::TempDir;

constexpr const char* kKernelAddr = "10.77.1.1";
constexpr const char* kOurAddr = "10.77.1.2";
constexpr const char* kOurMac = "02:00:00:77:01:02";

class KernelInterop : public ::testing::Test {
  protected:
    void SetUp() override {
        static const std::string why = kernel_tests_unavailable();
        if (!why.empty()) GTEST_SKIP() << "kernel interop test: " << why;
        ns_ = std::make_unique<NetNs>(dir_, "shmifhost");
        ASSERT_TRUE(ns_->ok());
        bridge_ = std::make_unique<TapBridge>(
            dir_, *ns_,
            TapBridgeOptions{
                .bus = bus(), .kernel_cidr = std::string(kKernelAddr) + "/24", .extra = {}});
        std::string reason;
        ASSERT_TRUE(bridge_->ready(reason)) << reason;
        server_ = std::make_unique<Process>(
            dir_, std::vector<std::string>{SHMIFHOST_BIN, "--bus", bus(), "--addr",
                                           std::string(kOurAddr) + "/24", "--mac", kOurMac,
                                           "--udp-echo", "7", "--udp-sink", "9", "--stats"});
        ASSERT_TRUE(wait_until(
            [&] {
                return !server_->running() ||
                       server_->err_so_far().find(" on ") != std::string::npos;
            },
            10s));
        ASSERT_TRUE(server_->running()) << server_->err_so_far();
    }

    std::string bus() const { return dir_.file("bus"); }

    // A second stack on the bus (10.77.1.3), for the tests that send from our side.
    Outcome host(std::vector<std::string> args, std::chrono::milliseconds timeout = 30s) {
        std::vector<std::string> argv{SHMIFHOST_BIN, "--bus", bus(), "--addr", "10.77.1.3/24"};
        for (auto& a : args)
            argv.push_back(std::move(a));
        return run(dir_, std::move(argv), timeout);
    }

    Outcome inside(std::vector<std::string> argv, std::chrono::milliseconds timeout = 30s) {
        return ns_->run_inside(std::move(argv), timeout);
    }

    // Members in teardown order, last first: processes die before the namespace goes.
    TempDir dir_;
    std::unique_ptr<NetNs> ns_;
    std::unique_ptr<TapBridge> bridge_;
    std::unique_ptr<Process> server_;
};

TEST_F(KernelInterop, KernelPingsUsAndLearnsOurMac) {
    const Outcome ping = inside({"ping", "-c", "3", "-i", "0.2", "-W", "2", kOurAddr});
    EXPECT_EQ(ping.exit_code, 0) << ping.out << ping.err;
    EXPECT_NE(ping.out.find("3 received"), std::string::npos) << ping.out;
    std::string neigh;
    EXPECT_TRUE(ns_->ip({"neigh", "show", kOurAddr}, &neigh));
    EXPECT_NE(neigh.find(kOurMac), std::string::npos) << neigh;
}

TEST_F(KernelInterop, KernelPingsUsWithFragments) {
    // 8,000 bytes over a 1,500-byte MTU: the kernel fragments, we reassemble, our reply
    // fragments, the kernel reassembles.
    const Outcome ping =
        inside({"ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "8000", kOurAddr});
    EXPECT_EQ(ping.exit_code, 0) << ping.out << ping.err;
    EXPECT_NE(ping.out.find("3 received"), std::string::npos) << ping.out;
    EXPECT_NE(ping.out.find("8008 bytes from"), std::string::npos) << ping.out;
}

TEST_F(KernelInterop, WePingTheKernel) {
    const Outcome small = host({"--ping", kKernelAddr, "-c", "3", "-i", "0.2", "-W", "2"});
    EXPECT_EQ(small.exit_code, 0) << small.out << small.err;
    EXPECT_NE(small.out.find("3 packets transmitted, 3 received"), std::string::npos) << small.out;
    const Outcome big =
        host({"--ping", kKernelAddr, "-c", "3", "-i", "0.2", "-W", "2", "-s", "8000"});
    EXPECT_EQ(big.exit_code, 0) << big.out << big.err;
    EXPECT_NE(big.out.find("3 packets transmitted, 3 received"), std::string::npos) << big.out;
    EXPECT_NE(big.out.find("8008 bytes from 10.77.1.1"), std::string::npos) << big.out;
}

TEST_F(KernelInterop, PingToNobodyExitsOne) {
    const Outcome r = host({"--ping", "10.77.1.99", "-c", "2", "-i", "0.2", "-W", "1"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("2 packets transmitted, 0 received"), std::string::npos) << r.out;
}

TEST_F(KernelInterop, KernelUdpIsEchoedAndSunk) {
    const Outcome echo = inside(
        {"sh", "-c", std::string("echo hello-echo | socat -t 3 -T 3 - UDP:") + kOurAddr + ":7"});
    EXPECT_EQ(echo.exit_code, 0) << echo.err;
    EXPECT_EQ(echo.out, "hello-echo\n");
    const Outcome sent = inside({"sh", "-c",
                                 std::string("echo hello-sink | socat -u - UDP-SENDTO:") +
                                     kOurAddr + ":9,sourceport=4444"});
    EXPECT_EQ(sent.exit_code, 0) << sent.err;
    EXPECT_TRUE(wait_until(
        [&] {
            return server_->out_so_far().find("10.77.1.1:4444 hello-sink\n") != std::string::npos;
        },
        5s))
        << server_->out_so_far();
}

TEST_F(KernelInterop, OurUdpReachesTheKernel) {
    Process listener(dir_, ns_->exec({"socat", "-u", "UDP-RECV:5555", "STDOUT"}));
    // socat binds at once, but retry a few times in case the first datagram beat it.
    bool got = false;
    for (int attempt = 0; attempt < 10 && !got; ++attempt) {
        const Outcome r = host({"--udp-send", std::string(kKernelAddr) + ":5555", "--data",
                                "hello-kernel\n", "--send-count", "2"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        got = wait_until(
            [&] { return listener.out_so_far().find("hello-kernel") != std::string::npos; }, 500ms);
    }
    EXPECT_TRUE(got) << listener.out_so_far();
}

TEST_F(KernelInterop, CaptureOnTheTapIsClean) {
    const std::string cap = dir_.file("tap.pcap");
    Process tcpdump(dir_, ns_->exec({"tcpdump", "-i", "tap0", "-n", "-U", "-w", cap}));
    ASSERT_TRUE(wait_until(
        [&] { return tcpdump.err_so_far().find("listening on") != std::string::npos; }, 10s))
        << tcpdump.err_so_far();
    EXPECT_EQ(inside({"ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "8000", kOurAddr}).exit_code,
              0);
    EXPECT_EQ(host({"--ping", kKernelAddr, "-c", "2", "-i", "0.2", "-s", "3000"}).exit_code, 0);
    EXPECT_EQ(
        inside({"sh", "-c", std::string("echo hi | socat -t 3 -T 3 - UDP:") + kOurAddr + ":7"}).out,
        "hi\n");
    tcpdump.signal(SIGINT);
    const Outcome dumped = tcpdump.wait(10s);
    ASSERT_EQ(dumped.exit_code, 0) << dumped.err;

    const Outcome decoded = run(dir_, {"tshark", "-r", cap, "-n", "-V", "-o",
                                       "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"});
    ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
    std::smatch bad;
    const std::regex flaw("[^\n]*(Bad|Malformed|incorrect)[^\n]*");
    EXPECT_FALSE(std::regex_search(decoded.out, bad, flaw)) << bad.str();
    // The checks ran (tshark prints a status only for checksums it verified).
    EXPECT_NE(decoded.out.find("[Checksum Status: Good]"), std::string::npos);
    // What we expect to have crossed: reassembled 8,000-byte pings and our echo reply.
    EXPECT_NE(decoded.out.find("Reassembled IPv4"), std::string::npos);
    EXPECT_NE(decoded.out.find("Echo (ping) reply"), std::string::npos);
    EXPECT_NE(decoded.out.find("Src Port: 7,"), std::string::npos);
}

TEST_F(KernelInterop, ServerStopsCleanlyWithStats) {
    EXPECT_EQ(inside({"ping", "-c", "1", "-W", "2", kOurAddr}).exit_code, 0);
    server_->signal(SIGTERM);
    const Outcome done = server_->wait(10s);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    EXPECT_NE(done.err.find("tx_echo_replies=1"), std::string::npos) << done.err;
    EXPECT_NE(done.err.find("drop_bad_checksum=0"), std::string::npos) << done.err;
}

}  // namespace
}  // namespace shmifd::test
