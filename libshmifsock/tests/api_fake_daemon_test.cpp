// The C API against a fake daemon speaking the protocol: what each call asks, what it does
// with the answer and the descriptor, errno as Linux gives it, a daemon that dies, fork and
// threads.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "fake_daemon.hpp"
#include "inet_sockaddr.hpp"
#include "shmifd/control/pass_fds.hpp"
#include "shmifsock.h"
#include "shmifsock/wire.h"
#include "temp_dir.hpp"

namespace shmifsock::test {
namespace {

using shmif::test::as_sockaddr;
using shmif::test::inet;
using shmif::test::inet6;
using shmif::test::text_of;

using nlohmann::json;

struct FakeLane;

class ShmifsockApi : public ::testing::Test {
  protected:
    shmif::test::TempDir dir;
    FakeSockets sockets;
    // Set by the test, read by the fake daemon's thread: on() and answer() take the lock.
    std::mutex handlers_mutex;
    std::map<std::string, std::function<Answer(const json&)>> handlers;

    void answer_with(const std::string& cmd, std::function<Answer(const json&)> handler) {
        std::lock_guard lock(handlers_mutex);
        handlers[cmd] = std::move(handler);
    }
    std::unique_ptr<FakeDaemon> daemon;
    shmifsock_session* session = nullptr;

    void SetUp() override {
        daemon = std::make_unique<FakeDaemon>(dir.file("shmifd.sock"),
                                              [this](const json& r) { return answer(r); });
        session = shmifsock_connect(daemon->path().c_str());
        ASSERT_NE(session, nullptr) << std::strerror(errno);
    }
    void TearDown() override {
        shmifsock_close_session(session);
        daemon.reset();  // (may be gone already)
    }

    Answer answer(const json& request) {
        const auto cmd = request["cmd"].get<std::string>();
        std::function<Answer(const json&)> handler;
        {
            std::lock_guard lock(handlers_mutex);
            if (const auto it = handlers.find(cmd); it != handlers.end()) handler = it->second;
        }
        if (handler) return handler(request);
        if (cmd == "version") return Answer::success({{"daemon", "fake"}, {"protocol", 1}});
        if (cmd == "sock.open")
            return sockets.open(request["args"]["type"],
                                request["args"].value("domain", std::string("inet")));
        return Answer{};
    }

    // The arguments of the last request of `cmd` (null when none).
    json last(const std::string& cmd) const {
        json found;
        for (const auto& r : daemon->requests())
            if (r["cmd"] == cmd) found = r.value("args", json::object());
        return found;
    }
    std::size_t count(const std::string& cmd) const {
        std::size_t n = 0;
        for (const auto& r : daemon->requests())
            n += r["cmd"] == cmd;
        return n;
    }
    // count(cmd) once it reaches `n` (a posted request arrives when it arrives), or after 5 s.
    std::size_t count_reaching(const std::string& cmd, std::size_t n) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (count(cmd) < n && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return count(cmd);
    }
    // A TCP socket (into `fd`) whose TCP_NODELAY went on `lane`, given by sock.lane's
    // answer; the lane's client end in this process (-1: none).
    int lane_in_use(const std::shared_ptr<FakeLane>& lane, int& fd);
};

TEST_F(ShmifsockApi, SocketGivesADescriptorWithTheFlagsAsked) {
    const int tcp = shmifsock_socket(session, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(tcp, 0) << std::strerror(errno);
    EXPECT_EQ(last("sock.open")["type"], "tcp");
    EXPECT_TRUE(::fcntl(tcp, F_GETFL) & O_NONBLOCK);
    EXPECT_FALSE(::fcntl(tcp, F_GETFD) & FD_CLOEXEC);

    const int udp = shmifsock_socket(session, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    ASSERT_GE(udp, 0);
    EXPECT_EQ(last("sock.open")["type"], "udp");
    EXPECT_FALSE(::fcntl(udp, F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(udp, F_GETFD) & FD_CLOEXEC);
    int type = 0;
    socklen_t len = sizeof type;
    ASSERT_EQ(shmifsock_getsockopt(session, udp, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    EXPECT_EQ(type, SOCK_DGRAM);
    ::close(tcp);
    ::close(udp);
}

TEST_F(ShmifsockApi, SocketRefusesWhatTheDaemonCannotMakeWithoutAsking) {
    errno = 0;
    EXPECT_EQ(shmifsock_socket(session, AF_UNIX, SOCK_STREAM, 0), -1);
    EXPECT_EQ(errno, EAFNOSUPPORT);
    EXPECT_EQ(shmifsock_socket(session, AF_INET, SOCK_RAW, IPPROTO_ICMP), -1);
    EXPECT_EQ(errno, ESOCKTNOSUPPORT);
    EXPECT_EQ(shmifsock_socket(session, AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
    EXPECT_EQ(errno, EPROTONOSUPPORT);
    EXPECT_EQ(count("sock.open"), 0u);
}

TEST_F(ShmifsockApi, BindNamesTheAddressAndGivesTheDaemonsErrno) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const auto address = inet("10.0.0.1", 8080);
    ASSERT_EQ(shmifsock_bind(session, fd, as_sockaddr(address), sizeof address), 0);
    EXPECT_EQ(last("sock.bind"),
              (json{{"sock", sockets.last()}, {"addr", "10.0.0.1"}, {"port", 8080}}));

    answer_with("sock.bind", [](const json&) { return Answer::failure("failed", "EADDRINUSE"); });
    EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(address), sizeof address), -1);
    EXPECT_EQ(errno, EADDRINUSE);
    answer_with("sock.bind", [](const json&) { return Answer::failure("not_found"); });
    EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(address), sizeof address), -1);
    EXPECT_EQ(errno, EBADF);

    auto v6 = address;
    v6.sin_family = AF_INET6;
    EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(v6), sizeof v6), -1);
    EXPECT_EQ(errno, EAFNOSUPPORT);
    EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(address), 4), -1);
    EXPECT_EQ(errno, EINVAL);
    ::close(fd);
}

TEST_F(ShmifsockApi, CallsOnOtherDescriptorsFailAsTheKernelWould) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    EXPECT_EQ(shmifsock_listen(session, pipe_fds[0], 5), -1);
    EXPECT_EQ(errno, ENOTSOCK);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    EXPECT_EQ(shmifsock_listen(session, pipe_fds[0], 5), -1);
    EXPECT_EQ(errno, EBADF);
    EXPECT_EQ(count("sock.listen"), 0u);
}

TEST_F(ShmifsockApi, NonBlockingConnectIsInProgressAndSoErrorTellsTheOutcome) {
    answer_with("sock.connect", [](const json&) {
        return Answer::success({{"in_progress", true}});
    });
    answer_with("sock.getopt", [](const json&) {
        return Answer::success({{"value", "ECONNREFUSED"}});
    });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    const auto to = inet("10.0.0.2", 7);
    EXPECT_EQ(shmifsock_connect_socket(session, fd, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, EINPROGRESS);
    EXPECT_EQ(last("sock.connect"),
              (json{{"sock", sockets.last()}, {"addr", "10.0.0.2"}, {"port", 7}, {"wait", false}}));
    int error = 0;
    socklen_t len = sizeof error;
    ASSERT_EQ(shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_ERROR, &error, &len), 0);
    EXPECT_EQ(error, ECONNREFUSED);
    EXPECT_EQ(last("sock.getopt"), (json{{"sock", sockets.last()}, {"name", "SO_ERROR"}}));
    ::close(fd);
}

TEST_F(ShmifsockApi, BlockingConnectWaitsOnTheDescriptorAndRestoresItsSendBuffer) {
    answer_with("sock.connect", [](const json&) {
        return Answer::success({{"in_progress", true}});
    });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const int small = 4096;  // as the daemon leaves it until the connection is made
    ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    const auto to = inet("10.0.0.2", 7);
    ASSERT_EQ(shmifsock_connect_socket(session, fd, as_sockaddr(to), sizeof to), 0)
        << std::strerror(errno);
    // Writable without a hang-up is connected: no need to ask for SO_ERROR.
    EXPECT_EQ(count("sock.getopt"), 0u);
    int sndbuf = 0;
    socklen_t len = sizeof sndbuf;
    ASSERT_EQ(::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
    EXPECT_GE(sndbuf, FakeSockets::kPairSndbuf);
    ::close(fd);
}

TEST_F(ShmifsockApi, BlockingConnectThatFailsGivesTheCause) {
    answer_with("sock.connect", [this](const json& r) {
        // The attempt failed: the daemon hangs up its end, the descriptor wakes with POLLHUP.
        ::shutdown(sockets.daemon_end(r["args"]["sock"]), SHUT_RDWR);
        return Answer::success({{"in_progress", true}});
    });
    answer_with("sock.getopt", [](const json&) {
        return Answer::success({{"value", "ETIMEDOUT"}});
    });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const auto to = inet("10.0.0.99", 80);
    EXPECT_EQ(shmifsock_connect_socket(session, fd, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, ETIMEDOUT);
    ::close(fd);
}

TEST_F(ShmifsockApi, ConnectRefusedAtOnceIsTheDaemonsErrno) {
    answer_with("sock.connect",
                [](const json&) { return Answer::failure("failed", "ENETUNREACH"); });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    const auto to = inet("192.0.2.1", 80);
    EXPECT_EQ(shmifsock_connect_socket(session, fd, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, ENETUNREACH);
    ::close(fd);
}

TEST_F(ShmifsockApi, UdpConnectAsksWithoutWaiting) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0);
    const auto to = inet("10.0.0.2", 53);
    ASSERT_EQ(shmifsock_connect_socket(session, fd, as_sockaddr(to), sizeof to), 0);
    EXPECT_FALSE(last("sock.connect").contains("wait"));
    ::close(fd);
}

// A hand-off record (shmifsock/wire.h) on a listener's daemon end, the descriptor attached
// unless `fd` is -1.
void send_accept_record(int daemon_end, const shmifsock_accept_record& record, int fd) {
    const int fds[1] = {fd};
    ASSERT_EQ(shmifd::control::send_with_fds(daemon_end, &record, sizeof record,
                                             std::span(fds, fd >= 0 ? 1 : 0), 0),
              static_cast<ssize_t>(sizeof record));
}

TEST_F(ShmifsockApi, AcceptTakesTheConnectionItsRecordCarriesWithoutARequest) {
    const int listener = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    const auto listener_sock = sockets.last();
    ASSERT_EQ(shmifsock_listen(session, listener, 16), 0);
    EXPECT_EQ(last("sock.listen")["handoff"], true);
    // What the daemon does for each connection ready: its descriptor, with the peer.
    auto connection = sockets.open("tcp");
    const auto connection_sock = sockets.last();
    shmifsock_accept_record record{};
    record.peer.family = AF_INET;
    record.peer.port = htons(40000);
    const auto from_addr = inet("10.0.0.2", 0).sin_addr.s_addr;
    std::memcpy(record.peer.addr, &from_addr, 4);
    record.local.family = AF_INET;
    record.local.port = htons(80);
    const auto local_addr = inet("10.0.0.1", 0).sin_addr.s_addr;
    std::memcpy(record.local.addr, &local_addr, 4);
    send_accept_record(sockets.daemon_end(listener_sock), record, connection.fd);
    ::close(connection.fd);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const int conn = shmifsock_accept4(session, listener, reinterpret_cast<sockaddr*>(&from), &len,
                                       SOCK_NONBLOCK);
    ASSERT_GE(conn, 0) << std::strerror(errno);
    EXPECT_EQ(count("sock.accept"), 0u);
    EXPECT_EQ(len, sizeof from);
    EXPECT_EQ(from.sin_port, htons(40000));
    EXPECT_EQ(from.sin_addr.s_addr, from_addr);
    EXPECT_TRUE(::fcntl(conn, F_GETFL) & O_NONBLOCK);
    EXPECT_FALSE(::fcntl(conn, F_GETFD) & FD_CLOEXEC);
    // Its local name came with it (CPython asks for it on every socket it accepts).
    sockaddr_in local{};
    len = sizeof local;
    ASSERT_EQ(shmifsock_getsockname(session, conn, reinterpret_cast<sockaddr*>(&local), &len), 0);
    EXPECT_EQ(local.sin_port, htons(80));
    EXPECT_EQ(local.sin_addr.s_addr, local_addr);
    // And its peer's, while the daemon's end is open (the connection lasts).
    sockaddr_in peer{};
    len = sizeof peer;
    ASSERT_EQ(shmifsock_getpeername(session, conn, reinterpret_cast<sockaddr*>(&peer), &len), 0);
    EXPECT_EQ(peer.sin_port, htons(40000));
    EXPECT_EQ(peer.sin_addr.s_addr, from_addr);
    EXPECT_EQ(count("sock.name"), 0u);
    // The record was acknowledged with one byte; the descriptor is that connection's.
    char ack = 0;
    EXPECT_EQ(::recv(sockets.daemon_end(listener_sock), &ack, 1, MSG_DONTWAIT), 1);
    ASSERT_EQ(::write(conn, "hi", 2), 2);
    char got[2] = {};
    EXPECT_EQ(::read(sockets.daemon_end(connection_sock), got, 2), 2);
    // The connection ended (the daemon closes its end): the peer is the daemon's to tell.
    ASSERT_EQ(::shutdown(sockets.daemon_end(connection_sock), SHUT_RDWR), 0);
    len = sizeof peer;
    EXPECT_EQ(shmifsock_getpeername(session, conn, reinterpret_cast<sockaddr*>(&peer), &len), -1);
    EXPECT_EQ(errno, ENOTCONN);
    EXPECT_EQ(count("sock.name"), 1u);
    ::close(conn);
    ::close(listener);
}

// Accept waits as the listener's descriptor says (O_NONBLOCK: EAGAIN at once; SO_RCVTIMEO:
// EAGAIN after it, as the kernel's accept), and the connection's descriptor is close-on-exec
// exactly when accept4 asks for it.
TEST_F(ShmifsockApi, AcceptWaitsAsTheListenerSaysAndSetsTheFlagsAsked) {
    const int listener = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    const auto listener_sock = sockets.last();
    ASSERT_EQ(shmifsock_listen(session, listener, 16), 0);
    const timeval wait{0, 50 * 1000};
    ASSERT_EQ(::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait), 0);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(shmifsock_accept4(session, listener, nullptr, nullptr, 0), -1);
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));
    ASSERT_EQ(::fcntl(listener, F_SETFL, O_NONBLOCK), 0);
    EXPECT_EQ(shmifsock_accept4(session, listener, nullptr, nullptr, 0), -1);
    EXPECT_EQ(errno, EAGAIN);
    ASSERT_EQ(::fcntl(listener, F_SETFL, 0), 0);
    for (const int flags : {0, int{SOCK_CLOEXEC}, SOCK_NONBLOCK | SOCK_CLOEXEC}) {
        auto connection = sockets.open("tcp");
        shmifsock_accept_record record{};
        record.peer.family = AF_INET;
        record.local.family = AF_INET;
        send_accept_record(sockets.daemon_end(listener_sock), record, connection.fd);
        ::close(connection.fd);
        const int conn = shmifsock_accept4(session, listener, nullptr, nullptr, flags);
        ASSERT_GE(conn, 0) << flags << ": " << std::strerror(errno);
        EXPECT_EQ((::fcntl(conn, F_GETFD) & FD_CLOEXEC) != 0, (flags & SOCK_CLOEXEC) != 0) << flags;
        EXPECT_EQ((::fcntl(conn, F_GETFL) & O_NONBLOCK) != 0, (flags & SOCK_NONBLOCK) != 0)
            << flags;
        ::close(conn);
    }
    EXPECT_EQ(count("sock.accept"), 0u);
    ::close(listener);
}

TEST_F(ShmifsockApi, AcceptAsksForAConnectionItsRecordCouldNotCarry) {
    const int listener = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    const auto listener_sock = sockets.last();
    ASSERT_EQ(shmifsock_listen(session, listener, -1), 0);
    EXPECT_EQ(last("sock.listen")["backlog"], 65535);
    answer_with("sock.accept", [this](const json&) {
        auto answer = sockets.open("tcp");
        answer.result = {{"sock", sockets.last()},
                         {"local", {{"addr", "10.0.0.1"}, {"port", 80}}},
                         {"remote", {{"addr", "10.0.0.2"}, {"port", 40000}}}};
        return answer;
    });
    send_accept_record(sockets.daemon_end(listener_sock), shmifsock_accept_record{}, -1);
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const int conn = shmifsock_accept4(session, listener, reinterpret_cast<sockaddr*>(&from), &len,
                                       SOCK_NONBLOCK);
    ASSERT_GE(conn, 0) << std::strerror(errno);
    EXPECT_EQ(last("sock.accept"), (json{{"sock", listener_sock}}));
    EXPECT_EQ(len, sizeof from);
    EXPECT_EQ(from.sin_port, htons(40000));
    EXPECT_EQ(from.sin_addr.s_addr, inet("10.0.0.2", 0).sin_addr.s_addr);
    EXPECT_TRUE(::fcntl(conn, F_GETFL) & O_NONBLOCK);
    // The accepted descriptor is that connection's: the daemon's end of it hears us.
    ASSERT_EQ(::write(conn, "hi", 2), 2);
    char got[2] = {};
    EXPECT_EQ(::read(sockets.daemon_end(sockets.last()), got, 2), 2);
    ::close(conn);
    ::close(listener);
}

TEST_F(ShmifsockApi, NonBlockingAcceptWithNothingReadyIsEagainWithoutARequest) {
    const int listener = shmifsock_socket(session, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_EQ(shmifsock_listen(session, listener, 16), 0);
    EXPECT_EQ(shmifsock_accept4(session, listener, nullptr, nullptr, 0), -1);
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_EQ(count("sock.accept"), 0u);
    EXPECT_EQ(shmifsock_accept4(session, listener, nullptr, nullptr, 0x4000), -1);
    EXPECT_EQ(errno, EINVAL);
    ::close(listener);
}

TEST_F(ShmifsockApi, BlockingAcceptOnASocketNotListeningIsEinval) {
    answer_with("sock.getopt", [](const json&) { return Answer::success({{"value", 0}}); });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(shmifsock_accept4(session, fd, nullptr, nullptr, 0), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(last("sock.getopt")["name"], "SO_ACCEPTCONN");
    ::close(fd);
}

TEST_F(ShmifsockApi, NamesComeFromSockName) {
    answer_with("sock.name", [](const json&) {
        return Answer::success({{"type", "tcp"},
                                {"state", "LISTEN"},
                                {"local", {{"addr", "10.0.0.1"}, {"port", 8080}}},
                                {"remote", nullptr}});
    });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    sockaddr_in name{};
    socklen_t len = sizeof name;
    ASSERT_EQ(shmifsock_getsockname(session, fd, reinterpret_cast<sockaddr*>(&name), &len), 0);
    EXPECT_EQ(len, sizeof name);
    EXPECT_EQ(name.sin_family, AF_INET);
    EXPECT_EQ(name.sin_port, htons(8080));
    EXPECT_EQ(shmifsock_getpeername(session, fd, reinterpret_cast<sockaddr*>(&name), &len), -1);
    EXPECT_EQ(errno, ENOTCONN);

    answer_with("sock.name", [](const json&) {
        return Answer::success(
            {{"type", "udp"}, {"state", "CLOSED"}, {"local", nullptr}, {"remote", nullptr}});
    });
    len = sizeof name;
    ASSERT_EQ(shmifsock_getsockname(session, fd, reinterpret_cast<sockaddr*>(&name), &len), 0);
    EXPECT_EQ(name.sin_port, 0);  // unbound: 0.0.0.0:0, as Linux
    EXPECT_EQ(name.sin_addr.s_addr, 0u);
    ::close(fd);
}

// An AF_INET6 socket: the daemon learns the family at sock.open, the descriptor's name tells
// the library; addresses travel as text, names come back as sockaddr_in6.
TEST_F(ShmifsockApi, Inet6SocketsNameAddressesAsLinuxInet6Does) {
    const int fd = shmifsock_socket(session, AF_INET6, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(last("sock.open"), (json{{"type", "tcp"}, {"domain", "inet6"}}));
    int domain = 0;
    socklen_t len = sizeof domain;
    ASSERT_EQ(shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_DOMAIN, &domain, &len), 0);
    EXPECT_EQ(domain, AF_INET6);

    answer_with("sock.name", [](const json&) {
        return Answer::success(
            {{"type", "tcp"}, {"state", "open"}, {"local", nullptr}, {"remote", nullptr}});
    });
    sockaddr_in6 name;
    std::memset(&name, 0xee, sizeof name);
    len = sizeof name;
    ASSERT_EQ(shmifsock_getsockname(session, fd, reinterpret_cast<sockaddr*>(&name), &len), 0);
    EXPECT_EQ(len, sizeof(sockaddr_in6));  // unbound: [::]:0, as Linux
    EXPECT_EQ(name.sin6_family, AF_INET6);
    EXPECT_EQ(text_of(name), "::");
    EXPECT_EQ(name.sin6_port, 0);
    EXPECT_EQ(name.sin6_scope_id, 0u);

    const auto here = inet6("::ffff:10.0.0.1", 8080);
    ASSERT_EQ(shmifsock_bind(session, fd, as_sockaddr(here), sizeof here), 0);
    EXPECT_EQ(last("sock.bind"),
              (json{{"sock", sockets.last()}, {"addr", "::ffff:10.0.0.1"}, {"port", 8080}}));
    const auto binds = count("sock.bind");
    EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(here), 23), -1);
    EXPECT_EQ(errno, EINVAL);
    const auto v4 = inet("10.0.0.1", 8080);
    EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(v4), sizeof v4), -1);
    EXPECT_EQ(errno, EINVAL);  // shorter than a sockaddr_in6
    auto wrong = here;
    wrong.sin6_family = AF_INET;
    EXPECT_EQ(shmifsock_bind(session, fd, as_sockaddr(wrong), sizeof wrong), -1);
    EXPECT_EQ(errno, EAFNOSUPPORT);
    EXPECT_EQ(count("sock.bind"), binds);  // refused without asking

    answer_with("sock.connect", [](const json&) { return Answer::success({}); });
    const auto to = inet6("2001:db8::2", 80);
    ASSERT_EQ(shmifsock_connect_socket(session, fd, as_sockaddr(to), sizeof to), 0);
    EXPECT_EQ(last("sock.connect")["addr"], "2001:db8::2");

    // What the daemon names an inet6 socket's IPv4 peer with comes back v4-mapped.
    answer_with("sock.name", [](const json&) {
        return Answer::success({{"type", "tcp"},
                                {"state", "ESTABLISHED"},
                                {"local", {{"addr", "::ffff:10.0.0.1"}, {"port", 8080}}},
                                {"remote", {{"addr", "10.0.0.2"}, {"port", 80}}}});
    });
    len = sizeof name;
    ASSERT_EQ(shmifsock_getpeername(session, fd, reinterpret_cast<sockaddr*>(&name), &len), 0);
    EXPECT_EQ(text_of(name), "::ffff:10.0.0.2");
    EXPECT_EQ(ntohs(name.sin6_port), 80);
    // A short buffer gets what fits and learns the full size.
    sockaddr_in small{};
    len = sizeof small;
    ASSERT_EQ(shmifsock_getsockname(session, fd, reinterpret_cast<sockaddr*>(&small), &len), 0);
    EXPECT_EQ(len, sizeof(sockaddr_in6));
    EXPECT_EQ(small.sin_family, AF_INET6);

    // IPPROTO_IPV6 options are an inet6 socket's only.
    const int one = 1;
    ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    EXPECT_EQ(last("sock.setopt"),
              (json{{"sock", sockets.last()}, {"name", "IPV6_V6ONLY"}, {"value", 1}}));
    const int inet_fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    const auto setopts = count("sock.setopt");
    EXPECT_EQ(shmifsock_setsockopt(session, inet_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one),
              -1);
    EXPECT_EQ(errno, ENOPROTOOPT);
    EXPECT_EQ(count("sock.setopt"), setopts);
    ::close(inet_fd);
    ::close(fd);
}

// TCP_NODELAY goes without waiting for its answer (servers set it on every connection they
// accept); the answers owed are read before the next call's, however many there are.
TEST_F(ShmifsockApi, TcpNodelayIsPostedAndTheNextCallStillGetsItsOwnAnswer) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    answer_with("sock.setopt", [](const json&) { return Answer::failure("failed", "EINVAL"); });
    const int yes = 7;
    for (int i = 0; i < 100; ++i)  // more than the bound on answers owed
        ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes), 0);
    answer_with("sock.getopt", [](const json&) { return Answer::success({{"value", 4321}}); });
    int value = 0;
    socklen_t len = sizeof value;
    ASSERT_EQ(shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_RCVBUF, &value, &len), 0);
    EXPECT_EQ(value, 4321);
    EXPECT_EQ(count("sock.setopt"), 100u);
    EXPECT_EQ(last("sock.setopt"),
              (json{{"sock", sockets.last()}, {"name", "TCP_NODELAY"}, {"value", 1}}));
    // On a UDP socket the daemon's answer is the call's (Linux refuses it there).
    const int udp = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0);
    EXPECT_EQ(shmifsock_setsockopt(session, udp, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes), -1);
    EXPECT_EQ(errno, EINVAL);
    ::close(udp);
    ::close(fd);
}

// The client's end of the lane named `name` in this process: the one descriptor whose peer
// has that name, once the fake daemon closed its own copy (after its reply left); -1 if not
// so within 5 s.
int client_end_of_lane(const std::string& name) {
    auto ends = [&] {
        std::vector<int> found;
        for (int candidate = 3; candidate < 1024; ++candidate) {
            sockaddr_un peer{};
            socklen_t len = sizeof peer;
            if (::getpeername(candidate, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
                len > offsetof(sockaddr_un, sun_path) + 1 &&
                std::string(peer.sun_path + 1, len - offsetof(sockaddr_un, sun_path) - 1) == name)
                found.push_back(candidate);
        }
        return found;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (ends().size() > 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto found = ends();
    return found.size() == 1 ? found.front() : -1;
}

// A lane's daemon end: a SOCK_SEQPACKET socket bound to an abstract name, as shmifd's.
struct FakeLane {
    int ours = -1;    // the daemon's end: what the client writes arrives here
    int theirs = -1;  // passed with sock.lane's answer (the fake closes its copy)
    std::string name;

    explicit FakeLane(const std::string& lane_name) : name(lane_name) {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return;
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path + 1, name.data(), name.size());
        (void)::bind(pair[0], reinterpret_cast<sockaddr*>(&address),
                     static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size()));
        ours = pair[0];
        theirs = pair[1];
    }
    ~FakeLane() {
        if (ours >= 0) ::close(ours);
    }
    Answer answer() {
        Answer a = Answer::success({{"name", name}});
        a.fd = std::exchange(theirs, -1);
        return a;
    }
    // The changes waiting (at most `max`), without blocking.
    std::vector<shmifsock_lane_change> take(std::size_t max = 1000) const {
        std::vector<shmifsock_lane_change> changes;
        shmifsock_lane_change change{};
        while (changes.size() < max &&
               ::recv(ours, &change, sizeof change, MSG_DONTWAIT) == sizeof change)
            changes.push_back(change);
        return changes;
    }
};

int ShmifsockApi::lane_in_use(const std::shared_ptr<FakeLane>& lane, int& fd) {
    answer_with("sock.lane", [lane](const json&) { return lane->answer(); });
    fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    if (fd < 0 || shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes))
        return -1;
    return client_end_of_lane(lane->name);
}

// Puts a socket of the program's own at descriptor `number` (what a program that closed the
// number and opened something else there has); its peer, or -1.
int own_socket_at(int number) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    const bool moved = ::dup2(pair[0], number) == number;
    ::close(pair[0]);
    if (!moved) ::close(pair[1]);
    return moved ? pair[1] : -1;
}

// With a lane (sock.lane), TCP_NODELAY is a message on it: no request, no reply, and a
// getsockopt right after reads back what was set. A lane that breaks (the daemon's end
// closed) is dropped for the control socket, and a new one asked for at the next change.
TEST_F(ShmifsockApi, TcpNodelayTravelsOnTheLaneWhenTheDaemonGivesOne) {
    auto lane = std::make_shared<FakeLane>("shmifd-lane/test/1");
    ASSERT_GE(lane->ours, 0);
    answer_with("sock.lane", [lane](const json&) { return lane->answer(); });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const auto id = sockets.last();
    const int yes = 7, no = 0;
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, i % 2 ? &no : &yes,
                                       sizeof yes),
                  0);
    const auto changes = lane->take();
    ASSERT_EQ(changes.size(), 100u);
    for (std::size_t i = 0; i < changes.size(); ++i) {
        EXPECT_EQ(changes[i].sock, id);
        EXPECT_EQ(changes[i].option, SHMIFSOCK_LANE_TCP_NODELAY);
        EXPECT_EQ(changes[i].value, i % 2 ? 0 : 1) << i;
    }
    EXPECT_EQ(count("sock.lane"), 1u);
    EXPECT_EQ(count("sock.setopt"), 0u);
    int value = -1;
    socklen_t len = sizeof value;
    ASSERT_EQ(shmifsock_getsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
    EXPECT_EQ(value, 0);  // the last one set
    EXPECT_EQ(count("sock.getopt"), 0u);

    // The daemon's end goes: the change takes the control socket, the next one a new lane.
    ::close(std::exchange(lane->ours, -1));
    ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes), 0);
    EXPECT_EQ(count_reaching("sock.setopt", 1), 1u);
    auto second = std::make_shared<FakeLane>("shmifd-lane/test/2");
    answer_with("sock.lane", [second](const json&) { return second->answer(); });
    ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &no, sizeof no), 0);
    EXPECT_EQ(count("sock.lane"), 2u);
    EXPECT_EQ(second->take().size(), 1u);
    ::close(fd);
}

// The lane is asked for with the socket whose change needs it (its worker reads it); a daemon
// from before that argument refuses it as unknown, and is asked again without.
TEST_F(ShmifsockApi, TheLaneIsAskedForWithItsSocketAndWithoutWhereThatIsRefused) {
    auto lane = std::make_shared<FakeLane>("shmifd-lane/test/5");
    ASSERT_GE(lane->ours, 0);
    std::mutex mutex;  // the fake answers on a thread of its own
    std::vector<json> asked;
    answer_with("sock.lane", [lane, &asked, &mutex](const json& request) {
        std::lock_guard lock(mutex);
        const auto args = request.value("args", json::object());
        asked.push_back(args);
        if (args.contains("sock")) return Answer::failure("invalid_args");
        return lane->answer();
    });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const auto id = sockets.last();
    const int yes = 1;
    ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes), 0);
    std::lock_guard lock(mutex);
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_EQ(asked[0].value("sock", std::uint64_t{0}), id);
    EXPECT_FALSE(asked[1].contains("sock"));
    EXPECT_EQ(lane->take().size(), 1u);  // the change went on the lane all the same
    EXPECT_EQ(count("sock.setopt"), 0u);
    ::close(fd);
}

// The program closed the lane's descriptor and its number now holds one of its own sockets:
// nothing may be written there; the change takes the control socket.
TEST_F(ShmifsockApi, ALaneWhoseNumberTheProgramReusedIsNeverWrittenTo) {
    auto lane = std::make_shared<FakeLane>("shmifd-lane/test/3");
    int fd = -1;
    const int lane_fd = lane_in_use(lane, fd);
    ASSERT_GE(lane_fd, 0);
    ASSERT_EQ(lane->take().size(), 1u);
    const int mine = own_socket_at(lane_fd);
    ASSERT_GE(mine, 0);
    const int yes = 1;
    ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes), 0);
    char byte = 0;
    EXPECT_EQ(::recv(mine, &byte, 1, MSG_DONTWAIT), -1);  // nothing arrived
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_EQ(count_reaching("sock.setopt", 1), 1u);
    // The shim let go of the number without closing it: the program's socket still works.
    ASSERT_EQ(::send(lane_fd, "x", 1, 0), 1);
    EXPECT_EQ(::recv(mine, &byte, 1, MSG_DONTWAIT), 1);
    ::close(lane_fd);
    ::close(mine);
    ::close(fd);
}

// The same when the session closes first: its lane's number, reused, is not closed.
TEST_F(ShmifsockApi, AClosingSessionLeavesALaneNumberTheProgramReusedAlone) {
    auto lane = std::make_shared<FakeLane>("shmifd-lane/test/4");
    int fd = -1;
    const int lane_fd = lane_in_use(lane, fd);
    ASSERT_GE(lane_fd, 0);
    const int mine = own_socket_at(lane_fd);
    ASSERT_GE(mine, 0);
    ::close(fd);
    shmifsock_close_session(std::exchange(session, nullptr));
    char byte = 0;
    ASSERT_EQ(::send(lane_fd, "x", 1, 0), 1) << std::strerror(errno);
    EXPECT_EQ(::recv(mine, &byte, 1, MSG_DONTWAIT), 1);
    ::close(lane_fd);
    ::close(mine);
}

// A reply that passes a descriptor after a posted request's answer: the descriptor is that
// reply's (a read that took both answers at once gave it to the first).
TEST_F(ShmifsockApi, ADescriptorAfterAPostedAnswerGoesToItsOwnReply) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const int yes = 1;
    for (int i = 0; i < 50; ++i) {
        ASSERT_EQ(shmifsock_setsockopt(session, fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes), 0);
        const int other = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(other, 0) << "round " << i << ": " << std::strerror(errno);
        ::close(other);
    }
    ::close(fd);
}

TEST_F(ShmifsockApi, OptionsTravelByName) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    const struct linger on { 1, 5 };
    ASSERT_EQ(shmifsock_setsockopt(session, fd, SOL_SOCKET, SO_LINGER, &on, sizeof on), 0);
    EXPECT_EQ(last("sock.setopt"),
              (json{{"sock", sockets.last()}, {"name", "SO_LINGER"}, {"value", 5}}));
    const struct linger off { 0, 9 };
    ASSERT_EQ(shmifsock_setsockopt(session, fd, SOL_SOCKET, SO_LINGER, &off, sizeof off), 0);
    EXPECT_EQ(last("sock.setopt")["value"], -1);
    const int yes = 7;
    ASSERT_EQ(shmifsock_setsockopt(session, fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof yes), 0);
    EXPECT_EQ(last("sock.setopt")["name"], "SO_KEEPALIVE");
    EXPECT_EQ(last("sock.setopt")["value"], 1);
    EXPECT_EQ(shmifsock_setsockopt(session, fd, SOL_SOCKET, SO_RCVBUF, &yes, 2), -1);
    EXPECT_EQ(errno, EINVAL);

    const auto asked = daemon->requests().size();
    EXPECT_EQ(shmifsock_setsockopt(session, fd, SOL_SOCKET, SO_PASSCRED, &yes, sizeof yes), -1);
    EXPECT_EQ(errno, ENOPROTOOPT);
    EXPECT_EQ(shmifsock_setsockopt(session, fd, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes), 0);
    EXPECT_EQ(daemon->requests().size(), asked);  // neither reached the daemon

    answer_with("sock.getopt", [](const json&) { return Answer::success({{"value", -1}}); });
    struct linger got {
        3, 3
    };
    socklen_t len = sizeof got;
    ASSERT_EQ(shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_LINGER, &got, &len), 0);
    EXPECT_EQ(got.l_onoff, 0);
    EXPECT_EQ(len, sizeof got);
    answer_with("sock.getopt", [](const json&) { return Answer::success({{"value", true}}); });
    int value = 0;
    len = sizeof value;
    ASSERT_EQ(shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_KEEPALIVE, &value, &len), 0);
    EXPECT_EQ(value, 1);
    ::close(fd);
}

TEST_F(ShmifsockApi, TcpInfoIsFilledFromTheDaemonsCounters) {
    answer_with("sock.getopt", [](const json&) {
        return Answer::success({{"info",
                                 {{"state", "ESTABLISHED"},
                                  {"mss", 1460},
                                  {"peer_mss", 1400},
                                  {"cwnd", 14600},
                                  {"srtt_us", 250},
                                  {"rto_us", 200000},
                                  {"retransmits", 3},
                                  {"bytes_acked", 123456789012},
                                  {"sack", true},
                                  {"timestamps", false}}}});
    });
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    tcp_info info{};
    socklen_t len = sizeof info;
    ASSERT_EQ(shmifsock_getsockopt(session, fd, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
    EXPECT_EQ(len, sizeof info);
    EXPECT_EQ(info.tcpi_state, 1);  // TCP_ESTABLISHED
    EXPECT_EQ(info.tcpi_snd_mss, 1460u);
    EXPECT_EQ(info.tcpi_rcv_mss, 1400u);
    EXPECT_EQ(info.tcpi_snd_cwnd, 10u);  // segments
    EXPECT_EQ(info.tcpi_rtt, 250u);
    EXPECT_EQ(info.tcpi_rto, 200000u);
    EXPECT_EQ(info.tcpi_total_retrans, 3u);
    EXPECT_EQ(info.tcpi_bytes_acked, 123456789012u);
    EXPECT_EQ(info.tcpi_options & TCPI_OPT_SACK, TCPI_OPT_SACK);
    EXPECT_EQ(info.tcpi_options & TCPI_OPT_TIMESTAMPS, 0);
    len = 8;  // an old, shorter struct: what fits
    ASSERT_EQ(shmifsock_getsockopt(session, fd, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
    EXPECT_EQ(len, 8u);
    ::close(fd);
}

TEST_F(ShmifsockApi, UdpDatagramsCarryTheHeaderBothWays) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    const int end = sockets.daemon_end(sockets.last());
    const auto to = inet("10.0.0.2", 53);
    ASSERT_EQ(shmifsock_sendto(session, fd, "hello", 5, 0, as_sockaddr(to), sizeof to), 5);
    unsigned char wire[64];
    ASSERT_EQ(::recv(end, wire, sizeof wire, 0), 29);
    shmifsock_dgram header{};
    std::memcpy(&header, wire, sizeof header);
    EXPECT_EQ(header.family, AF_INET);
    EXPECT_EQ(header.port, htons(53));
    EXPECT_EQ(std::memcmp(header.addr, &to.sin_addr, 4), 0);
    EXPECT_EQ(std::memcmp(wire + 24, "hello", 5), 0);

    ASSERT_EQ(shmifsock_sendto(session, fd, "x", 1, 0, nullptr, 0), 1);  // the connected peer
    ASSERT_EQ(::recv(end, wire, sizeof wire, 0), 25);
    std::memcpy(&header, wire, sizeof header);
    EXPECT_EQ(header.family, 0);

    // From the daemon: source 10.0.0.9:99, cut short by the daemon.
    header = {};
    header.family = AF_INET;
    header.port = htons(99);
    header.flags = SHMIFSOCK_DGRAM_TRUNCATED;
    const unsigned char source[4] = {10, 0, 0, 9};
    std::memcpy(header.addr, source, 4);
    std::memcpy(wire, &header, sizeof header);
    std::memcpy(wire + 24, "world", 5);
    ASSERT_EQ(::send(end, wire, 29, 0), 29);
    char data[16] = {};
    iovec part{data, sizeof data};
    sockaddr_in from{};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &part;
    msg.msg_iovlen = 1;
    ASSERT_EQ(shmifsock_recvmsg(session, fd, &msg, 0), 5);
    EXPECT_STREQ(data, "world");
    EXPECT_EQ(msg.msg_namelen, sizeof from);
    EXPECT_EQ(from.sin_port, htons(99));
    EXPECT_EQ(std::memcmp(&from.sin_addr, source, 4), 0);
    EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);

    // A buffer too small: what fits, MSG_TRUNC as the kernel says.
    header.flags = 0;
    std::memcpy(wire, &header, sizeof header);
    ASSERT_EQ(::send(end, wire, 29, 0), 29);
    msg.msg_iov->iov_len = 3;
    ASSERT_EQ(shmifsock_recvmsg(session, fd, &msg, 0), 3);
    EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);

    static char big[65508];
    EXPECT_EQ(shmifsock_sendto(session, fd, big, sizeof big, 0, as_sockaddr(to), sizeof to), -1);
    EXPECT_EQ(errno, EMSGSIZE);
    ::close(fd);
}

TEST_F(ShmifsockApi, IsVirtualKnowsItsDaemonsSocketsOnly) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    std::uint64_t id = 0;
    EXPECT_EQ(shmifsock_is_virtual(session, fd, &id), 1);
    EXPECT_EQ(id, sockets.last());
    const int copy = ::dup(fd);  // any copy says the same
    EXPECT_EQ(shmifsock_is_virtual(session, copy, nullptr), 1);
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    EXPECT_EQ(shmifsock_is_virtual(session, pipe_fds[0], nullptr), 0);
    // Another daemon run's socket (another tag) is not ours.
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    sockaddr_un other{};
    other.sun_family = AF_UNIX;
    // (the id is our pid: abstract names are shared with tests running at once)
    const std::string name = "shmifd/00000000000000aa/" + std::to_string(::getpid());
    std::memcpy(other.sun_path + 1, name.data(), name.size());
    ASSERT_EQ(::bind(pair[1], reinterpret_cast<sockaddr*>(&other),
                     static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())),
              0);
    EXPECT_EQ(shmifsock_is_virtual(session, pair[0], nullptr), 0);
    for (const int f : {fd, copy, pipe_fds[0], pipe_fds[1], pair[0], pair[1]})
        ::close(f);
    EXPECT_EQ(shmifsock_is_virtual(session, fd, nullptr), -1);
    EXPECT_EQ(errno, EBADF);
}

TEST_F(ShmifsockApi, ADeadDaemonIsAnErrorNeverAHang) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    daemon->die();
    ASSERT_TRUE([&] {  // the listener goes with it
        for (int i = 0; i < 200 && ::access(daemon->path().c_str(), F_OK) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return ::access(daemon->path().c_str(), F_OK) != 0;
    }());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(shmifsock_listen(session, fd, 1), -1);
    EXPECT_TRUE(errno == ECONNRESET || errno == EPIPE) << std::strerror(errno);
    EXPECT_EQ(shmifsock_socket(session, AF_INET, SOCK_STREAM, 0), -1);
    EXPECT_EQ(errno, ENOTCONN);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    ::close(fd);
}

TEST_F(ShmifsockApi, AConnectionTheProgramClosedIsForgottenNotClosedAgain) {
    // Find the session's connection: the descriptor whose peer is the fake's socket file.
    int control = -1;
    for (int fd = 3; fd < 256 && control < 0; ++fd) {
        sockaddr_un peer{};
        socklen_t len = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
            daemon->path() == peer.sun_path)
            control = fd;
    }
    ASSERT_GE(control, 0);
    // A program closing descriptors it does not know, then a pipe taking that number: dup2
    // does both at once, so no other thread (the fake's) can take the number in between.
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    ASSERT_EQ(::dup2(pipe_fds[0], control), control);
    ::close(pipe_fds[0]);
    pipe_fds[0] = control;
    // The next request goes on a new connection (it names no socket, so it may), and the
    // pipe is still the program's.
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(::fcntl(control, F_GETFD), 0);
    EXPECT_EQ(daemon->connections(), 2);
    for (const int f : {fd, pipe_fds[0], pipe_fds[1]})
        ::close(f);
}

TEST_F(ShmifsockApi, ARequestNamingASocketIsNotSentAgainToAnotherDaemonRun) {
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    // The daemon restarts: same path, a new run.
    const auto path = daemon->path();
    daemon.reset();
    FakeSockets others;
    FakeDaemon restarted(path, [&](const json& r) {
        if (r["cmd"] == "sock.open") return others.open(r["args"]["type"]);
        return Answer::success({{"protocol", 1}});
    });
    EXPECT_EQ(shmifsock_listen(session, fd, 1), -1);  // not to the new run: its ids differ
    EXPECT_TRUE(errno == EPIPE || errno == ECONNRESET) << std::strerror(errno);
    for (const auto& r : restarted.requests())
        EXPECT_NE(r["cmd"], "sock.listen");
    // One that names none is: a socket of the new run at once, and the old one is not its.
    const int fresh = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0);
    EXPECT_GE(fresh, 0) << std::strerror(errno);
    EXPECT_EQ(shmifsock_is_virtual(session, fd, nullptr), 0);
    EXPECT_EQ(shmifsock_listen(session, fd, 1), -1);
    EXPECT_EQ(errno, EBADF);
    ::close(fd);
    ::close(fresh);
}

TEST_F(ShmifsockApi, AForkedChildOpensItsOwnConnection) {
    const int before = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(before, 0);
    const pid_t child = ::fork();
    if (child == 0) {
        const int fd = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0);
        std::uint64_t id = 0;
        ::_exit(fd >= 0 && shmifsock_is_virtual(session, before, &id) == 1 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(daemon->connections(), 2);
    // The parent's connection was not disturbed.
    const int after = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    EXPECT_GE(after, 0);
    EXPECT_EQ(daemon->connections(), 2);
    ::close(before);
    ::close(after);
}

TEST_F(ShmifsockApi, ThreadsShareASession) {
    constexpr int kThreads = 4;
    constexpr int kEach = 50;
    std::vector<std::vector<int>> opened(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i)
                opened[static_cast<std::size_t>(t)].push_back(
                    shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0));
        });
    for (auto& t : threads)
        t.join();
    std::set<std::uint64_t> ids;
    for (const auto& fds : opened)
        for (const int fd : fds) {
            std::uint64_t id = 0;
            ASSERT_GE(fd, 0);
            EXPECT_EQ(shmifsock_is_virtual(session, fd, &id), 1);
            ids.insert(id);
            ::close(fd);
        }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(ShmifsockConnect, FailsWithTheReasonWhenNoDaemonAnswers) {
    shmif::test::TempDir dir;
    errno = 0;
    EXPECT_EQ(shmifsock_connect(dir.file("nothing.sock").c_str()), nullptr);
    EXPECT_EQ(errno, ENOENT);
    FakeDaemon stranger(dir.file("other.sock"),
                        [](const json&) { return Answer::failure("unknown_command"); });
    EXPECT_EQ(shmifsock_connect(stranger.path().c_str()), nullptr);
    EXPECT_EQ(errno, EPROTO);
}

TEST(ShmifsockConnect, NullPathReadsTheEnvironment) {
    shmif::test::TempDir dir;
    FakeDaemon fake(dir.file("env.sock"), [](const json&) {
        return Answer::success({{"protocol", 1}});
    });
    ::setenv("SHMIFSOCK_SOCKET", fake.path().c_str(), 1);
    shmifsock_session* session = shmifsock_connect(nullptr);
    ::unsetenv("SHMIFSOCK_SOCKET");
    ASSERT_NE(session, nullptr);
    EXPECT_STREQ(shmifsock_session_path(session), fake.path().c_str());
    shmifsock_close_session(session);
}

}  // namespace
}  // namespace shmifsock::test
