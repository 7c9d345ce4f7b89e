// The fixture of the tests that call libshmifsock against real daemons (DaemonPair): a
// session with each, a listener of daemon b, and bounded descriptor I/O.
#pragma once

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "daemon_pair.hpp"
#include "inet_sockaddr.hpp"
#include "shmifsock.h"

namespace shmifsock::test {

using shmif::test::as_sockaddr;
using shmif::test::inet;

// Reads and writes on a descriptor give up after 10 s instead of hanging the test.
inline void bound_io(int fd) {
    const timeval ten{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ten, sizeof ten);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &ten, sizeof ten);
}

inline std::string pattern(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        data[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
    return data;
}

inline bool write_all(int fd, const std::string& data) {
    for (std::size_t done = 0; done < data.size();) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// Everything until end of file (or an error: then what came so far).
inline std::string read_to_end(int fd) {
    std::string data;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) return data;
        data.append(buffer, static_cast<std::size_t>(n));
    }
}

class LibShmifsock : public DaemonPair {
  protected:
    shmifsock_session* sa = nullptr;
    shmifsock_session* sb = nullptr;

    void SetUp() override {
        DaemonPair::SetUp();
        sa = shmifsock_connect(a->socket().c_str());
        sb = shmifsock_connect(b->socket().c_str());
        ASSERT_NE(sa, nullptr) << std::strerror(errno);
        ASSERT_NE(sb, nullptr) << std::strerror(errno);
    }
    void TearDown() override {
        if (sa) shmifsock_close_session(sa);
        if (sb) shmifsock_close_session(sb);
    }

    // A listener of daemon b on `port`.
    int listen_on_b(std::uint16_t port, int flags = 0, int backlog = 16) {
        const int fd = shmifsock_socket(sb, AF_INET, SOCK_STREAM | flags, 0);
        EXPECT_GE(fd, 0) << std::strerror(errno);
        const int one = 1;
        EXPECT_EQ(shmifsock_setsockopt(sb, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
        const auto any = inet("0.0.0.0", port);
        EXPECT_EQ(shmifsock_bind(sb, fd, as_sockaddr(any), sizeof any), 0) << std::strerror(errno);
        EXPECT_EQ(shmifsock_listen(sb, fd, backlog), 0) << std::strerror(errno);
        return fd;
    }
};

}  // namespace shmifsock::test
