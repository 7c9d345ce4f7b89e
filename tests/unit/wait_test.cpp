// Waiting for frames: receive_wait() woken by a writer in another thread, timing out on an
// idle bus, and the event-loop path (prepare_wait / wait_fd / poll(2)) on both formats.
// Every wait is bounded (5 s at most), and no assertion depends on how long anything took.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "bus_test_util.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

using namespace std::chrono_literals;

class WaitTest : public ::testing::TestWithParam<Format> {
  protected:
    TempDir dir_;
    Bus bus_ = *Bus::create(dir_.file("w.bus"), {.format = GetParam()});
};

std::string format_param_name(const ::testing::TestParamInfo<Format>& info) {
    return format_name(info.param);
}

TEST_P(WaitTest, ReceiveWaitWakesOnASendFromAnotherThread) {
    Cursor c(bus_, {.spin = 0ns});  // go to sleep at once: the wake-up is what is tested
    std::thread sender([this] {
        Writer w(bus_, {.sender = 3});
        std::this_thread::sleep_for(20ms);
        ASSERT_TRUE(w.send(payload(300, 1)).has_value());
    });
    RecvBufs bufs(4, 2000);
    auto got = c.receive_wait(bufs.frames(), 5s);
    sender.join();
    ASSERT_TRUE(got.has_value()) << describe(got.error());
    ASSERT_EQ(*got, 1U);
    EXPECT_EQ(bufs.frames()[0].len, 300U);
    EXPECT_EQ(bufs.frames()[0].sender, 3U);
    EXPECT_EQ(std::vector<std::byte>(bufs.frames()[0].data, bufs.frames()[0].data + 300),
              payload(300, 1));
}

TEST_P(WaitTest, ReceiveWaitWithSpinningWakesToo) {
    Cursor c(bus_);  // default spin, then sleep
    std::thread sender([this] {
        Writer w(bus_, {.sender = 3});
        std::this_thread::sleep_for(20ms);
        ASSERT_TRUE(w.send(payload(64, 2)).has_value());
        ASSERT_TRUE(w.send(payload(64, 3)).has_value());
    });
    RecvBufs bufs(4, 100);
    std::size_t total = 0;
    for (int i = 0; i < 4 && total < 2; ++i) {
        auto got = c.receive_wait(bufs.frames(), 5s);
        ASSERT_TRUE(got.has_value());
        total += *got;
    }
    sender.join();
    EXPECT_EQ(total, 2U);
}

TEST_P(WaitTest, ReceiveWaitTimesOutOnAnIdleBus) {
    Cursor c(bus_, {.spin = 1ms});
    RecvBufs bufs(1, 100);
    auto got = c.receive_wait(bufs.frames(), 10ms);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, Errc::timed_out);
    EXPECT_GE(c.stats().sleeps, 1U);
    // Zero timeout: one look, no sleep.
    Cursor quick(bus_, {.spin = 0ns});
    auto none = quick.receive_wait(bufs.frames(), 0ns);
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, Errc::timed_out);
}

TEST_P(WaitTest, ReceiveWaitReturnsAtOnceWhenFramesWait) {
    Writer w(bus_);
    Cursor c(bus_, {.spin = 0ns});
    ASSERT_TRUE(w.send(payload(64, 1)).has_value());
    RecvBufs bufs(2, 100);
    auto got = c.receive_wait(bufs.frames(), 5s);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, 1U);
    EXPECT_EQ(c.stats().sleeps, 0U);
}

TEST_P(WaitTest, WaitFdTurnsReadableAfterASendFromAnotherThread) {
    Cursor c(bus_);
    const int fd = c.wait_fd();
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(c.prepare_wait());
    if (GetParam() == Format::native) {
        EXPECT_EQ(bus_.info().sleeping_readers, 1U);
    }
    std::thread sender([this] {
        Writer w(bus_, {.sender = 8});
        std::this_thread::sleep_for(20ms);
        ASSERT_TRUE(w.send(payload(128, 4)).has_value());
    });
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 5000);
    sender.join();
    ASSERT_EQ(ready, 1);
    EXPECT_TRUE(p.revents & POLLIN);
    c.finish_wait();
    if (GetParam() == Format::native) {
        EXPECT_EQ(bus_.info().sleeping_readers, 0U);
    }
    auto got = drain(c);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0].data, payload(128, 4));
    // Idle again: prepare says wait, and the fd is quiet.
    ASSERT_TRUE(c.prepare_wait());
    p.revents = 0;
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    c.finish_wait();
}

TEST_P(WaitTest, PrepareWaitIsFalseWhenFramesAlreadyWait) {
    Writer w(bus_);
    Cursor c(bus_);
    ASSERT_TRUE(w.send(payload(64, 1)).has_value());
    EXPECT_TRUE(c.poll());
    EXPECT_FALSE(c.prepare_wait());
    if (GetParam() == Format::native) {
        EXPECT_EQ(bus_.info().sleeping_readers, 0U);
    }
    EXPECT_EQ(drain(c).size(), 1U);
    EXPECT_FALSE(c.poll());
    EXPECT_TRUE(c.prepare_wait());
    c.finish_wait();
}

TEST_P(WaitTest, OwnFramesStillCountAsSomethingToRead) {
    // poll() sees own frames too (they must be stepped over); receive skips them.
    Writer w(bus_, {.sender = 11});
    Cursor c(bus_, {.skip_sender = 11, .spin = 0ns});
    ASSERT_TRUE(w.send(payload(64, 1)).has_value());
    EXPECT_TRUE(c.poll());
    RecvBufs bufs(1, 100);
    auto got = c.receive_wait(bufs.frames(), 10ms);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, Errc::timed_out);
    EXPECT_EQ(c.stats().skipped_own, 1U);
    EXPECT_FALSE(c.poll());
}

// headroom() is the overrun rule seen from before: while writers stay within it, every frame
// is still there to read; past it, the cursor is lapped.
TEST_P(WaitTest, HeadroomSaysHowCloseTheCursorIsToBeingLapped) {
    Writer w(bus_, {.sender = 11});
    Cursor c(bus_, {.skip_sender = 11, .spin = 0ns});
    const std::uint64_t ring = bus_.data_size();
    const std::uint64_t idle = c.headroom();
    EXPECT_GT(idle, ring / 2);  // less a native writer's reservation ahead, if any
    EXPECT_LE(idle, ring);
    // Own frames count: they are ring bytes the cursor must step over.
    int sent = 0;
    std::uint64_t before = idle;
    while (c.headroom() > 1024 && sent < 1'000'000) {
        before = c.headroom();
        ASSERT_TRUE(w.send(payload(100, static_cast<std::uint32_t>(sent % 256))).has_value());
        ++sent;
        ASSERT_LE(c.headroom(), before);
    }
    EXPECT_GT(sent, 1000);
    RecvBufs bufs(64, 200);
    for (int calls = 0; calls < 1'000'000 && c.poll(); ++calls)
        (void)c.receive(bufs.frames());
    EXPECT_EQ(c.stats().overruns, 0U);
    EXPECT_EQ(c.stats().skipped_own, static_cast<std::uint64_t>(sent));
    EXPECT_GT(c.headroom(), ring / 2);  // read up: room again
    // Two rings' worth more: the cursor is lapped, as headroom() foretold.
    for (int i = 0; i < 2 * sent + 2; ++i)
        ASSERT_TRUE(w.send(payload(100, static_cast<std::uint32_t>(i % 256))).has_value());
    EXPECT_EQ(c.headroom(), 0U);
    (void)c.receive(bufs.frames());
    EXPECT_GE(c.stats().overruns, 1U);
}

INSTANTIATE_TEST_SUITE_P(Formats, WaitTest, ::testing::Values(Format::native, Format::netbsd),
                         format_param_name);

}  // namespace
}  // namespace shmif::test
