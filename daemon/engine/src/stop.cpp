#include <sched.h>

#include <exception>
#include <string>
#include <thread>

#include "shmifd/engine/stop.hpp"
#include "stop_context.hpp"

namespace shmifd::engine {

StopContext& stop_context() {
    thread_local StopContext context;
    return context;
}

StopResult run_stop_fn(const StopFn& fn, WorkerId id) {
    StopContext& ctx = stop_context();
    const bool outer = ctx.in_stop_fn;
    ctx.in_stop_fn = true;
    StopResult result{0};
    try {
        result = fn(id);
    } catch (const std::exception& e) {
        result = std::unexpected(StopError{StopErrc::threw, id, e.what()});
    } catch (...) {
        result = std::unexpected(StopError{StopErrc::threw, id, "unknown exception"});
    }
    ctx.in_stop_fn = outer;
    return result;
}

std::string describe(const StopError& error) {
    const std::string w = std::to_string(error.worker);
    switch (error.code) {
        case StopErrc::busy:
            return "another stop is in progress";
        case StopErrc::no_such_worker:
            return "no worker " + w;
        case StopErrc::empty_pool:
            return "the pool has no workers";
        case StopErrc::not_executed:
            return "not executed on worker " + w +
                   (error.message.empty() ? "" : ": " + error.message);
        case StopErrc::nested:
            return "a stop cannot be issued from inside a stop function";
        case StopErrc::stuck:
            return "worker " + w + " did not quiesce in time; the stop was cancelled";
        case StopErrc::threw:
            return "stop function threw on worker " + w + ": " + error.message;
    }
    return "unknown stop error";
}

void StopWork::finish(StopResult r) {
    result_ = std::move(r);
    done_.store(true, std::memory_order_release);
    done_.notify_all();
}

void StopWork::wait() const {
    for (int i = 0; i < 2000 && !done(); ++i)
        __builtin_ia32_pause();
    while (!done())
        done_.wait(false, std::memory_order_acquire);
}

}  // namespace shmifd::engine
