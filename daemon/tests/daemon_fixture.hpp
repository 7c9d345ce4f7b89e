// Shared by the tests that drive real shmifd processes through shmifctl: a temporary
// directory with two bus paths, daemons started on them, shmifctl run against them, and
// pings counted.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon_process.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {

class DaemonFixture : public ::testing::Test {
  protected:
    shmif::test::TempDir dir;
    std::string lan = dir.file("lan.bus");
    std::string wan = dir.file("wan.bus");

    std::unique_ptr<DaemonProcess> start(const std::string& name, const std::string& bus,
                                         const std::string& addr,
                                         std::vector<std::string> extra = {}) {
        auto args = DaemonProcess::quick(bus, addr, 2);
        args.insert(args.end(), extra.begin(), extra.end());
        auto d = std::make_unique<DaemonProcess>(dir.path(), name, args);
        EXPECT_TRUE(d->wait_ready()) << name << " did not come up:\n" << d->log();
        return d;
    }

    // shmifctl with `words` against `daemon`; its exit status, its output in `out`.
    std::optional<int> shmifctl(const DaemonProcess& daemon, std::vector<std::string> words,
                                std::string& out) {
        std::vector<std::string> argv = {SHMIFCTL_BIN, "-s", daemon.socket()};
        argv.insert(argv.end(), words.begin(), words.end());
        const auto file = dir.file("shmifctl.out");
        std::filesystem::remove(file);
        const auto status = wait_exit(spawn(argv, file), 15s);
        out = read_file(file);
        return status;
    }

    static std::uint64_t received(DaemonProcess& from, const std::string& to, int size = 56,
                                  int timeout_ms = 1000) {
        const auto r = from.ok("ping", {{"addr", to},
                                        {"count", 2},
                                        {"size", size},
                                        {"interval_ms", 20},
                                        {"timeout_ms", timeout_ms}});
        return r.value("received", std::uint64_t{0});
    }

    // Waits (bounded) until none of the daemon's IPv6 addresses is tentative: its Duplicate
    // Address Detection is over and the unsolicited advertisement that ends it is sent, so a
    // test that counts frames exactly sees only its own.
    static bool ipv6_settled(DaemonProcess& d) {
        return wait_until(
            [&] { return d.ok("addr.list").dump().find("\"tentative\"") == std::string::npos; },
            5s);
    }

    static std::uint64_t fragments_sent(DaemonProcess& d) {
        return d.ok("stats")["stack"]["ipv4"].value("fragments_sent", std::uint64_t{0});
    }
};

}  // namespace shmifd::test
