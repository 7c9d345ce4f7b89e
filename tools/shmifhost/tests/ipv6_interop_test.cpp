// IPv6 between our stack and the Linux kernel's, through shmiftap in a namespace the test
// makes and deletes: shmifd on the bus with 2001:db8:6::2/64 (and its link-local address)
// serving http and echo; the kernel on the TAP with 2001:db8:6::1/64. Both run Duplicate
// Address Detection (RFC 4862) before anything else. ping -6 both ways (global, link-local,
// 8000 bytes fragmented), curl -6 checked by SHA-256, UDP with socat, DAD conflicts seen on
// both sides, the kernel's SLAAC from our Router Advertisements, and the capture read by
// tshark without a malformed packet. Root and /dev/net/tun, else skipped.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "http_pattern.hpp"
#include "netns.hpp"
#include "process.hpp"
#include "tap_bridge.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using namespace std::chrono_literals;
using shmif::test::TempDir;

constexpr const char* kKernel = "2001:db8:6::1";
constexpr const char* kDaemon = "2001:db8:6::2";

class Ipv6Interop : public ::testing::Test {
  protected:
    void SetUp() override {
        static const std::string why = kernel_tests_unavailable();
        if (!why.empty()) GTEST_SKIP() << "kernel IPv6 interop test: " << why;
        ns_ = std::make_unique<NetNs>(dir_, "shmif6");
        ASSERT_TRUE(ns_->ok());
        bridge_ = std::make_unique<TapBridge>(
            dir_, *ns_,
            TapBridgeOptions{
                .bus = bus(), .kernel_cidr = "10.77.6.1/24", .extra = {}, .ipv6 = true});
        std::string reason;
        ASSERT_TRUE(bridge_->ready(reason)) << reason;
        // Capture from the first frame: every packet of the test is read by tshark at the end.
        capture_ = std::make_unique<Process>(
            dir_, std::vector<std::string>{SHMIFDUMP_BIN, bus(), "-w", cap()});
        ASSERT_TRUE(wait_until(
            [&] {
                return !capture_->running() ||
                       capture_->err_so_far().find("listening on") != std::string::npos;
            },
            10s))
            << capture_->err_so_far();
        daemon_ = std::make_unique<Process>(dir_, daemon_args());
        ASSERT_TRUE(
            wait_until([&] { return !daemon_->running() || ctl({"version"}).exit_code == 0; }, 15s))
            << daemon_->err_so_far();
        ASSERT_TRUE(ns_->ip({"-6", "addr", "add", std::string(kKernel) + "/64", "dev", "tap0"}));
        // Both sides' DAD: the kernel's addresses lose "tentative", ours become preferred.
        ASSERT_TRUE(wait_until(
            [&] {
                std::string out;
                return ns_->ip({"-6", "addr", "show", "dev", "tap0", "tentative"}, &out) &&
                       out.empty();
            },
            15s));
        ASSERT_TRUE(wait_until([&] { return state_of(kDaemon) == "preferred"; }, 15s))
            << state_of(kDaemon);
    }

    void TearDown() override {
        if (!daemon_) return;
        EXPECT_TRUE(daemon_->running()) << daemon_->err_so_far();
        daemon_->signal(SIGTERM);
        const auto done = daemon_->wait(15s);
        EXPECT_EQ(done.exit_code, 0) << done.err;
    }

    // shmifd's command line; a derived fixture may add to it.
    virtual std::vector<std::string> daemon_args() const {
        return {SHMIFD_BIN,
                "--bus",
                bus(),
                "--addr",
                "10.77.6.2/24",
                "--addr",
                std::string(kDaemon) + "/64",
                "--socket",
                socket(),
                "--workers",
                "2",
                "--serve",
                "http",
                "--serve",
                "echo"};
    }

    std::string bus() const { return dir_.file("bus"); }
    std::string socket() const { return dir_.file("d.sock"); }
    std::string cap() const { return dir_.file("bus.pcap"); }

    Outcome ctl(std::vector<std::string> args, std::chrono::milliseconds timeout = 20s) {
        std::vector<std::string> argv{SHMIFCTL_BIN, "-s", socket()};
        for (auto& a : args)
            argv.push_back(std::move(a));
        return run(dir_, std::move(argv), timeout);
    }
    nlohmann::json ctl_json(std::vector<std::string> args) {
        args.insert(args.begin(), "--json");
        const auto r = ctl(std::move(args));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out, nullptr, false);
    }
    // The DAD state of one of the daemon's addresses ("" when it has none such).
    std::string state_of(const std::string& address) {
        const auto list = ctl_json({"addr", "list"});
        if (!list.is_object()) return "";
        for (const auto& a : list["addresses"])
            if (a["addr"].get<std::string>().starts_with(address + "/"))
                return a["state"].get<std::string>();
        return "";
    }
    // The daemon's link-local address on eth0.
    std::string our_link_local() {
        auto list = ctl_json({"addr", "list", "eth0"});  // kept: the loop reads into it
        for (const auto& a : list["addresses"])
            if (a.value("auto", false)) {
                const auto text = a["addr"].get<std::string>();
                return text.substr(0, text.find('/'));
            }
        return "";
    }
    Outcome sh(const std::string& script, std::chrono::milliseconds timeout = 60s) {
        return ns_->run_inside({"sh", "-c", script}, timeout);
    }
    std::string pattern_sha(std::uint64_t n) { return http_pattern_sha(dir_, n); }
    // The daemon's ping: how many of `count` echo requests were answered.
    int our_ping(const std::string& to, int count, int size = 56) {
        const auto r = ctl_json({"ping", to, "-c", std::to_string(count), "-s",
                                 std::to_string(size), "-i", "0.05", "-W", "2"});
        return r.is_object() ? r.value("received", -1) : -1;
    }

    TempDir dir_;
    std::unique_ptr<NetNs> ns_;  // first: destroyed last, after what runs inside it
    std::unique_ptr<TapBridge> bridge_;
    std::unique_ptr<Process> capture_;
    std::unique_ptr<Process> daemon_;
};

TEST_F(Ipv6Interop, PingBothWaysGlobalLinkLocalAndFragmented) {
    const auto kernel_ping = sh(std::string("ping -6 -c 3 -i 0.2 -W 2 ") + kDaemon);
    EXPECT_EQ(kernel_ping.exit_code, 0) << kernel_ping.out << kernel_ping.err;
    const std::string ll = our_link_local();
    ASSERT_TRUE(ll.starts_with("fe80::")) << ll;
    const auto ll_ping = sh("ping -6 -c 2 -i 0.2 -W 2 " + ll + "%tap0");
    EXPECT_EQ(ll_ping.exit_code, 0) << ll_ping.out << ll_ping.err;
    // 8000 bytes: the kernel fragments, we reassemble; our reply is fragmented by us.
    const auto big = sh(std::string("ping -6 -c 2 -i 0.2 -W 2 -s 8000 ") + kDaemon);
    EXPECT_EQ(big.exit_code, 0) << big.out << big.err;

    EXPECT_EQ(our_ping(kKernel, 3), 3);
    EXPECT_EQ(our_ping(kKernel, 2, 8000), 2) << "fragmented by us, reassembled by the kernel";
    std::string kernel_ll;
    ASSERT_TRUE(ns_->ip({"-6", "-o", "addr", "show", "dev", "tap0", "scope", "link"}, &kernel_ll));
    const auto at = kernel_ll.find("fe80::");
    ASSERT_NE(at, std::string::npos) << kernel_ll;
    EXPECT_EQ(our_ping(kernel_ll.substr(at, kernel_ll.find('/', at) - at), 2), 2);

    // Neighbor Discovery filled both caches.
    bool known = false;
    auto neighbours = ctl_json({"neigh", "list"});
    for (const auto& n : neighbours["neighbours"])
        known = known || n["addr"] == kKernel;
    EXPECT_TRUE(known);
    std::string neigh;
    ASSERT_TRUE(ns_->ip({"-6", "neigh", "show", "dev", "tap0"}, &neigh));
    EXPECT_NE(neigh.find(kDaemon), std::string::npos) << neigh;
}

TEST_F(Ipv6Interop, CurlAndUdpOverIpv6) {
    constexpr std::uint64_t n = 3'000'000;
    const auto r = sh(std::string("curl -6 -sS --max-time 60 'http://[") + kDaemon + "]/bytes/" +
                      std::to_string(n) + "' | sha256sum");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, 64), pattern_sha(n));
    const auto udp = sh(std::string("printf 'six\\n' | socat -t 3 - 'UDP6:[") + kDaemon + "]:7'");
    EXPECT_EQ(udp.out, "six\n") << udp.err;
}

TEST_F(Ipv6Interop, DuplicateAddressesAreDetectedOnBothSides) {
    // The kernel holds ::9; our DAD for it hears the kernel's answer.
    const std::string taken = "2001:db8:6::9";
    ASSERT_TRUE(ns_->ip({"-6", "addr", "add", taken + "/64", "dev", "tap0"}));
    ASSERT_TRUE(wait_until(
        [&] {
            std::string out;
            return ns_->ip({"-6", "addr", "show", "dev", "tap0", "tentative"}, &out) && out.empty();
        },
        15s));
    ASSERT_EQ(ctl({"addr", "add", "eth0", taken + "/64"}).exit_code, 0);
    EXPECT_TRUE(wait_until([&] { return state_of(taken) == "duplicate"; }, 10s)) << state_of(taken);

    // We hold ::2; the kernel's DAD for it fails.
    ASSERT_TRUE(ns_->ip({"-6", "addr", "add", std::string(kDaemon) + "/64", "dev", "tap0"}));
    EXPECT_TRUE(wait_until(
        [&] {
            std::string out;
            return ns_->ip({"-6", "addr", "show", "dev", "tap0"}, &out) &&
                   out.find("dadfailed") != std::string::npos;
        },
        15s));
    EXPECT_EQ(state_of(kDaemon), "preferred") << "ours stays ours";
}

TEST_F(Ipv6Interop, TsharkFindsNoMalformedPacketInTheCapture) {
    EXPECT_EQ(sh(std::string("ping -6 -c 2 -i 0.2 -W 2 -s 3000 ") + kDaemon).exit_code, 0);
    EXPECT_EQ(our_ping(kKernel, 2), 2);
    const auto page = sh(std::string("curl -6 -sS --max-time 30 'http://[") + kDaemon + "]/'");
    EXPECT_EQ(page.exit_code, 0) << page.err;
    capture_->signal(SIGTERM);
    ASSERT_EQ(capture_->wait(10s).exit_code, 0) << capture_->err_so_far();
    const auto malformed = run(dir_, {"tshark", "-r", cap(), "-n", "-Y", "_ws.malformed"});
    ASSERT_EQ(malformed.exit_code, 0) << malformed.err;
    EXPECT_EQ(malformed.out, "");
    const auto expert = run(dir_, {"tshark", "-r", cap(), "-n", "-q", "-o",
                                   "tcp.check_checksum:TRUE", "-z", "expert,error"});
    EXPECT_EQ(expert.out.find("Errors ("), std::string::npos) << expert.out;
    // It did read our IPv6: our advertisements and echo replies are there.
    const auto ns_count = run(dir_, {"tshark", "-r", cap(), "-n", "-Y",
                                     "icmpv6.type == 136 && "
                                     "ipv6.src == " +
                                         std::string(kDaemon)});
    EXPECT_NE(ns_count.out, "") << "our neighbour advertisements";
    const auto replies = run(dir_, {"tshark", "-r", cap(), "-n", "-Y",
                                    "icmpv6.type == 129 && ipv6.src == " + std::string(kDaemon)});
    EXPECT_NE(replies.out, "") << "our echo replies";
}

// shmifd as the link's router: --advertise 2001:db8:66::/64 with --forwarding (so a default
// router too), and an address of its own in the prefix.
class Ipv6InteropWithRouter : public Ipv6Interop {
  protected:
    std::vector<std::string> daemon_args() const override {
        auto args = Ipv6Interop::daemon_args();
        for (const char* a :
             {"--addr", "2001:db8:66::1/64", "--advertise", "2001:db8:66::/64", "--forwarding"})
            args.emplace_back(a);
        return args;
    }
    // The kernel's address in 2001:db8:66::/64 once its DAD is over ("" until then).
    std::string kernel_slaac_address() {
        std::string out;
        if (!ns_->ip({"-6", "-o", "addr", "show", "dev", "tap0", "scope", "global", "-tentative"},
                     &out))
            return "";
        const auto at = out.find("2001:db8:66:");
        if (at == std::string::npos) return "";
        return out.substr(at, out.find('/', at) - at);
    }
};

TEST_F(Ipv6InteropWithRouter, TheKernelConfiguresItselfFromOurAdvertisements) {
    // Our first advertisements come within seconds of our link-local address (RFC 4861
    // 6.2.4); the kernel's solicitations, if it sent any first, are answered.
    ASSERT_TRUE(wait_until([&] { return !kernel_slaac_address().empty(); }, 40s)) << [&] {
        std::string out;
        (void)ns_->ip({"-6", "addr", "show", "dev", "tap0"}, &out);
        return out;
    }();
    const std::string formed = kernel_slaac_address();
    std::string detail;
    ASSERT_TRUE(ns_->ip({"-6", "addr", "show", "dev", "tap0", "to", formed}, &detail));
    EXPECT_NE(detail.find("dynamic"), std::string::npos) << "SLAAC, with lifetimes: " << detail;
    // A default route via our link-local address, learnt from the advertisement.
    std::string routes;
    ASSERT_TRUE(ns_->ip({"-6", "route", "show", "default"}, &routes));
    EXPECT_NE(routes.find("via " + our_link_local()), std::string::npos) << routes;
    EXPECT_NE(routes.find("proto ra"), std::string::npos) << routes;
    // The kernel reaches our address in the prefix from the address it formed.
    const auto ping = sh("ping -6 -c 2 -i 0.2 -W 2 -I " + formed + " 2001:db8:66::1");
    EXPECT_EQ(ping.exit_code, 0) << ping.out << ping.err;
    EXPECT_EQ(our_ping(formed, 2), 2);
    const auto ndp = ctl_json({"stats"})["stack"]["ndp"];
    EXPECT_GE(ndp["tx_router_advertisements"].get<std::uint64_t>(), 1u);
    EXPECT_EQ(ndp["rx_router_advertisements"].get<std::uint64_t>(), 0u) << "the kernel routes none";
}

}  // namespace
}  // namespace shmifd::test
