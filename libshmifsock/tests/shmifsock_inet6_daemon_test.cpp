// libshmifsock's AF_INET6 sockets against real daemons (10.0.0.1 on a, 10.0.0.2 on b), with
// Linux's dual-stack semantics (man 7 ipv6, RFC 3493 3.7): IPv4 peers are ::ffff:a.b.c.d both
// ways, for TCP and UDP; a listener on :: takes IPv4 connections; IPV6_V6ONLY refuses
// v4-mapped addresses with the kernel's errno and can only be set before the socket has a port.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "libshmifsock_pair.hpp"

namespace shmifsock::test {
namespace {

using shmif::test::inet6;
using shmif::test::text_of;

class LibShmifsockInet6 : public LibShmifsock {
  protected:
    // An AF_INET6 socket of `session` bound to `address`:`port`.
    int bound6(shmifsock_session* session, int type, const char* address, std::uint16_t port) {
        const int fd = shmifsock_socket(session, AF_INET6, type, 0);
        EXPECT_GE(fd, 0) << std::strerror(errno);
        const auto here = inet6(address, port);
        EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(here), sizeof here), 0)
            << std::strerror(errno);
        bound_io(fd);
        return fd;
    }
    // A TCP client of `session` connected to `to` (a sockaddr_in or a sockaddr_in6).
    template <typename Address>
    int connected(shmifsock_session* session, const Address& to) {
        const int fd = shmifsock_socket(session, as_sockaddr(to)->sa_family, SOCK_STREAM, 0);
        EXPECT_EQ(shmifsock_connect_socket(session, fd, as_sockaddr(to), sizeof to), 0)
            << std::strerror(errno);
        bound_io(fd);
        return fd;
    }
    int listen6_on_b(std::uint16_t port) {
        const int fd = bound6(sb, SOCK_STREAM, "::", port);
        EXPECT_EQ(shmifsock_listen(sb, fd, 16), 0) << std::strerror(errno);
        return fd;
    }
    // What getsockname or getpeername says, checked to be a whole sockaddr_in6.
    static sockaddr_in6 name_of(int (*call)(shmifsock_session*, int, sockaddr*, socklen_t*),
                                shmifsock_session* session, int fd) {
        sockaddr_in6 name{};
        socklen_t len = sizeof name;
        EXPECT_EQ(call(session, fd, reinterpret_cast<sockaddr*>(&name), &len), 0)
            << std::strerror(errno);
        EXPECT_EQ(len, sizeof(sockaddr_in6));
        EXPECT_EQ(name.sin6_family, AF_INET6);
        EXPECT_EQ(name.sin6_scope_id, 0u);
        return name;
    }
};

void expect_ping(int from, int to) {
    ASSERT_EQ(::write(from, "ping", 4), 4);
    char got[4] = {};
    ASSERT_EQ(::read(to, got, 4), 4) << std::strerror(errno);
    EXPECT_EQ(std::string(got, 4), "ping");
}

TEST_F(LibShmifsockInet6, TcpToAV4MappedAddressGoesOverIpv4AndNamesAreV4Mapped) {
    const int listener = listen6_on_b(7100);
    const auto listening = name_of(shmifsock_getsockname, sb, listener);
    EXPECT_EQ(text_of(listening), "::");
    EXPECT_EQ(ntohs(listening.sin6_port), 7100);

    const int client = shmifsock_socket(sa, AF_INET6, SOCK_STREAM, 0);
    ASSERT_GE(client, 0) << std::strerror(errno);
    const auto unbound = name_of(shmifsock_getsockname, sa, client);
    EXPECT_EQ(text_of(unbound), "::");
    EXPECT_EQ(unbound.sin6_port, 0);
    const auto to = inet6("::ffff:10.0.0.2", 7100);
    ASSERT_EQ(shmifsock_connect_socket(sa, client, as_sockaddr(to), sizeof to), 0)
        << std::strerror(errno);
    bound_io(client);

    sockaddr_in6 peer{};
    socklen_t len = sizeof peer;
    const int server = shmifsock_accept4(sb, listener, reinterpret_cast<sockaddr*>(&peer), &len, 0);
    ASSERT_GE(server, 0) << std::strerror(errno);
    bound_io(server);
    EXPECT_EQ(len, sizeof(sockaddr_in6));
    EXPECT_EQ(peer.sin6_family, AF_INET6);
    EXPECT_EQ(text_of(peer), "::ffff:10.0.0.1");

    const auto local = name_of(shmifsock_getsockname, sa, client);
    EXPECT_EQ(text_of(local), "::ffff:10.0.0.1");
    EXPECT_EQ(local.sin6_port, peer.sin6_port);
    const auto remote = name_of(shmifsock_getpeername, sa, client);
    EXPECT_EQ(text_of(remote), "::ffff:10.0.0.2");
    EXPECT_EQ(ntohs(remote.sin6_port), 7100);
    EXPECT_EQ(text_of(name_of(shmifsock_getsockname, sb, server)), "::ffff:10.0.0.2");
    EXPECT_EQ(text_of(name_of(shmifsock_getpeername, sb, server)), "::ffff:10.0.0.1");

    int domain = 0;
    len = sizeof domain;
    ASSERT_EQ(shmifsock_getsockopt(sb, server, SOL_SOCKET, SO_DOMAIN, &domain, &len), 0);
    EXPECT_EQ(domain, AF_INET6);  // an accepted socket has its listener's family
    expect_ping(client, server);
    expect_ping(server, client);
    for (const int fd : {client, server, listener})
        ::close(fd);
}

TEST_F(LibShmifsockInet6, AnIpv4ClientReachesADualStackListenerAndTheOtherWayRound) {
    // An AF_INET client to an AF_INET6 listener on ::.
    const int listener6 = listen6_on_b(7101);
    const int client4 = connected(sa, inet(kAddrB, 7101));
    sockaddr_in6 peer6{};
    socklen_t len = sizeof peer6;
    const int server6 =
        shmifsock_accept4(sb, listener6, reinterpret_cast<sockaddr*>(&peer6), &len, 0);
    ASSERT_GE(server6, 0) << std::strerror(errno);
    bound_io(server6);
    EXPECT_EQ(text_of(peer6), "::ffff:10.0.0.1");
    expect_ping(client4, server6);

    // An AF_INET6 client to an AF_INET listener: the listener sees plain IPv4.
    const int listener4 = listen_on_b(7102);
    const int client6 = connected(sa, inet6("::ffff:10.0.0.2", 7102));
    sockaddr_in peer4{};
    len = sizeof peer4;
    const int server4 =
        shmifsock_accept4(sb, listener4, reinterpret_cast<sockaddr*>(&peer4), &len, 0);
    ASSERT_GE(server4, 0) << std::strerror(errno);
    bound_io(server4);
    EXPECT_EQ(len, sizeof(sockaddr_in));
    EXPECT_EQ(peer4.sin_addr.s_addr, inet(kAddrA, 0).sin_addr.s_addr);
    expect_ping(server4, client6);
    for (const int fd : {listener6, client4, server6, listener4, client6, server4})
        ::close(fd);
}

TEST_F(LibShmifsockInet6, UdpSendtoAndRecvfromWithV4MappedPeers) {
    const int server = bound6(sb, SOCK_DGRAM, "::", 5310);
    const int client = shmifsock_socket(sa, AF_INET6, SOCK_DGRAM, 0);
    ASSERT_GE(client, 0) << std::strerror(errno);
    bound_io(client);
    const auto to = inet6("::ffff:10.0.0.2", 5310);
    ASSERT_EQ(shmifsock_sendto(sa, client, "hello", 5, 0, as_sockaddr(to), sizeof to), 5)
        << std::strerror(errno);
    char buffer[64] = {};
    sockaddr_in6 from{};
    socklen_t len = sizeof from;
    ASSERT_EQ(shmifsock_recvfrom(sb, server, buffer, sizeof buffer, 0,
                                 reinterpret_cast<sockaddr*>(&from), &len),
              5)
        << std::strerror(errno);
    EXPECT_EQ(std::string(buffer, 5), "hello");
    EXPECT_EQ(len, sizeof(sockaddr_in6));
    EXPECT_EQ(from.sin6_family, AF_INET6);
    EXPECT_EQ(text_of(from), "::ffff:10.0.0.1");
    // The client's implicit bind is dual-stack: it shows ::.
    const auto client_name = name_of(shmifsock_getsockname, sa, client);
    EXPECT_EQ(text_of(client_name), "::");
    EXPECT_EQ(client_name.sin6_port, from.sin6_port);

    ASSERT_EQ(shmifsock_sendto(sb, server, "HELLO", 5, 0, as_sockaddr(from), len), 5);
    sockaddr_in6 reply_from{};
    iovec part{buffer, sizeof buffer};
    msghdr msg{};
    msg.msg_name = &reply_from;
    msg.msg_namelen = sizeof reply_from;
    msg.msg_iov = &part;
    msg.msg_iovlen = 1;
    ASSERT_EQ(shmifsock_recvmsg(sa, client, &msg, 0), 5) << std::strerror(errno);
    EXPECT_EQ(std::string(buffer, 5), "HELLO");
    EXPECT_EQ(msg.msg_namelen, sizeof(sockaddr_in6));
    EXPECT_EQ(text_of(reply_from), "::ffff:10.0.0.2");
    EXPECT_EQ(ntohs(reply_from.sin6_port), 5310);

    // A sockaddr_in is taken by an AF_INET6 UDP socket too (as IPv4), and answered v4-mapped.
    const auto to4 = inet(kAddrB, 5310);
    ASSERT_EQ(shmifsock_sendto(sa, client, "again", 5, 0, as_sockaddr(to4), sizeof to4), 5);
    len = sizeof from;
    ASSERT_EQ(shmifsock_recvfrom(sb, server, buffer, sizeof buffer, 0,
                                 reinterpret_cast<sockaddr*>(&from), &len),
              5);
    EXPECT_EQ(text_of(from), "::ffff:10.0.0.1");
    ::close(server);
    ::close(client);
}

// man 7 ipv6: with IPV6_V6ONLY an AF_INET6 socket is restricted to IPv6; Linux refuses a
// v4-mapped connect with ENETUNREACH (tcp_v6_connect) and bind with EINVAL (inet6_bind), and
// the option once the socket has a port with EINVAL.
TEST_F(LibShmifsockInet6, V6OnlyRefusesV4MappedAddressesAsLinux) {
    const int fd = shmifsock_socket(sa, AF_INET6, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    int value = -1;
    socklen_t len = sizeof value;
    ASSERT_EQ(shmifsock_getsockopt(sa, fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, &len), 0);
    EXPECT_EQ(value, 0);  // net.ipv6.bindv6only's default
    const int one = 1;
    ASSERT_EQ(shmifsock_setsockopt(sa, fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0)
        << std::strerror(errno);
    len = sizeof value;
    ASSERT_EQ(shmifsock_getsockopt(sa, fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, &len), 0);
    EXPECT_EQ(value, 1);
    const auto to = inet6("::ffff:10.0.0.2", 7103);
    EXPECT_EQ(shmifsock_connect_socket(sa, fd, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, ENETUNREACH);
    const auto mapped_here = inet6("::ffff:10.0.0.1", 7104);
    EXPECT_EQ(shmifsock_bind(sa, fd, as_sockaddr(mapped_here), sizeof mapped_here), -1);
    EXPECT_EQ(errno, EINVAL);
    ::close(fd);

    // Once bound, the option is fixed.
    const int bound = bound6(sa, SOCK_STREAM, "::", 7105);
    EXPECT_EQ(shmifsock_setsockopt(sa, bound, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), -1);
    EXPECT_EQ(errno, EINVAL);
    ::close(bound);

    // UDP: connect refused the same way.
    const int udp = shmifsock_socket(sa, AF_INET6, SOCK_DGRAM, 0);
    ASSERT_EQ(shmifsock_setsockopt(sa, udp, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    EXPECT_EQ(shmifsock_connect_socket(sa, udp, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, ENETUNREACH);
    ::close(udp);

    // An AF_INET socket has no IPPROTO_IPV6 options.
    const int inet_fd = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(shmifsock_setsockopt(sa, inet_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), -1);
    EXPECT_EQ(errno, ENOPROTOOPT);
    ::close(inet_fd);
}

// A dual-stack listener holds IPv4's any: an AF_INET listener on the same port is refused, as
// in Linux (both would take 0.0.0.0).
TEST_F(LibShmifsockInet6, ADualStackBindHoldsTheIpv4Port) {
    const int listener6 = listen6_on_b(7106);
    const int fd = shmifsock_socket(sb, AF_INET, SOCK_STREAM, 0);
    const auto any = inet("0.0.0.0", 7106);
    EXPECT_EQ(shmifsock_bind(sb, fd, as_sockaddr(any), sizeof any), -1);
    EXPECT_EQ(errno, EADDRINUSE);
    ::close(fd);
    ::close(listener6);
}

// With IPV6_V6ONLY, [::]:P takes IPv6 only and shares P with an AF_INET 0.0.0.0:P, as in Linux
// (the stack's binding, not only the daemon's check). The daemons have no IPv6 between them,
// so the IPv6 traffic is b's own over ::1.
TEST_F(LibShmifsockInet6, AV6OnlyWildcardSharesItsPortWithIpv4) {
    const int one = 1;
    auto v6_only = [&](int type) {
        const int fd = shmifsock_socket(sb, AF_INET6, type, 0);
        EXPECT_EQ(shmifsock_setsockopt(sb, fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
        const auto any = inet6("::", 7107);
        EXPECT_EQ(shmifsock_bind(sb, fd, as_sockaddr(any), sizeof any), 0) << std::strerror(errno);
        bound_io(fd);
        return fd;
    };
    // TCP: an IPv4 client reaches the AF_INET listener, an IPv6 one the v6-only listener.
    const int listener6 = v6_only(SOCK_STREAM);
    ASSERT_EQ(shmifsock_listen(sb, listener6, 16), 0) << std::strerror(errno);
    const int listener4 = listen_on_b(7107);
    const auto to4 = inet(kAddrB, 7107);
    const auto to6 = inet6("::1", 7107);
    const int client4 = connected(sa, to4);
    const int client6 = connected(sb, to6);
    sockaddr_in6 peer{};
    socklen_t len = sizeof peer;
    // The first connection the v6-only listener has is the IPv6 one, made after the IPv4 one.
    const int server6 =
        shmifsock_accept4(sb, listener6, reinterpret_cast<sockaddr*>(&peer), &len, 0);
    ASSERT_GE(server6, 0) << std::strerror(errno);
    EXPECT_EQ(text_of(peer), "::1");
    const int server4 = shmifsock_accept4(sb, listener4, nullptr, nullptr, 0);
    ASSERT_GE(server4, 0) << std::strerror(errno);
    bound_io(server4);
    bound_io(server6);
    expect_ping(client4, server4);
    expect_ping(client6, server6);

    // UDP: the same split.
    const int udp6 = v6_only(SOCK_DGRAM);
    const int udp4 = shmifsock_socket(sb, AF_INET, SOCK_DGRAM, 0);
    const auto any4 = inet("0.0.0.0", 7107);
    ASSERT_EQ(shmifsock_bind(sb, udp4, as_sockaddr(any4), sizeof any4), 0) << std::strerror(errno);
    bound_io(udp4);
    const int sender4 = shmifsock_socket(sa, AF_INET, SOCK_DGRAM, 0);
    ASSERT_EQ(shmifsock_sendto(sa, sender4, "four", 4, 0, as_sockaddr(to4), sizeof to4), 4);
    const int sender6 = shmifsock_socket(sb, AF_INET6, SOCK_DGRAM, 0);
    ASSERT_EQ(shmifsock_sendto(sb, sender6, "six", 3, 0, as_sockaddr(to6), sizeof to6), 3);
    char got[8] = {};
    ASSERT_EQ(shmifsock_recvfrom(sb, udp6, got, sizeof got, 0, nullptr, nullptr), 3)
        << std::strerror(errno);
    EXPECT_EQ(std::string(got, 3), "six");
    ASSERT_EQ(shmifsock_recvfrom(sb, udp4, got, sizeof got, 0, nullptr, nullptr), 4)
        << std::strerror(errno);
    EXPECT_EQ(std::string(got, 4), "four");
    EXPECT_EQ(shmifsock_recvfrom(sb, udp6, got, sizeof got, MSG_DONTWAIT, nullptr, nullptr), -1)
        << "the IPv4 datagram is not the v6-only socket's";
    for (const int fd :
         {listener6, listener4, client4, client6, server6, server4, udp6, udp4, sender4, sender6})
        ::close(fd);
}

}  // namespace
}  // namespace shmifsock::test
