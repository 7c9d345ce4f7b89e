// ControlChannel over a socketpair whose other end plays the daemon: lines in pieces,
// descriptors on a line's first byte, the daemon going away.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "control_channel.hpp"
#include "shmifd/control/pass_fds.hpp"

namespace shmifsock {
namespace {

struct Pair {
    int daemon = -1;
    ControlChannel channel{UniqueFd()};
    Pair() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        daemon = fds[1];
        channel = ControlChannel(UniqueFd(fds[0]));
    }
    ~Pair() {
        if (daemon >= 0) ::close(daemon);
    }
    // Writes `bytes`, with `fd` attached when it is not -1.
    void write(const std::string& bytes, int fd = -1) const {
        const int fds[1] = {fd};
        ASSERT_EQ(shmifd::control::send_with_fds(daemon, bytes.data(), bytes.size(),
                                                 std::span(fds, fd >= 0 ? 1 : 0), 0),
                  static_cast<ssize_t>(bytes.size()));
    }
};

TEST(ControlChannel, SendsWholeLines) {
    Pair p;
    ASSERT_TRUE(p.channel.send("{\"v\":1}\n"));
    char got[16] = {};
    EXPECT_EQ(::read(p.daemon, got, sizeof got), 8);
    EXPECT_STREQ(got, "{\"v\":1}\n");
}

TEST(ControlChannel, AssemblesALineFromPiecesWithItsDescriptor) {
    Pair p;
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    p.write("{", pipe_fds[0]);
    p.write("\"ok\":true}");
    p.write("\n");
    ::close(pipe_fds[0]);
    auto line = p.channel.read_line();
    ASSERT_TRUE(line);
    EXPECT_EQ(line->text, "{\"ok\":true}");
    ASSERT_EQ(line->fds.size(), 1u);
    // It is the pipe's read end, close-on-exec.
    ASSERT_EQ(::write(pipe_fds[1], "x", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(line->fds[0].get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
    EXPECT_EQ(::fcntl(line->fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ::close(pipe_fds[1]);
}

TEST(ControlChannel, SplitsTwoLinesReadAtOnce) {
    Pair p;
    p.write("first\nsecond\n");
    EXPECT_EQ(p.channel.read_line()->text, "first");
    EXPECT_EQ(p.channel.read_line()->text, "second");
}

TEST(ControlChannel, ADaemonThatWentAwayIsAnErrorNotAHangOrASignal) {
    Pair p;
    p.write("partial");
    ::close(p.daemon);
    p.daemon = -1;
    EXPECT_EQ(p.channel.read_line().error(), ECONNRESET);
    // No SIGPIPE: the test would die of it.
    EXPECT_EQ(p.channel.send("{}\n").error(), EPIPE);
}

TEST(ControlChannel, RefusesALineWithoutEnd) {
    Pair p;
    const std::string chunk(64 * 1024, 'x');
    std::thread writer([&] {
        for (std::size_t sent = 0; sent <= ControlChannel::kMaxLine + chunk.size();
             sent += chunk.size()) {
            if (::send(p.daemon, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;
        }
    });
    EXPECT_EQ(p.channel.read_line().error(), EPROTO);
    ::shutdown(p.daemon, SHUT_RDWR);
    writer.join();
}

}  // namespace
}  // namespace shmifsock
