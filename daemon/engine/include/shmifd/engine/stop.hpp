// The vocabulary of stop_machine: results, errors, the functions it runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

namespace shmifd::engine {

using WorkerId = std::size_t;

enum class StopErrc : std::uint8_t {
    busy = 1,        // try_stop_many: another multi-worker stop is in progress
    no_such_worker,  // an id that is not (or no longer) in the pool
    empty_pool,      // nothing to stop
    not_executed,    // the worker went away before it ran the work
    nested,          // called from inside a stop function
    stuck,           // a worker did not quiesce within the watchdog bound (see `worker`)
    threw,           // the stop function threw (see `message`)
};

struct StopError {
    StopErrc code;
    WorkerId worker = 0;  // stuck, threw, no_such_worker: which one
    std::string message;
};
std::string describe(const StopError& error);

// The first non-zero value a stop function returned (0 if all returned 0), or why the stop
// machinery could not deliver one.
using StopResult = std::expected<int, StopError>;

// Runs on a stopped worker; gets that worker's id.
using StopFn = std::function<int(WorkerId)>;

// A stop function queued without waiting (stop_one_nowait). Owned by the caller, who must
// keep it alive until done() is true.
class StopWork {
  public:
    bool done() const { return done_.load(std::memory_order_acquire); }
    // Blocks until done (a bounded spin, then sleeps).
    void wait() const;
    const StopResult& result() const { return result_; }

  private:
    friend class WorkerPool;
    friend struct StopWorkAccess;
    StopFn fn_;
    StopResult result_{0};
    std::atomic<bool> done_{false};
    void finish(StopResult r);
};

}  // namespace shmifd::engine
