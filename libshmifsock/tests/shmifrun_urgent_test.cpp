// TCP urgent data (send MSG_OOB) of unmodified python3 programs under shmifrun: between two
// daemons, and against the Linux kernel's TCP through shmiftap in a namespace the test owns,
// both as client and as server. Each side checks what a kernel socket gives: SIGURG to the
// owner, the exceptional condition in select, a read that stops at the mark, SIOCATMARK,
// recv MSG_OOB, and with SO_OOBINLINE the byte in the stream at the mark.
#include <gtest/gtest.h>

#include <string>

#include "netns.hpp"
#include "process.hpp"
#include "tap_bridge.hpp"
#include "under_shmifrun.hpp"

namespace shmifsock::test {
namespace {

// `urgent.py server PORT` or `urgent.py client HOST PORT`. The client sends "hello", "!"
// urgent, "world"; the server reads them out of band; then the server sends "abc", "#"
// urgent, "def" and the client reads them inline (SO_OOBINLINE). Each side says "go" once
// its SIGURG owner is set, so no urgent pointer arrives before it.
constexpr const char* kUrgentScript = R"(
import fcntl, os, select, signal, socket, struct, sys, time
SIOCATMARK = 0x8905
sigurg = []
signal.signal(signal.SIGURG, lambda *_: sigurg.append(1))

def at_mark(s):
    return struct.unpack('i', fcntl.ioctl(s.fileno(), SIOCATMARK, b'\0' * 4))[0] == 1

def read_exactly(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            sys.exit('end of stream after %r' % data)
        data += chunk
    return data

def ready_for_urgent(s):
    fcntl.fcntl(s.fileno(), fcntl.F_SETOWN, os.getpid())
    s.sendall(b'go')

def send_urgent(s, before, byte, after):
    assert read_exactly(s, 2) == b'go'
    s.sendall(before)
    s.send(byte, socket.MSG_OOB)
    s.sendall(after)

def expect_urgent(s, before, byte, after, inline):
    got = b''
    while len(got) < len(before):
        chunk = s.recv(100)  # stops at the mark
        if not chunk:
            sys.exit('end of stream before the mark')
        got += chunk
    assert got == before, 'before the mark: %r' % got
    _, _, exceptional = select.select([], [], [s], 10)
    assert exceptional, 'no exceptional condition'
    assert at_mark(s), 'not at the mark'
    if inline:
        assert read_exactly(s, 1 + len(after)) == byte + after
    else:
        assert s.recv(1, socket.MSG_OOB) == byte
        assert read_exactly(s, len(after)) == after
    deadline = time.time() + 5
    while not sigurg and time.time() < deadline:
        time.sleep(0.01)
    assert sigurg, 'no SIGURG'
    sigurg.clear()

if sys.argv[1] == 'server':
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('0.0.0.0', int(sys.argv[2])))
    listener.listen()
    s, _ = listener.accept()
    s.settimeout(10)
    ready_for_urgent(s)
    expect_urgent(s, b'hello', b'!', b'world', inline=False)
    send_urgent(s, b'abc', b'#', b'def')
else:
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    send_urgent(s, b'hello', b'!', b'world')
    s.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    ready_for_urgent(s)
    expect_urgent(s, b'abc', b'#', b'def', inline=True)
s.close()
print('ok')
)";

class UrgentUnderShmifrun : public UnderShmifrun {
  protected:
    void SetUp() override {
        UnderShmifrun::SetUp();
        if (IsSkipped()) return;
        if (!installed(kPython)) GTEST_SKIP() << "python3 is not installed";
        write_text_file(dir.file("urgent.py"), kUrgentScript);
    }
    std::string script(const std::string& args) const {
        return std::string(kPython) + " " + dir.file("urgent.py") + " " + args;
    }
};

TEST_F(UrgentUnderShmifrun, BetweenTwoDaemons) {
    const auto server = run(*b, "exec " + script("server 7200"), "urgent-server.log");
    ASSERT_TRUE(wait_listening(*b, 7200)) << read_file(dir.file("urgent-server.log"));
    const auto client = run(*a, "exec " + script("client 10.0.0.2 7200"), "urgent-client.log");
    EXPECT_EQ(finish(client), 0) << read_file(dir.file("urgent-client.log"));
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("urgent-server.log"));
    EXPECT_EQ(read_file(dir.file("urgent-client.log")), "ok\n");
    EXPECT_EQ(read_file(dir.file("urgent-server.log")), "ok\n");
}

// Our TCP's URG against Linux's, both ways and in both roles.
TEST_F(UrgentUnderShmifrun, AgainstTheKernelThroughShmiftap) {
    static const std::string why = shmifd::test::kernel_tests_unavailable();
    if (!why.empty()) GTEST_SKIP() << "kernel interop through shmiftap: " << why;
    shmifd::test::NetNs ns(dir, "urgent");
    ASSERT_TRUE(ns.ok());
    shmifd::test::TapBridge bridge(dir, ns,
                                   {.bus = lan, .kernel_cidr = "10.0.0.9/24", .extra = {}});
    std::string reason;
    ASSERT_TRUE(bridge.ready(reason)) << reason;

    // The kernel's client, our server.
    const auto server = run(*b, "exec " + script("server 7201"), "urgent-server.log");
    ASSERT_TRUE(wait_listening(*b, 7201)) << read_file(dir.file("urgent-server.log"));
    const auto kernel_client =
        ns.run_inside({kPython, dir.file("urgent.py"), "client", "10.0.0.2", "7201"}, 30s);
    EXPECT_EQ(kernel_client.exit_code, 0) << kernel_client.err;
    EXPECT_EQ(kernel_client.out, "ok\n");
    EXPECT_EQ(finish(server), 0) << read_file(dir.file("urgent-server.log"));

    // The kernel's server, our client.
    shmifd::test::Process kernel_server(
        dir, ns.exec({kPython, dir.file("urgent.py"), "server", "7202"}));
    ASSERT_TRUE(ns.wait_listening(7202)) << kernel_server.err_so_far();
    const auto client = run(*a, "exec " + script("client 10.0.0.9 7202"), "urgent-client.log");
    EXPECT_EQ(finish(client, 30s), 0) << read_file(dir.file("urgent-client.log"));
    EXPECT_EQ(read_file(dir.file("urgent-client.log")), "ok\n");
    const auto served = kernel_server.wait(10s);
    EXPECT_EQ(served.exit_code, 0) << served.err;
    EXPECT_EQ(served.out, "ok\n");
}

}  // namespace
}  // namespace shmifsock::test
