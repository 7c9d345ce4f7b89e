// lwIP and shmifd on one bus (issue 19): examples/lwip's lwip-bus runs Debian's lwIP as a host
// joined through shmif.h alone, and talks to a real shmifd. Pings both ways, small and
// fragmented; UDP echo both ways, small and fragmented; TCP echo both ways with every byte
// checked. The daemon acts through its control socket (ping) and its socket service
// (libshmifsock: UDP and TCP sockets in the daemon's own stack); lwIP through lwip-bus: one
// process serving UDP and TCP echo, and one more per run of client actions.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon_process.hpp"
#include "inet_sockaddr.hpp"
#include "shmifsock.h"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;
using shmif::test::as_sockaddr;
using shmif::test::inet;
using Clock = std::chrono::steady_clock;

constexpr const char* kDaemon = "10.0.0.1";      // shmifd, serving echo (TCP and UDP 7)
constexpr const char* kLwip = "10.0.0.3";        // lwip-bus, serving echo (TCP and UDP 7)
constexpr const char* kLwipClient = "10.0.0.4";  // lwip-bus runs of client actions

// Byte i of every payload: the /bytes/N pattern, as lwip-bus sends it.
std::uint8_t pattern(std::size_t i) {
    return static_cast<std::uint8_t>((i + i / 251) % 256);
}

std::vector<std::uint8_t> payload(std::size_t size) {
    std::vector<std::uint8_t> data(size);
    for (std::size_t i = 0; i < size; ++i)
        data[i] = pattern(i);
    return data;
}

int ms_until(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

class LwipInteropTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto args = DaemonProcess::quick(lan, std::string(kDaemon) + "/24", 2);
        args.insert(args.end(), {"--serve", "echo"});
        daemon = std::make_unique<DaemonProcess>(dir.path(), "d", args);
        ASSERT_TRUE(daemon->wait_ready()) << daemon->log();  // the bus exists from here on
        server = spawn({LWIP_BUS_BIN, lan, "--addr", std::string(kLwip) + "/24", "--udp-echo", "7",
                        "--tcp-echo", "7"},
                       server_log);
        ASSERT_TRUE(wait_until([&] { return server_output().find("lwip-bus: up") != npos; }, 10s))
            << server_output();
        session = shmifsock_connect(daemon->socket().c_str());
        ASSERT_NE(session, nullptr) << std::strerror(errno);
    }

    void TearDown() override {
        if (session != nullptr) shmifsock_close_session(session);
        if (server > 0) {
            // SIGTERM: lwip-bus takes its interface down and leaves the bus, exit status 0.
            ::kill(server, SIGTERM);
            const auto status = wait_exit(server, 10s);
            EXPECT_EQ(status, 0) << server_output();
            if (!status) {
                ::kill(server, SIGKILL);
                (void)wait_exit(server, 5s);
            }
        }
        // lwIP's assertions print "Assertion ... failed" before they abort.
        EXPECT_EQ(server_output().find("Assertion"), npos) << server_output();
    }

    std::string server_output() const { return read_file(server_log); }

    // lwip-bus at kLwipClient running `actions`: its exit status (nullopt when it did not end
    // in time: killed) and its output in `out`.
    std::optional<int> lwip_client(const std::vector<std::string>& actions, std::string& out) {
        // The same MAC every run, so that shmifd's ARP entry from an earlier run stays right.
        std::vector<std::string> argv = {LWIP_BUS_BIN, lan,
                                         "--addr",     std::string(kLwipClient) + "/24",
                                         "--mac",      "02:00:00:00:00:04"};
        argv.insert(argv.end(), actions.begin(), actions.end());
        const auto log = dir.file("client" + std::to_string(++clients) + ".log");
        const pid_t pid = spawn(argv, log);
        auto status = wait_exit(pid, 60s);  // every action has its own --timeout, 5 s
        if (!status) {
            ::kill(pid, SIGKILL);
            (void)wait_exit(pid, 5s);
        }
        out = read_file(log);
        return status;
    }

    // One datagram of `size` pattern bytes from a UDP socket in the daemon's stack to `port`
    // of `to`, and its echo; sent again every second until it comes (at most 5 times). Empty
    // when the echo came back whole from there, else what went wrong.
    std::string udp_echo(const char* to, std::uint16_t port, std::size_t size) {
        const int fd = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0);
        if (fd < 0) return std::string("socket: ") + std::strerror(errno);
        const auto dest = inet(to, port);
        const auto data = payload(size);
        std::vector<std::uint8_t> back(65536);
        std::string result = "no echo in 5 tries";
        for (int attempt = 0; attempt < 5; ++attempt) {
            if (shmifsock_sendto(session, fd, data.data(), data.size(), 0, as_sockaddr(dest),
                                 sizeof dest) != static_cast<ssize_t>(size)) {
                result = std::string("sendto: ") + std::strerror(errno);
                break;
            }
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 1000) != 1) continue;
            sockaddr_in from{};
            socklen_t from_len = sizeof from;
            const auto n = shmifsock_recvfrom(session, fd, back.data(), back.size(), 0,
                                              reinterpret_cast<sockaddr*>(&from), &from_len);
            if (from.sin_addr.s_addr != dest.sin_addr.s_addr || from.sin_port != dest.sin_port)
                result = "echo from elsewhere";
            else if (n != static_cast<ssize_t>(size) ||
                     std::memcmp(back.data(), data.data(), size) != 0)
                result = "echo of " + std::to_string(n) + " bytes differs";
            else
                result.clear();
            break;
        }
        ::close(fd);
        return result;
    }

    // A TCP connection from the daemon's stack to `port` of `to` that sends `bytes` pattern
    // bytes and reads the echo at the same time, every byte checked, all within `limit`.
    // Empty on success, else what went wrong.
    std::string tcp_echo(const char* to, std::uint16_t port, std::size_t bytes,
                         std::chrono::seconds limit) {
        const auto deadline = Clock::now() + limit;
        const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) return std::string("socket: ") + std::strerror(errno);
        std::string result;
        const auto dest = inet(to, port);
        std::size_t sent = 0, received = 0;
        std::vector<std::uint8_t> in(65536);
        const auto data = payload(bytes);
        pollfd p{fd, POLLOUT, 0};
        int error = 0;
        socklen_t error_len = sizeof error;
        if (shmifsock_connect_socket(session, fd, as_sockaddr(dest), sizeof dest) != 0 &&
            errno != EINPROGRESS) {
            result = std::string("connect: ") + std::strerror(errno);
        } else if (::poll(&p, 1, ms_until(deadline)) != 1) {
            result = "connect: timed out";
        } else if (shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_ERROR, &error, &error_len) !=
                       0 ||
                   error != 0) {
            result = std::string("connect: ") + std::strerror(error);
        }
        while (result.empty() && received < bytes) {
            p = {fd, static_cast<short>(POLLIN | (sent < bytes ? POLLOUT : 0)), 0};
            if (::poll(&p, 1, ms_until(deadline)) != 1) {
                result = "timed out";
                break;
            }
            if ((p.revents & POLLOUT) != 0) {
                const auto n = ::send(fd, data.data() + sent,
                                      std::min<std::size_t>(bytes - sent, 65536), MSG_NOSIGNAL);
                if (n > 0)
                    sent += static_cast<std::size_t>(n);
                else if (errno != EAGAIN)
                    result = std::string("send: ") + std::strerror(errno);
            }
            if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                const auto n = ::recv(fd, in.data(), in.size(), 0);
                if (n == 0) {
                    result = "closed by the peer";
                } else if (n < 0) {
                    if (errno != EAGAIN) result = std::string("recv: ") + std::strerror(errno);
                } else if (received + static_cast<std::size_t>(n) > sent ||
                           std::memcmp(in.data(), data.data() + received,
                                       static_cast<std::size_t>(n)) != 0) {
                    result = "echo differs at or after byte " + std::to_string(received);
                } else {
                    received += static_cast<std::size_t>(n);
                }
            }
        }
        ::close(fd);
        if (!result.empty())
            result +=
                " (sent " + std::to_string(sent) + ", received " + std::to_string(received) + ")";
        return result;
    }

    static constexpr auto npos = std::string::npos;
    shmif::test::TempDir dir;
    std::string lan = dir.file("lan.bus");
    std::string server_log = dir.file("lwip.log");
    std::unique_ptr<DaemonProcess> daemon;
    pid_t server = -1;
    shmifsock_session* session = nullptr;
    int clients = 0;
};

TEST_F(LwipInteropTest, PingsBothWaysSmallAndFragmented) {
    // shmifd -> lwIP: 4000 bytes are three fragments each way (MTU 1500 on both).
    for (const int size : {56, 4000}) {
        const auto r = daemon->ok("ping", {{"addr", kLwip},
                                           {"count", 3},
                                           {"size", size},
                                           {"interval_ms", 20},
                                           {"timeout_ms", 2000}});
        EXPECT_EQ(r.value("received", 0), 3) << size << ": " << r.dump() << server_output();
        for (const auto& reply : r.value("replies", json::array())) {
            EXPECT_EQ(reply.value("size", 0), size) << reply.dump();
            EXPECT_EQ(reply.value("payload_ok", false), true) << reply.dump();
        }
    }
    const auto ipv4 = daemon->ok("stats")["stack"]["ipv4"];
    EXPECT_GE(ipv4.value("fragments_sent", 0), 9) << ipv4.dump();
    EXPECT_GE(ipv4.value("frag_reassembled", 0), 3) << ipv4.dump();

    // lwIP -> shmifd (--size applies to the actions after it).
    std::string out;
    EXPECT_EQ(lwip_client({"--ping", kDaemon, "--size", "4000", "--ping", kDaemon}, out), 0) << out;
    EXPECT_NE(out.find(std::string("ping ") + kDaemon + " ok size 56 "), npos) << out;
    EXPECT_NE(out.find(std::string("ping ") + kDaemon + " ok size 4000 "), npos) << out;
}

TEST_F(LwipInteropTest, UdpEchoBothWaysSmallAndFragmented) {
    // shmifd -> lwIP's echo.
    for (const std::size_t size : {64UL, 3000UL})
        EXPECT_EQ(udp_echo(kLwip, 7, size), "") << size << " bytes\n" << server_output();
    // lwIP -> shmifd's echo (--serve echo: UDP 7).
    std::string out;
    const std::string to = std::string(kDaemon) + ":7";
    EXPECT_EQ(lwip_client({"--udp-send", to, "--size", "3000", "--udp-send", to}, out), 0) << out;
    EXPECT_NE(out.find("udp " + to + " ok size 64 "), npos) << out;
    EXPECT_NE(out.find("udp " + to + " ok size 3000 "), npos) << out;
}

TEST_F(LwipInteropTest, TcpEchoBothWaysEveryByteChecked) {
    // shmifd -> lwIP's echo: a connection from the daemon's stack (its socket service).
    for (const std::size_t bytes : {100'000UL, 1'000'000UL})
        EXPECT_EQ(tcp_echo(kLwip, 7, bytes, 30s), "") << bytes << " bytes\n" << server_output();
    // lwIP -> shmifd's echo (--serve echo: TCP 7).
    std::string out;
    const std::string to = std::string(kDaemon) + ":7";
    EXPECT_EQ(
        lwip_client({"--size", "100000", "--tcp-send", to, "--size", "1000000", "--tcp-send", to},
                    out),
        0)
        << out;
    EXPECT_NE(out.find("tcp " + to + " ok bytes 100000 "), npos) << out;
    EXPECT_NE(out.find("tcp " + to + " ok bytes 1000000 "), npos) << out;
}

}  // namespace
}  // namespace shmifd::test
