// Unmodified programs' AF_INET6 sockets under shmifrun between two real daemons, over IPv4 as
// Linux's dual stack carries it (v4-mapped addresses, man 7 ipv6): python3 -m http.server
// bound to :: fetched by curl at [::ffff:10.0.0.2], socat TCP6 both ends, and python3 AF_INET6
// sockets (TCP server on ::, UDP) talking with AF_INET ones; and native IPv6: curl -6 between
// the daemons' global addresses and over the stack's own ::1, ICMPv6 errors to a connected
// UDP socket. Each program runs against its own daemon; every wait is bounded.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>

#include "under_shmifrun.hpp"

namespace shmifsock::test {
namespace {

TEST_F(UnderShmifrun, CurlAtAV4MappedAddressFetchesFromAServerOnDualStackAny) {
    if (!installed(kPython) || !installed("/usr/bin/curl"))
        GTEST_SKIP() << "python3 or curl is not installed";
    const auto body = pattern(300 * 1000);
    const auto server = serve_http(*b, 8010, body, "::");
    const auto client = run(*a,
                            "exec curl -g -sS --max-time 20 -o " + dir.file("fetched") +
                                " 'http://[::ffff:10.0.0.2]:8010/blob'",
                            "curl6.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("curl6.log"));
    EXPECT_TRUE(read_file(dir.file("fetched")) == body) << "the body differs";
    stop(server);
    // The server saw its IPv4 client as a v4-mapped address.
    EXPECT_NE(read_file(dir.file("http8010.log")).find("::ffff:10.0.0.1"), std::string::npos)
        << read_file(dir.file("http8010.log"));
}

// Native IPv6 both ways a program meets it: curl -6 from daemon a to b's global address,
// and on b itself over ::1, the stack's loopback (never the host's).
TEST_F(UnderShmifrun, CurlDashSixOverNativeIpv6AndOverTheStacksLoopback) {
    if (!installed(kPython) || !installed("/usr/bin/curl"))
        GTEST_SKIP() << "python3 or curl is not installed";
    a->ok("addr.add", {{"if", "eth0"}, {"addr", "2001:db8::1/64"}});
    b->ok("addr.add", {{"if", "eth0"}, {"addr", "2001:db8::2/64"}});
    ASSERT_TRUE(ipv6_settled(*a) && ipv6_settled(*b)) << b->ok("addr.list").dump();
    const auto body = pattern(300 * 1000);
    const auto server = serve_http(*b, 8012, body, "::");
    for (const auto& [daemon, url] : {std::pair{a.get(), "http://[2001:db8::2]:8012/blob"},
                                      std::pair{b.get(), "http://[::1]:8012/blob"}}) {
        const auto fetched = dir.file("fetched6");
        std::filesystem::remove(fetched);
        const auto client =
            run(*daemon, std::string("exec curl -6 -g -sS --max-time 20 -o ") + fetched + " " + url,
                "curl6.log");
        EXPECT_EQ(finish(client), 0) << url << ": " << read_file(dir.file("curl6.log"));
        EXPECT_TRUE(read_file(fetched) == body) << url << ": the body differs";
    }
    stop(server);
    const auto log = read_file(dir.file("http8012.log"));
    // http.server logs each request as "CLIENT - - [date] ...".
    auto served = [&](const std::string& client) {
        return ("\n" + log).find("\n" + client + " - - [") != std::string::npos;
    };
    EXPECT_TRUE(served("2001:db8::1")) << log;
    EXPECT_TRUE(served("::1")) << "the loopback fetch: " << log;
}

// ICMPv6 port unreachable reaches a connected AF_INET6 UDP socket as on Linux: python's
// recv raises ConnectionRefusedError.
TEST_F(UnderShmifrun, PythonConnectedUdpOverIpv6ToAClosedPortIsRefused) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    a->ok("addr.add", {{"if", "eth0"}, {"addr", "2001:db8::1/64"}});
    b->ok("addr.add", {{"if", "eth0"}, {"addr", "2001:db8::2/64"}});
    ASSERT_TRUE(ipv6_settled(*a) && ipv6_settled(*b)) << b->ok("addr.list").dump();
    expect_connected_udp_refused("AF_INET6", "2001:db8::2", 7352);
}

TEST_F(UnderShmifrun, SocatTcp6BothEndsOverV4MappedAddresses) {
    if (!installed("/usr/bin/socat")) GTEST_SKIP() << "socat is not installed";
    const auto data = pattern(200 * 1000);
    write_text_file(dir.file("in"), data);
    const auto server =
        run(*b,
            "exec socat -u TCP6-LISTEN:7701,reuseaddr,ipv6only=0 OPEN:" + dir.file("out") +
                ",creat,trunc",
            "socat6-server.log");
    ASSERT_TRUE(wait_listening(*b, 7701)) << read_file(dir.file("socat6-server.log"));
    const auto client =
        run(*a, "exec socat -u OPEN:" + dir.file("in") + " 'TCP6:[::ffff:10.0.0.2]:7701'",
            "socat6-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("socat6-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("socat6-server.log"));
    EXPECT_TRUE(read_file(dir.file("out")) == data) << "the data differs";
}

TEST_F(UnderShmifrun, PythonInet6SocketsTalkWithInetOnesOverIpv4) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    write_text_file(dir.file("server6.py"), R"(
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
assert s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', 5500))
s.listen()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(('::', 5501))
print('listening', s.getsockname()[:2], flush=True)
c, peer = s.accept()
print('tcp peer', peer[0], 'local', c.getsockname()[0], flush=True)
c.sendall(c.recv(100).upper())
c.close()
d, upeer = u.recvfrom(100)
print('udp peer', upeer[0], flush=True)
u.sendto(d.upper(), upeer)
)");
    write_text_file(dir.file("client4.py"), R"(
import socket, sys
c = socket.create_connection(('10.0.0.2', 5500), timeout=10)
c.sendall(b'over tcp')
got = c.recv(100)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
for attempt in range(5):
    u.sendto(b'over udp', ('10.0.0.2', 5501))
    try:
        d, peer = u.recvfrom(100)
        break
    except socket.timeout:
        continue
else:
    sys.exit(2)
print(got, d, peer)
sys.exit(0 if got == b'OVER TCP' and d == b'OVER UDP' and peer == ('10.0.0.2', 5501) else 1)
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("server6.py"), "server6.log");
    ASSERT_TRUE(shmifd::test::wait_until(
        [&] { return read_file(dir.file("server6.log")).find("listening") != std::string::npos; },
        15s))
        << read_file(dir.file("server6.log"));
    const auto client =
        run(*a, std::string("exec ") + kPython + " " + dir.file("client4.py"), "client4.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("client4.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("server6.log"));
    const auto log = read_file(dir.file("server6.log"));
    EXPECT_NE(log.find("listening ('::', 5500)"), std::string::npos) << log;
    EXPECT_NE(log.find("tcp peer ::ffff:10.0.0.1 local ::ffff:10.0.0.2"), std::string::npos) << log;
    EXPECT_NE(log.find("udp peer ::ffff:10.0.0.1"), std::string::npos) << log;
}

}  // namespace
}  // namespace shmifsock::test
