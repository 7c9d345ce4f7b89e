// One worker: a thread that polls its sources and serves its stopper queue.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "completion.hpp"
#include "shmifd/engine/worker_pool.hpp"
#include "sleep.hpp"

namespace shmifd::engine {

// Who owns a queued work: the worker that starts it, or the caller that gave up on it (after
// the watchdog bound) before it started. Whoever flips it from `queued` decides.
enum class Claim : int { queued = 0, running, finished, abandoned };
using ClaimToken = std::shared_ptr<std::atomic<int>>;

// A stop work in a worker's queue. Exactly one of done / nowait is set.
class MultiStop;

struct QueuedWork {
    std::function<StopResult(WorkerId)> run;
    std::shared_ptr<Completion> done;
    StopWork* nowait = nullptr;
    ClaimToken claim{};  // may be null: cannot be abandoned
    // A multi-worker stop this work is a part of: if the work can never run, the others
    // must not wait for it.
    std::shared_ptr<MultiStop> multi{};

    void complete(const StopResult& r) const;
};

class Worker {
  public:
    Worker(const WorkerPool* pool, WorkerId id, const PoolOptions& opts, int cpu);
    ~Worker();

    WorkerId id() const { return id_; }

    // Stopper queue. queue() is false when the worker is being removed (the caller then
    // completes the work as not_executed). Call with the pool's queue lock held when several
    // works must land in the same order everywhere.
    bool queue(QueuedWork work);
    bool enabled();
    // Serves queued stop works now (the worker's own thread only).
    void serve_stops();
    // Disables the queue, fails what is queued, stops and joins the thread.
    void shut_down();

    // Own thread only (stop functions run there). Safe from inside a source's poll: a
    // source removed then is destroyed after the poll returns.
    void add_source(std::unique_ptr<Source> source) { sources_.push_back(std::move(source)); }
    void clear_sources();
    bool exiting() const { return exit_.load(std::memory_order_acquire); }
    WorkerStats stats() const;

  private:
    void loop();
    void pin();
    void add(std::atomic<std::uint64_t>& cell, std::uint64_t n) {
        cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    const WorkerPool* pool_;
    const WorkerId id_;
    const PoolOptions& opts_;
    const int cpu_;

    std::mutex stop_lock_;
    std::deque<QueuedWork> works_;  // under stop_lock_
    bool enabled_ = true;           // under stop_lock_
    std::atomic<bool> stop_pending_{false};
    std::atomic<bool> exit_{false};
    Doorbell bell_;

    std::vector<std::unique_ptr<Source>> sources_;
    std::vector<std::unique_ptr<Source>> retired_;  // removed during a poll, freed after it
    bool polling_ = false;
    WaitSet wait_set_;

    std::atomic<int> pinned_cpu_{-1};
    std::uint64_t started_ns_;
    std::atomic<std::uint64_t> work_{0}, batches_{0}, idle_ns_{0}, sleeps_{0}, wakeups_{0},
        stops_{0};
    std::atomic<std::uint64_t> asleep_since_{0};  // monotonic ns while asleep, else 0

    std::thread thread_;  // last: starts after everything above is ready
};

}  // namespace shmifd::engine
