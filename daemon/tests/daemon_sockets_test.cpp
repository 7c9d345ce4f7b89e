// The socket service under the faults issue 13 names, on real daemons through libshmifsock:
// clients killed mid-transfer leave nothing behind, a stopped daemon makes a client's calls
// fail instead of hang, and per-client limits and back-pressure bound what a client can take.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "daemon_fixture.hpp"
#include "inet_sockaddr.hpp"
#include "shmifsock.h"
#include "shmifsock/wire.h"

namespace shmifd::test {
namespace {

using nlohmann::json;
using shmif::test::inet;
using namespace std::chrono_literals;

class SocketServiceTest : public DaemonFixture {
  protected:
    void SetUp() override {
        a = start("a", lan, "10.0.0.1/24");
        b = start("b", lan, "10.0.0.2/24", {"--serve", "echo", "--serve", "discard"});
        ASSERT_EQ(received(*a, "10.0.0.2"), 2u);
    }

    // A connected TCP socket through `session`, or -1.
    static int connect_to(shmifsock_session* session, const char* ip, int port) {
        const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return -1;
        const auto sa = inet(ip, static_cast<std::uint16_t>(port));
        if (shmifsock_connect_socket(session, fd, reinterpret_cast<const sockaddr*>(&sa),
                                     sizeof sa) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }

    static std::size_t sockets(DaemonProcess& d) { return d.ok("sock.list")["sockets"].size(); }

    // Connections of the daemon's stack other than listeners and TIME-WAIT.
    static std::size_t live_connections(DaemonProcess& d) {
        std::size_t n = 0;
        // A copy: the loop must not range over a temporary.
        const auto connections = d.ok("tcp.list").value("connections", json::array());
        for (const auto& c : connections) {
            const auto state = c.value("state", std::string());
            if (state != "LISTEN" && state != "TIME-WAIT") ++n;
        }
        return n;
    }

    std::unique_ptr<DaemonProcess> a;
    std::unique_ptr<DaemonProcess> b;
};

TEST_F(SocketServiceTest, KilledClientsLeaveNoSocketAndNoConnection) {
    // Half of the clients write to the discard service (all read: a FIN follows their death),
    // half to the echo service without reading the echo (unread data: a RST, as the kernel).
    constexpr int clients = 1000;
    constexpr int batch = 25;
    const std::string socket = a->socket();
    int killed = 0;
    for (int started = 0; started < clients; started += batch) {
        std::vector<pid_t> children;
        int ready[2];
        ASSERT_EQ(::pipe(ready), 0);
        for (int i = 0; i < batch; ++i) {
            const pid_t pid = ::fork();
            ASSERT_GE(pid, 0);
            if (pid == 0) {
                ::close(ready[0]);
                auto* session = shmifsock_connect(socket.c_str());
                const int fd =
                    session ? connect_to(session, "10.0.0.2", (started + i) % 2 ? 7 : 9) : -1;
                std::vector<char> data(16 * 1024, 'x');
                if (fd >= 0) (void)::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
                const char status = fd >= 0 ? 'y' : 'n';
                (void)::write(ready[1], &status, 1);
                ::pause();  // until SIGKILL, mid-transfer
                ::_exit(0);
            }
            children.push_back(pid);
        }
        ::close(ready[1]);
        int connected = 0;
        for (int i = 0; i < batch; ++i) {
            char status = 0;
            if (::read(ready[0], &status, 1) == 1 && status == 'y') ++connected;
        }
        ::close(ready[0]);
        EXPECT_EQ(connected, batch);
        for (pid_t pid : children) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            ++killed;
        }
    }
    EXPECT_EQ(killed, clients);
    EXPECT_TRUE(wait_until([&] { return sockets(*a) == 0; }, 20s)) << a->ok("sock.list").dump();
    EXPECT_TRUE(wait_until([&] { return live_connections(*a) == 0; }, 20s))
        << a->ok("tcp.list").dump();
    EXPECT_TRUE(wait_until([&] { return live_connections(*b) == 0; }, 20s))
        << b->ok("tcp.list").dump();
    // The daemon still serves: a new client works.
    auto* session = shmifsock_connect(socket.c_str());
    ASSERT_NE(session, nullptr);
    const int fd = connect_to(session, "10.0.0.2", 7);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, "ping", 4, 0), 4);
    char back[4] = {};
    EXPECT_EQ(::recv(fd, back, sizeof back, MSG_WAITALL), 4);
    ::close(fd);
    shmifsock_close_session(session);
}

TEST_F(SocketServiceTest, AStoppedDaemonFailsTheClientsCallsInsteadOfHangingThem) {
    auto* session = shmifsock_connect(a->socket().c_str());
    ASSERT_NE(session, nullptr);
    const int fd = connect_to(session, "10.0.0.2", 7);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(a->stop(SIGTERM), 0);
    // Reads end (EOF or ECONNRESET), writes fail with EPIPE, requests fail: none blocks.
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    char byte;
    const auto n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
    EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n << " " << std::strerror(errno);
    EXPECT_EQ(::send(fd, "x", 1, MSG_NOSIGNAL), -1);
    EXPECT_EQ(errno, EPIPE);
    const int another = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(another, -1);
    EXPECT_TRUE(errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN) << std::strerror(errno);
    ::close(fd);
    shmifsock_close_session(session);
}

TEST_F(SocketServiceTest, AClientOverItsSocketLimitGetsEmfileAndOthersAreServed) {
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_max < 2100) GTEST_SKIP() << "needs 2100 descriptors, the hard limit is lower";
    limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, 2100);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
    auto* session = shmifsock_connect(a->socket().c_str());
    ASSERT_NE(session, nullptr);
    std::vector<int> fds;
    int fd = -1;
    while (fds.size() < 2000 && (fd = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0)) >= 0)
        fds.push_back(fd);
    EXPECT_EQ(fds.size(), 1024u);  // PROTOCOL.md: max_sockets_per_client
    EXPECT_EQ(errno, EMFILE);
    // Another client is not held back by this one.
    auto* other = shmifsock_connect(a->socket().c_str());
    ASSERT_NE(other, nullptr);
    const int echo = connect_to(other, "10.0.0.2", 7);
    EXPECT_GE(echo, 0);
    if (echo >= 0) ::close(echo);
    shmifsock_close_session(other);
    for (int f : fds)
        ::close(f);
    EXPECT_TRUE(wait_until([&] { return sockets(*a) == 0; }, 10s)) << a->ok("sock.list").dump();
    shmifsock_close_session(session);
}

TEST_F(SocketServiceTest, AWriterWhosePeerNeverReadsIsHeldBackAndOthersFlow) {
    auto* server = shmifsock_connect(b->socket().c_str());
    auto* client = shmifsock_connect(a->socket().c_str());
    ASSERT_NE(server, nullptr);
    ASSERT_NE(client, nullptr);
    const int listener = shmifsock_socket(server, AF_INET, SOCK_STREAM, 0);
    const auto any = inet("0.0.0.0", 6000);
    ASSERT_EQ(shmifsock_bind(server, listener, reinterpret_cast<const sockaddr*>(&any), sizeof any),
              0);
    ASSERT_EQ(shmifsock_listen(server, listener, 8), 0);
    const int writer = connect_to(client, "10.0.0.2", 6000);
    ASSERT_GE(writer, 0);
    const int sleeper = shmifsock_accept4(server, listener, nullptr, nullptr, 0);
    ASSERT_GE(sleeper, 0);  // accepted, never read
    // Non-blocking writes stop with EAGAIN once the buffers on the way are full: bounded.
    std::vector<char> chunk(64 * 1024, 'w');
    std::size_t written = 0;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto n = ::send(writer, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
            continue;
        }
        ASSERT_EQ(errno, EAGAIN);
        pollfd p{writer, POLLOUT, 0};
        if (::poll(&p, 1, 300) == 0) break;  // nothing drained for 300 ms: held back
    }
    EXPECT_GT(written, 0u);
    EXPECT_LT(written, std::size_t{32} << 20) << "nothing held the writer back";
    // Meanwhile another connection moves a megabyte through the echo service.
    const int echo = connect_to(client, "10.0.0.2", 7);
    ASSERT_GE(echo, 0);
    std::vector<char> out(1 << 20, 'e');
    std::vector<char> in(out.size());
    std::size_t sent = 0;
    std::size_t got = 0;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (got < in.size() && std::chrono::steady_clock::now() < until) {
        if (sent < out.size()) {
            const auto n =
                ::send(echo, out.data() + sent, std::min<std::size_t>(65536, out.size() - sent),
                       MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) sent += static_cast<std::size_t>(n);
        }
        const auto n = ::recv(echo, in.data() + got, in.size() - got, MSG_DONTWAIT);
        if (n > 0) got += static_cast<std::size_t>(n);
        if (n <= 0) {
            pollfd p{echo, POLLIN, 0};
            ::poll(&p, 1, 10);
        }
    }
    EXPECT_EQ(got, in.size());
    for (int f : {echo, writer, sleeper, listener})
        ::close(f);
    shmifsock_close_session(client);
    shmifsock_close_session(server);
}

TEST_F(SocketServiceTest, LingerOffAndOnAndTheTagInVersion) {
    auto* session = shmifsock_connect(a->socket().c_str());
    ASSERT_NE(session, nullptr);
    const int fd = shmifsock_socket(session, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    for (const linger value : {linger{1, 0}, linger{0, 0}, linger{1, 5}}) {
        ASSERT_EQ(shmifsock_setsockopt(session, fd, SOL_SOCKET, SO_LINGER, &value, sizeof value), 0)
            << value.l_onoff << " " << std::strerror(errno);
        linger back{};
        socklen_t size = sizeof back;
        ASSERT_EQ(shmifsock_getsockopt(session, fd, SOL_SOCKET, SO_LINGER, &back, &size), 0);
        EXPECT_EQ(back.l_onoff, value.l_onoff);
        if (value.l_onoff) {
            EXPECT_EQ(back.l_linger, value.l_linger);
        }
    }
    // The tag in every socket's name is the one version announces.
    std::uint64_t id = 0;
    EXPECT_EQ(shmifsock_is_virtual(session, fd, &id), 1);
    const auto tag = a->ok("version").value("sock_tag", std::string());
    EXPECT_EQ(tag.size(), 16u);
    EXPECT_EQ(a->ok("sock.name", {{"sock", id}}).value("state", std::string()), "open");
    sockaddr_un peer{};
    socklen_t length = sizeof peer;
    ASSERT_EQ(::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length), 0);
    EXPECT_EQ(std::string(peer.sun_path + 1, length - offsetof(sockaddr_un, sun_path) - 1),
              "shmifd/" + tag + "/" + std::to_string(id));
    ::close(fd);
    shmifsock_close_session(session);
}

// One request on a fresh connection to `socket_path`, read with the descriptor its reply
// carries (-1 when none): what libshmifsock does for sock.open and sock.lane.
std::pair<json, int> call_for_descriptor(const std::string& socket_path, const std::string& cmd,
                                         const json& args = json::object()) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return {json(), -1};
    }
    const std::string line = json{{"v", 1}, {"id", 1}, {"cmd", cmd}, {"args", args}}.dump() + "\n";
    (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    std::string text;
    int passed = -1;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) continue;
        char buffer[4096];
        iovec part{buffer, sizeof buffer};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        msghdr message{};
        message.msg_iov = &part;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
        if (n <= 0) break;
        for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                std::memcpy(&passed, CMSG_DATA(c), sizeof passed);
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto reply = json::parse(text.substr(0, text.find('\n')), nullptr, false);
    return {reply.is_object() ? reply.value("result", json()) : json(), passed};
}

// A lane (sock.lane) carries TCP_NODELAY to a worker without a request or a reply; what is
// not a change (the wrong size, option or value, no such socket, a UDP socket) is counted
// and dropped, and the lane and the connection go on; the lane closes with its client end.
TEST_F(SocketServiceTest, ALaneSetsTcpNodelayWithoutARequestAndCountsWhatIsNoChange) {
    auto* session = shmifsock_connect(a->socket().c_str());
    ASSERT_NE(session, nullptr);
    const int fd = connect_to(session, "10.0.0.2", 7);  // b's echo
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const int udp_fd = shmifsock_socket(session, AF_INET, SOCK_DGRAM, 0);
    std::uint64_t tcp = 0, udp = 0;
    ASSERT_EQ(shmifsock_is_virtual(session, fd, &tcp), 1);
    ASSERT_EQ(shmifsock_is_virtual(session, udp_fd, &udp), 1);

    const auto [reply, lane] = call_for_descriptor(a->socket(), "sock.lane");
    ASSERT_GE(lane, 0) << reply.dump();
    const auto name = reply.value("name", std::string());
    const auto tag = a->ok("version").value("sock_tag", std::string());
    EXPECT_EQ(name.rfind("shmifd-lane/" + tag + "/", 0), 0u) << name;
    sockaddr_un peer{};
    socklen_t length = sizeof peer;
    ASSERT_EQ(::getpeername(lane, reinterpret_cast<sockaddr*>(&peer), &length), 0);
    EXPECT_EQ(std::string(peer.sun_path + 1, length - offsetof(sockaddr_un, sun_path) - 1), name);

    auto no_delay = [&] {
        return a->ok("sock.getopt", {{"sock", tcp}, {"name", "TCP_NODELAY"}}).value("value", -1);
    };
    auto send_change = [&](shmifsock_lane_change change, std::size_t size = sizeof change) {
        std::byte bytes[sizeof change + 1] = {};
        std::memcpy(bytes, &change, sizeof change);
        return ::send(lane, bytes, size, MSG_NOSIGNAL) == static_cast<ssize_t>(size);
    };
    EXPECT_EQ(no_delay(), 0);
    ASSERT_TRUE(send_change({tcp, SHMIFSOCK_LANE_TCP_NODELAY, 1}));
    EXPECT_TRUE(wait_until([&] { return no_delay() == 1; }));

    EXPECT_TRUE(send_change({tcp, SHMIFSOCK_LANE_TCP_NODELAY, 0}, 8));
    EXPECT_TRUE(
        send_change({tcp, SHMIFSOCK_LANE_TCP_NODELAY, 0}, sizeof(shmifsock_lane_change) + 1));
    EXPECT_TRUE(send_change({tcp, 99, 0}));
    EXPECT_TRUE(send_change({tcp, SHMIFSOCK_LANE_TCP_NODELAY, 2}));
    EXPECT_TRUE(send_change({0, SHMIFSOCK_LANE_TCP_NODELAY, 0}));
    EXPECT_TRUE(send_change({999999, SHMIFSOCK_LANE_TCP_NODELAY, 0}));
    EXPECT_TRUE(send_change({udp, SHMIFSOCK_LANE_TCP_NODELAY, 0}));
    ASSERT_TRUE(send_change({tcp, SHMIFSOCK_LANE_TCP_NODELAY, 0}));
    auto lanes = [&] { return a->ok("sock.list").value("lanes", json::object()); };
    EXPECT_TRUE(wait_until([&] {
        return lanes().value("changes", 0) == 2 && lanes().value("rejected", 0) == 7;
    })) << lanes().dump();
    EXPECT_EQ(no_delay(), 0);
    EXPECT_EQ(lanes().value("open", 0), 1);

    // The connection is untouched.
    ASSERT_EQ(::send(fd, "ping", 4, MSG_NOSIGNAL), 4);
    char echoed[4] = {};
    std::size_t got = 0;
    pollfd p{fd, POLLIN, 0};
    while (got < sizeof echoed && ::poll(&p, 1, 5000) == 1) {
        const ssize_t n = ::recv(fd, echoed + got, sizeof echoed - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    EXPECT_EQ(std::string(echoed, got), "ping");

    ::close(lane);
    EXPECT_TRUE(wait_until([&] { return lanes().value("open", -1) == 0; })) << lanes().dump();
    ::close(udp_fd);
    ::close(fd);
    shmifsock_close_session(session);
}

// A lane is read by the worker that runs the socket it was asked for (libshmifsock names the
// socket whose change asked): that socket's changes need no hand-off between workers.
TEST_F(SocketServiceTest, ALaneIsReadByTheWorkerOfTheSocketItWasAskedFor) {
    auto* session = shmifsock_connect(a->socket().c_str());
    ASSERT_NE(session, nullptr);
    const int fd = connect_to(session, "10.0.0.2", 7);  // b's echo
    ASSERT_GE(fd, 0) << std::strerror(errno);
    std::uint64_t tcp = 0;
    ASSERT_EQ(shmifsock_is_virtual(session, fd, &tcp), 1);
    int worker = -1;
    const auto list = a->ok("sock.list");
    for (const auto& row : list["sockets"])
        if (row.value("sock", std::uint64_t{0}) == tcp) worker = row.value("worker", -1);
    ASSERT_GE(worker, 0) << a->ok("sock.list").dump();

    std::vector<int> lanes;
    for (int i = 0; i < 4; ++i) {  // round-robin would spread these over both workers
        const auto [reply, lane] = call_for_descriptor(a->socket(), "sock.lane", {{"sock", tcp}});
        ASSERT_GE(lane, 0) << reply.dump();
        lanes.push_back(lane);
    }
    auto by_worker = [&] { return a->ok("sock.list")["lanes"].value("workers", json::array()); };
    ASSERT_TRUE(wait_until([&] {
        const auto w = by_worker();
        const auto ours = static_cast<std::size_t>(worker);
        return w.size() == 2 && w[ours] == 4 && w[1 - ours] == 0;
    })) << by_worker().dump()
        << " (the socket's worker: " << worker << ")";
    for (const int lane : lanes)
        ::close(lane);
    EXPECT_TRUE(wait_until([&] {
        return by_worker() == json::array({0, 0});
    })) << by_worker().dump();
    ::close(fd);
    shmifsock_close_session(session);
}

}  // namespace
}  // namespace shmifd::test
