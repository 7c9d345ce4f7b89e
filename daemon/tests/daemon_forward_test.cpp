// shmifd's port forwarding between the host and the virtual network, with real programs on
// the host's side: a daemon `srv` (10.0.0.1) serves http, echo and discard on a bus; a
// second daemon `fwd` (10.0.0.2) on the same bus forwards host ports to it (--forward) or
// exposes host servers to the bus (--expose). Host clients are curl and python
// (forward_peers.py); virtual clients are shmifhost and python under shmifrun.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <array>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon_fixture.hpp"
#include "services/patterns.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

const std::string kPeers = std::string(FORWARD_PEERS);

// A port on 127.0.0.1 that nothing listens on just now.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

using services::bytes_pattern_sha256;

class ForwardTest : public DaemonFixture {
  protected:
    std::unique_ptr<DaemonProcess> srv;

    void SetUp() override {
        srv = start("srv", lan, "10.0.0.1/24",
                    {"--serve", "http", "--serve", "echo", "--serve", "discard"});
    }

    // `cmd` through sh; its exit status and output (stdout and stderr).
    std::optional<int> sh(const std::string& cmd, std::string& out,
                          std::chrono::seconds timeout = 60s, const std::string& name = "sh") {
        const auto file = dir.file(name + ".out");
        std::filesystem::remove(file);
        const auto status = wait_exit(spawn({"/bin/sh", "-c", cmd}, file), timeout);
        out = read_file(file);
        return status;
    }
    pid_t sh_background(const std::string& cmd, const std::string& name) {
        const auto file = dir.file(name + ".out");
        std::filesystem::remove(file);
        return spawn({"/bin/sh", "-c", cmd}, file);
    }
    std::string output(const std::string& name) { return read_file(dir.file(name + ".out")); }

    std::string peers(const std::string& args) {
        return "exec /usr/bin/python3 " + kPeers + " " + args;
    }
    // Whether programs can run under shmifrun here: not in a sanitized build, whose shim
    // cannot be preloaded into python (the parts that need it are skipped there).
    static bool shmifrun_works() {
#ifdef SHMIFD_SANITIZED
        return false;
#else
        return true;
#endif
    }
    // A program on the virtual network: under shmifrun against `d`.
    std::string virtual_peers(const DaemonProcess& d, const std::string& args) {
        return std::string("exec ") + SHMIFRUN_BIN + " -s " + d.socket() + " -- /usr/bin/python3 " +
               kPeers + " " + args;
    }
    static std::string url(int port, std::uint64_t bytes) {
        return "http://127.0.0.1:" + std::to_string(port) + "/bytes/" + std::to_string(bytes);
    }
    // The SHA-256 of what curl fetched, first on the output line.
    static std::string curl(int port, std::uint64_t bytes, const std::string& extra = "") {
        return "curl -sS --max-time 60 " + extra + " " + url(port, bytes) + " | sha256sum";
    }
    // curl's own exit status, printed as "curl=N" (7: refused; 0: fetched).
    static std::string curl_status(int port, std::uint64_t bytes, const std::string& extra = "") {
        return "curl -sS --max-time 60 " + extra + " -o /dev/null " + url(port, bytes) +
               "; echo curl=$?";
    }
    // The forward of `spec` (canonical text) in fwd.list, or null.
    static std::string canonical(int host_port, const std::string& target) {
        return "tcp:127.0.0.1:" + std::to_string(host_port) + "=" + target;
    }

    json forward_row(DaemonProcess& d, const std::string& spec) {
        const auto list = d.ok("fwd.list");
        for (const auto& f : list["forwards"])
            if (f["spec"] == spec) return f;
        return nullptr;
    }
};

// Host curl → fwd's forward → srv's http service: 100 MB, every byte (SHA-256), counted.
TEST_F(ForwardTest, CurlFetchesThroughAnInboundForward) {
    const int port = free_port();
    const auto spec = "tcp:127.0.0.1:" + std::to_string(port) + "=10.0.0.1:80";
    auto fwd = start("fwd", lan, "10.0.0.2/24",
                     {"--forward", "tcp:" + std::to_string(port) + "=10.0.0.1:80"});
    ASSERT_FALSE(HasFailure());
    const std::uint64_t n = 100'000'000;
    std::string out;
    ASSERT_EQ(sh(curl(port, n), out), 0) << out;
    EXPECT_EQ(out.substr(0, 64), bytes_pattern_sha256(n)) << out << fwd->log();
    const auto row = forward_row(*fwd, spec);
    ASSERT_TRUE(row.is_object()) << fwd->ok("fwd.list").dump();
    EXPECT_EQ(row["connections"], 1u) << row.dump();
    EXPECT_EQ(row["failed"], 0u) << row.dump();
    EXPECT_GE(row["bytes_to_host"].get<std::uint64_t>(), n) << row.dump();
    EXPECT_GT(row["bytes_to_virtual"].get<std::uint64_t>(), 0u) << row.dump();
    EXPECT_TRUE(wait_until([&] { return forward_row(*fwd, spec)["active"] == 0u; }))
        << fwd->ok("fwd.list").dump();
    // The stack's TCP counters, summed over the workers, saw it too.
    const auto tcp = fwd->ok("stats")["stack"]["tcp"];
    EXPECT_GE(tcp["active_opens"].get<std::uint64_t>(), 1u) << tcp.dump();
    EXPECT_GT(tcp["rx_segments"].get<std::uint64_t>(), 1000u) << tcp.dump();
    // shmifctl shows it.
    ASSERT_EQ(shmifctl(*fwd, {"fwd", "list"}, out), 0) << out;
    EXPECT_NE(out.find(spec), std::string::npos) << out;
}

// A forward to the daemon's own http server crosses its lo, where TCP is not summed; while lo
// corrupts frames the stacks sum and check it again, so every flipped bit is caught (dropped,
// counted, sent again) and curl still gets every byte.
TEST_F(ForwardTest, ACorruptingLoopbackLosesSegmentsButNeverAByte) {
    const int port = free_port();
    srv->ok("fwd.add", {{"spec", "tcp:" + std::to_string(port) + "=10.0.0.1:80"}});
    std::string out;
    ASSERT_EQ(shmifctl(*srv, {"impair", "set", "lo", "egress", "corrupt", "5%", "seed", "3"}, out),
              0)
        << out;
    const std::uint64_t n = 20'000'000;
    ASSERT_EQ(sh(curl(port, n), out), 0) << out;
    EXPECT_EQ(out.substr(0, 64), bytes_pattern_sha256(n)) << out << srv->log();
    const auto corrupted =
        srv->ok("impair.show", {{"name", "lo"}})["interfaces"][0]["egress"]["counters"]["corrupted"]
            .get<std::uint64_t>();
    const auto dropped = srv->ok("stats")["stack"]["tcp"]["drop_bad_checksum"].get<std::uint64_t>();
    EXPECT_GT(corrupted, 0u);
    // A bit flipped in the Ethernet or IP header may end the frame earlier (not ours, bad IP
    // checksum); every other one is TCP's to catch.
    EXPECT_GT(dropped, 0u);
    EXPECT_LE(dropped, corrupted);

    // Cleared: lo is unsummed again, and a fetch still gets every byte.
    ASSERT_EQ(shmifctl(*srv, {"impair", "clear", "lo"}, out), 0) << out;
    ASSERT_EQ(sh(curl(port, 1'000'000), out), 0) << out;
    EXPECT_EQ(out.substr(0, 64), bytes_pattern_sha256(1'000'000)) << out;
    EXPECT_EQ(srv->ok("stats")["stack"]["tcp"]["drop_bad_checksum"].get<std::uint64_t>(), dropped);
}

// 1000 connections at once through one forward to srv's echo service: all complete intact.
TEST_F(ForwardTest, AThousandConcurrentConnectionsAllComplete) {
    const int port = free_port();
    auto fwd = start("fwd", lan, "10.0.0.2/24",
                     {"--forward", "tcp:" + std::to_string(port) + "=10.0.0.1:7"});
    ASSERT_FALSE(HasFailure());
    std::string out;
    ASSERT_EQ(sh(peers("--timeout 100 echo-many 127.0.0.1 " + std::to_string(port) + " 1000 3000"),
                 out, 120s),
              0)
        << out << fwd->log();
    EXPECT_NE(out.find("ok 1000"), std::string::npos) << out;
    const auto spec = "tcp:127.0.0.1:" + std::to_string(port) + "=10.0.0.1:7";
    EXPECT_TRUE(wait_until([&] { return forward_row(*fwd, spec)["active"] == 0u; }, 20s))
        << forward_row(*fwd, spec).dump();
    const auto row = forward_row(*fwd, spec);
    EXPECT_EQ(row["connections"], 1000u) << row.dump();
    EXPECT_EQ(row["refused"], 0u) << row.dump();
    EXPECT_EQ(row["failed"], 0u) << row.dump();
    EXPECT_EQ(row["bytes_to_virtual"], 3'000'000u) << row.dump();
    EXPECT_EQ(row["bytes_to_host"], 3'000'000u) << row.dump();
}

// Where forwarded connections run with two workers: a client that connects again and again
// stays on the worker that accepted it (no hand-off between threads per connection), and
// many connections at once spread over both.
TEST_F(ForwardTest, ConnectionsStayWhereAcceptedUntilManySpreadOut) {
    const int port = free_port();
    auto fwd = start("fwd", lan, "10.0.0.2/24",  // two workers, as every daemon here
                     {"--forward", "tcp:" + std::to_string(port) + "=10.0.0.1:7"});
    ASSERT_FALSE(HasFailure());
    const auto spec = canonical(port, "10.0.0.1:7");
    // An echoed byte proves the connection runs (and is listed); its shard, from fwd.list.
    auto open_one = [&]() -> int {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        timeval timeout{.tv_sec = 10, .tv_usec = 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        char c = 'x';
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::write(fd, &c, 1) != 1 || ::read(fd, &c, 1) != 1) {
            ::close(fd);
            return -1;
        }
        return fd;
    };
    auto shards_of_live = [&] {
        std::map<int, int> count;  // shard -> connections
        const auto row = forward_row(*fwd, spec);
        for (const auto& c : row["live"])
            ++count[c["shard"].get<int>()];
        return count;
    };
    std::set<int> sequential;
    for (int i = 0; i < 12; ++i) {
        const int fd = open_one();
        ASSERT_GE(fd, 0) << fwd->log();
        const auto live = shards_of_live();
        ASSERT_EQ(live.size(), 1u) << forward_row(*fwd, spec).dump();
        sequential.insert(live.begin()->first);
        ::close(fd);
        ASSERT_TRUE(wait_until([&] { return forward_row(*fwd, spec)["active"] == 0u; }, 10s));
    }
    EXPECT_EQ(sequential.size(), 1u) << "one after another, they ran on more than one worker";

    std::vector<int> held;
    for (int i = 0; i < 24; ++i) {
        held.push_back(open_one());
        ASSERT_GE(held.back(), 0) << fwd->log();
    }
    const auto live = shards_of_live();
    ASSERT_EQ(live.size(), 2u) << forward_row(*fwd, spec).dump();
    EXPECT_LE(std::abs(live.begin()->second - live.rbegin()->second), 4)
        << forward_row(*fwd, spec).dump();
    for (int fd : held)
        ::close(fd);
}

// A half-close crosses both ways: the host client's FIN reaches the echo service, which
// echoes all and closes (inbound); a virtual client's FIN reaches a host server, which
// answers after it (outbound).
TEST_F(ForwardTest, HalfCloseCrossesBothWays) {
    const int in_port = free_port();
    const int host_port = free_port();
    auto fwd = start("fwd", lan, "10.0.0.2/24",
                     {"--forward", "tcp:" + std::to_string(in_port) + "=10.0.0.1:7", "--expose",
                      "tcp:10.0.0.2:5000=" + std::to_string(host_port)});
    ASSERT_FALSE(HasFailure());
    std::string out;
    ASSERT_EQ(sh(peers("half-close 127.0.0.1 " + std::to_string(in_port) + " 300000"), out), 0)
        << out;
    EXPECT_NE(out.find("echoed 300000 eof"), std::string::npos) << out;
    // netcat-openbsd's -N: shutdown(SHUT_WR) at the end of its input, then it reads the echo.
    ASSERT_EQ(sh("seq 1 20000 | nc -N -w 10 127.0.0.1 " + std::to_string(in_port) +
                     " | sha256sum; seq 1 20000 | sha256sum",
                 out),
              0)
        << out;
    ASSERT_GE(out.size(), 64u + 1 + 64u) << out;
    EXPECT_EQ(out.substr(0, 64), out.substr(out.find('\n') + 1, 64)) << out;

    if (!shmifrun_works()) GTEST_SKIP() << "the outbound half runs python under shmifrun";
    const pid_t server =
        sh_background(peers("reply-server " + std::to_string(host_port)), "server");
    ASSERT_TRUE(wait_until([&] { return output("server").find("listening") != std::string::npos; }))
        << output("server");
    ASSERT_EQ(sh(virtual_peers(*srv, "ask 10.0.0.2 5000 200000"), out), 0) << out;
    EXPECT_NE(out.find("reply got 200000\neof"), std::string::npos) << out;
    EXPECT_EQ(wait_exit(server, 10s), 0) << output("server");
    EXPECT_NE(output("server").find("served 200000"), std::string::npos) << output("server");
}

// Resets cross too: nothing listens behind an inbound forward, so the host's client is
// reset; an exposed host port that nothing listens on resets the virtual client.
TEST_F(ForwardTest, ResetsCrossBothWays) {
    const int in_port = free_port();
    const int dead_host_port = free_port();
    auto fwd = start("fwd", lan, "10.0.0.2/24",
                     {"--forward", "tcp:" + std::to_string(in_port) + "=10.0.0.1:81", "--expose",
                      "tcp:10.0.0.2:5001=" + std::to_string(dead_host_port)});
    ASSERT_FALSE(HasFailure());
    std::string out;
    ASSERT_EQ(sh(peers("expect-reset 127.0.0.1 " + std::to_string(in_port)), out), 0) << out;
    EXPECT_NE(out.find("reset"), std::string::npos) << out;
    const auto in_row = forward_row(*fwd, canonical(in_port, "10.0.0.1:81"));
    EXPECT_EQ(in_row["failed"], 1u) << in_row.dump();
    if (!shmifrun_works()) GTEST_SKIP() << "the outbound half runs python under shmifrun";
    ASSERT_EQ(sh(virtual_peers(*srv, "expect-reset 10.0.0.2 5001"), out), 0) << out;
    EXPECT_NE(out.find("reset"), std::string::npos) << out;
    const auto out_row =
        forward_row(*fwd, "tcp:10.0.0.2:5001=127.0.0.1:" + std::to_string(dead_host_port));
    EXPECT_EQ(out_row["failed"], 1u) << out_row.dump();
}

// shmifhost on the bus fetches a file from a host `python3 -m http.server` through --expose.
TEST_F(ForwardTest, AVirtualClientReachesAHostHttpServer) {
    const int host_port = free_port();
    const std::uint64_t n = 3'000'000;
    const auto www = dir.file("www");
    std::filesystem::create_directories(www + "/bytes");
    {
        std::vector<std::byte> body(n);
        services::fill_bytes_pattern(0, body);
        std::ofstream(www + "/bytes/" + std::to_string(n), std::ios::binary)
            .write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(n));
    }
    const pid_t server =
        sh_background("exec /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory " + www +
                          " " + std::to_string(host_port),
                      "http");
    auto fwd = start("fwd", lan, "10.0.0.2/24",
                     {"--expose", "tcp:10.0.0.2:8000=" + std::to_string(host_port)});
    ASSERT_FALSE(HasFailure());
    std::string out;
    ASSERT_TRUE(wait_until(
        [&] {
            return sh("curl -s -o /dev/null http://127.0.0.1:" + std::to_string(host_port) + "/",
                      out) == 0;
        },
        10s))
        << output("http");
    ASSERT_EQ(sh(std::string(SHMIFHOST_BIN) + " --bus " + lan + " --addr 10.0.0.3/24 --seed 3 -q " +
                     "--tcp-fetch 10.0.0.2:8000 --http --bytes " + std::to_string(n) +
                     " --tcp-timeout 30",
                 out),
              0)
        << out << fwd->log();
    EXPECT_NE(out.find("sha256 " + bytes_pattern_sha256(n)), std::string::npos) << out;
    ::kill(server, SIGTERM);
    wait_exit(server, 5s);
}

// Forwards added and deleted at run time while a transfer runs through them: a deleted
// forward takes no new connection but lets the running one finish (every byte), or resets it
// with --kill; SIGHUP brings the forwards to the file's by difference.
TEST_F(ForwardTest, RunTimeChangesAndReloadWhileTransfersRun) {
    const int p1 = free_port();
    const int p2 = free_port();
    const auto file = dir.file("fwd.toml");
    auto config = [&](int port) {
        return "[[interface]]\nname = \"eth0\"\nbus = \"" + lan +
               "\"\naddresses = [\"10.0.0.2/24\"]\n\n[[forward]]\nspec = \"tcp:" +
               std::to_string(port) + "=10.0.0.1:80\"\n";
    };
    write_text_file(file, config(p1));
    auto fwd = std::make_unique<DaemonProcess>(
        dir.path(), "fwd", std::vector<std::string>{"--config", file, "-w", "2"});
    ASSERT_TRUE(fwd->wait_ready()) << fwd->log();
    const auto spec1 = "tcp:" + std::to_string(p1) + "=10.0.0.1:80";
    std::string out;

    // Deleted while a (rate-limited) 60 MB transfer runs: that one completes intact.
    const std::uint64_t n = 60'000'000;
    const pid_t slow = sh_background(curl(p1, n, "--limit-rate 20M"), "slow");
    ASSERT_TRUE(wait_until([&] {
        return forward_row(*fwd, canonical(p1, "10.0.0.1:80"))["active"] == 1u;
    })) << fwd->ok("fwd.list").dump();
    ASSERT_EQ(shmifctl(*fwd, {"fwd", "del", spec1}, out), 0) << out;
    EXPECT_EQ(sh(curl_status(p1, 1000), out), 0);
    EXPECT_NE(out.find("curl=7"), std::string::npos) << "a deleted forward still answered: " << out;
    EXPECT_EQ(wait_exit(slow, 30s), 0) << output("slow");
    EXPECT_EQ(output("slow").substr(0, 64), bytes_pattern_sha256(n)) << output("slow");

    // Added again, then deleted with --kill: the running transfer is reset.
    ASSERT_EQ(shmifctl(*fwd, {"fwd", "add", spec1}, out), 0) << out;
    const pid_t killed = sh_background(curl_status(p1, n, "--limit-rate 5M"), "killed");
    ASSERT_TRUE(wait_until([&] {
        return forward_row(*fwd, canonical(p1, "10.0.0.1:80"))["active"] == 1u;
    })) << fwd->ok("fwd.list").dump();
    ASSERT_EQ(shmifctl(*fwd, {"fwd", "del", "--kill", spec1}, out), 0) << out;
    EXPECT_EQ(wait_exit(killed, 30s), 0);
    EXPECT_EQ(output("killed").find("curl=0"), std::string::npos) << output("killed");

    // The file now forwards p2 (and not p1): SIGHUP applies the difference.
    write_text_file(file, config(p1));  // back to p1 first: the reload must add it
    fwd->signal(SIGHUP);
    ASSERT_TRUE(wait_until([&] {
        return forward_row(*fwd, canonical(p1, "10.0.0.1:80")).is_object();
    })) << fwd->log();
    write_text_file(file, config(p2));
    fwd->signal(SIGHUP);
    ASSERT_TRUE(wait_until([&] {
        return forward_row(*fwd, canonical(p2, "10.0.0.1:80")).is_object() &&
               forward_row(*fwd, canonical(p1, "10.0.0.1:80")).is_null();
    })) << fwd->log();
    ASSERT_EQ(sh(curl(p2, 1'000'000), out), 0) << out;
    EXPECT_EQ(out.substr(0, 64), bytes_pattern_sha256(1'000'000)) << out;
    EXPECT_NE(fwd->log().find("remove forward tcp:127.0.0.1:" + std::to_string(p1)),
              std::string::npos)
        << fwd->log();
}

// UDP both ways, each peer a flow of its own: host sockets through --forward to srv's UDP
// echo, and a virtual client through --expose to a host socat UDP echo; an idle flow ends
// after the forward's timeout.
TEST_F(ForwardTest, UdpBothWaysWithFlowsThatTimeOut) {
    const int in_port = free_port();
    const int host_port = free_port();
    auto fwd = start("fwd", lan, "10.0.0.2/24");
    ASSERT_FALSE(HasFailure());
    std::string out;
    ASSERT_EQ(shmifctl(*fwd,
                       {"fwd", "add", "--udp-timeout", "400",
                        "udp:" + std::to_string(in_port) + "=10.0.0.1:7"},
                       out),
              0)
        << out;
    ASSERT_EQ(shmifctl(*fwd,
                       {"fwd", "add", "--expose", "--udp-timeout", "400",
                        "udp:10.0.0.2:5353=" + std::to_string(host_port)},
                       out),
              0)
        << out;

    ASSERT_EQ(
        sh(peers("--timeout 5 udp-echo 127.0.0.1 " + std::to_string(in_port) + " 3 200"), out), 0)
        << out;
    EXPECT_NE(out.find("udp ok 600"), std::string::npos) << out;
    const auto in_spec = "udp:127.0.0.1:" + std::to_string(in_port) + "=10.0.0.1:7";
    auto row = forward_row(*fwd, in_spec);
    EXPECT_EQ(row["connections"], 3u) << row.dump();
    EXPECT_EQ(row["bytes_to_virtual"], row["bytes_to_host"]) << row.dump();
    // Idle for 400 ms: the flows end (swept every 100 ms).
    EXPECT_TRUE(wait_until([&] { return forward_row(*fwd, in_spec)["active"] == 0u; }, 3s))
        << forward_row(*fwd, in_spec).dump();

    if (!shmifrun_works()) GTEST_SKIP() << "the outbound half runs python under shmifrun";
    const pid_t echo = sh_background("exec socat -T 10 UDP4-RECVFROM:" + std::to_string(host_port) +
                                         ",bind=127.0.0.1,fork EXEC:cat",
                                     "socat");
    ASSERT_TRUE(wait_until([&] {
        std::string probe;
        return sh(peers("--timeout 0.5 udp-echo 127.0.0.1 " + std::to_string(host_port) + " 1 1"),
                  probe) == 0;
    })) << output("socat");
    ASSERT_EQ(sh(virtual_peers(*srv, "--timeout 5 udp-echo 10.0.0.2 5353 2 100"), out), 0) << out;
    EXPECT_NE(out.find("udp ok 200"), std::string::npos) << out;
    const auto out_spec = "udp:10.0.0.2:5353=127.0.0.1:" + std::to_string(host_port);
    row = forward_row(*fwd, out_spec);
    EXPECT_EQ(row["connections"], 2u) << row.dump();
    EXPECT_TRUE(wait_until([&] { return forward_row(*fwd, out_spec)["active"] == 0u; }, 3s))
        << forward_row(*fwd, out_spec).dump();
    ::kill(echo, SIGTERM);
    wait_exit(echo, 5s);
}

// --max-connections 2: a third connection is reset and counted; closing one makes room.
TEST_F(ForwardTest, TheConnectionLimitRefusesAndCounts) {
    const int port = free_port();
    auto fwd = start("fwd", lan, "10.0.0.2/24");
    ASSERT_FALSE(HasFailure());
    std::string out;
    const auto spec = "tcp:" + std::to_string(port) + "=10.0.0.1:9";
    ASSERT_EQ(shmifctl(*fwd, {"fwd", "add", "--max-connections", "2", spec}, out), 0) << out;
    ASSERT_EQ(
        sh(peers("--timeout 5 hold 127.0.0.1 " + std::to_string(port) + " 3 </dev/null"), out), 0)
        << out;
    EXPECT_NE(out.find("open 2"), std::string::npos) << out;
    const auto row = forward_row(*fwd, canonical(port, "10.0.0.1:9"));
    EXPECT_EQ(row["refused"], 1u) << row.dump();
    EXPECT_EQ(row["max_connections"], 2u) << row.dump();
    // The held ones are gone (the client exited): there is room again.
    ASSERT_TRUE(wait_until([&] {
        return forward_row(*fwd, canonical(port, "10.0.0.1:9"))["active"] == 0u;
    })) << forward_row(*fwd, canonical(port, "10.0.0.1:9")).dump();
    ASSERT_EQ(
        sh(peers("--timeout 5 hold 127.0.0.1 " + std::to_string(port) + " 2 </dev/null"), out), 0)
        << out;
    EXPECT_NE(out.find("open 2"), std::string::npos) << out;
}

// Out of descriptors on the host's side (the daemon's limit made tiny): connections over it
// are refused and counted as fd_exhausted, the daemon goes on, and serves again once
// descriptors are free.
TEST_F(ForwardTest, RunningOutOfDescriptorsRefusesAndCounts) {
#ifdef SHMIFD_SANITIZED
    GTEST_SKIP() << "the sanitizers' runtimes need descriptors of their own (UBSan's vptr check "
                    "reads /proc/self/maps): at the limit they fail, not the daemon";
#endif
    const int port = free_port();
    const auto socket = dir.file("small.sock");
    const pid_t small =
        sh_background("ulimit -n 64 && exec " + std::string(SHMIFD_BIN) + " --bus " + lan +
                          " --addr 10.0.0.2/24 -w 2 --socket " + socket +
                          " --forward tcp:" + std::to_string(port) + "=10.0.0.1:9",
                      "small");
    const std::string list = std::string(SHMIFCTL_BIN) + " -s " + socket + " --json fwd list";
    std::string out;
    ASSERT_TRUE(wait_until([&] { return sh(list, out) == 0; }, 10s)) << output("small");
    const auto held = "--timeout 5 hold 127.0.0.1 " + std::to_string(port);
    ASSERT_EQ(sh(peers(held + " 100 </dev/null"), out), 0) << out;
    const auto open = std::stoi(out.substr(out.find("open ") + 5));
    EXPECT_GT(open, 0) << out;
    EXPECT_LT(open, 100) << out;
    ASSERT_EQ(sh(list, out), 0) << out << output("small");
    const auto row = json::parse(out)["forwards"][0];
    EXPECT_GT(row["fd_exhausted"].get<std::uint64_t>(), 0u) << row.dump();
    EXPECT_EQ(row["refused"].get<std::uint64_t>(), static_cast<std::uint64_t>(100 - open))
        << row.dump();
    EXPECT_NE(output("small").find("EMFILE"), std::string::npos) << output("small");
    // The held connections are gone: it serves again.
    ASSERT_TRUE(wait_until([&] {
        return sh(list, out) == 0 && json::parse(out)["forwards"][0]["active"] == 0u;
    })) << out;
    ASSERT_EQ(sh(peers(held + " 3 </dev/null"), out), 0) << out;
    EXPECT_NE(out.find("open 3"), std::string::npos) << out;
    ::kill(small, SIGTERM);
    EXPECT_EQ(wait_exit(small, 10s), 0) << output("small");
}

// A host port that is taken: the daemon does not start (a clear message), and fwd add is
// refused with the same reason; nothing is half-added.
TEST_F(ForwardTest, ATakenHostPortIsAClearError) {
    const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(taken, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(taken, reinterpret_cast<sockaddr*>(&a), &len);
    const auto port = std::to_string(ntohs(a.sin_port));

    const auto log = dir.file("refused.log");
    EXPECT_EQ(
        wait_exit(spawn({SHMIFD_BIN, "--bus", wan, "--addr", "10.0.1.2/24", "--socket",
                         dir.file("refused.sock"), "--forward", "tcp:" + port + "=10.0.0.1:80"},
                        log),
                  10s),
        1)
        << read_file(log);
    EXPECT_NE(read_file(log).find("127.0.0.1:" + port + ": bind: Address already in use"),
              std::string::npos)
        << read_file(log);

    // Two forwards of one port on the command line: a usage error, not a silent override.
    EXPECT_EQ(wait_exit(spawn({SHMIFD_BIN, "--bus", wan, "--addr", "10.0.1.2/24", "--socket",
                               dir.file("twice.sock"), "--forward", "tcp:18999=10.0.0.1:80",
                               "--forward", "tcp:18999=10.0.0.1:81"},
                              log),
                        10s),
              2);
    EXPECT_NE(read_file(log).find("its ports overlap"), std::string::npos) << read_file(log);

    auto fwd = start("fwd", lan, "10.0.0.2/24");
    ASSERT_FALSE(HasFailure());
    std::string out;
    // A range with the taken port last: refused whole, the first port not left listening.
    const auto range = std::to_string(std::stoi(port) - 1) + "-" + port;
    EXPECT_EQ(shmifctl(*fwd, {"fwd", "add", "tcp:" + range + "=10.0.0.1:80-81"}, out), 1) << out;
    EXPECT_EQ(shmifctl(*fwd, {"fwd", "add", "tcp:" + port + "=10.0.0.1:80"}, out), 1) << out;
    EXPECT_NE(out.find("Address already in use"), std::string::npos) << out;
    EXPECT_TRUE(fwd->ok("fwd.list")["forwards"].empty()) << fwd->ok("fwd.list").dump();
    ::close(taken);
}

}  // namespace
}  // namespace shmifd::test
