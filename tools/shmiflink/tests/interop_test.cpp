// The kernel's ping through shmiflink: a namespace with a TAP (10.77.2.1/24, the kernel)
// bridged by shmiftap to bus A; shmifhost serving 10.77.2.2/24 on bus B; shmiflink joining
// A and B. Root and /dev/net/tun, else skipped; each test creates and deletes its namespace.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "link_harness.hpp"
#include "netns.hpp"
#include "process.hpp"
#include "shmif/bus.hpp"
#include "tap_bridge.hpp"
#include "temp_dir.hpp"

namespace shmiflink::test {
namespace {

using namespace std::chrono_literals;
using shmif::test::TempDir;
using shmifd::test::Outcome;
using shmifd::test::Process;

constexpr const char* kKernelAddr = "10.77.2.1";
constexpr const char* kOurAddr = "10.77.2.2";

class KernelThroughLink : public ::testing::Test {
  protected:
    void SetUp() override {
        static const std::string why = shmifd::test::kernel_tests_unavailable();
        if (!why.empty()) GTEST_SKIP() << "kernel interop test: " << why;
        ASSERT_TRUE(shmif::Bus::create(dir_.file("a"), {}));
        ASSERT_TRUE(shmif::Bus::create(dir_.file("b"), {}));
        ns_ = std::make_unique<shmifd::test::NetNs>(dir_, "shmiflink");
        ASSERT_TRUE(ns_->ok());
        bridge_ = std::make_unique<shmifd::test::TapBridge>(
            dir_, *ns_,
            shmifd::test::TapBridgeOptions{.bus = dir_.file("a"),
                                           .kernel_cidr = std::string(kKernelAddr) + "/24",
                                           .extra = {}});
        std::string reason;
        ASSERT_TRUE(bridge_->ready(reason)) << reason;
        server_ = std::make_unique<Process>(
            dir_, std::vector<std::string>{SHMIFHOST_BIN, "--bus", dir_.file("b"), "--addr",
                                           std::string(kOurAddr) + "/24"});
        ASSERT_TRUE(shmifd::test::wait_until(
            [&] {
                return !server_->running() ||
                       server_->err_so_far().find(" on ") != std::string::npos;
            },
            10s));
        ASSERT_TRUE(server_->running()) << server_->err_so_far();
    }

    void start_link(std::vector<std::string> extra) {
        link_ = std::make_unique<Link>(dir_, dir_.file("a"), dir_.file("b"), std::move(extra));
        std::string why;
        ASSERT_TRUE(link_->ready(why)) << why;
    }

    Outcome ping(std::vector<std::string> args, std::chrono::milliseconds timeout = 30s) {
        std::vector<std::string> argv{"ping"};
        for (auto& a : args)
            argv.push_back(std::move(a));
        argv.push_back(kOurAddr);
        return ns_->run_inside(std::move(argv), timeout);
    }

    // ARP resolved both ways (a few tries: the link may be lossy or slow).
    void warm_up() {
        for (int i = 0; i < 5; ++i)
            if (ping({"-c", "1", "-W", "2"}).exit_code == 0) return;
        FAIL() << "no ping reply through the link";
    }

    // Members in teardown order, last first: processes die before the namespace goes.
    TempDir dir_;
    std::unique_ptr<shmifd::test::NetNs> ns_;
    std::unique_ptr<shmifd::test::TapBridge> bridge_;
    std::unique_ptr<Process> server_;
    std::unique_ptr<Link> link_;
};

TEST_F(KernelThroughLink, PingSeesTheDelayBothWays) {
    start_link({"--both", "delay 20ms"});
    warm_up();
    const Outcome p = ping({"-c", "10", "-i", "0.2", "-W", "2"});
    ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
    const std::regex rtt("time=([0-9.]+) ms");
    std::vector<double> rtts;
    for (auto it = std::sregex_iterator(p.out.begin(), p.out.end(), rtt);
         it != std::sregex_iterator(); ++it)
        rtts.push_back(std::stod((*it)[1].str()));
    ASSERT_EQ(rtts.size(), 10u) << p.out;
    for (double ms : rtts) {
        EXPECT_GE(ms, 40.0) << "20 ms each way";
        EXPECT_LT(ms, 60.0) << p.out;
    }
    nlohmann::json json;
    const Outcome done = link_->stop(json);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    ASSERT_TRUE(json.is_object()) << done.out;
    EXPECT_GE(json["a_to_b"]["delayed"].get<std::uint64_t>(), 10u);
    EXPECT_GE(json["b_to_a"]["delayed"].get<std::uint64_t>(), 10u);
}

TEST_F(KernelThroughLink, PingSeesTheLossOfBothDirections) {
    // Resolve ARP through a clean link first (a lost ARP exchange would cost pings that the
    // loss model did not drop), then switch both directions to 20 % loss with SIGHUP.
    const std::string conf = dir_.file("link.conf");
    std::ofstream(conf) << "both: none\n";
    start_link({"--impair-file", conf, "--seed", "5"});
    warm_up();
    std::ofstream(conf) << "both: loss 20%\n";
    link_->process().signal(SIGHUP);
    ASSERT_TRUE(shmifd::test::wait_until(
        [&] {
            const std::string err = link_->process().err_so_far();
            return applied_after(err, "a-to-b", "loss 20%") &&
                   applied_after(err, "b-to-a", "loss 20%");
        },
        5s))
        << link_->process().err_so_far();

    const Outcome p = ping({"-c", "200", "-i", "0.01", "-W", "1", "-q"});
    std::smatch m;
    ASSERT_TRUE(std::regex_search(p.out, m, std::regex("([0-9.]+)% packet loss"))) << p.out;
    const double loss = std::stod(m[1].str());
    // A request and its reply each survive with 0.8: 1 - 0.8^2 = 36 % of pings lost. Over 200
    // pings the standard deviation is sqrt(0.36 * 0.64 / 200) = 3.4 points; +-12 points is
    // 3.5 of them (a false failure about once in 2,000 runs).
    EXPECT_NEAR(loss, 36.0, 12.0) << p.out;

    nlohmann::json json;
    const Outcome done = link_->stop(json);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    ASSERT_TRUE(json.is_object()) << done.out;
    // The link dropped what ping missed: requests a-to-b, replies b-to-a.
    const auto lost_requests = json["a_to_b"]["dropped_loss"].get<std::uint64_t>();
    const auto lost_replies = json["b_to_a"]["dropped_loss"].get<std::uint64_t>();
    EXPECT_GT(lost_requests, 0u);
    EXPECT_GT(lost_replies, 0u);
    EXPECT_NEAR(static_cast<double>(lost_requests + lost_replies), loss * 2.0, 4.0)
        << "ping's missing replies are the link's drops (ARP aside)";
}

}  // namespace
}  // namespace shmiflink::test
