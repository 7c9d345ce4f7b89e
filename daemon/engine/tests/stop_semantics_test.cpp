// What each stop shape runs, where, and how often; what it returns; that busy workers really
// are stopped while a stop function runs (instrumented sources).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine_test_util.hpp"
#include "shmifd/engine/worker_pool.hpp"

namespace shmifd::engine::test {
namespace {

const HangGuard guard(60);

constexpr std::size_t kWorkers = 4;

// Per-worker run counts, checked to be exact after a stop.
struct Runs {
    std::array<std::atomic<int>, 16> by_worker{};
    std::atomic<int> wrong_thread{0};
    StopFn counting(const WorkerPool& pool, int ret = 0) {
        return [this, &pool, ret](WorkerId id) {
            by_worker[id].fetch_add(1);
            if (pool.current_worker() != std::optional<WorkerId>(id)) wrong_thread.fetch_add(1);
            return ret;
        };
    }
    std::vector<int> counts(std::size_t n) const {
        std::vector<int> out;
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(by_worker[i].load());
        return out;
    }
};

TEST(StopSemantics, StopMachineRunsOnceOnEachActiveWorker) {
    LogSink log;
    WorkerPool pool(quiet_options(kWorkers, log));
    Runs runs;
    auto r = pool.stop_machine(runs.counting(pool), {0, 2, 3});
    ASSERT_TRUE(r) << describe(r.error());
    EXPECT_EQ(*r, 0);
    EXPECT_EQ(runs.counts(kWorkers), (std::vector<int>{1, 0, 1, 1}));
    EXPECT_EQ(runs.wrong_thread.load(), 0);

    Runs all;
    r = pool.stop_machine(all.counting(pool), pool.workers());
    ASSERT_TRUE(r);
    EXPECT_EQ(all.counts(kWorkers), (std::vector<int>{1, 1, 1, 1}));
    EXPECT_EQ(all.wrong_thread.load(), 0);
}

TEST(StopSemantics, StopMachineWithEmptySetRunsOnExactlyOneWorkerTheLowest) {
    LogSink log;
    WorkerPool pool(quiet_options(kWorkers, log));
    Runs runs;
    ASSERT_TRUE(pool.stop_machine(runs.counting(pool)));
    EXPECT_EQ(runs.counts(kWorkers), (std::vector<int>{1, 0, 0, 0}));

    ASSERT_TRUE(pool.remove_worker(0));
    Runs after;
    ASSERT_TRUE(pool.stop_machine(after.counting(pool)));
    EXPECT_EQ(after.counts(kWorkers), (std::vector<int>{0, 1, 0, 0}));
    EXPECT_EQ(after.wrong_thread.load(), 0);
}

TEST(StopSemantics, ResultIsTheNonZeroValueReturned) {
    LogSink log;
    WorkerPool pool(quiet_options(kWorkers, log));
    auto r = pool.stop_machine([](WorkerId id) { return id == 2 ? 42 : 0; }, pool.workers());
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 42);
    r = pool.stop_many({1, 3}, [](WorkerId id) { return id == 3 ? -7 : 0; });
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, -7);
    r = pool.stop_one(1, [](WorkerId id) { return static_cast<int>(id) + 100; });
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 101);
    r = pool.stop_two(3, 0, [](WorkerId id) { return static_cast<int>(id) + 200; });
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 203);  // fn runs on the first worker named
}

TEST(StopSemantics, StopOneRunsOnTheWorkersThread) {
    LogSink log;
    WorkerPool pool(quiet_options(kWorkers, log));
    for (WorkerId id : pool.workers()) {
        Runs runs;
        auto r = pool.stop_one(id, runs.counting(pool));
        ASSERT_TRUE(r);
        std::vector<int> want(kWorkers, 0);
        want[id] = 1;
        EXPECT_EQ(runs.counts(kWorkers), want);
        EXPECT_EQ(runs.wrong_thread.load(), 0);
    }
}

TEST(StopSemantics, StopOneNowaitCompletesWithTheResult) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    StopWork work;
    std::atomic<int> ran{0};
    ASSERT_TRUE(pool.stop_one_nowait(
        1,
        [&](WorkerId id) {
            ran.fetch_add(1);
            return static_cast<int>(id) + 10;
        },
        work));
    work.wait();
    ASSERT_TRUE(work.done());
    ASSERT_TRUE(work.result());
    EXPECT_EQ(*work.result(), 11);
    EXPECT_EQ(ran.load(), 1);
    // A StopWork can be reused once done.
    ASSERT_TRUE(pool.stop_one_nowait(
        0, [](WorkerId) { return 5; }, work));
    work.wait();
    ASSERT_TRUE(work.result());
    EXPECT_EQ(*work.result(), 5);
}

TEST(StopSemantics, StopManyRunsOnceOnEachWorkerOfTheSet) {
    LogSink log;
    WorkerPool pool(quiet_options(kWorkers, log));
    Runs runs;
    ASSERT_TRUE(pool.stop_many({3, 1, 3}, runs.counting(pool)));  // duplicates count once
    EXPECT_EQ(runs.counts(kWorkers), (std::vector<int>{0, 1, 0, 1}));
    EXPECT_EQ(runs.wrong_thread.load(), 0);
    Runs t;
    ASSERT_TRUE(pool.try_stop_many({0, 2}, t.counting(pool)));
    EXPECT_EQ(t.counts(kWorkers), (std::vector<int>{1, 0, 1, 0}));
}

// While fn runs on `first`, `second` must not poll its source.
TEST(StopSemantics, StopTwoHoldsBothWorkers) {
    LogSink log;
    WorkerPool pool(quiet_options(3, log));
    std::atomic<std::uint64_t> polls1{0}, polls2{0};
    ASSERT_TRUE(pool.add_source(1, std::make_unique<HookSource>(HookSource::Hook{}, 1, &polls1)));
    ASSERT_TRUE(pool.add_source(2, std::make_unique<HookSource>(HookSource::Hook{}, 1, &polls2)));
    ASSERT_TRUE(wait_for([&] { return polls1.load() > 100 && polls2.load() > 100; }));
    Runs runs;
    std::atomic<int> moved{0};
    for (int i = 0; i < 20; ++i) {
        auto r = pool.stop_two(1, 2, [&](WorkerId id) {
            runs.by_worker[id].fetch_add(1);
            const auto a = polls1.load(), b = polls2.load();
            spin_for(500us);
            if (polls1.load() != a || polls2.load() != b) moved.fetch_add(1);
            return 0;
        });
        ASSERT_TRUE(r) << describe(r.error());
    }
    EXPECT_EQ(runs.counts(3), (std::vector<int>{0, 20, 0}));
    EXPECT_EQ(moved.load(), 0);
    const auto before = polls2.load();
    EXPECT_TRUE(wait_for([&] { return polls2.load() > before + 100; }));  // released after
}

// The instrumented quiesce test: every worker polls a busy source that counts polls. The stop
// function, on every worker, reads the count, spins ~1 ms, reads again: nobody polled in
// between. And nobody polls while any stop function runs.
TEST(StopSemantics, NoWorkerPollsBetweenQuiesceAndExit) {
    LogSink log;
    WorkerPool pool(quiet_options(kWorkers, log));
    std::atomic<std::uint64_t> polls{0};
    std::atomic<int> in_fn{0};
    std::atomic<std::uint64_t> polled_during_fn{0};
    for (WorkerId id : pool.workers())
        ASSERT_TRUE(pool.add_source(id, std::make_unique<HookSource>(
                                            [&] {
                                                if (in_fn.load() != 0)
                                                    polled_during_fn.fetch_add(1);
                                            },
                                            1, &polls)));
    ASSERT_TRUE(wait_for([&] { return polls.load() > 1000; }));
    std::atomic<int> changed{0};
    std::atomic<int> ran{0};
    for (int round = 0; round < 50; ++round) {
        auto r = pool.stop_machine(
            [&](WorkerId) {
                in_fn.fetch_add(1);
                ran.fetch_add(1);
                const auto a = polls.load();
                spin_for(1ms);
                if (polls.load() != a) changed.fetch_add(1);
                in_fn.fetch_sub(1);
                return 0;
            },
            pool.workers());
        ASSERT_TRUE(r) << describe(r.error());
        const auto after = polls.load();
        ASSERT_TRUE(wait_for([&] { return polls.load() > after + 10; })) << "polls did not resume";
    }
    EXPECT_EQ(ran.load(), 50 * static_cast<int>(kWorkers));
    EXPECT_EQ(changed.load(), 0);
    EXPECT_EQ(polled_during_fn.load(), 0U);
}

TEST(StopSemantics, StopTimingIsRecorded) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    ASSERT_TRUE(pool.stop_machine([](WorkerId) {
        spin_for(2ms);
        return 0;
    }));
    const StopTiming t = pool.last_stop_timing();
    EXPECT_GT(t.quiesce_ns, 0U);
    EXPECT_GE(t.total_ns, 2'000'000U);  // includes the 2 ms fn: not a timing bound, a floor
    EXPECT_LE(t.quiesce_ns, t.total_ns);
}

TEST(StopSemantics, TryStopManyIsBusyWhileAStopIsInProgress) {
    LogSink log;
    WorkerPool pool(quiet_options(3, log));
    std::atomic<bool> inside{false}, release{false};
    std::thread holder([&] {
        auto r = pool.stop_machine([&](WorkerId) {
            inside.store(true);
            for (int i = 0; i < 20000 && !release.load(); ++i)
                std::this_thread::sleep_for(1ms);
            return 0;
        });
        EXPECT_TRUE(r);
    });
    ASSERT_TRUE(wait_for([&] { return inside.load(); }));
    std::atomic<int> ran{0};
    auto r = pool.try_stop_many({1, 2}, [&](WorkerId) {
        ran.fetch_add(1);
        return 0;
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StopErrc::busy);
    EXPECT_EQ(ran.load(), 0);

    // stop_many waits instead, and runs once the first stop is over.
    std::atomic<bool> many_done{false};
    std::thread waiter([&] {
        auto m = pool.stop_many({1, 2}, [&](WorkerId) {
            ran.fetch_add(1);
            return 0;
        });
        EXPECT_TRUE(m);
        many_done.store(true);
    });
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(many_done.load());
    EXPECT_EQ(ran.load(), 0);
    release.store(true);
    holder.join();
    waiter.join();
    EXPECT_EQ(ran.load(), 2);
    auto after = pool.try_stop_many({0}, [](WorkerId) { return 0; });
    EXPECT_TRUE(after);
}

}  // namespace
}  // namespace shmifd::engine::test
