// shmifhost --tcp-rr and --tcp-crr (netperf's TCP_RR and TCP_CRR shapes) against shmifd
// --serve echo on a bus file of a temporary directory: each runs for a short while, exits 0
// and prints "transactions N seconds S per_second R p50_us A p99_us B" with numbers above 0.
// No root, no kernel peer.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "process.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using namespace std::chrono_literals;
using shmif::test::TempDir;

class ShmifhostTcpRr : public ::testing::Test {
  protected:
    void SetUp() override {
        daemon_ = std::make_unique<Process>(
            dir_, std::vector<std::string>{SHMIFD_BIN, "--bus", bus(), "--addr", "10.79.0.2/24",
                                           "--socket", dir_.file("d.sock"), "--workers", "1",
                                           "--serve", "echo"});
        ASSERT_TRUE(wait_until(
            [&] {
                return !daemon_->running() ||
                       run(dir_, {SHMIFCTL_BIN, "-s", dir_.file("d.sock"), "version"}, 5s)
                               .exit_code == 0;
            },
            15s))
            << daemon_->err_so_far();
        ASSERT_TRUE(daemon_->running()) << daemon_->err_so_far();
    }

    void TearDown() override {
        if (!daemon_) return;
        EXPECT_TRUE(daemon_->running()) << daemon_->err_so_far();
        daemon_->signal(SIGTERM);
        EXPECT_EQ(daemon_->wait(15s).exit_code, 0);
    }

    std::string bus() const { return dir_.file("bus"); }

    Outcome host(std::vector<std::string> args) {
        std::vector<std::string> argv{SHMIFHOST_BIN,  "--bus",         bus(), "--addr",
                                      "10.79.0.3/24", "--tcp-timeout", "10",  "-q"};
        for (auto& a : args)
            argv.push_back(std::move(a));
        return run(dir_, std::move(argv), 30s);
    }

    // The summary line's numbers: transactions, seconds, per second, p50, p99.
    static void expect_summary(const Outcome& r) {
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        std::smatch m;
        const std::regex line(
            R"(transactions (\d+) seconds ([0-9.]+) per_second ([0-9.]+) p50_us ([0-9.]+) )"
            R"(p99_us ([0-9.]+)\n)");
        ASSERT_TRUE(std::regex_search(r.out, m, line)) << r.out;
        for (std::size_t i = 1; i < m.size(); ++i)
            EXPECT_GT(std::stod(m[i].str()), 0) << r.out;
        EXPECT_LE(std::stod(m[4].str()), std::stod(m[5].str())) << r.out;
    }

    TempDir dir_;
    std::unique_ptr<Process> daemon_;
};

TEST_F(ShmifhostTcpRr, RequestResponseOneByteAnd64) {
    expect_summary(host({"--tcp-rr", "10.79.0.2:7", "--seconds", "0.5"}));
    expect_summary(host({"--tcp-rr", "10.79.0.2:7", "--size", "64", "--seconds", "0.5"}));
}

TEST_F(ShmifhostTcpRr, ConnectRequestResponseClose) {
    expect_summary(host({"--tcp-crr", "10.79.0.2:7", "--seconds", "0.5"}));
}

TEST_F(ShmifhostTcpRr, UsageErrors) {
    EXPECT_EQ(host({"--tcp-rr", "10.79.0.2:7", "--size", "0"}).exit_code, 2);
    EXPECT_EQ(host({"--tcp-crr", "10.79.0.2:7", "--size", "64"}).exit_code, 2);
    EXPECT_EQ(host({"--tcp-rr", "10.79.0.2"}).exit_code, 2);
}

}  // namespace
}  // namespace shmifd::test
