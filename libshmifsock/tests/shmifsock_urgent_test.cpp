// TCP urgent data through libshmifsock's descriptors between two real daemons: a byte sent
// with MSG_OOB on one descriptor crosses as TCP urgent data and reaches the other as its
// own out-of-band byte — POLLPRI, a read that stops at the mark, SIOCATMARK, recv MSG_OOB —
// and with SO_OOBINLINE as an inline byte at the mark.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "libshmifsock_pair.hpp"

namespace shmifsock::test {
namespace {

bool wait_for(int fd, short events) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, 10'000) == 1 && (p.revents & events) != 0;
}

// Reads exactly `n` bytes (each read stops at a mark, as on a kernel socket).
std::string read_n(int fd, std::size_t n) {
    std::string data;
    char buffer[256];
    while (data.size() < n) {
        const ssize_t got = ::read(fd, buffer, std::min(sizeof buffer, n - data.size()));
        if (got <= 0) break;
        data.append(buffer, static_cast<std::size_t>(got));
    }
    return data;
}

bool at_mark(int fd) {
    int mark = 0;
    return ::ioctl(fd, SIOCATMARK, &mark) == 0 && mark == 1;
}

void send_urgent(int fd, const std::string& before, char byte, const std::string& after) {
    ASSERT_TRUE(write_all(fd, before));
    ASSERT_EQ(::send(fd, &byte, 1, MSG_OOB), 1) << std::strerror(errno);
    ASSERT_TRUE(write_all(fd, after));
}

class Urgent : public LibShmifsock {
  protected:
    int client = -1, server = -1, listener = -1;
    void SetUp() override {
        LibShmifsock::SetUp();
        listener = listen_on_b(7100);
        client = shmifsock_socket(sa, AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(client, 0);
        const auto to = inet(kAddrB, 7100);
        ASSERT_EQ(shmifsock_connect_socket(sa, client, as_sockaddr(to), sizeof to), 0)
            << std::strerror(errno);
        server = shmifsock_accept4(sb, listener, nullptr, nullptr, 0);
        ASSERT_GE(server, 0) << std::strerror(errno);
        bound_io(client);
        bound_io(server);
    }
    void TearDown() override {
        for (int fd : {client, server, listener})
            if (fd >= 0) ::close(fd);
        LibShmifsock::TearDown();
    }
};

TEST_F(Urgent, AnOutOfBandByteCrossesAsUrgentDataAndIsReadApart) {
    send_urgent(client, "hello", '!', "world");
    ASSERT_TRUE(wait_for(server, POLLPRI)) << "no POLLPRI on the receiving descriptor";
    EXPECT_EQ(read_n(server, 5), "hello");
    EXPECT_TRUE(at_mark(server));
    char byte = 0;
    ASSERT_EQ(::recv(server, &byte, 1, MSG_OOB), 1) << std::strerror(errno);
    EXPECT_EQ(byte, '!');
    EXPECT_EQ(read_n(server, 5), "world");

    // The other way, a second time on the same connection.
    send_urgent(server, std::string(100'000, 'x'), '#', "tail");
    ASSERT_TRUE(wait_for(client, POLLPRI));
    EXPECT_EQ(read_n(client, 100'000), std::string(100'000, 'x'));
    EXPECT_TRUE(at_mark(client));
    ASSERT_EQ(::recv(client, &byte, 1, MSG_OOB), 1) << std::strerror(errno);
    EXPECT_EQ(byte, '#');
    EXPECT_EQ(read_n(client, 4), "tail");
}

TEST_F(Urgent, WithOobInlineTheByteIsReadInTheStreamAtTheMark) {
    const int one = 1;
    ASSERT_EQ(shmifsock_setsockopt(sb, server, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one), 0)
        << std::strerror(errno);
    send_urgent(client, "abc", '!', "def");
    ASSERT_TRUE(wait_for(server, POLLPRI));
    EXPECT_EQ(read_n(server, 3), "abc");
    EXPECT_TRUE(at_mark(server));
    char byte = 0;
    EXPECT_EQ(::recv(server, &byte, 1, MSG_OOB), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(read_n(server, 4), "!def");
}

}  // namespace
}  // namespace shmifsock::test
