// Shared pieces of the engine tests: a per-process hang guard, instrumented sources, and
// bounded waits. Every test binary runs each test in its own process (gtest_discover_tests),
// so the hang guard bounds each test.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shmifd/engine/source.hpp"
#include "shmifd/engine/stop.hpp"
#include "shmifd/engine/worker_pool.hpp"

namespace shmifd::engine::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Aborts the process (with a message) if a test runs longer than `seconds`: a hang is a
// failure, never a stuck ctest.
class HangGuard {
  public:
    explicit HangGuard(unsigned seconds) {
        struct sigaction sa {};
        sa.sa_handler = [](int) {
            static const char msg[] = "\n*** engine test hang guard: test took too long ***\n";
            [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
            std::abort();
        };
        ::sigaction(SIGALRM, &sa, nullptr);
        ::alarm(seconds);
    }
};

// Polls `done` until it is true or `limit` passes; true if it became true.
template <class Pred>
bool wait_for(Pred&& done, std::chrono::milliseconds limit = 10s) {
    const auto until = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() > until) return false;
        std::this_thread::sleep_for(100us);
    }
    return true;
}

// Runs `call` on a thread and waits up to `limit` for it. A call that does not return is a
// hang: the test is reported failed and the process exits at once (the thread cannot be
// joined, so nothing after it could run safely).
template <class Call>
auto run_bounded(const char* what, Call&& call, std::chrono::milliseconds limit = 5s) {
    using R = decltype(call());
    auto result = std::make_shared<R>();
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread t([result, done, call] {
        *result = call();
        done->store(true);
    });
    if (!wait_for([&] { return done->load(); }, limit)) {
        std::fprintf(stderr, "\n*** HANG: %s did not return within %lld ms ***\n", what,
                     static_cast<long long>(limit.count()));
        std::fflush(stderr);
        std::_Exit(1);
    }
    t.join();
    return *result;
}

inline void spin_for(std::chrono::nanoseconds d) {
    const auto until = Clock::now() + d;
    while (Clock::now() < until) {
    }
}

// Collects what the pool logs (instead of stderr), readable from any thread.
struct LogSink {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::function<void(std::string_view)> fn() {
        return [this](std::string_view m) {
            std::lock_guard lock(mutex);
            lines.emplace_back(m);
        };
    }
    bool contains(std::string_view needle) {
        std::lock_guard lock(mutex);
        for (const auto& l : lines)
            if (l.find(needle) != std::string::npos) return true;
        return false;
    }
};

// A source whose poll() calls a hook and reports `work` units. Counts its polls. With
// busy = false it reports no work and lets the worker sleep (arm() true, nothing to wait on).
class HookSource final : public Source {
  public:
    using Hook = std::function<void()>;
    explicit HookSource(Hook hook = {}, std::size_t work = 1,
                        std::atomic<std::uint64_t>* polls = nullptr,
                        std::atomic<int>* destroyed = nullptr)
        : hook_(std::move(hook)), work_(work), polls_(polls), destroyed_(destroyed) {}
    ~HookSource() override {
        if (destroyed_ != nullptr) destroyed_->fetch_add(1);
    }
    std::size_t poll(std::size_t) override {
        if (polls_ != nullptr) polls_->fetch_add(1, std::memory_order_relaxed);
        if (hook_) hook_();
        return work_;
    }
    bool arm(WaitSet&) override { return work_ == 0; }
    std::string_view name() const override { return "hook"; }

  private:
    Hook hook_;
    std::size_t work_;
    std::atomic<std::uint64_t>* polls_;
    std::atomic<int>* destroyed_;
};

inline PoolOptions quiet_options(std::size_t workers, LogSink& log) {
    PoolOptions o;
    o.workers = workers;
    o.pin = false;
    o.log = log.fn();
    return o;
}

// A stop function that counts its runs in `ran` and returns 0.
inline StopFn counting(std::atomic<int>& ran) {
    return [&ran](WorkerId) {
        ran.fetch_add(1);
        return 0;
    };
}

// Keeps worker `id` busy inside a stop_one_nowait function for `how_long`; returns once the
// worker is in it. `work` must outlive the function (wait() on it before it goes).
inline bool occupy(WorkerPool& pool, WorkerId id, std::chrono::milliseconds how_long,
                   StopWork& work) {
    auto started = std::make_shared<std::atomic<bool>>(false);
    if (!pool.stop_one_nowait(
            id,
            [started, how_long](WorkerId) {
                started->store(true);
                std::this_thread::sleep_for(how_long);
                return 0;
            },
            work))
        return false;
    return wait_for([&] { return started->load(); });
}

// A source that, whenever `block` is set, clears it and stalls its worker inside poll for
// `how_long`, with `blocked` true meanwhile (a worker that cannot quiesce).
inline std::unique_ptr<Source> stalling_source(std::atomic<bool>& block, std::atomic<bool>& blocked,
                                               std::chrono::milliseconds how_long) {
    return std::make_unique<HookSource>(
        [&block, &blocked, how_long] {
            if (!block.exchange(false)) return;
            blocked.store(true);
            std::this_thread::sleep_for(how_long);
            blocked.store(false);
        },
        1);
}

}  // namespace shmifd::engine::test
