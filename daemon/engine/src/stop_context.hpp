// Per-thread facts the stop machinery needs: which worker a thread is, and whether it is
// inside a stop function (where issuing another stop is refused).
#pragma once

#include "shmifd/engine/stop.hpp"

namespace shmifd::engine {

class Worker;

struct StopContext {
    Worker* worker = nullptr;
    const void* pool = nullptr;
    bool in_stop_fn = false;
};
StopContext& stop_context();

// Runs fn as a stop function on worker `id`: marks the thread, turns a throw into an error.
StopResult run_stop_fn(const StopFn& fn, WorkerId id);

}  // namespace shmifd::engine

namespace shmifd::engine {

// The one door into StopWork's completion, for the worker that ran it.
struct StopWorkAccess {
    static void finish(StopWork& work, const StopResult& r) { work.finish(r); }
    static const StopFn& fn(const StopWork& work) { return work.fn_; }
    static void set(StopWork& work, StopFn fn) {
        work.fn_ = std::move(fn);
        work.done_.store(false, std::memory_order_relaxed);
        work.result_ = 0;
    }
};

}  // namespace shmifd::engine
