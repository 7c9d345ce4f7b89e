// The pool's life: workers and sources added and removed while it runs, stops issued from a
// worker, per-worker statistics read from other threads, and idle workers that sleep.
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.hpp"
#include "shmifd/engine/worker_pool.hpp"

namespace shmifd::engine::test {
namespace {

const HangGuard guard(60);

TEST(PoolLifecycle, DefaultIsOneWorkerPerOnlineCpu) {
    LogSink log;
    PoolOptions opts;
    opts.log = log.fn();
    WorkerPool pool(opts);
    const auto n = static_cast<std::size_t>(sysconf(_SC_NPROCESSORS_ONLN));
    EXPECT_EQ(pool.size(), n);
    std::vector<WorkerId> want;
    for (std::size_t i = 0; i < n; ++i)
        want.push_back(i);
    EXPECT_EQ(pool.workers(), want);
}

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
    for (std::size_t c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) cpus.push_back(static_cast<int>(c));
    return cpus;
}

TEST(PoolLifecycle, PinnedWorkersReportTheirCpu) {
    const std::vector<int> cpus = allowed_cpus();
    ASSERT_FALSE(cpus.empty());
    LogSink log;
    PoolOptions opts;
    opts.workers = cpus.size() + 1;
    opts.log = log.fn();
    WorkerPool pool(opts);
    // The pin happens on the worker's thread: a stop on it is ordered after.
    for (WorkerId id : pool.workers())
        ASSERT_TRUE(pool.stop_one(id, [](WorkerId) { return 0; }));
    for (std::size_t i = 0; i < cpus.size(); ++i)
        EXPECT_EQ(pool.stats(i)->cpu, cpus[i]) << i;
    EXPECT_EQ(pool.stats(cpus.size())->cpu, -1);  // one more than CPUs: left unpinned
    EXPECT_TRUE(log.contains("not pinned"));

    LogSink log2;
    WorkerPool unpinned(quiet_options(2, log2));
    for (WorkerId id : unpinned.workers()) {
        ASSERT_TRUE(unpinned.stop_one(id, [](WorkerId) { return 0; }));
        EXPECT_EQ(unpinned.stats(id)->cpu, -1);
    }
}

// Pools that share a claims name share the CPUs out: a second pool's worker goes where the
// first has none, a pool never doubles up on a CPU while another is free of its workers,
// and what a pool gives back (a removed worker, the pool gone) is taken next.
TEST(PoolLifecycle, PoolsSharingClaimsSpreadTheirWorkersOverTheCpus) {
    const std::vector<int> cpus = allowed_cpus();
    ASSERT_FALSE(cpus.empty());
    if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs to spread over";
    const std::string name = "shmifd-test-claims-" + std::to_string(::getpid());
    auto pool_of = [&](std::size_t workers, LogSink& log) {
        PoolOptions opts;
        opts.workers = workers;
        opts.cpu_claims = name;
        opts.log = log.fn();
        return std::make_unique<WorkerPool>(opts);
    };
    auto cpu_of = [](WorkerPool& pool, WorkerId id) {
        EXPECT_TRUE(pool.stop_one(id, [](WorkerId) { return 0; }));  // pinned by now
        return pool.stats(id)->cpu;
    };
    LogSink la, lb, lc;
    auto a = pool_of(1, la);
    auto b = pool_of(1, lb);
    const int first = cpu_of(*a, 0);
    const int second = cpu_of(*b, 0);
    EXPECT_EQ(first, cpus[0]);
    EXPECT_EQ(second, cpus[1]);
    // A pool of two: one CPU it has alone at the fewest claims, then the other.
    auto c = pool_of(2, lc);
    std::set<int> mine{cpu_of(*c, 0), cpu_of(*c, 1)};
    EXPECT_EQ(mine.size(), 2u);
    // b's CPU comes free, and b's next worker takes it back.
    b.reset();
    LogSink ld;
    auto d = pool_of(1, ld);
    EXPECT_EQ(cpu_of(*d, 0), second);
    // A removed worker gives its claim back.
    ASSERT_TRUE(a->remove_worker(0));
    const auto added = a->add_worker();
    ASSERT_TRUE(added);
    EXPECT_EQ(cpu_of(*a, *added), first);
}

// Workers come and go while others run busy sources, and every kind of stop keeps working
// with exact counts.
TEST(PoolLifecycle, WorkersAddedAndRemovedWhileRunning) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    std::atomic<std::uint64_t> polls{0};
    std::atomic<int> destroyed{0};
    int sources = 0;
    for (WorkerId id : pool.workers()) {
        ASSERT_TRUE(pool.add_source(
            id, std::make_unique<HookSource>(HookSource::Hook{}, 1, &polls, &destroyed)));
        ++sources;
    }
    std::array<std::atomic<int>, 64> ran{};
    auto fn = [&](WorkerId id) {
        ran[id].fetch_add(1);
        return 0;
    };
    for (int round = 0; round < 30; ++round) {
        auto id = pool.add_worker();
        ASSERT_TRUE(id);
        ASSERT_TRUE(pool.add_source(
            *id, std::make_unique<HookSource>(HookSource::Hook{}, 1, &polls, &destroyed)));
        ++sources;
        const auto ids = pool.workers();
        ASSERT_EQ(ids.size(), 3U);
        for (auto& r : ran)
            r.store(0);
        auto r = pool.stop_machine(fn, ids);
        ASSERT_TRUE(r) << describe(r.error());
        for (WorkerId w : ids)
            EXPECT_EQ(ran[w].load(), 1) << "round " << round << " worker " << w;
        ASSERT_TRUE(pool.stop_two(ids[0], ids[2], fn));
        ASSERT_TRUE(pool.stop_many(ids, fn));
        ASSERT_TRUE(pool.stop_one(ids[1], fn));
        EXPECT_EQ(ran[ids[0]].load(), 3);
        EXPECT_EQ(ran[ids[1]].load(), 3);
        EXPECT_EQ(ran[ids[2]].load(), 2);
        // Remove the oldest: its source goes with it.
        ASSERT_TRUE(pool.remove_worker(ids[0]));
        EXPECT_EQ(pool.size(), 2U);
        EXPECT_EQ(destroyed.load(), round + 1);
    }
    const auto before = polls.load();
    EXPECT_TRUE(wait_for([&] { return polls.load() > before + 1000; }));
    EXPECT_EQ(sources, 32);
}

TEST(PoolLifecycle, SourcesAddedAndRemoved) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    std::atomic<std::uint64_t> polls{0};
    std::atomic<int> destroyed{0};
    ASSERT_TRUE(pool.add_source(
        1, std::make_unique<HookSource>(HookSource::Hook{}, 1, &polls, &destroyed)));
    ASSERT_TRUE(wait_for([&] { return polls.load() > 100; }));
    ASSERT_TRUE(pool.remove_sources(1));
    EXPECT_EQ(destroyed.load(), 1);
    const auto frozen = polls.load();
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(polls.load(), frozen);
    auto s = pool.stats(1);
    ASSERT_TRUE(s);
    EXPECT_GE(s->work, 100U);
}

// A Source's poll issues stop_machine (and the other stops): the calling worker takes part.
TEST(PoolLifecycle, StopMachineFromAWorker) {
    LogSink log;
    WorkerPool pool(quiet_options(3, log));
    constexpr int kStops = 100;
    std::array<std::atomic<int>, 3> ran{};
    std::atomic<int> ok{0}, failed{0}, issued{0}, wrong_thread{0};
    std::atomic<int> one_ran_on{-1};
    auto fn = [&](WorkerId id) {
        ran[id].fetch_add(1);
        if (pool.current_worker() != std::optional<WorkerId>(id)) wrong_thread.fetch_add(1);
        return 0;
    };
    ASSERT_TRUE(pool.add_source(1, std::make_unique<HookSource>([&] {
                                    if (issued.load() >= kStops) return;
                                    issued.fetch_add(1);
                                    auto r = pool.stop_machine(fn, {0, 1, 2});
                                    (r ? ok : failed).fetch_add(1);
                                    // Each of the other shapes, from the worker too.
                                    if (!pool.stop_one(2, fn)) failed.fetch_add(1);
                                    if (!pool.stop_one(1, fn))
                                        failed.fetch_add(1);  // itself: inline
                                    if (!pool.stop_two(1, 0, fn)) failed.fetch_add(1);
                                    if (!pool.stop_many({0, 1, 2}, fn)) failed.fetch_add(1);
                                    if (issued.load() == kStops) {
                                        auto single = pool.stop_machine([&](WorkerId id) {
                                            one_ran_on.store(static_cast<int>(id));
                                            return 0;
                                        });
                                        if (!single) failed.fetch_add(1);
                                    }
                                })));
    ASSERT_TRUE(wait_for([&] { return ok.load() + failed.load() >= kStops; }, 30s));
    ASSERT_TRUE(wait_for([&] { return one_ran_on.load() >= 0; }));
    EXPECT_EQ(ok.load(), kStops);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(ran[0].load(), 2 * kStops);  // stop_machine, stop_many (stop_two runs on 1)
    EXPECT_EQ(ran[1].load(), 4 * kStops);  // stop_machine, stop_one(1), stop_two, stop_many
    EXPECT_EQ(ran[2].load(), 3 * kStops);  // stop_machine, stop_one(2), stop_many
    EXPECT_EQ(wrong_thread.load(), 0);
    EXPECT_EQ(one_ran_on.load(), 0);  // the empty set: the lowest id, not the caller
}

// Statistics read from another thread while workers run: work grows; stops are counted.
TEST(PoolLifecycle, StatsReadableWhileRunning) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    std::atomic<std::uint64_t> polls{0};
    ASSERT_TRUE(pool.add_source(0, std::make_unique<HookSource>(HookSource::Hook{}, 3, &polls)));
    std::uint64_t last = 0;
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(wait_for([&] { return pool.stats(0)->work > last; }));
        auto s = pool.stats(0);
        EXPECT_EQ(s->work % 3, 0U);
        EXPECT_GE(s->batches * 3, s->work > 3 ? s->work - 3 : 0);
        last = s->work;
    }
    const auto stops_before = pool.stats(1)->stops;
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(pool.stop_one(1, [](WorkerId) { return 0; }));
    EXPECT_EQ(pool.stats(1)->stops, stops_before + 10);
    ASSERT_TRUE(pool.stop_machine([](WorkerId) { return 0; }));
    EXPECT_EQ(pool.stats(1)->stops, stops_before + 11);  // a participant counts the stop
}

// An idle pool sleeps: after 100 ms idle its workers have slept, a stop wakes a sleeper (and
// is counted as a wake-up), and 200 ms of idleness cost little CPU.
TEST(PoolLifecycle, IdleWorkersSleep) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    std::this_thread::sleep_for(100ms);
    for (WorkerId id : pool.workers()) {
        auto s = pool.stats(id);
        ASSERT_TRUE(s);
        EXPECT_GT(s->sleeps, 0U) << id;
        EXPECT_GT(s->idle_ns, 0U) << id;
    }
    const auto wakeups = pool.stats(1)->wakeups;
    ASSERT_TRUE(pool.stop_one(1, [](WorkerId) { return 0; }));
    EXPECT_GE(pool.stats(1)->wakeups, wakeups + 1);

    std::this_thread::sleep_for(20ms);  // let it fall asleep again
    auto cpu_ns = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    };
    const auto c0 = cpu_ns();
    std::this_thread::sleep_for(200ms);
    const auto used = cpu_ns() - c0;
    // Two busy-polling workers would burn ~400 ms; sleeping ones next to nothing.
    EXPECT_LT(used, 50'000'000) << "idle pool used " << used / 1000 << " us of CPU in 200 ms";
}

// A source whose futex is rung but whose polls find no work for this worker, as a bus
// cursor reading frames another worker's flows own. Counts its polls.
class RungButIdleSource final : public Source {
  public:
    explicit RungButIdleSource(std::atomic<std::uint64_t>& polls) : polls_(polls) {}
    std::atomic<std::uint32_t> word{0};
    std::size_t poll(std::size_t) override {
        polls_.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    bool arm(WaitSet& set) override {
        set.add_futex(&word, word.load(), /*shared=*/false);
        return true;
    }
    std::string_view name() const override { return "rung-but-idle"; }

  private:
    std::atomic<std::uint64_t>& polls_;
};

// Only work restarts the spin: a worker woken for nothing goes back to sleep after one
// round of polls instead of spinning its 50 us again (on two vCPUs a spinning neighbour
// takes the CPU a busy worker or its client needs).
TEST(PoolLifecycle, AWakeUpThatBringsNoWorkIsFollowedBySleepNotSpin) {
    LogSink log;
    PoolOptions options = quiet_options(1, log);
    options.spin = 50us;
    WorkerPool pool(options);
    std::atomic<std::uint64_t> polls{0};
    auto owned = std::make_unique<RungButIdleSource>(polls);
    RungButIdleSource* source = owned.get();
    ASSERT_TRUE(pool.add_source(0, std::move(owned)));
    ASSERT_TRUE(wait_for([&] { return pool.stats(0)->sleeps > 0; }));
    std::this_thread::sleep_for(10ms);
    const auto before = *pool.stats(0);
    const auto polls_before = polls.load();
    constexpr int kRings = 50;
    for (int i = 0; i < kRings; ++i) {
        source->word.fetch_add(1);
        ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&source->word), FUTEX_WAKE_PRIVATE,
                  INT32_MAX, nullptr, nullptr, 0);
        std::this_thread::sleep_for(1ms);
    }
    const auto after = *pool.stats(0);
    const auto wakeups = after.wakeups - before.wakeups;
    const auto rounds = polls.load() - polls_before;
    EXPECT_GE(wakeups, kRings / 2U) << "the rings woke the worker";
    // One round of polls per sleep (and one for a sleep the source's moved futex refused).
    // Spinning 50 us after each wake-up would poll hundreds of times per ring.
    EXPECT_LE(rounds, 2 * (after.sleeps - before.sleeps) + 4)
        << rounds << " polls for " << wakeups << " wake-ups";
}

TEST(PoolLifecycle, DestroyedWhileBusy) {
    std::atomic<std::uint64_t> polls{0};
    std::atomic<int> destroyed{0};
    for (int i = 0; i < 10; ++i) {
        LogSink log;
        WorkerPool pool(quiet_options(3, log));
        for (WorkerId id : pool.workers())
            ASSERT_TRUE(pool.add_source(
                id, std::make_unique<HookSource>(HookSource::Hook{}, 1, &polls, &destroyed)));
        StopWork pending;
        pool.stop_one_nowait(
            2, [](WorkerId) { return 0; }, pending);
        std::this_thread::sleep_for(2ms);
        pending.wait();  // `pending` dies before the pool: it must be done by then
        // ~WorkerPool runs here, with every worker busy polling.
    }
    EXPECT_EQ(destroyed.load(), 30);
}

}  // namespace
}  // namespace shmifd::engine::test
