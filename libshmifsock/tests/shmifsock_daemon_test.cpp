// libshmifsock against real daemons: a process on 10.0.0.1 (daemon a) and one on 10.0.0.2
// (daemon b) over one bus. TCP echo both ways with half-close, non-blocking connect completed
// by poll and SO_ERROR (success and ECONNREFUSED), UDP sendto/recvfrom, a daemon that dies
// under a connected socket.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "libshmifsock_pair.hpp"

namespace shmifsock::test {
namespace {

TEST_F(LibShmifsock, TcpEchoBetweenTwoDaemonsWithHalfClose) {
    const int listener = listen_on_b(7000);
    const int client = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(client, 0);
    const auto to = inet(kAddrB, 7000);
    ASSERT_EQ(shmifsock_connect_socket(sa, client, as_sockaddr(to), sizeof to), 0)
        << std::strerror(errno);
    bound_io(client);

    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    const int server = shmifsock_accept4(sb, listener, reinterpret_cast<sockaddr*>(&peer), &len, 0);
    ASSERT_GE(server, 0) << std::strerror(errno);
    bound_io(server);
    EXPECT_EQ(peer.sin_addr.s_addr, inet(kAddrA, 0).sin_addr.s_addr);

    // The names agree on both sides.
    sockaddr_in local{};
    len = sizeof local;
    ASSERT_EQ(shmifsock_getsockname(sa, client, reinterpret_cast<sockaddr*>(&local), &len), 0);
    EXPECT_EQ(local.sin_addr.s_addr, inet(kAddrA, 0).sin_addr.s_addr);
    EXPECT_EQ(local.sin_port, peer.sin_port);
    sockaddr_in remote{};
    len = sizeof remote;
    ASSERT_EQ(shmifsock_getpeername(sa, client, reinterpret_cast<sockaddr*>(&remote), &len), 0);
    EXPECT_EQ(remote.sin_port, htons(7000));

    // The server echoes until end of file, then closes; the client half-closes after 1 MiB.
    std::thread echo([server] {
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::read(server, buffer, sizeof buffer);
            if (n <= 0) break;
            if (!write_all(server, std::string(buffer, static_cast<std::size_t>(n)))) break;
        }
        ::close(server);
    });
    const auto sent = pattern(1 << 20);
    std::thread writer([&] {
        EXPECT_TRUE(write_all(client, sent));
        EXPECT_EQ(shmifsock_shutdown(sa, client, SHUT_WR), 0);
    });
    const auto echoed = read_to_end(client);
    writer.join();
    echo.join();
    EXPECT_EQ(echoed.size(), sent.size());
    EXPECT_TRUE(echoed == sent) << "the echo differs";
    ::close(client);
    ::close(listener);
}

TEST_F(LibShmifsock, NonBlockingConnectCompletesThroughPollAndSoError) {
    const int listener = listen_on_b(7001);
    const int client = shmifsock_socket(sa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const auto to = inet(kAddrB, 7001);
    ASSERT_EQ(shmifsock_connect_socket(sa, client, as_sockaddr(to), sizeof to), -1);
    ASSERT_EQ(errno, EINPROGRESS);
    pollfd wait{client, POLLOUT, 0};
    ASSERT_EQ(::poll(&wait, 1, 10000), 1);
    EXPECT_EQ(wait.revents & POLLHUP, 0);
    int error = -1;
    socklen_t len = sizeof error;
    ASSERT_EQ(shmifsock_getsockopt(sa, client, SOL_SOCKET, SO_ERROR, &error, &len), 0);
    EXPECT_EQ(error, 0) << std::strerror(error);
    EXPECT_EQ(::write(client, "ping", 4), 4);
    const int server = shmifsock_accept4(sb, listener, nullptr, nullptr, 0);
    ASSERT_GE(server, 0);
    bound_io(server);
    char got[4] = {};
    EXPECT_EQ(::read(server, got, 4), 4);
    EXPECT_EQ(std::string(got, 4), "ping");
    for (const int fd : {client, server, listener})
        ::close(fd);
}

TEST_F(LibShmifsock, ConnectToAClosedPortIsRefusedBothWays) {
    const auto to = inet(kAddrB, 7002);
    const int nonblocking = shmifsock_socket(sa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_EQ(shmifsock_connect_socket(sa, nonblocking, as_sockaddr(to), sizeof to), -1);
    ASSERT_EQ(errno, EINPROGRESS);
    pollfd wait{nonblocking, POLLOUT, 0};
    ASSERT_EQ(::poll(&wait, 1, 10000), 1);
    int error = 0;
    socklen_t len = sizeof error;
    ASSERT_EQ(shmifsock_getsockopt(sa, nonblocking, SOL_SOCKET, SO_ERROR, &error, &len), 0);
    EXPECT_EQ(error, ECONNREFUSED) << std::strerror(error);
    ::close(nonblocking);

    const int blocking = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(shmifsock_connect_socket(sa, blocking, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, ECONNREFUSED);
    ::close(blocking);
}

// An ICMP port unreachable reaches a connected UDP socket's next receive as ECONNREFUSED,
// once; an unconnected socket never hears of it (Linux without IP_RECVERR, man 7 udp).
TEST_F(LibShmifsock, AConnectedUdpSocketHearsOfAClosedPortOnce) {
    auto icmp_errors = [&] {
        return a->ok("stats")["stack"]["icmp"].value("rx_errors", std::uint64_t{0});
    };
    const auto closed = inet(kAddrB, 5399);
    char buffer[16];
    const int loose = shmifsock_socket(sa, AF_INET, SOCK_DGRAM, 0);
    bound_io(loose);
    const auto before = icmp_errors();
    ASSERT_EQ(shmifsock_sendto(sa, loose, "x", 1, 0, as_sockaddr(closed), sizeof closed), 1);
    ASSERT_TRUE(
        shmifd::test::wait_until([&] { return icmp_errors() > before; }, std::chrono::seconds(10)));
    EXPECT_EQ(shmifsock_recvfrom(sa, loose, buffer, sizeof buffer, MSG_DONTWAIT, nullptr, nullptr),
              -1);
    EXPECT_EQ(errno, EAGAIN) << "an unconnected socket is not told";

    const int connected = shmifsock_socket(sa, AF_INET, SOCK_DGRAM, 0);
    bound_io(connected);
    ASSERT_EQ(shmifsock_connect_socket(sa, connected, as_sockaddr(closed), sizeof closed), 0);
    ASSERT_EQ(shmifsock_sendto(sa, connected, "x", 1, 0, nullptr, 0), 1);
    EXPECT_EQ(shmifsock_recvfrom(sa, connected, buffer, sizeof buffer, 0, nullptr, nullptr), -1);
    EXPECT_EQ(errno, ECONNREFUSED) << std::strerror(errno);
    EXPECT_EQ(
        shmifsock_recvfrom(sa, connected, buffer, sizeof buffer, MSG_DONTWAIT, nullptr, nullptr),
        -1);
    EXPECT_EQ(errno, EAGAIN) << "reported once";
    ::close(loose);
    ::close(connected);
}

TEST_F(LibShmifsock, UdpSendtoAndRecvfromBetweenTwoDaemons) {
    const int server = shmifsock_socket(sb, AF_INET, SOCK_DGRAM, 0);
    const auto here = inet("0.0.0.0", 5300);
    ASSERT_EQ(shmifsock_bind(sb, server, as_sockaddr(here), sizeof here), 0)
        << std::strerror(errno);
    bound_io(server);
    const int client = shmifsock_socket(sa, AF_INET, SOCK_DGRAM, 0);
    bound_io(client);
    const auto to = inet(kAddrB, 5300);
    // The first datagram may wait for ARP; the daemon queues it, so one is enough.
    ASSERT_EQ(shmifsock_sendto(sa, client, "hello", 5, 0, as_sockaddr(to), sizeof to), 5);
    char buffer[64] = {};
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ASSERT_EQ(shmifsock_recvfrom(sb, server, buffer, sizeof buffer, 0,
                                 reinterpret_cast<sockaddr*>(&from), &len),
              5)
        << std::strerror(errno);
    EXPECT_EQ(std::string(buffer, 5), "hello");
    EXPECT_EQ(from.sin_addr.s_addr, inet(kAddrA, 0).sin_addr.s_addr);
    ASSERT_EQ(shmifsock_sendto(sb, server, "HELLO", 5, 0, as_sockaddr(from), len), 5);
    sockaddr_in reply_from{};
    len = sizeof reply_from;
    ASSERT_EQ(shmifsock_recvfrom(sa, client, buffer, sizeof buffer, 0,
                                 reinterpret_cast<sockaddr*>(&reply_from), &len),
              5);
    EXPECT_EQ(std::string(buffer, 5), "HELLO");
    EXPECT_EQ(reply_from.sin_port, htons(5300));
    EXPECT_EQ(reply_from.sin_addr.s_addr, inet(kAddrB, 0).sin_addr.s_addr);
    ::close(server);
    ::close(client);
}

// Linux's port rule for TCP: two sockets share a port only when both set SO_REUSEADDR and
// the other is not listening; an accepted connection has its listener's SO_REUSEADDR. So a
// server re-listens at once beside its live connection (iperf3 does, after each test), but
// never beside another listener, nor without SO_REUSEADDR.
TEST_F(LibShmifsock, TcpPortSharingFollowsLinux) {
    const int listener = listen_on_b(7010);
    const int client = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    const auto to = inet(kAddrB, 7010);
    ASSERT_EQ(shmifsock_connect_socket(sa, client, as_sockaddr(to), sizeof to), 0);
    const int accepted = shmifsock_accept4(sb, listener, nullptr, nullptr, 0);
    ASSERT_GE(accepted, 0) << std::strerror(errno);
    int reuse = 0;
    socklen_t size = sizeof reuse;
    ASSERT_EQ(shmifsock_getsockopt(sb, accepted, SOL_SOCKET, SO_REUSEADDR, &reuse, &size), 0);
    EXPECT_EQ(reuse, 1) << "inherited from the listener";

    const auto any = inet("0.0.0.0", 7010);
    const int plain = shmifsock_socket(sb, AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(shmifsock_bind(sb, plain, as_sockaddr(any), sizeof any), -1);
    EXPECT_EQ(errno, EADDRINUSE) << "without SO_REUSEADDR";
    const int one = 1;
    const int second = shmifsock_socket(sb, AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(shmifsock_setsockopt(sb, second, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    EXPECT_EQ(shmifsock_bind(sb, second, as_sockaddr(any), sizeof any), -1);
    EXPECT_EQ(errno, EADDRINUSE) << "beside a listener";

    ::close(listener);  // the connection stays; the port is free for a new listener
    const int again = shmifsock_socket(sb, AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(shmifsock_setsockopt(sb, again, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    EXPECT_EQ(shmifsock_bind(sb, again, as_sockaddr(any), sizeof any), 0) << std::strerror(errno);
    EXPECT_EQ(shmifsock_listen(sb, again, 16), 0) << std::strerror(errno);
    for (int fd : {client, accepted, plain, second, again})
        ::close(fd);
}

// A listen the stack refuses (here a port the daemon's own echo service holds, which no
// socket of the service knows about) answers with the error and leaves the socket usable;
// it used to leave a worker waiting on itself, and the daemon answered nothing more.
TEST_F(LibShmifsock, AListenTheStackRefusesAnswersAndTheDaemonGoesOn) {
    ASSERT_TRUE(b->call("service.add", {{"kind", "echo"}, {"port", 7030}, {"proto", "tcp"}}));
    const int fd = shmifsock_socket(sb, AF_INET, SOCK_STREAM, 0);
    const auto any = inet("0.0.0.0", 7030);
    ASSERT_EQ(shmifsock_bind(sb, fd, as_sockaddr(any), sizeof any), 0) << std::strerror(errno);
    EXPECT_EQ(shmifsock_listen(sb, fd, 16), -1);
    EXPECT_EQ(errno, EADDRINUSE);
    ::close(fd);
    // Still serving: another listener on another port.
    const int other = listen_on_b(7031);
    EXPECT_GE(other, 0);
    ::close(other);
}

// A connected UDP socket takes only its peer's datagrams; connect(AF_UNSPEC) forgets the
// peer and it takes everyone's again.
TEST_F(LibShmifsock, UdpConnectFiltersAndAfUnspecForgetsThePeer) {
    const int server = shmifsock_socket(sb, AF_INET, SOCK_DGRAM, 0);
    const auto here = inet("0.0.0.0", 5301);
    ASSERT_EQ(shmifsock_bind(sb, server, as_sockaddr(here), sizeof here), 0);
    bound_io(server);
    int clients[2];
    for (int i = 0; i < 2; ++i) {
        clients[i] = shmifsock_socket(sa, AF_INET, SOCK_DGRAM, 0);
        const auto local = inet("0.0.0.0", static_cast<std::uint16_t>(6001 + i));
        ASSERT_EQ(shmifsock_bind(sa, clients[i], as_sockaddr(local), sizeof local), 0);
    }
    const auto first = inet(kAddrA, 6001);
    ASSERT_EQ(shmifsock_connect_socket(sb, server, as_sockaddr(first), sizeof first), 0)
        << std::strerror(errno);
    const auto to = inet(kAddrB, 5301);
    // The second client's datagram goes first and is not for this socket any more.
    ASSERT_EQ(shmifsock_sendto(sa, clients[1], "two", 3, 0, as_sockaddr(to), sizeof to), 3);
    ASSERT_EQ(shmifsock_sendto(sa, clients[0], "one", 3, 0, as_sockaddr(to), sizeof to), 3);
    char buffer[16] = {};
    ASSERT_EQ(shmifsock_recvfrom(sb, server, buffer, sizeof buffer, 0, nullptr, nullptr), 3);
    EXPECT_EQ(std::string(buffer, 3), "one");

    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    ASSERT_EQ(shmifsock_connect_socket(sb, server, &unspec, sizeof unspec), 0)
        << std::strerror(errno);
    ASSERT_EQ(shmifsock_sendto(sa, clients[1], "again", 5, 0, as_sockaddr(to), sizeof to), 5);
    // "two" may still have been on its way (its first datagram waited for ARP on another
    // worker) and is then taken now, as the kernel would; "again" must come.
    std::string got;
    sockaddr_in from{};
    for (int i = 0; i < 2 && got != "again"; ++i) {
        socklen_t len = sizeof from;
        const auto n = shmifsock_recvfrom(sb, server, buffer, sizeof buffer, 0,
                                          reinterpret_cast<sockaddr*>(&from), &len);
        ASSERT_GT(n, 0) << std::strerror(errno);
        got.assign(buffer, static_cast<std::size_t>(n));
        EXPECT_TRUE(got == "again" || got == "two") << got;
    }
    EXPECT_EQ(got, "again");
    EXPECT_EQ(from.sin_port, htons(6002));
    for (int fd : {server, clients[0], clients[1]})
        ::close(fd);
}

TEST_F(LibShmifsock, ADaemonThatDiesFailsTheCallsWithoutHanging) {
    const int listener = listen_on_b(7003);
    const int client = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    const auto to = inet(kAddrB, 7003);
    ASSERT_EQ(shmifsock_connect_socket(sa, client, as_sockaddr(to), sizeof to), 0);
    bound_io(client);
    a->kill9();
    const auto start = std::chrono::steady_clock::now();
    // The descriptor: end of file or an error, at once.
    char byte = 0;
    EXPECT_LE(::read(client, &byte, 1), 0);
    // The session: an error naming the lost connection.
    sockaddr_in name{};
    socklen_t len = sizeof name;
    EXPECT_EQ(shmifsock_getsockname(sa, client, reinterpret_cast<sockaddr*>(&name), &len), -1);
    EXPECT_TRUE(errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN) << std::strerror(errno);
    EXPECT_EQ(shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0), -1);
    EXPECT_EQ(errno, ENOTCONN);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    ::close(client);
    ::close(listener);
}

TEST_F(LibShmifsock, OptionsAndTcpInfoOnAConnection) {
    const int listener = listen_on_b(7004);
    const int client = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ASSERT_EQ(shmifsock_setsockopt(sa, client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    ASSERT_EQ(shmifsock_setsockopt(sa, client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one), 0);
    const int rcvbuf = 65536;
    ASSERT_EQ(shmifsock_setsockopt(sa, client, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    const auto to = inet(kAddrB, 7004);
    ASSERT_EQ(shmifsock_connect_socket(sa, client, as_sockaddr(to), sizeof to), 0);
    int value = 0;
    socklen_t len = sizeof value;
    ASSERT_EQ(shmifsock_getsockopt(sa, client, IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
    EXPECT_EQ(value, 1);
    ASSERT_EQ(shmifsock_getsockopt(sa, client, SOL_SOCKET, SO_KEEPALIVE, &value, &len), 0);
    EXPECT_EQ(value, 1);
    ASSERT_EQ(shmifsock_getsockopt(sa, client, SOL_SOCKET, SO_TYPE, &value, &len), 0);
    EXPECT_EQ(value, SOCK_STREAM);
    ASSERT_EQ(shmifsock_getsockopt(sb, listener, SOL_SOCKET, SO_ACCEPTCONN, &value, &len), 0);
    EXPECT_EQ(value, 1);
    tcp_info info{};
    len = sizeof info;
    ASSERT_EQ(shmifsock_getsockopt(sa, client, IPPROTO_TCP, TCP_INFO, &info, &len), 0)
        << std::strerror(errno);
    EXPECT_EQ(info.tcpi_state, TCP_ESTABLISHED);
    EXPECT_GT(info.tcpi_snd_mss, 0u);
    EXPECT_GT(info.tcpi_rto, 0u);
    // Unknown to the daemon's stack: refused as Linux refuses an unknown option.
    EXPECT_EQ(shmifsock_setsockopt(sa, client, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), -1);
    EXPECT_EQ(errno, ENOPROTOOPT);
    ::close(client);
    ::close(listener);
}

TEST_F(LibShmifsock, ARestartedDaemonServesTheSessionAgain) {
    const int before = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(before, 0);
    ASSERT_EQ(a->stop(SIGTERM), 0);
    a->restart();
    ASSERT_TRUE(a->wait_ready()) << a->log();
    // A new socket at once: the dead connection is replaced before the request leaves.
    const int after = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(after, 0) << std::strerror(errno);
    std::uint64_t id = 0;
    EXPECT_EQ(shmifsock_is_virtual(sa, after, &id), 1);
    // The old socket was the previous run's: never mistaken for one of the new run's.
    EXPECT_EQ(shmifsock_is_virtual(sa, before, nullptr), 0);
    sockaddr_in name{};
    socklen_t len = sizeof name;
    EXPECT_EQ(shmifsock_getsockname(sa, before, reinterpret_cast<sockaddr*>(&name), &len), -1);
    EXPECT_EQ(errno, EBADF);
    ::close(before);
    ::close(after);
}

}  // namespace
}  // namespace shmifsock::test
