// libshmifrun.so under an unmodified program (shim_probe) against a fake daemon: AF_INET and
// AF_INET6 sockets are asked for, UDP data calls of every kind are framed, the descriptor table
// follows dup2/fcntl/close and finds inherited descriptors after exec, other families stay the
// kernel's.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fake_daemon.hpp"
#include "shmifsock/wire.h"
#include "temp_dir.hpp"

namespace shmifsock::test {
namespace {

using nlohmann::json;

class ShimUnderAProgram : public ::testing::Test {
  protected:
    shmif::test::TempDir dir;
    FakeSockets sockets;
    FakeDaemon daemon{dir.file("shmifd.sock"), [this](const json& r) {
                          if (r["cmd"] == "version") return Answer::success({{"protocol", 1}});
                          if (r["cmd"] == "sock.open")
                              return sockets.open(r["args"]["type"],
                                                  r["args"].value("domain", std::string("inet")));
                          if (r["cmd"] == "sock.getopt" && r["args"]["name"] == "SO_ERROR")
                              return Answer::success({{"value", "ECONNRESET"}});
                          return Answer{};
                      }};

    pid_t run(const char* mode) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::setenv("LD_PRELOAD", SHMIFRUN_SHIM, 1);
            ::setenv("SHMIFSOCK_SOCKET", daemon.path().c_str(), 1);
            allow_a_preload_before_the_sanitizer();
            ::execl(SHIM_PROBE, SHIM_PROBE, mode, static_cast<char*>(nullptr));
            ::_exit(127);
        }
        return pid;
    }
    // The probe is built like this test (under ASan in that build), and ASan refuses to start
    // when a preloaded library comes before its runtime. Here that order is harmless: the shim
    // defines no allocator, and what it wraps it reaches through ASan's own interceptors.
    static void allow_a_preload_before_the_sanitizer() {
        const char* options = ::getenv("ASAN_OPTIONS");
        std::string all = options != nullptr ? std::string(options) + ":" : std::string();
        ::setenv("ASAN_OPTIONS", (all + "verify_asan_link_order=0").c_str(), 1);
    }
    static int exit_status(pid_t pid) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    // The next datagram the program sent on socket `sock`: its header and payload.
    static std::pair<shmifsock_dgram, std::string> next_datagram(int end) {
        pollfd wait{end, POLLIN, 0};
        if (::poll(&wait, 1, 5000) != 1) return {};
        char buffer[256];
        const ssize_t n = ::recv(end, buffer, sizeof buffer, 0);
        if (n < static_cast<ssize_t>(sizeof(shmifsock_dgram))) return {};
        shmifsock_dgram header{};
        std::memcpy(&header, buffer, sizeof header);
        return {header,
                std::string(buffer + sizeof header, static_cast<std::size_t>(n) - sizeof header)};
    }

    static void send_datagram(int end, const std::string& payload, std::uint16_t port) {
        shmifsock_dgram header{};
        header.family = AF_INET;
        header.port = htons(port);
        std::string wire(reinterpret_cast<const char*>(&header), sizeof header);
        wire += payload;
        ASSERT_EQ(::send(end, wire.data(), wire.size(), 0), static_cast<ssize_t>(wire.size()));
    }
};

TEST_F(ShimUnderAProgram, FramesEveryUdpDataCallAndFollowsTheDescriptor) {
    const pid_t probe = run("udp");
    // The program's socket is the first the fake opens.
    const auto first = next_datagram([&] {
        for (int i = 0; i < 500 && sockets.daemon_end(1) < 0; ++i)
            ::usleep(10000);
        return sockets.daemon_end(1);
    }());
    const int end = sockets.daemon_end(1);
    ASSERT_GE(end, 0);
    EXPECT_EQ(first.second, "sendto");
    EXPECT_EQ(first.first.family, AF_INET);
    EXPECT_EQ(first.first.port, htons(53));
    for (const char* expected : {"write", "send", "writev", "dup2", "fcntl"}) {
        const auto [header, payload] = next_datagram(end);
        EXPECT_EQ(payload, expected);
        EXPECT_EQ(header.family, 0) << expected;  // the connected peer
    }
    send_datagram(end, "reply", 99);
    send_datagram(end, "read", 99);
    // After exec, the same descriptor found again.
    EXPECT_EQ(next_datagram(end).second, "inherited");
    EXPECT_EQ(exit_status(probe), 0);
    std::size_t opens = 0;
    for (const auto& r : daemon.requests())
        opens += r["cmd"] == "sock.open";
    EXPECT_EQ(opens, 2u);  // the program's socket, and the exec'd image learning the tag
}

// An end-of-file asks the daemon why the connection ended only when the daemon closed its
// end (how it reports a reset or a timeout): the peer's FIN, its end shut for writing, is a
// plain end-of-file, with no round trip on every connection a server reads to its end.
TEST_F(ShimUnderAProgram, AnEndOfFileAsksWhyOnlyWhenTheDaemonClosedItsEnd) {
    const pid_t probe = run("tcp_eof");
    for (int i = 0; i < 500 && sockets.daemon_end(1) < 0; ++i)
        ::usleep(10000);
    const int end = sockets.daemon_end(1);
    ASSERT_GE(end, 0);
    const auto asked = [&] {
        std::size_t n = 0;
        for (const auto& r : daemon.requests())
            n += r["cmd"] == "sock.getopt";
        return n;
    };
    ASSERT_EQ(::shutdown(end, SHUT_WR), 0);  // the peer's FIN
    pollfd told{end, POLLIN, 0};
    ASSERT_EQ(::poll(&told, 1, 10000), 1);
    char byte = 0;
    ASSERT_EQ(::read(end, &byte, 1), 1);
    EXPECT_EQ(asked(), 0u);
    ASSERT_EQ(::shutdown(end, SHUT_RDWR), 0);  // a reset: the daemon's end goes
    EXPECT_EQ(exit_status(probe), 0);
    EXPECT_EQ(asked(), 1u);
}

TEST_F(ShimUnderAProgram, LeavesOtherFamiliesToTheKernel) {
    EXPECT_EQ(exit_status(run("kernel")), 0);
    for (const auto& r : daemon.requests())
        EXPECT_NE(r["cmd"], "sock.open");
}

TEST_F(ShimUnderAProgram, Inet6SocketsAreTheDaemons) {
    EXPECT_EQ(exit_status(run("inet6")), 0);
    json open;
    for (const auto& r : daemon.requests())
        if (r["cmd"] == "sock.open") open = r["args"];
    EXPECT_EQ(open, (json{{"type", "udp"}, {"domain", "inet6"}}));
}

TEST_F(ShimUnderAProgram, AnInetSocketWithoutADaemonFailsCleanly) {
    daemon.die();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setenv("LD_PRELOAD", SHMIFRUN_SHIM, 1);
        ::setenv("SHMIFSOCK_SOCKET", dir.file("nothing.sock").c_str(), 1);
        ::execl(SHIM_PROBE, SHIM_PROBE, "udp", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    EXPECT_EQ(exit_status(pid), 1);  // socket() failed: the probe says so, nothing hangs
}

}  // namespace
}  // namespace shmifsock::test
