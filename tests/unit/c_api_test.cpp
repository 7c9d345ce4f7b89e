// The C interface (shmif.h) end to end, through nothing but its own functions: create and
// open, writers, single and batched sends, cursors, receives with and without timeouts,
// error texts, and the event-loop trio fd / prepare / finish.
#include <gtest/gtest.h>
#include <poll.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "shmif/shmif.h"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

std::vector<unsigned char> bytes(std::size_t len, unsigned char seed) {
    std::vector<unsigned char> v(len);
    for (std::size_t i = 0; i < len; ++i)
        v[i] = static_cast<unsigned char>(seed + i * 31);
    return v;
}

struct CBus {
    shmif_bus* bus = nullptr;
    shmif_writer* w = nullptr;
    shmif_cursor* c = nullptr;
    ~CBus() {
        shmif_cursor_free(c);
        shmif_writer_free(w);
        shmif_bus_close(bus);
    }
};

void roundtrip(shmif_format format) {
    TempDir dir;
    const std::string path = dir.file("c.bus");
    CBus b;
    shmif_create_opts opts{};
    opts.format = format;
    opts.size = format == SHMIF_FORMAT_NATIVE ? 4096 + 65536 : 0;
    ASSERT_EQ(shmif_bus_create(path.c_str(), &opts, &b.bus), SHMIF_OK);
    ASSERT_NE(b.bus, nullptr);
    EXPECT_EQ(shmif_bus_max_frame(b.bus), format == SHMIF_FORMAT_NATIVE ? 16352U : 1518U);
    ASSERT_EQ(shmif_writer_new(b.bus, 0x4242, &b.w), SHMIF_OK);
    EXPECT_EQ(shmif_writer_sender(b.w), 0x4242U);
    ASSERT_EQ(shmif_cursor_new(b.bus, 0, SHMIF_START_NEXT, &b.c), SHMIF_OK);

    const auto a = bytes(60, 1), c = bytes(1400, 2), d = bytes(100, 3);
    ASSERT_EQ(shmif_send(b.w, a.data(), a.size()), SHMIF_OK);
    const shmif_iov iov[] = {{c.data(), c.size()}, {d.data(), d.size()}};
    int err = -1;
    EXPECT_EQ(shmif_send_batch(b.w, iov, 2, &err), 2);
    EXPECT_EQ(err, 0);
    EXPECT_EQ(shmif_send_batch(b.w, iov, 0, &err), 0);
    EXPECT_EQ(err, 0);

    std::vector<unsigned char> buf(4 * 2000);
    shmif_frame frames[4];
    for (int i = 0; i < 4; ++i)
        frames[i] = {buf.data() + i * 2000, 2000, 0, 0, 0, 0};
    ASSERT_EQ(shmif_recv(b.c, frames, 4, 0), 3);
    const std::vector<unsigned char>* want[] = {&a, &c, &d};
    for (int i = 0; i < 3; ++i) {
        SCOPED_TRACE(i);
        ASSERT_EQ(frames[i].len, want[i]->size());
        EXPECT_EQ(frames[i].orig_len, want[i]->size());
        EXPECT_EQ(std::memcmp(frames[i].buf, want[i]->data(), frames[i].len), 0);
        EXPECT_EQ(frames[i].sender, 0x4242U);
        EXPECT_GT(frames[i].time_ns, 1'600'000'000ULL * 1'000'000'000ULL);
    }
    EXPECT_EQ(shmif_recv(b.c, frames, 4, 0), 0);
    EXPECT_EQ(shmif_recv(b.c, frames, 0, 0), 0);

    // A small timeout on an idle bus times out: 0 frames, not an error.
    shmif_cursor_set_spin(b.c, 0);
    EXPECT_EQ(shmif_recv(b.c, frames, 4, 10'000'000), 0);

    // With a timeout, frames already there come back at once.
    ASSERT_EQ(shmif_send(b.w, a.data(), a.size()), SHMIF_OK);
    EXPECT_EQ(shmif_recv(b.c, frames, 4, 5'000'000'000LL), 1);
    EXPECT_EQ(frames[0].len, a.size());

    // Errors of sends.
    EXPECT_EQ(shmif_send(b.w, a.data(), 0), SHMIF_ETOOSHORT);
    EXPECT_EQ(shmif_send(b.w, a.data(), SHMIF_MIN_FRAME - 1), SHMIF_ETOOSHORT);
    const auto huge = bytes(shmif_bus_max_frame(b.bus) + 1, 4);
    EXPECT_EQ(shmif_send(b.w, huge.data(), huge.size()), SHMIF_ETOOBIG);
    // A batch stops at the first frame it cannot send and says which and why.
    const shmif_iov mixed[] = {
        {a.data(), a.size()}, {huge.data(), huge.size()}, {a.data(), a.size()}};
    EXPECT_EQ(shmif_send_batch(b.w, mixed, 3, &err), 1);
    EXPECT_EQ(err, SHMIF_ETOOBIG);
    EXPECT_EQ(shmif_send_batch(b.w, mixed + 2, 1, nullptr), 1);  // the caller skips it
    EXPECT_EQ(shmif_recv(b.c, frames, 4, 0), 2);

    // Truncation: the buffer is smaller than the frame.
    ASSERT_EQ(shmif_send(b.w, c.data(), c.size()), SHMIF_OK);
    shmif_frame small = {buf.data(), 10, 0, 0, 0, 0};
    ASSERT_EQ(shmif_recv(b.c, &small, 1, 0), 1);
    EXPECT_EQ(small.len, 10U);
    EXPECT_EQ(small.orig_len, c.size());
    EXPECT_EQ(std::memcmp(buf.data(), c.data(), 10), 0);
    EXPECT_EQ(shmif_cursor_lost(b.c), 0U);
}

TEST(CApi, RoundTripNative) {
    roundtrip(SHMIF_FORMAT_NATIVE);
}
TEST(CApi, RoundTripNetbsd) {
    roundtrip(SHMIF_FORMAT_NETBSD);
}

TEST(CApi, OpenSkipSenderAndStartOldest) {
    TempDir dir;
    const std::string path = dir.file("c.bus");
    CBus maker;
    ASSERT_EQ(shmif_bus_create(path.c_str(), nullptr, &maker.bus), SHMIF_OK);
    EXPECT_EQ(shmif_bus_max_frame(maker.bus), 65553U);  // the defaults: native, 2 MiB
    ASSERT_EQ(shmif_writer_new(maker.bus, 0, &maker.w), SHMIF_OK);
    const std::uint64_t me = shmif_writer_sender(maker.w);
    EXPECT_NE(me, 0U);
    const auto a = bytes(80, 9);
    ASSERT_EQ(shmif_send(maker.w, a.data(), a.size()), SHMIF_OK);

    CBus other;
    ASSERT_EQ(shmif_bus_open(path.c_str(), &other.bus), SHMIF_OK);
    ASSERT_EQ(shmif_writer_new(other.bus, 77, &other.w), SHMIF_OK);
    ASSERT_EQ(shmif_send(other.w, a.data(), a.size()), SHMIF_OK);
    ASSERT_EQ(shmif_cursor_new(other.bus, me, SHMIF_START_OLDEST, &other.c), SHMIF_OK);
    std::vector<unsigned char> buf(200);
    shmif_frame f = {buf.data(), buf.size(), 0, 0, 0, 0};
    ASSERT_EQ(shmif_recv(other.c, &f, 1, 0), 1);
    EXPECT_EQ(f.sender, 77U);  // the maker's own frame was skipped
    EXPECT_EQ(shmif_recv(other.c, &f, 1, 0), 0);
}

TEST(CApi, CreateAndOpenErrors) {
    TempDir dir;
    const std::string path = dir.file("c.bus");
    shmif_bus* bus = nullptr;
    EXPECT_EQ(shmif_bus_open(dir.file("missing").c_str(), &bus), SHMIF_ENOTFOUND);
    EXPECT_EQ(bus, nullptr);
    EXPECT_EQ(shmif_bus_open(nullptr, &bus), SHMIF_EINVAL);
    EXPECT_EQ(shmif_bus_create(path.c_str(), nullptr, nullptr), SHMIF_EINVAL);
    shmif_create_opts bad{};
    bad.size = 100;
    EXPECT_EQ(shmif_bus_create(path.c_str(), &bad, &bus), SHMIF_EINVAL);
    shmif_create_opts ok{};
    ok.size = 4096 + 65536;
    ok.exclusive = 1;
    ASSERT_EQ(shmif_bus_create(path.c_str(), &ok, &bus), SHMIF_OK);
    shmif_bus_close(bus);
    bus = nullptr;
    EXPECT_EQ(shmif_bus_create(path.c_str(), &ok, &bus), SHMIF_EEXIST);
    EXPECT_EQ(bus, nullptr);
    const std::string junk = dir.file("junk");
    FILE* f = std::fopen(junk.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("definitely not a bus, just some text", f);
    std::fclose(f);
    EXPECT_EQ(shmif_bus_open(junk.c_str(), &bus), SHMIF_ENOTBUS);
    shmif_writer* w = nullptr;
    EXPECT_EQ(shmif_writer_new(nullptr, 0, &w), SHMIF_EINVAL);
    shmif_cursor* c = nullptr;
    EXPECT_EQ(shmif_cursor_new(nullptr, 0, SHMIF_START_NEXT, &c), SHMIF_EINVAL);
    // Freeing nothing is fine.
    shmif_bus_close(nullptr);
    shmif_writer_free(nullptr);
    shmif_cursor_free(nullptr);
}

TEST(CApi, Strerror) {
    EXPECT_STREQ(shmif_strerror(SHMIF_OK), "success");
    EXPECT_STREQ(shmif_strerror(SHMIF_ENOTFOUND), "no such bus");
    EXPECT_STREQ(shmif_strerror(SHMIF_EPERM), "permission denied");
    EXPECT_STREQ(shmif_strerror(SHMIF_EEXIST), "bus already exists");
    EXPECT_STREQ(shmif_strerror(SHMIF_ENOTBUS), "not a bus (unknown magic number or size)");
    EXPECT_STREQ(shmif_strerror(SHMIF_EVERSION), "unsupported bus version");
    EXPECT_STREQ(shmif_strerror(SHMIF_ECORRUPT), "corrupt bus header");
    EXPECT_STREQ(shmif_strerror(SHMIF_EINVAL), "invalid argument");
    EXPECT_STREQ(shmif_strerror(SHMIF_ETOOBIG), "frame larger than the bus allows");
    EXPECT_STREQ(shmif_strerror(SHMIF_ELOCK), "bus lock held too long by another writer");
    EXPECT_STREQ(shmif_strerror(SHMIF_ETIMEDOUT), "timed out");
    EXPECT_STREQ(shmif_strerror(SHMIF_EIO), "I/O error");
    EXPECT_STREQ(shmif_strerror(SHMIF_EFENCED),
                 "taken over while stalled holding the bus (batch dropped)");
    EXPECT_STREQ(shmif_strerror(SHMIF_EINTR), "interrupted");
    EXPECT_STREQ(shmif_strerror(SHMIF_ETOOSHORT),
                 "frame shorter than an Ethernet header (14 bytes)");
    EXPECT_EQ(SHMIF_ETOOSHORT, -14);
    EXPECT_STREQ(shmif_strerror(-15), "unknown error");
    EXPECT_STREQ(shmif_strerror(1), "unknown error");
    EXPECT_STREQ(shmif_strerror(-1000000), "unknown error");
}

void fd_wait(shmif_format format) {
    TempDir dir;
    const std::string path = dir.file("c.bus");
    CBus b;
    shmif_create_opts opts{};
    opts.format = format;
    ASSERT_EQ(shmif_bus_create(path.c_str(), &opts, &b.bus), SHMIF_OK);
    ASSERT_EQ(shmif_writer_new(b.bus, 1, &b.w), SHMIF_OK);
    ASSERT_EQ(shmif_cursor_new(b.bus, 0, SHMIF_START_NEXT, &b.c), SHMIF_OK);
    const int fd = shmif_cursor_fd(b.c);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(shmif_cursor_fd(b.c), fd);  // stable while the cursor lives

    ASSERT_EQ(shmif_cursor_prepare_wait(b.c), 1);  // idle: go ahead and wait
    pollfd p{fd, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0);  // nothing yet
    const auto a = bytes(64, 5);
    ASSERT_EQ(shmif_send(b.w, a.data(), a.size()), SHMIF_OK);
    p.revents = 0;
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    EXPECT_TRUE(p.revents & POLLIN);
    shmif_cursor_finish_wait(b.c);

    // A frame is waiting: prepare says do not wait.
    EXPECT_EQ(shmif_cursor_prepare_wait(b.c), 0);
    std::vector<unsigned char> buf(100);
    shmif_frame f = {buf.data(), buf.size(), 0, 0, 0, 0};
    ASSERT_EQ(shmif_recv(b.c, &f, 1, 0), 1);
    EXPECT_EQ(shmif_cursor_prepare_wait(b.c), 1);
    shmif_cursor_finish_wait(b.c);
    // finish drained the fd.
    p.revents = 0;
    EXPECT_EQ(::poll(&p, 1, 0), 0);
}

TEST(CApi, FdPrepareFinishNative) {
    fd_wait(SHMIF_FORMAT_NATIVE);
}
TEST(CApi, FdPrepareFinishNetbsd) {
    fd_wait(SHMIF_FORMAT_NETBSD);
}

}  // namespace
}  // namespace shmif::test
