// Accepting against real daemons: connections come to the listener's descriptor as records
// with their descriptors attached (shmifsock/wire.h), within the backlog and the window of
// unacknowledged records; a client that reads records without acknowledging them does not
// wedge the listener; closing a listener with records unread ends their connections.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "libshmifsock_pair.hpp"
#include "shmifsock/wire.h"

namespace shmifsock::test {
namespace {

using namespace std::chrono_literals;

// One record read straight off a listener's descriptor, as the library would but without
// its acknowledgement; fd -1 when none came in `wait`.
struct RawRecord {
    shmifsock_accept_record names{};
    int fd = -1;
};
RawRecord read_raw_record(int listener, std::chrono::milliseconds wait) {
    RawRecord got;
    pollfd ready{listener, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) != 1) return got;
    iovec part{&got.names, sizeof got.names};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &part;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(listener, &msg, MSG_DONTWAIT) != static_cast<ssize_t>(sizeof got.names))
        return got;
    if (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr && c->cmsg_type == SCM_RIGHTS)
        std::memcpy(&got.fd, CMSG_DATA(c), sizeof got.fd);
    return got;
}

// Bytes waiting on a descriptor.
int unread(int fd) {
    int bytes = -1;
    return ::ioctl(fd, FIONREAD, &bytes) == 0 ? bytes : -1;
}

class Accepting : public LibShmifsock {
  protected:
    // `count` connections from daemon a to b's `port`, each established (blocking connect).
    std::vector<int> connect_many(std::uint16_t port, int count) {
        std::vector<int> clients;
        const auto to = inet(kAddrB, port);
        for (int i = 0; i < count; ++i) {
            const int fd = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
            EXPECT_GE(fd, 0) << std::strerror(errno);
            EXPECT_EQ(shmifsock_connect_socket(sa, fd, as_sockaddr(to), sizeof to), 0)
                << "connection " << i << ": " << std::strerror(errno);
            bound_io(fd);
            clients.push_back(fd);
        }
        return clients;
    }
    // Non-blocking attempts: the backlog may hold some back.
    std::vector<int> start_many(std::uint16_t port, int count) {
        std::vector<int> clients;
        const auto to = inet(kAddrB, port);
        for (int i = 0; i < count; ++i) {
            const int fd = shmifsock_socket(sa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            EXPECT_GE(fd, 0) << std::strerror(errno);
            EXPECT_EQ(shmifsock_connect_socket(sa, fd, as_sockaddr(to), sizeof to), -1);
            EXPECT_EQ(errno, EINPROGRESS);
            clients.push_back(fd);
        }
        return clients;
    }
    // Accepts until `count` came, each wait bounded; how many did.
    int accept_all(int listener, int count, std::vector<int>& accepted) {
        for (int i = 0; i < count; ++i) {
            pollfd ready{listener, POLLIN, 0};
            if (::poll(&ready, 1, 10000) != 1) return i;
            const int fd = shmifsock_accept4(sb, listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) return i;
            accepted.push_back(fd);
        }
        return count;
    }
    static void close_all(const std::vector<int>& fds) {
        for (int fd : fds)
            ::close(fd);
    }
};

TEST_F(Accepting, ConnectionsComeOnTheListenersDescriptorWithTheirNames) {
    const int listener = listen_on_b(7100);
    const auto clients = connect_many(7100, 3);
    const auto addr_a = inet(kAddrA, 0).sin_addr;
    const auto addr_b = inet(kAddrB, 0).sin_addr;
    for (int i = 0; i < 3; ++i) {
        const auto record = read_raw_record(listener, 10s);
        ASSERT_GE(record.fd, 0) << "record " << i;
        EXPECT_EQ(record.names.peer.family, AF_INET);
        EXPECT_EQ(std::memcmp(record.names.peer.addr, &addr_a, 4), 0);
        EXPECT_EQ(record.names.local.family, AF_INET);
        EXPECT_EQ(record.names.local.port, htons(7100));
        EXPECT_EQ(std::memcmp(record.names.local.addr, &addr_b, 4), 0);
        // It is the connection whose client has that port: bytes go through.
        int client = -1;
        for (int fd : clients) {
            sockaddr_in local{};
            socklen_t len = sizeof local;
            ASSERT_EQ(shmifsock_getsockname(sa, fd, reinterpret_cast<sockaddr*>(&local), &len), 0);
            if (local.sin_port == record.names.peer.port) client = fd;
        }
        ASSERT_GE(client, 0) << "no client has port " << ntohs(record.names.peer.port);
        bound_io(record.fd);
        ASSERT_TRUE(write_all(client, "ping"));
        char got[4] = {};
        ASSERT_EQ(::read(record.fd, got, sizeof got), 4);
        EXPECT_EQ(std::memcmp(got, "ping", 4), 0);
        ::close(record.fd);
    }
    close_all(clients);
    ::close(listener);
}

// The backlog bounds the connections handed off but not accepted, as the kernel's bounds
// its accept queue; each accept makes room for one more.
TEST_F(Accepting, TheBacklogBoundsWhatWaitsOnTheDescriptor) {
    const int listener = listen_on_b(7101, SOCK_NONBLOCK, 4);
    const auto clients = start_many(7101, 8);
    ASSERT_TRUE(shmifd::test::wait_until(
        [&] { return unread(listener) >= 4 * static_cast<int>(sizeof(shmifsock_accept_record)); },
        10s));
    std::this_thread::sleep_for(200ms);  // more would have come by now
    EXPECT_EQ(unread(listener), 4 * static_cast<int>(sizeof(shmifsock_accept_record)));
    std::vector<int> accepted;
    EXPECT_EQ(accept_all(listener, 8, accepted), 8);
    close_all(accepted);
    close_all(clients);
    ::close(listener);
}

// More connections than records may be unacknowledged: the library's acknowledgements let
// the rest come.
TEST_F(Accepting, MoreConnectionsThanTheWindowAllGetAccepted) {
    const int listener = listen_on_b(7102, SOCK_NONBLOCK, 1024);
    const int total = SHMIFSOCK_ACCEPT_WINDOW + 40;
    const auto clients = connect_many(7102, total);
    std::vector<int> accepted;
    EXPECT_EQ(accept_all(listener, total, accepted), total);
    close_all(accepted);
    close_all(clients);
    ::close(listener);
}

// A client that reads records without acknowledging them fills the window; the daemon then
// sees from the kernel that all were read, and the next connection comes with the rest
// (without the recount, record 128 never comes: the window stays full).
TEST_F(Accepting, RecordsReadWithoutAcknowledgementDoNotWedgeTheListener) {
    const int listener = listen_on_b(7103, SOCK_NONBLOCK, 1024);
    const int window = SHMIFSOCK_ACCEPT_WINDOW;
    auto clients = connect_many(7103, window + 2);
    std::vector<int> taken;
    for (int i = 0; i < window; ++i) {
        const auto record = read_raw_record(listener, 10s);
        ASSERT_GE(record.fd, 0) << "record " << i;
        taken.push_back(record.fd);
    }
    const auto more = connect_many(7103, 1);
    clients.insert(clients.end(), more.begin(), more.end());
    for (int i = 0; i < 3; ++i) {
        const auto record = read_raw_record(listener, 10s);
        ASSERT_GE(record.fd, 0) << "record " << window + i;
        taken.push_back(record.fd);
    }
    close_all(taken);
    close_all(clients);
    ::close(listener);
}

// Closing a listener whose records were never read ends their connections: the clients
// read end of file or ECONNRESET, and the daemon forgets every socket.
TEST_F(Accepting, ClosingAListenerWithRecordsUnreadEndsTheirConnections) {
    const auto sockets_of_b = [&] {
        const auto list = b->call("sock.list");
        return list ? (*list)["sockets"].size() : std::size_t{9999};
    };
    const auto before = sockets_of_b();
    const int listener = listen_on_b(7104);
    const auto clients = connect_many(7104, 3);
    ASSERT_TRUE(shmifd::test::wait_until(
        [&] { return unread(listener) == 3 * static_cast<int>(sizeof(shmifsock_accept_record)); },
        10s));
    ::close(listener);
    for (int fd : clients) {
        char byte = 0;
        const ssize_t n = ::read(fd, &byte, 1);  // bounded by bound_io
        EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n << " " << std::strerror(errno);
    }
    close_all(clients);
    EXPECT_TRUE(shmifd::test::wait_until([&] { return sockets_of_b() == before; }, 10s))
        << sockets_of_b() << " sockets, " << before << " before";
}

}  // namespace
}  // namespace shmifsock::test
