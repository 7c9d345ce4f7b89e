// How an idle worker sleeps (src/sleep.hpp), with the joint io_uring wait and without it:
// the doorbell, a futex of another thread, a shared-memory futex, a readable fd and the
// deadline each end a sleep, and a sleep ended by one of them leaves nothing behind that
// could swallow the next wake-up (the io_uring wait keeps its requests armed between sleeps).
#include <gtest/gtest.h>

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "engine_test_util.hpp"
#include "sleep.hpp"

using namespace shmifd::engine;
using namespace shmifd::engine::test;
using namespace std::chrono_literals;

namespace {

const HangGuard guard(120);

void futex_wake(std::atomic<std::uint32_t>* word, bool shared) {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word),
              shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

// As a bus writer, 20 ms from now: moves the shared futex word and wakes its waiters.
std::jthread bump_shared_later(std::atomic<std::uint32_t>* word) {
    return std::jthread([word] {
        std::this_thread::sleep_for(20ms);
        word->fetch_add(1);
        futex_wake(word, true);
    });
}

class DoorbellTest : public ::testing::TestWithParam<bool> {
  protected:
    void SetUp() override {
        ASSERT_EQ(::pipe2(pipe_, O_NONBLOCK | O_CLOEXEC), 0);
        if (GetParam() && !bell.open_joint_wait())
            GTEST_SKIP() << "this kernel has no io_uring FUTEX_WAITV (Linux 6.7), or forbids "
                            "io_uring: the joint wait is not used here";
    }
    void TearDown() override {
        ::close(pipe_[0]);
        ::close(pipe_[1]);
    }
    // A wait set as a shard arms one: a private futex, optionally the pipe, a deadline.
    WaitSet armed(bool with_fd, std::chrono::milliseconds deadline = 10s) {
        WaitSet set;
        set.set_joint(bell.joint_wait());
        set.add_futex(&word, word.load(), false);
        if (with_fd) set.add_fd(pipe_[0]);
        set.wake_at(WaitSet::Clock::now() + deadline);
        return set;
    }
    // Whether a sleep on `set` (deadline 10 s) ended early, by a wake-up. Without the joint
    // wait a futex with an fd armed is only re-checked every millisecond, and such a sleep
    // reports a timeout; the joint wait reports a wake-up.
    bool woken(const WaitSet& set, std::uint32_t seen) {
        const auto start = std::chrono::steady_clock::now();
        const bool result = bell.sleep(set, seen);
        const bool early = std::chrono::steady_clock::now() - start < 5s;
        if (early && GetParam()) {
            EXPECT_TRUE(result) << "the joint wait says why it ended";
        }
        return early;
    }
    void drain_pipe() {
        char buffer[64];
        while (::read(pipe_[0], buffer, sizeof buffer) > 0) {
        }
    }

    Doorbell bell;
    std::atomic<std::uint32_t> word{0};
    int pipe_[2] = {-1, -1};
};

// (Without the joint wait, a set with an fd beside futexes ends its sleep every millisecond
// to re-check the futexes: that one is tried with the joint wait only.)
TEST_P(DoorbellTest, TheDeadlineEndsASleepAsATimeout) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(bell.sleep(armed(GetParam(), 30ms), bell.seen()));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST_P(DoorbellTest, ARingFromAnotherThreadWakesIt) {
    const auto seen = bell.seen();
    std::jthread ringer([&] {
        std::this_thread::sleep_for(20ms);
        bell.ring();
    });
    EXPECT_TRUE(woken(armed(true), seen));
}

TEST_P(DoorbellTest, AReadableFdWakesIt) {
    std::jthread writer([&] {
        std::this_thread::sleep_for(20ms);
        ASSERT_EQ(::write(pipe_[1], "x", 1), 1);
    });
    EXPECT_TRUE(woken(armed(true), bell.seen()));
}

TEST_P(DoorbellTest, AFutexInSharedMemoryWakesItWithAnFdArmed) {
    // As a bus: the word is in a MAP_SHARED mapping and the writer wakes it as shared.
    void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(page, MAP_FAILED);
    auto* shared = new (page) std::atomic<std::uint32_t>(7);
    WaitSet set = armed(true);
    set.add_futex(shared, 7, true);
    std::jthread writer = bump_shared_later(shared);
    EXPECT_TRUE(woken(set, bell.seen()));
    writer.join();
    ::munmap(page, 4096);
}

TEST_P(DoorbellTest, AFutexThatMovedBeforeTheSleepEndsItAtOnce) {
    WaitSet set = armed(false);
    word.store(1);  // after arming: the sleep must not wait for a wake-up that came before
    EXPECT_TRUE(woken(set, bell.seen()));
}

// Sleeps ended alternately by the fd, the futex and the doorbell: whatever one sleep left
// armed, the next wake-up of any kind still ends the next sleep. 300 rounds, each bounded.
TEST_P(DoorbellTest, NoWakeUpIsLostAcrossManySleeps) {
    for (int round = 0; round < 300; ++round) {
        const auto seen = bell.seen();
        WaitSet set = armed(true);
        std::jthread waker([&, round] {
            switch (round % 3) {
                case 0:
                    ASSERT_EQ(::write(pipe_[1], "x", 1), 1);
                    break;
                case 1:
                    word.fetch_add(1);
                    futex_wake(&word, false);
                    break;
                default:
                    bell.ring();
                    break;
            }
        });
        ASSERT_TRUE(woken(set, seen)) << "round " << round << " slept to its deadline";
        waker.join();
        drain_pipe();
    }
}

// The fd leaves the set: a later write to it no longer ends a sleep.
TEST_P(DoorbellTest, AnFdNoLongerArmedDoesNotWakeIt) {
    EXPECT_FALSE(bell.sleep(armed(true, 10ms), bell.seen()));
    ASSERT_EQ(::write(pipe_[1], "x", 1), 1);
    EXPECT_FALSE(bell.sleep(armed(false, 50ms), bell.seen()));
}

// A source closes its descriptor and another takes the number: the next sleep watches the
// new file, not the old one a poll of the last sleep was made on.
TEST_P(DoorbellTest, AReusedFdNumberIsWatchedAnew) {
    EXPECT_FALSE(bell.sleep(armed(true, 10ms), bell.seen()));
    const int number = pipe_[0];
    const int old_writer = ::dup(pipe_[1]);  // the old pipe lives on, unhung
    ::close(pipe_[0]);
    ::close(pipe_[1]);
    ASSERT_EQ(::pipe2(pipe_, O_NONBLOCK | O_CLOEXEC), 0);
    if (pipe_[0] != number) {
        // Not the number wanted: move the read end there.
        ASSERT_EQ(::dup2(pipe_[0], number), number);
        ::close(pipe_[0]);
        pipe_[0] = number;
    }
    std::jthread writer([&] {
        std::this_thread::sleep_for(20ms);
        ASSERT_EQ(::write(pipe_[1], "x", 1), 1);
    });
    EXPECT_TRUE(woken(armed(true), bell.seen()));
    ::close(old_writer);
}

// A bus unmapped and another mapped at the same address (an interface deleted and added):
// the next sleep waits on the new file's futex word, not on the old one at that address.
TEST_P(DoorbellTest, AFutexAddressMappingAnotherFileIsWatchedAnew) {
    const int first = ::memfd_create("bus-a", MFD_CLOEXEC);
    const int second = ::memfd_create("bus-b", MFD_CLOEXEC);
    ASSERT_GE(first, 0);
    ASSERT_GE(second, 0);
    ASSERT_EQ(::ftruncate(first, 4096), 0);
    ASSERT_EQ(::ftruncate(second, 4096), 0);
    void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, first, 0);
    ASSERT_NE(page, MAP_FAILED);
    auto* bus_word = static_cast<std::atomic<std::uint32_t>*>(page);
    WaitSet set = armed(false, 10ms);
    set.add_futex(bus_word, bus_word->load(), true);
    EXPECT_FALSE(bell.sleep(set, bell.seen()));
    ASSERT_EQ(::mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, second, 0), page);
    WaitSet again = armed(false);
    again.add_futex(bus_word, bus_word->load(), true);
    std::jthread writer = bump_shared_later(bus_word);
    EXPECT_TRUE(woken(again, bell.seen()));
    writer.join();
    ::munmap(page, 4096);
    ::close(first);
    ::close(second);
}

INSTANTIATE_TEST_SUITE_P(Waits, DoorbellTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? "joint" : "apart";
                         });

}  // namespace
