// Zero copy from C: shmif_acquire/shmif_drop_last/shmif_commit on the sending side,
// shmif_wait/shmif_peek/shmif_view_valid/shmif_advance on the receiving side, on both
// formats, with the order rules (no plain send while a batch is open) and a lapped view.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "c_api_formats.hpp"
#include "shmif/shmif.h"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

struct Bus {
    TempDir dir;
    shmif_bus* bus = nullptr;
    shmif_writer* w = nullptr;
    shmif_cursor* c = nullptr;

    explicit Bus(shmif_format format, uint64_t size = 0) {
        shmif_create_opts opts{};
        opts.format = format;
        opts.size = size;
        EXPECT_EQ(shmif_bus_create(dir.file("z.bus").c_str(), &opts, &bus), SHMIF_OK);
        EXPECT_EQ(shmif_writer_new(bus, 0x11, &w), SHMIF_OK);
        EXPECT_EQ(shmif_cursor_new(bus, 0, SHMIF_START_NEXT, &c), SHMIF_OK);
    }
    ~Bus() {
        shmif_cursor_free(c);
        shmif_writer_free(w);
        shmif_bus_close(bus);
    }
};

void fill(void* slot, std::size_t len, unsigned char seed) {
    auto* p = static_cast<unsigned char*>(slot);
    for (std::size_t i = 0; i < len; ++i)
        p[i] = static_cast<unsigned char>(seed + i);
}

bool holds(const shmif_view& v, std::size_t len, unsigned char seed) {
    if (v.len != len) return false;
    const auto* p = static_cast<const unsigned char*>(v.data);
    for (std::size_t i = 0; i < len; ++i)
        if (p[i] != static_cast<unsigned char>(seed + i)) return false;
    return true;
}

class CApiZeroCopy : public ::testing::TestWithParam<shmif_format> {};

TEST_P(CApiZeroCopy, AcquireCommitThenPeekAdvance) {
    Bus b(GetParam());
    void* slot = nullptr;
    ASSERT_EQ(shmif_acquire(b.w, 60, &slot), SHMIF_OK);
    ASSERT_NE(slot, nullptr);
    fill(slot, 60, 1);
    ASSERT_EQ(shmif_acquire(b.w, 1000, &slot), SHMIF_OK);
    fill(slot, 1000, 2);
    shmif_view views[8];
    if (GetParam() == SHMIF_FORMAT_NATIVE) {
        // Nothing is visible before the commit. (NetBSD readers take the lock this writer
        // holds: they would wait for it.)
        EXPECT_EQ(shmif_peek(b.c, views, 8), 0);
        EXPECT_EQ(shmif_wait(b.c, 0), 0);
    }
    EXPECT_EQ(shmif_commit(b.w), 2);
    EXPECT_EQ(shmif_commit(b.w), 0);  // no batch open: nothing to do

    EXPECT_EQ(shmif_wait(b.c, 1'000'000'000), 1);
    ASSERT_EQ(shmif_peek(b.c, views, 8), 2);
    EXPECT_TRUE(holds(views[0], 60, 1));
    EXPECT_TRUE(holds(views[1], 1000, 2));
    EXPECT_EQ(views[0].sender, 0x11U);
    EXPECT_EQ(shmif_view_valid(b.c, &views[0]), 1);
    EXPECT_EQ(shmif_view_valid(b.c, &views[1]), 1);
    if (GetParam() == SHMIF_FORMAT_NATIVE) {
        EXPECT_EQ(views[1].seq, views[0].seq + 1);
    }
    // A peek does not move: the same frames again, until advance.
    ASSERT_EQ(shmif_peek(b.c, views, 8), 2);
    shmif_advance(b.c, 1);
    ASSERT_EQ(shmif_peek(b.c, views, 8), 1);
    EXPECT_TRUE(holds(views[0], 1000, 2));
    shmif_advance(b.c, 1);
    EXPECT_EQ(shmif_peek(b.c, views, 8), 0);
    EXPECT_EQ(shmif_wait(b.c, 1'000'000), 0);  // timed out
}

TEST_P(CApiZeroCopy, DropLastTakesBackOnlyTheLastSlot) {
    Bus b(GetParam());
    void* slot = nullptr;
    ASSERT_EQ(shmif_acquire(b.w, 64, &slot), SHMIF_OK);
    fill(slot, 64, 10);
    ASSERT_EQ(shmif_acquire(b.w, 64, &slot), SHMIF_OK);
    fill(slot, 64, 20);
    shmif_drop_last(b.w);
    shmif_drop_last(b.w);  // only the last one: this does nothing
    ASSERT_EQ(shmif_acquire(b.w, 64, &slot), SHMIF_OK);
    fill(slot, 64, 30);
    EXPECT_EQ(shmif_commit(b.w), 2);
    shmif_view views[4];
    ASSERT_EQ(shmif_peek(b.c, views, 4), 2);
    EXPECT_TRUE(holds(views[0], 64, 10));
    EXPECT_TRUE(holds(views[1], 64, 30));
    if (GetParam() == SHMIF_FORMAT_NATIVE) {
        EXPECT_EQ(views[1].seq, views[0].seq + 1);
    }
    shmif_drop_last(b.w);  // no batch: nothing
}

TEST_P(CApiZeroCopy, BadLengthsAndOrder) {
    Bus b(GetParam());
    void* slot = reinterpret_cast<void*>(1);
    // Refused before any lock is taken: no batch opens.
    EXPECT_EQ(shmif_acquire(b.w, SHMIF_MIN_FRAME - 1, &slot), SHMIF_ETOOSHORT);
    EXPECT_EQ(slot, nullptr);
    EXPECT_EQ(shmif_commit(b.w), 0);
    EXPECT_EQ(shmif_acquire(b.w, shmif_bus_max_frame(b.bus) + 1, &slot), SHMIF_ETOOBIG);
    EXPECT_EQ(shmif_commit(b.w), 0);
    EXPECT_EQ(shmif_acquire(b.w, 60, nullptr), SHMIF_EINVAL);
    EXPECT_EQ(shmif_acquire(nullptr, 60, &slot), SHMIF_EINVAL);

    // In an open batch a refused length keeps the batch and its earlier slots.
    ASSERT_EQ(shmif_acquire(b.w, 60, &slot), SHMIF_OK);
    fill(slot, 60, 5);
    EXPECT_EQ(shmif_acquire(b.w, 3, &slot), SHMIF_ETOOSHORT);
    EXPECT_EQ(shmif_acquire(b.w, shmif_bus_max_frame(b.bus) + 1, &slot), SHMIF_ETOOBIG);
    // The writer holds the bus: a plain send from it now would wait on itself.
    unsigned char frame[60] = {};
    EXPECT_EQ(shmif_send(b.w, frame, sizeof frame), SHMIF_EINVAL);
    const shmif_iov iov = {frame, sizeof frame};
    int err = 0;
    EXPECT_EQ(shmif_send_batch(b.w, &iov, 1, &err), SHMIF_EINVAL);
    EXPECT_EQ(shmif_commit(b.w), 1);
    shmif_view v;
    ASSERT_EQ(shmif_peek(b.c, &v, 1), 1);
    EXPECT_TRUE(holds(v, 60, 5));
    // After the commit a plain send works again.
    EXPECT_EQ(shmif_send(b.w, frame, sizeof frame), SHMIF_OK);
}

TEST_P(CApiZeroCopy, FreeingAWriterCommitsItsOpenBatch) {
    Bus b(GetParam());
    shmif_writer* w2 = nullptr;
    ASSERT_EQ(shmif_writer_new(b.bus, 0x22, &w2), SHMIF_OK);
    void* slot = nullptr;
    ASSERT_EQ(shmif_acquire(w2, 80, &slot), SHMIF_OK);
    fill(slot, 80, 7);
    shmif_writer_free(w2);
    shmif_view v;
    ASSERT_EQ(shmif_peek(b.c, &v, 1), 1);
    EXPECT_TRUE(holds(v, 80, 7));
    EXPECT_EQ(v.sender, 0x22U);
    // And the bus is free for the next writer.
    unsigned char frame[60] = {};
    EXPECT_EQ(shmif_send(b.w, frame, sizeof frame), SHMIF_OK);
}

TEST_P(CApiZeroCopy, APeekFillsAtMostPeekMaxViews) {
    Bus b(GetParam(), GetParam() == SHMIF_FORMAT_NATIVE ? 4u << 20 : 0);
    const int n = SHMIF_PEEK_MAX + 10;
    std::vector<unsigned char> frame(60, 0xab);
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(shmif_send(b.w, frame.data(), frame.size()), SHMIF_OK);
    std::vector<shmif_view> views(static_cast<std::size_t>(n));
    ASSERT_EQ(shmif_peek(b.c, views.data(), n), SHMIF_PEEK_MAX);
    shmif_advance(b.c, SHMIF_PEEK_MAX);
    EXPECT_EQ(shmif_peek(b.c, views.data(), n), 10);
    EXPECT_EQ(shmif_peek(b.c, nullptr, 0), 0);
    EXPECT_EQ(shmif_peek(b.c, nullptr, 1), SHMIF_EINVAL);
    EXPECT_EQ(shmif_peek(b.c, views.data(), -1), SHMIF_EINVAL);
    EXPECT_EQ(shmif_peek(nullptr, views.data(), 1), SHMIF_EINVAL);
    shmif_advance(nullptr, 1);  // ignored
    shmif_advance(b.c, -3);     // ignored
}

INSTANTIATE_TEST_SUITE_P(Formats, CApiZeroCopy, kBothFormats, format_name);

// Native views point into the ring: once a writer laps the cursor they are torn, and
// shmif_view_valid() says so.
TEST(CApiZeroCopyNative, ALappedViewIsNoLongerValid) {
    Bus b(SHMIF_FORMAT_NATIVE, 4096 + 65536);
    std::vector<unsigned char> frame(1000, 0x5a);
    ASSERT_EQ(shmif_send(b.w, frame.data(), frame.size()), SHMIF_OK);
    shmif_view v;
    ASSERT_EQ(shmif_peek(b.c, &v, 1), 1);
    EXPECT_EQ(shmif_view_valid(b.c, &v), 1);
    for (int i = 0; i < 200; ++i)  // 200 KB through a 64 KiB ring
        ASSERT_EQ(shmif_send(b.w, frame.data(), frame.size()), SHMIF_OK);
    EXPECT_EQ(shmif_view_valid(b.c, &v), 0);
    EXPECT_EQ(shmif_view_valid(b.c, nullptr), 0);
    EXPECT_EQ(shmif_view_valid(nullptr, &v), 0);
    // The next peek resumes at the oldest frame held; advancing counts what was lost.
    shmif_view views[4];
    const int got = shmif_peek(b.c, views, 4);
    ASSERT_GT(got, 0);
    EXPECT_EQ(shmif_view_valid(b.c, &views[0]), 1);
    shmif_advance(b.c, got);
    EXPECT_GT(shmif_cursor_lost(b.c), 100U);
}

}  // namespace
}  // namespace shmif::test
