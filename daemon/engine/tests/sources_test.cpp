// The built-in sources a worker loops over besides bus cursors: its command queue (work
// posted from any thread) and its timers.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine_test_util.hpp"
#include "shmifd/engine/command_queue.hpp"
#include "shmifd/engine/timer_queue.hpp"
#include "shmifd/engine/worker_pool.hpp"

using namespace shmifd::engine;
using namespace shmifd::engine::test;

namespace {
const HangGuard guard(60);
}

TEST(CommandQueue, CommandsFromManyThreadsRunOnTheOwningWorkerInOrder) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    auto queue = std::make_unique<CommandQueue>();
    const CommandQueue::Poster poster = queue->poster();
    ASSERT_TRUE(pool.add_source(1, std::move(queue)));

    constexpr int kPerThread = 2000;
    std::atomic<int> ran{0};
    std::atomic<int> elsewhere{0};
    std::mutex order_lock;
    std::vector<std::vector<int>> order(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                ASSERT_TRUE(poster.post([&, t, i] {
                    if (pool.current_worker() != std::optional<WorkerId>(1)) elsewhere++;
                    std::lock_guard g(order_lock);
                    order[static_cast<std::size_t>(t)].push_back(i);
                    ran++;
                }));
            }
        });
    }
    for (auto& th : threads)
        th.join();
    ASSERT_TRUE(wait_for([&] { return ran.load() == 2 * kPerThread; }));
    EXPECT_EQ(elsewhere.load(), 0);
    for (const auto& seq : order) {
        ASSERT_EQ(seq.size(), static_cast<std::size_t>(kPerThread));
        for (int i = 0; i < kPerThread; ++i)
            EXPECT_EQ(seq[static_cast<std::size_t>(i)], i);
    }
}

TEST(CommandQueue, APostWakesASleepingWorker) {
    LogSink log;
    WorkerPool pool(quiet_options(1, log));
    auto queue = std::make_unique<CommandQueue>();
    const CommandQueue::Poster poster = queue->poster();
    ASSERT_TRUE(pool.add_source(0, std::move(queue)));
    ASSERT_TRUE(wait_for([&] { return pool.stats(0)->sleeps > 0; }));
    std::this_thread::sleep_for(20ms);  // asleep on the queue's futex and its doorbell
    const auto before = *pool.stats(0);
    std::atomic<bool> ran{false};
    ASSERT_TRUE(poster.post([&] { ran = true; }));
    ASSERT_TRUE(wait_for([&] { return ran.load(); }, 2s));
    EXPECT_GT(pool.stats(0)->wakeups, before.wakeups);
}

TEST(CommandQueue, PostingToAQueueThatIsGoneFails) {
    CommandQueue::Poster poster;
    {
        auto queue = std::make_unique<CommandQueue>();
        poster = queue->poster();
        EXPECT_TRUE(poster.post([] {}));
    }
    EXPECT_FALSE(poster.post([] {}));
    EXPECT_FALSE(CommandQueue::Poster{}.post([] {}));
}

TEST(TimerQueue, TimersFireInDeadlineOrderNotBeforeTheirTime) {
    LogSink log;
    WorkerPool pool(quiet_options(1, log));
    auto queue = std::make_unique<CommandQueue>();
    const CommandQueue::Poster poster = queue->poster();
    auto timers_owned = std::make_unique<TimerQueue>();
    TimerQueue* timers = timers_owned.get();  // touched only on worker 0, through commands
    ASSERT_TRUE(pool.add_source(0, std::move(queue)));
    ASSERT_TRUE(pool.add_source(0, std::move(timers_owned)));

    std::mutex lock;
    std::vector<int> fired;
    std::vector<Clock::duration> late;
    std::atomic<bool> cancelled_ok{false};
    const auto start = Clock::now();
    ASSERT_TRUE(poster.post([&] {
        auto at = [&](int ms, int tag) {
            const auto when = start + std::chrono::milliseconds(ms);
            return timers->schedule_at(when, [&, when, tag] {
                std::lock_guard g(lock);
                fired.push_back(tag);
                late.push_back(Clock::now() - when);
            });
        };
        at(60, 3);
        at(20, 1);
        const auto doomed = at(40, 2);
        at(40, 4);  // same deadline as 2: scheduling order breaks the tie
        cancelled_ok = timers->cancel(doomed) && !timers->cancel(doomed);
    }));
    ASSERT_TRUE(wait_for([&] {
        std::lock_guard g(lock);
        return fired.size() == 3;
    }));
    std::this_thread::sleep_for(30ms);  // the cancelled one must not come late either
    std::lock_guard g(lock);
    EXPECT_EQ(fired, (std::vector<int>{1, 4, 3}));
    for (auto d : late)
        EXPECT_GE(d.count(), 0);
    EXPECT_TRUE(cancelled_ok.load());
    // The worker slept between timers instead of spinning through 60 ms.
    EXPECT_GE(pool.stats(0)->sleeps, 2U);
}

TEST(TimerQueue, ATimerMaySchedule) {
    TimerQueue timers;
    int runs = 0;
    std::function<void()> again = [&] {
        if (++runs < 5) timers.schedule_after(std::chrono::nanoseconds(0), again);
    };
    timers.schedule_after(std::chrono::nanoseconds(0), again);
    for (int i = 0; i < 10 && timers.pending() > 0; ++i)
        timers.poll(100);
    EXPECT_EQ(runs, 5);
    EXPECT_EQ(timers.pending(), 0U);
    WaitSet set;
    EXPECT_TRUE(timers.arm(set));  // nothing pending: free to sleep, no deadline
    EXPECT_EQ(set.deadline(), WaitSet::Clock::time_point::max());
}
