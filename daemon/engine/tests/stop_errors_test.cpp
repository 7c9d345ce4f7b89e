// Misuse gets an error, never a hang: nested stops, unknown workers, an empty pool, a
// throwing function, work queued to a worker being removed, and a worker that cannot quiesce
// (the watchdog), after which the pool works normally.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "engine_test_util.hpp"
#include "shmifd/engine/worker_pool.hpp"

namespace shmifd::engine::test {
namespace {

const HangGuard guard(60);

StopFn nop() {
    return [](WorkerId) { return 0; };
}

void expect_code(const StopResult& r, StopErrc code, const char* what) {
    ASSERT_FALSE(r) << what << " succeeded";
    EXPECT_EQ(r.error().code, code) << what << ": " << describe(r.error());
}

TEST(StopErrors, NestedStopsAreRefused) {
    LogSink log;
    WorkerPool pool(quiet_options(3, log));
    std::vector<StopErrc> codes;
    std::atomic<int> inner_ran{0};
    auto inner = [&](WorkerId) {
        inner_ran.fetch_add(1);
        return 0;
    };
    auto r = pool.stop_one(1, [&](WorkerId) {
        auto code = [](const StopResult& x) { return x ? StopErrc{} : x.error().code; };
        codes.push_back(code(pool.stop_one(2, inner)));
        codes.push_back(code(pool.stop_one(1, inner)));  // itself, too
        codes.push_back(code(pool.stop_two(0, 2, inner)));
        codes.push_back(code(pool.stop_many({0, 2}, inner)));
        codes.push_back(code(pool.try_stop_many({0}, inner)));
        codes.push_back(code(pool.stop_machine(inner)));
        auto add = pool.add_worker();
        codes.push_back(add ? StopErrc{} : add.error().code);
        auto rem = pool.remove_worker(2);
        codes.push_back(rem ? StopErrc{} : rem.error().code);
        return 0;
    });
    ASSERT_TRUE(r) << describe(r.error());
    EXPECT_EQ(codes, std::vector<StopErrc>(8, StopErrc::nested));
    EXPECT_EQ(inner_ran.load(), 0);
    EXPECT_EQ(pool.size(), 3U);

    // The same from inside stop_machine and stop_two functions.
    std::atomic<int> nested_seen{0};
    auto probe = [&](WorkerId) {
        auto x = pool.stop_machine(inner);
        if (!x && x.error().code == StopErrc::nested) nested_seen.fetch_add(1);
        return 0;
    };
    ASSERT_TRUE(pool.stop_machine(probe, pool.workers()));
    ASSERT_TRUE(pool.stop_two(2, 0, probe));
    EXPECT_EQ(nested_seen.load(), 4);
    EXPECT_EQ(inner_ran.load(), 0);
    // Nothing stays marked: a stop issued afterwards from the same worker's source works.
    ASSERT_TRUE(pool.stop_machine(inner));
    EXPECT_EQ(inner_ran.load(), 1);
}

TEST(StopErrors, UnknownWorkersAreReported) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    std::atomic<int> ran{0};
    auto fn = counting(ran);
    auto check = [](const StopResult& r, WorkerId id, const char* what) {
        ASSERT_FALSE(r) << what;
        EXPECT_EQ(r.error().code, StopErrc::no_such_worker) << what;
        EXPECT_EQ(r.error().worker, id) << what;
    };
    check(pool.stop_one(7, fn), 7, "stop_one");
    check(pool.stop_two(0, 9, fn), 9, "stop_two second");
    check(pool.stop_two(9, 1, fn), 9, "stop_two first");
    check(pool.stop_many({0, 5}, fn), 5, "stop_many");
    check(pool.try_stop_many({5}, fn), 5, "try_stop_many");
    check(pool.stop_machine(fn, {1, 8}), 8, "stop_machine active");
    auto rem = pool.remove_worker(3);
    ASSERT_FALSE(rem);
    EXPECT_EQ(rem.error().code, StopErrc::no_such_worker);
    auto src = pool.add_source(4, std::make_unique<HookSource>());
    ASSERT_FALSE(src);
    EXPECT_EQ(src.error().code, StopErrc::no_such_worker);
    auto rs = pool.remove_sources(4);
    ASSERT_FALSE(rs);
    EXPECT_EQ(rs.error().code, StopErrc::no_such_worker);
    EXPECT_FALSE(pool.stats(2).has_value());

    StopWork work;
    EXPECT_FALSE(pool.stop_one_nowait(6, fn, work));
    ASSERT_TRUE(work.done());
    ASSERT_FALSE(work.result());
    EXPECT_EQ(work.result().error().code, StopErrc::not_executed);
    EXPECT_EQ(ran.load(), 0);

    // A removed worker's id is unknown from then on (ids are not reused).
    ASSERT_TRUE(pool.remove_worker(1));
    check(pool.stop_one(1, fn), 1, "stop_one removed");
    auto added = pool.add_worker();
    ASSERT_TRUE(added);
    EXPECT_EQ(*added, 2U);
    EXPECT_EQ(pool.workers(), (std::vector<WorkerId>{0, 2}));
    EXPECT_EQ(ran.load(), 0);
}

TEST(StopErrors, EmptyPool) {
    LogSink log;
    PoolOptions opts = quiet_options(2, log);
    WorkerPool pool(opts);
    ASSERT_TRUE(pool.remove_worker(0));
    ASSERT_TRUE(pool.remove_worker(1));
    EXPECT_EQ(pool.size(), 0U);
    EXPECT_TRUE(pool.workers().empty());
    std::atomic<int> ran{0};
    auto fn = counting(ran);
    expect_code(pool.stop_machine(fn), StopErrc::empty_pool, "stop_machine");
    expect_code(pool.stop_many({}, fn), StopErrc::empty_pool, "stop_many {}");
    expect_code(pool.try_stop_many({}, fn), StopErrc::empty_pool, "try_stop_many {}");
    expect_code(pool.stop_one(0, fn), StopErrc::no_such_worker, "stop_one");
    EXPECT_EQ(ran.load(), 0);
    // And it can be refilled.
    auto id = pool.add_worker();
    ASSERT_TRUE(id);
    auto r = pool.stop_machine(fn);
    ASSERT_TRUE(r) << describe(r.error());
    EXPECT_EQ(ran.load(), 1);
}

TEST(StopErrors, ThrowingFunctionIsReportedWithItsMessage) {
    LogSink log;
    WorkerPool pool(quiet_options(3, log));
    auto thrower = [](WorkerId id) -> int {
        if (id == 1) throw std::runtime_error("boom on one");
        return 0;
    };
    auto check = [](const StopResult& r, const char* what) {
        ASSERT_FALSE(r) << what;
        EXPECT_EQ(r.error().code, StopErrc::threw) << what;
        EXPECT_EQ(r.error().worker, 1U) << what;
        EXPECT_EQ(r.error().message, "boom on one") << what;
        EXPECT_NE(describe(r.error()).find("boom on one"), std::string::npos);
    };
    check(pool.stop_one(1, thrower), "stop_one");
    check(pool.stop_two(1, 2, thrower), "stop_two");
    check(pool.stop_many({0, 1, 2}, thrower), "stop_many");
    check(pool.try_stop_many({1}, thrower), "try_stop_many");
    check(pool.stop_machine(thrower, {0, 1, 2}), "stop_machine");
    StopWork w;
    ASSERT_TRUE(pool.stop_one_nowait(1, thrower, w));
    w.wait();
    check(w.result(), "stop_one_nowait");
    // Not a std::exception.
    auto r = pool.stop_one(0, [](WorkerId) -> int { throw 17; });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StopErrc::threw);
    EXPECT_EQ(r.error().worker, 0U);
    // The pool is fine afterwards.
    EXPECT_TRUE(pool.stop_machine(nop(), pool.workers()));
}

// Work queued behind a busy stop function on a worker that is then removed completes as
// not_executed; the running one completes normally.
TEST(StopErrors, WorkQueuedToARemovedWorkerIsNotExecuted) {
    LogSink log;
    WorkerPool pool(quiet_options(2, log));
    std::atomic<bool> first_started{false};
    std::atomic<int> second_ran{0};
    StopWork first, second;
    ASSERT_TRUE(pool.stop_one_nowait(
        1,
        [&](WorkerId) {
            first_started.store(true);
            std::this_thread::sleep_for(100ms);
            return 3;
        },
        first));
    ASSERT_TRUE(wait_for([&] { return first_started.load(); }));
    ASSERT_TRUE(pool.stop_one_nowait(
        1,
        [&](WorkerId) {
            second_ran.fetch_add(1);
            return 4;
        },
        second));
    ASSERT_TRUE(pool.remove_worker(1));
    ASSERT_TRUE(first.done());
    ASSERT_TRUE(first.result());
    EXPECT_EQ(*first.result(), 3);
    ASSERT_TRUE(second.done());
    ASSERT_FALSE(second.result());
    EXPECT_EQ(second.result().error().code, StopErrc::not_executed);
    EXPECT_EQ(second.result().error().worker, 1U);
    EXPECT_EQ(second_ran.load(), 0);
    // A blocking stop_one to a worker being removed: not_executed (or, if the removal won the
    // race to the map, no_such_worker), never a hang, and the function never runs.
    ASSERT_TRUE(pool.add_worker());  // id 2
    StopWork busy;
    ASSERT_TRUE(occupy(pool, 2, 200ms, busy));
    StopResult blocked{0};
    std::thread caller([&] {
        blocked = pool.stop_one(2, [&](WorkerId) {
            second_ran.fetch_add(1);
            return 0;
        });
    });
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(pool.remove_worker(2));
    caller.join();
    ASSERT_FALSE(blocked);
    EXPECT_EQ(blocked.error().code, StopErrc::not_executed);
    EXPECT_EQ(second_ran.load(), 0);
    EXPECT_TRUE(pool.stop_machine(nop()));
}

// A stop_two whose second worker is removed before it took its part: the first worker's part
// must not be left waiting (until the watchdog) for a worker that no longer exists, and the
// caller is told not_executed, not "stuck".
TEST(StopErrors, StopTwoWithAPartnerRemovedBeforeItsPartIsNotExecuted) {
    LogSink log;
    PoolOptions opts = quiet_options(3, log);
    opts.watchdog = 3000ms;
    WorkerPool pool(opts);
    StopWork busy;
    ASSERT_TRUE(occupy(pool, 2, 100ms, busy));
    std::atomic<int> ran{0};
    StopResult r{0};
    std::thread caller([&] { r = pool.stop_two(1, 2, counting(ran)); });
    std::this_thread::sleep_for(30ms);  // stop_two has queued to both by now
    ASSERT_TRUE(pool.remove_worker(2));
    caller.join();
    EXPECT_EQ(ran.load(), 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StopErrc::not_executed) << describe(r.error());
}

// The watchdog: a worker stuck in a source's poll for 500 ms cannot quiesce within 100 ms.
// Every stop shape reports it as stuck, naming it; afterwards the pool works normally.
TEST(StopErrors, WatchdogReportsAWorkerStuckInPoll) {
    LogSink log;
    PoolOptions opts = quiet_options(3, log);
    opts.watchdog = 100ms;
    WorkerPool pool(opts);
    std::atomic<bool> block{false}, blocked{false};
    ASSERT_TRUE(pool.add_source(1, stalling_source(block, blocked, 500ms)));
    std::atomic<int> ran{0};
    auto fn = counting(ran);
    using Call = std::function<StopResult()>;
    const std::vector<std::pair<const char*, Call>> calls = {
        {"stop_machine", [&] { return pool.stop_machine(fn, pool.workers()); }},
        {"stop_one", [&] { return pool.stop_one(1, fn); }},
        {"stop_two", [&] { return pool.stop_two(0, 1, fn); }},
    };
    for (const auto& [what, call] : calls) {
        block.store(true);
        ASSERT_TRUE(wait_for([&] { return blocked.load(); })) << what;
        const int ran_before = ran.load();
        auto r = call();
        ASSERT_FALSE(r) << what;
        EXPECT_EQ(r.error().code, StopErrc::stuck) << what << ": " << describe(r.error());
        EXPECT_EQ(r.error().worker, 1U) << what;
        EXPECT_EQ(ran.load(), ran_before) << what;
        ASSERT_TRUE(wait_for([&] { return !blocked.load(); })) << what;
        // Works normally again.
        const int before = ran.load();
        auto ok = pool.stop_machine(fn, pool.workers());
        ASSERT_TRUE(ok) << what << ": " << describe(ok.error());
        EXPECT_EQ(ran.load(), before + 3) << what;
    }
    EXPECT_TRUE(log.contains("worker 1"));
}

// stop_many's parts are independent: the workers that are not stuck run theirs, the stuck
// one's is abandoned, and the caller gets stuck (naming it) within about the watchdog bound.
TEST(StopErrors, WatchdogStopManyWithOneStuckWorker) {
    LogSink log;
    PoolOptions opts = quiet_options(3, log);
    opts.watchdog = 100ms;
    WorkerPool pool(opts);
    std::atomic<bool> block{true}, blocked{false};
    ASSERT_TRUE(pool.add_source(1, stalling_source(block, blocked, 500ms)));
    ASSERT_TRUE(wait_for([&] { return blocked.load(); }));
    std::array<std::atomic<int>, 3> ran{};
    auto fn = [&](WorkerId id) {
        ran[id].fetch_add(1);
        return 0;
    };
    auto r = run_bounded("stop_many with a stuck worker", [&] {
        return pool.stop_many({0, 1, 2}, fn);
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StopErrc::stuck) << describe(r.error());
    EXPECT_EQ(r.error().worker, 1U);
    EXPECT_EQ(ran[0].load(), 1);
    EXPECT_EQ(ran[2].load(), 1);
    ASSERT_TRUE(wait_for([&] { return !blocked.load(); }));
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(ran[1].load(), 0);  // abandoned: never runs late
    auto ok = run_bounded("stop_many after", [&] { return pool.stop_many({0, 1, 2}, fn); });
    ASSERT_TRUE(ok) << describe(ok.error());
    EXPECT_EQ(ran[1].load(), 1);
}

TEST(StopErrors, WatchdogReportsAWorkerStuckInANowaitFunction) {
    LogSink log;
    PoolOptions opts = quiet_options(2, log);
    opts.watchdog = 100ms;
    WorkerPool pool(opts);
    StopWork slow;
    ASSERT_TRUE(occupy(pool, 0, 500ms, slow));
    std::atomic<int> ran{0};
    auto r = pool.stop_machine(counting(ran), {0, 1});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StopErrc::stuck);
    EXPECT_EQ(r.error().worker, 0U);
    EXPECT_EQ(ran.load(), 0);
    slow.wait();
    ASSERT_TRUE(slow.result());
    auto ok = pool.stop_machine(counting(ran), {0, 1});
    ASSERT_TRUE(ok) << describe(ok.error());
    EXPECT_EQ(ran.load(), 2);
}

TEST(StopErrors, DescribeNamesTheWorker) {
    EXPECT_EQ(describe(StopError{StopErrc::no_such_worker, 7, {}}), "no worker 7");
    EXPECT_NE(describe(StopError{StopErrc::stuck, 3, {}}).find("worker 3"), std::string::npos);
    EXPECT_NE(describe(StopError{StopErrc::threw, 2, "x"}).find("worker 2: x"), std::string::npos);
    EXPECT_EQ(describe(StopError{StopErrc::busy, 0, {}}), "another stop is in progress");
}

}  // namespace
}  // namespace shmifd::engine::test
