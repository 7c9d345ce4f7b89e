// Stops issued concurrently from several threads and from workers never deadlock, and every
// function runs exactly as often as its stops succeeded. Bounded in count; a call that does
// not return in time fails the test (run_bounded / HangGuard). Built for ThreadSanitizer in a
// -DSHMIFD_SANITIZE=thread tree (label "concurrency").
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "engine_test_util.hpp"
#include "shmifd/engine/worker_pool.hpp"

namespace shmifd::engine::test {
namespace {

const HangGuard guard(120);

constexpr int kRounds = 300;

struct Tally {
    std::atomic<int> ok{0}, failed{0};
    void count(const StopResult& r) { (r ? ok : failed).fetch_add(1); }
};

// Thread A: stop_machine; thread B: stop_two over changing pairs; worker 0 (from its source's
// poll): stop_one to the others. All at once, bounded rounds each.
TEST(StopConcurrency, StopMachineStopTwoAndAWorkersStopOne) {
    LogSink log;
    PoolOptions opts = quiet_options(3, log);
    opts.watchdog = 10s;  // a spurious "stuck" under TSan would be a failure, not a hang
    WorkerPool pool(opts);
    std::atomic<int> machine_runs{0}, two_runs{0}, one_runs{0};
    Tally a, b, w;
    std::atomic<int> worker_issued{0};
    std::atomic<std::uint64_t> polls{0};
    ASSERT_TRUE(pool.add_source(0, std::make_unique<HookSource>(
                                       [&] {
                                           if (polls.load() % 8 != 0) return;
                                           const int n = worker_issued.load();
                                           if (n >= kRounds) return;
                                           worker_issued.store(n + 1);
                                           w.count(pool.stop_one(1 + static_cast<WorkerId>(n % 2),
                                                                 [&](WorkerId) {
                                                                     one_runs.fetch_add(1);
                                                                     return 0;
                                                                 }));
                                       },
                                       1, &polls)));
    // Worker 1 busy, worker 2 idle (asleep between stops): both wake paths.
    ASSERT_TRUE(pool.add_source(1, std::make_unique<HookSource>(HookSource::Hook{}, 1)));
    int expected_machine = 0;
    for (int i = 0; i < kRounds; ++i)
        expected_machine += i % 2 == 0 ? 1 : 3;
    std::thread ta([&] {
        for (int i = 0; i < kRounds; ++i) {
            const std::vector<WorkerId> active =
                i % 2 == 0 ? std::vector<WorkerId>{} : std::vector<WorkerId>{0, 1, 2};
            a.count(pool.stop_machine(
                [&](WorkerId) {
                    machine_runs.fetch_add(1);
                    return 0;
                },
                active));
        }
    });
    std::thread tb([&] {
        const WorkerId pairs[3][2] = {{0, 1}, {1, 2}, {2, 0}};
        for (int i = 0; i < kRounds; ++i) {
            const auto& p = pairs[i % 3];
            b.count(pool.stop_two(p[0], p[1], [&](WorkerId) {
                two_runs.fetch_add(1);
                return 0;
            }));
        }
    });
    const bool finished = wait_for(
        [&] {
            return a.ok + a.failed == kRounds && b.ok + b.failed == kRounds &&
                   w.ok + w.failed == kRounds;
        },
        90s);
    if (!finished) {
        std::fprintf(stderr, "HANG: A %d/%d, B %d/%d, worker %d/%d\n", a.ok.load(), kRounds,
                     b.ok.load(), kRounds, w.ok.load(), kRounds);
        std::_Exit(1);
    }
    ta.join();
    tb.join();
    EXPECT_EQ(a.ok.load(), kRounds);
    EXPECT_EQ(b.ok.load(), kRounds);
    EXPECT_EQ(w.ok.load(), kRounds);
    EXPECT_EQ(machine_runs.load(), expected_machine);
    EXPECT_EQ(two_runs.load(), kRounds);
    EXPECT_EQ(one_runs.load(), kRounds);
}

// Two workers issue stop_machine from their polls while two threads issue stop_machine and
// stop_many: every stop succeeds.
TEST(StopConcurrency, WorkersAndThreadsAllIssueMultiStops) {
    LogSink log;
    PoolOptions opts = quiet_options(3, log);
    opts.watchdog = 10s;
    WorkerPool pool(opts);
    constexpr int kPerIssuer = 150;
    std::atomic<int> runs{0};
    auto fn = [&](WorkerId) {
        runs.fetch_add(1);
        return 0;
    };
    std::array<Tally, 4> t;
    std::array<std::atomic<int>, 2> issued{};
    for (std::size_t k = 0; k < 2; ++k) {
        ASSERT_TRUE(pool.add_source(k, std::make_unique<HookSource>(
                                           [&, k] {
                                               if (issued[k].load() >= kPerIssuer) return;
                                               issued[k].fetch_add(1);
                                               t[k].count(pool.stop_machine(fn, {0, 1, 2}));
                                           },
                                           1)));
    }
    std::thread t2([&] {
        for (int i = 0; i < kPerIssuer; ++i)
            t[2].count(pool.stop_machine(fn));
    });
    std::thread t3([&] {
        for (int i = 0; i < kPerIssuer; ++i)
            t[3].count(pool.stop_many({2, 0}, fn));
    });
    const bool finished = wait_for(
        [&] {
            for (auto& x : t)
                if (x.ok + x.failed != kPerIssuer) return false;
            return true;
        },
        90s);
    if (!finished) {
        std::fprintf(stderr, "HANG: %d %d %d %d of %d\n", t[0].ok.load(), t[1].ok.load(),
                     t[2].ok.load(), t[3].ok.load(), kPerIssuer);
        std::_Exit(1);
    }
    t2.join();
    t3.join();
    for (auto& x : t)
        EXPECT_EQ(x.ok.load(), kPerIssuer);
    EXPECT_EQ(runs.load(), kPerIssuer * (3 + 3 + 1 + 2));
}

// try_stop_many from two threads at once: each call either ran (on every worker of its set)
// or was busy; nothing in between.
TEST(StopConcurrency, TryStopManyIsAllOrBusy) {
    LogSink log;
    PoolOptions opts = quiet_options(3, log);
    opts.watchdog = 10s;
    WorkerPool pool(opts);
    std::atomic<int> runs{0}, ok{0}, busy{0}, other{0};
    auto issuer = [&] {
        for (int i = 0; i < kRounds; ++i) {
            auto r = pool.try_stop_many({0, 1, 2}, [&](WorkerId) {
                runs.fetch_add(1);
                return 0;
            });
            if (r)
                ok.fetch_add(1);
            else if (r.error().code == StopErrc::busy)
                busy.fetch_add(1);
            else
                other.fetch_add(1);
        }
    };
    std::thread x(issuer), y(issuer);
    x.join();
    y.join();
    EXPECT_EQ(ok.load() + busy.load(), 2 * kRounds);
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(runs.load(), 3 * ok.load());
    EXPECT_GT(ok.load(), 0);
}

// Workers added and removed by one thread while another issues stop_machine and a third
// stop_two on two workers that stay: every stop succeeds and counts are exact.
TEST(StopConcurrency, StopsWhileWorkersComeAndGo) {
    LogSink log;
    PoolOptions opts = quiet_options(2, log);
    opts.watchdog = 10s;
    WorkerPool pool(opts);
    ASSERT_TRUE(pool.add_source(0, std::make_unique<HookSource>(HookSource::Hook{}, 1)));
    std::atomic<int> machine_runs{0}, two_runs{0};
    Tally m, two;
    std::atomic<int> changes{0}, change_failures{0};
    std::thread churn([&] {
        for (int i = 0; i < 60; ++i) {
            auto id = pool.add_worker();
            if (!id) {
                change_failures.fetch_add(1);
                continue;
            }
            std::this_thread::sleep_for(200us);
            if (!pool.remove_worker(*id)) change_failures.fetch_add(1);
            changes.fetch_add(1);
        }
    });
    std::thread machine([&] {
        for (int i = 0; i < kRounds; ++i)
            m.count(pool.stop_machine([&](WorkerId) {
                machine_runs.fetch_add(1);
                return 0;
            }));
    });
    std::thread pair([&] {
        for (int i = 0; i < kRounds; ++i)
            two.count(pool.stop_two(1, 0, [&](WorkerId) {
                two_runs.fetch_add(1);
                return 0;
            }));
    });
    if (!wait_for(
            [&] {
                return m.ok + m.failed == kRounds && two.ok + two.failed == kRounds &&
                       changes + change_failures == 60;
            },
            90s)) {
        std::fprintf(stderr, "HANG: machine %d, two %d, changes %d\n", m.ok.load(), two.ok.load(),
                     changes.load());
        std::_Exit(1);
    }
    churn.join();
    machine.join();
    pair.join();
    EXPECT_EQ(m.ok.load(), kRounds);
    EXPECT_EQ(two.ok.load(), kRounds);
    EXPECT_EQ(machine_runs.load(), kRounds);
    EXPECT_EQ(two_runs.load(), kRounds);
    EXPECT_EQ(changes.load(), 60);
    EXPECT_EQ(change_failures.load(), 0);
    EXPECT_EQ(pool.workers(), (std::vector<WorkerId>{0, 1}));
}

// ~WorkerPool while a worker's source keeps issuing stop_machine: the pool must still shut
// down (the worker must not be left spinning for the stop lock the destructor holds).
TEST(StopConcurrency, DestroyedWhileAWorkerIssuesStops) {
    LogSink log;
    auto pool = std::make_unique<WorkerPool>(quiet_options(2, log));
    std::atomic<int> stops{0};
    WorkerPool* p = pool.get();
    ASSERT_TRUE(pool->add_source(1, std::make_unique<HookSource>(
                                        [p, &stops] {
                                            if (p->stop_machine([](WorkerId) { return 0; }))
                                                stops.fetch_add(1);
                                        },
                                        1)));
    ASSERT_TRUE(wait_for([&] { return stops.load() > 50; }));
    run_bounded("~WorkerPool with a worker issuing stop_machine", [&] {
        pool.reset();
        return 0;
    });
}

// A worker adding a worker from its poll while another thread runs stop_machine: the worker
// must keep taking part in stops while it waits for the pool's lock, so the stops succeed
// (and are not cancelled as "stuck" by the watchdog).
TEST(StopConcurrency, AddWorkerFromAWorkerDuringStops) {
    LogSink log;
    PoolOptions opts = quiet_options(2, log);
    opts.watchdog = 500ms;
    WorkerPool pool(opts);
    std::atomic<int> added{0};
    std::atomic<bool> go{false};
    ASSERT_TRUE(pool.add_source(1, std::make_unique<HookSource>(
                                       [&] {
                                           if (!go.load() || added.load() >= 20) return;
                                           if (auto id = pool.add_worker()) {
                                               added.fetch_add(1);
                                               (void)pool.remove_worker(*id);
                                           }
                                       },
                                       1)));
    go.store(true);
    int ok = 0, stuck = 0;
    for (int i = 0; i < 200 && stuck == 0 && added.load() < 20; ++i) {
        auto r = pool.stop_machine([](WorkerId) { return 0; });
        if (r)
            ++ok;
        else if (r.error().code == StopErrc::stuck)
            ++stuck;
    }
    EXPECT_EQ(stuck, 0) << "stop_machine cancelled while worker 1 waited in add_worker";
    EXPECT_TRUE(wait_for([&] { return added.load() >= 20; }));
}

// A source removed (remove_sources from another thread) while its own poll() is on the stack
// (it issued a stop and its worker serves its queue meanwhile) must not be destroyed under
// the running poll.
TEST(StopConcurrency, SourceNotDestroyedDuringItsOwnPoll) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    struct Flags {
        std::atomic<bool> in_poll{false};
        std::atomic<int> destroyed_in_poll{0};
        std::atomic<int> destroyed{0};
        std::atomic<bool> armed{false};
    };
    auto flags = std::make_shared<Flags>();
    class ReentrantSource final : public Source {
      public:
        ReentrantSource(std::shared_ptr<Flags> f, WorkerPool& pool)
            : f_(std::move(f)), pool_(pool) {}
        ~ReentrantSource() override {
            if (f_->in_poll.load()) f_->destroyed_in_poll.fetch_add(1);
            f_->destroyed.fetch_add(1);
        }
        std::size_t poll(std::size_t) override {
            auto f = f_;  // keep what we touch after the stop alive on our own
            if (!f->armed.exchange(false)) return 1;
            f->in_poll.store(true);
            // Worker 1 is busy for 100 ms: we wait, serving our own queue.
            (void)pool_.stop_one(1, [](WorkerId) { return 0; });
            f->in_poll.store(false);
            return 1;
        }
        bool arm(WaitSet&) override { return false; }
        std::string_view name() const override { return "reentrant"; }

      private:
        std::shared_ptr<Flags> f_;
        WorkerPool& pool_;
    };
    ASSERT_TRUE(pool.add_source(0, std::make_unique<ReentrantSource>(flags, pool)));
    StopWork hold;
    std::atomic<bool> holding{false};
    ASSERT_TRUE(pool.stop_one_nowait(
        1,
        [&](WorkerId) {
            holding.store(true);
            std::this_thread::sleep_for(100ms);
            return 0;
        },
        hold));
    ASSERT_TRUE(wait_for([&] { return holding.load(); }));
    flags->armed.store(true);
    ASSERT_TRUE(wait_for([&] { return flags->in_poll.load(); }));
    auto r = run_bounded("remove_sources during poll", [&] { return pool.remove_sources(0); });
    ASSERT_TRUE(r);
    hold.wait();
    ASSERT_TRUE(wait_for([&] { return flags->destroyed.load() == 1; }));
    EXPECT_EQ(flags->destroyed_in_poll.load(), 0)
        << "the source was destroyed while its poll() was running (use after free)";
}

}  // namespace
}  // namespace shmifd::engine::test
