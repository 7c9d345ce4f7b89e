// Unmodified programs under shmifrun between two real daemons: nc (netcat-openbsd) both
// ways, python3 socket scripts (TCP echo with half-close, UDP), curl against
// python3 -m http.server. Each program runs against its own daemon; every wait is bounded.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "under_shmifrun.hpp"

namespace shmifsock::test {
namespace {

// -4 everywhere: IPv4 is what these tests are about (IPv6 sockets: shmifrun_inet6_test.cpp).
TEST_F(UnderShmifrun, NetcatBothWays) {
    if (!installed("/usr/bin/nc")) GTEST_SKIP() << "nc (netcat-openbsd) is not installed";
    const auto data = pattern(300 * 1000);
    write_text_file(dir.file("in"), data);

    // a's client sends to b's server, then half-closes (-N).
    const auto server =
        run(*b, "exec nc -4 -l 7100 < /dev/null > " + dir.file("out1"), "nc-server1.log");
    ASSERT_TRUE(wait_listening(*b, 7100)) << read_file(dir.file("nc-server1.log"));
    const auto client =
        run(*a, "exec nc -4 -N 10.0.0.2 7100 < " + dir.file("in"), "nc-client1.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("nc-client1.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("nc-server1.log"));
    EXPECT_TRUE(read_file(dir.file("out1")) == data) << "nc a -> b: the bytes differ";

    // b's client receives from a's server.
    const auto server2 = run(*a, "exec nc -4 -N -l 7101 < " + dir.file("in"), "nc-server2.log");
    ASSERT_TRUE(wait_listening(*a, 7101)) << read_file(dir.file("nc-server2.log"));
    const auto client2 =
        run(*b, "exec nc -4 10.0.0.1 7101 < /dev/null > " + dir.file("out2"), "nc-client2.log");
    EXPECT_EQ(finish(client2), 0) << read_file(dir.file("nc-client2.log"));
    EXPECT_EQ(finish(server2), 0) << read_file(dir.file("nc-server2.log"));
    EXPECT_TRUE(read_file(dir.file("out2")) == data) << "nc a <- b: the bytes differ";
}

TEST_F(UnderShmifrun, PythonTcpEchoWithHalfClose) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    write_text_file(dir.file("server.py"), R"(
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7200))
s.listen()
c, peer = s.accept()
print('peer', peer[0], flush=True)
while True:
    d = c.recv(65536)
    if not d:
        break
    c.sendall(d)
c.close()
)");
    write_text_file(dir.file("client.py"), R"(
import socket, threading, sys
data = bytes(i * 7 % 251 for i in range(1 << 20))
c = socket.create_connection(('10.0.0.2', 7200), timeout=20)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print('local', c.getsockname()[0], 'peer', c.getpeername(), flush=True)
def send():
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = bytearray()
while True:
    d = c.recv(65536)
    if not d:
        break
    got += d
t.join()
sys.exit(0 if bytes(got) == data else 1)
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("server.py"), "py-server.log");
    ASSERT_TRUE(wait_listening(*b, 7200)) << read_file(dir.file("py-server.log"));
    const auto client =
        run(*a, std::string("exec ") + kPython + " " + dir.file("client.py"), "py-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("py-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("py-server.log"));
    EXPECT_NE(read_file(dir.file("py-server.log")).find("peer 10.0.0.1"), std::string::npos);
    EXPECT_NE(read_file(dir.file("py-client.log")).find("local 10.0.0.1 peer ('10.0.0.2', 7200)"),
              std::string::npos)
        << read_file(dir.file("py-client.log"));
}

TEST_F(UnderShmifrun, PythonUdp) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    write_text_file(dir.file("udp_server.py"), R"(
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 5400))
print('bound', flush=True)
d, peer = s.recvfrom(2048)
s.sendto(d.upper(), peer)
print('from', peer[0], flush=True)
)");
    write_text_file(dir.file("udp_client.py"), R"(
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for attempt in range(5):
    s.sendto(b'hello over the bus', ('10.0.0.2', 5400))
    try:
        d, peer = s.recvfrom(2048)
        break
    except socket.timeout:
        continue
else:
    sys.exit(2)
print(d.decode(), peer)
sys.exit(0 if d == b'HELLO OVER THE BUS' and peer == ('10.0.0.2', 5400) else 1)
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("udp_server.py"), "udp-server.log");
    ASSERT_TRUE(shmifd::test::wait_until(
        [&] { return read_file(dir.file("udp-server.log")).find("bound") != std::string::npos; },
        15s));
    const auto client =
        run(*a, std::string("exec ") + kPython + " " + dir.file("udp_client.py"), "udp-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("udp-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("udp-server.log"));
    EXPECT_NE(read_file(dir.file("udp-server.log")).find("from 10.0.0.1"), std::string::npos);
}

TEST_F(UnderShmifrun, CurlAgainstPythonHttpServer) {
    if (!installed(kPython) || !installed("/usr/bin/curl"))
        GTEST_SKIP() << "python3 or curl is not installed";
    const auto body = pattern(500 * 1000);
    const auto server = serve_http(*b, 8000, body);
    const auto client = run(
        *a, "exec curl -sS --max-time 20 -o " + dir.file("fetched") + " http://10.0.0.2:8000/blob",
        "curl.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("curl.log"));
    EXPECT_TRUE(read_file(dir.file("fetched")) == body) << "the body differs";
    stop(server);
    EXPECT_NE(read_file(dir.file("http8000.log")).find("10.0.0.1"), std::string::npos)
        << read_file(dir.file("http8000.log"));
}

TEST_F(UnderShmifrun, PythonAsyncioEcho) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    // Non-blocking sockets, epoll, connect completed by SO_ERROR, write_eof (half-close).
    write_text_file(dir.file("aserver.py"), R"(
import asyncio
async def main():
    done = asyncio.Event()
    async def handle(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()
        done.set()
    server = await asyncio.start_server(handle, '0.0.0.0', 7300)
    async with server:
        await asyncio.wait_for(done.wait(), 30)
asyncio.run(main())
)");
    write_text_file(dir.file("aclient.py"), R"(
import asyncio, sys
async def main():
    reader, writer = await asyncio.wait_for(asyncio.open_connection('10.0.0.2', 7300), 10)
    data = bytes(i * 3 % 253 for i in range(300000))
    async def send():
        writer.write(data)
        await writer.drain()
        writer.write_eof()
    sender = asyncio.create_task(send())
    got = await asyncio.wait_for(reader.read(), 20)
    await sender
    writer.close()
    if got != data:
        same = next((i for i, (x, y) in enumerate(zip(got, data)) if x != y), min(len(got), len(data)))
        print('echo differs: got', len(got), 'of', len(data), 'bytes, the same up to', same)
    return got == data
sys.exit(0 if asyncio.run(main()) else 1)
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("aserver.py"), "aserver.log");
    ASSERT_TRUE(wait_listening(*b, 7300)) << read_file(dir.file("aserver.log"));
    const auto client =
        run(*a, std::string("exec ") + kPython + " " + dir.file("aclient.py"), "aclient.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("aclient.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("aserver.log"));
}

// A reset reaches the program as the kernel reports it: the next recv fails with
// ECONNRESET (Python's ConnectionResetError), once; then end-of-file.
TEST_F(UnderShmifrun, PythonSeesAResetAsConnectionResetError) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    write_reset_server("rst_server.py");
    write_text_file(dir.file("rst_client.py"), R"(
import socket, sys
c = socket.create_connection(('10.0.0.2', 7350), timeout=20)
c.sendall(b'hello')
try:
    data = c.recv(100)
    print('recv returned', data)
    sys.exit(1)
except ConnectionResetError:
    print('reset')
print('then', c.recv(100))
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("rst_server.py") + " 7350",
            "rst-server.log");
    ASSERT_TRUE(wait_listening(*b, 7350)) << read_file(dir.file("rst-server.log"));
    const auto client =
        run(*a, std::string("exec ") + kPython + " " + dir.file("rst_client.py"), "rst-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("rst-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("rst-server.log"));
    EXPECT_EQ(read_file(dir.file("rst-client.log")), "reset\nthen b''\n");
}

// The classic probe of a closed UDP port (a DNS client's, a test harness's): a connected
// socket's recv raises ConnectionRefusedError from the ICMP port unreachable, as on Linux.
TEST_F(UnderShmifrun, PythonConnectedUdpToAClosedPortIsRefused) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    expect_connected_udp_refused("AF_INET", "10.0.0.2", 7351);
}

// A write after a reset is told so as the kernel tells it: ECONNRESET once (no SIGPIPE),
// then EPIPE.
TEST_F(UnderShmifrun, PythonWritingAfterAResetSeesConnectionResetThenBrokenPipe) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    write_reset_server("wrst_server.py");
    write_text_file(dir.file("wrst_client.py"), R"(
import socket, time
c = socket.create_connection(('10.0.0.2', 7351), timeout=20)
c.sendall(b'hello')
time.sleep(1)  # the reset arrives
for _ in range(2):
    try:
        c.sendall(b'more')
        print('sent')
    except ConnectionResetError:
        print('reset')
    except BrokenPipeError:
        print('pipe')
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("wrst_server.py") + " 7351",
            "wrst-server.log");
    ASSERT_TRUE(wait_listening(*b, 7351)) << read_file(dir.file("wrst-server.log"));
    const auto client = run(*a, std::string("exec ") + kPython + " " + dir.file("wrst_client.py"),
                            "wrst-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("wrst-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("wrst-server.log"));
    EXPECT_EQ(read_file(dir.file("wrst-client.log")), "reset\npipe\n");
}

// After the connection has ended both ways (and the daemon let go of it), the descriptor
// still names its local address, as a kernel socket does; the peer is gone (ENOTCONN).
TEST_F(UnderShmifrun, PythonNamesAClosedConnectionsLocalEndButNoPeer) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    write_text_file(dir.file("bye_server.py"), R"(
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7352))
s.listen()
c, _ = s.accept()
c.sendall(b'bye')
c.close()
)");
    write_text_file(dir.file("bye_client.py"), R"(
import errno, socket, time
c = socket.create_connection(('10.0.0.2', 7352), timeout=20)
port = c.getsockname()[1]
while c.recv(100):
    pass
c.shutdown(socket.SHUT_WR)
time.sleep(1)  # both FINs are through: the daemon's connection has ended
name = c.getsockname()
print(name[0], name[1] == port)
try:
    print('peer', c.getpeername())
except OSError as e:
    print(errno.errorcode[e.errno])
print('so_error', c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("bye_server.py"), "bye-server.log");
    ASSERT_TRUE(wait_listening(*b, 7352)) << read_file(dir.file("bye-server.log"));
    const auto client =
        run(*a, std::string("exec ") + kPython + " " + dir.file("bye_client.py"), "bye-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("bye-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("bye-server.log"));
    EXPECT_EQ(read_file(dir.file("bye-client.log")), "10.0.0.1 True\nENOTCONN\nso_error 0\n");
}

TEST_F(UnderShmifrun, ForkedChildServesASharedConnection) {
    if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
    // The parent accepts, a forked child answers on the same socket (and asks the daemon
    // about it over its own control connection), the parent closes its copy.
    write_text_file(dir.file("fserver.py"), R"(
import os, socket
s = socket.socket()
s.bind(('0.0.0.0', 7500))
s.listen()
c, peer = s.accept()
pid = os.fork()
if pid == 0:
    c.sendall(('child sees ' + c.getpeername()[0] + '\n').encode())
    os._exit(0)
c.close()
_, status = os.waitpid(pid, 0)
print('child status', status, flush=True)
)");
    write_text_file(dir.file("fclient.py"), R"(
import socket, sys
c = socket.create_connection(('10.0.0.2', 7500), timeout=10)
line = c.makefile().readline()
print(line.strip())
sys.exit(0 if line == 'child sees 10.0.0.1\n' and c.recv(1) == b'' else 1)
)");
    const auto server =
        run(*b, std::string("exec ") + kPython + " " + dir.file("fserver.py"), "fserver.log");
    ASSERT_TRUE(wait_listening(*b, 7500)) << read_file(dir.file("fserver.log"));
    const auto client =
        run(*a, std::string("exec ") + kPython + " " + dir.file("fclient.py"), "fclient.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("fclient.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("fserver.log"));
    EXPECT_NE(read_file(dir.file("fserver.log")).find("child status 0"), std::string::npos)
        << read_file(dir.file("fserver.log"));
}

TEST_F(UnderShmifrun, NetcatUdp) {
    if (!installed("/usr/bin/nc")) GTEST_SKIP() << "nc (netcat-openbsd) is not installed";
    const auto server =
        run(*b, "exec nc -4 -u -l 5500 < /dev/null > " + dir.file("udp-out"), "nc-udp-server.log");
    ASSERT_TRUE(shmifd::test::wait_until(
        [&] {
            const auto list = b->call("sock.list");
            return list && list->dump().find("\"port\":5500") != std::string::npos;
        },
        15s));
    const auto client =
        run(*a, "printf 'one datagram\\n' | exec nc -4 -u -w 1 10.0.0.2 5500", "nc-udp-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("nc-udp-client.log"));
    EXPECT_TRUE(shmifd::test::wait_until(
        [&] { return read_file(dir.file("udp-out")) == "one datagram\n"; }, 10s))
        << "got: " << read_file(dir.file("udp-out"));
    ::kill(server, SIGTERM);
    finish(server, 10s);
}

TEST_F(UnderShmifrun, ServerAndClientOnOneDaemonOverLoopback) {
    if (!installed("/usr/bin/nc")) GTEST_SKIP() << "nc (netcat-openbsd) is not installed";
    // 127.0.0.1 is the daemon's lo, not the host's: nothing listens there on the host.
    const auto server = run(*b, "exec nc -4 -l 127.0.0.1 7600 < /dev/null > " + dir.file("lo-out"),
                            "lo-server.log");
    ASSERT_TRUE(wait_listening(*b, 7600)) << read_file(dir.file("lo-server.log"));
    const auto client = run(*b, "echo over lo | exec nc -4 -N 127.0.0.1 7600", "lo-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("lo-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("lo-server.log"));
    EXPECT_EQ(read_file(dir.file("lo-out")), "over lo\n");
}

}  // namespace
}  // namespace shmifsock::test
