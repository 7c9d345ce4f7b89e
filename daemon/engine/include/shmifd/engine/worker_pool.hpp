// The per-core worker pool and its stop_machine (see DESIGN.md "The per-core worker pool and
// stop_machine").
//
// Each worker is a thread (pinned to a CPU when the CPU set allows) looping over its sources
// in batches: busy, it polls; idle for `spin`, it sleeps on everything its sources can be
// woken by (futex_waitv, or ppoll when a source only has an fd) and burns no CPU. Only work
// restarts the spin: a wake-up whose polls find none is followed by sleep at once.
//
// What workers share is changed only while they are stopped. A stop runs functions on
// stopped workers, with the shapes of Linux's stop_machine():
//   stop_one(w, fn)           fn on worker w, which does nothing else meanwhile
//   stop_one_nowait(w, fn, k) the same, queued; the caller waits on k when it likes
//   stop_two(a, b, fn)        a and b both stopped; fn runs on a
//   stop_many(set, fn)        fn on each worker of the set (serialised with other stops)
//   try_stop_many(set, fn)    the same, but "busy" at once if a stop is in progress
//   stop_machine(fn, active)  every worker steps prepare -> quiesce -> run -> exit, each
//                             state acknowledged by all before the next; fn runs on the
//                             active workers (on one when the set is empty)
// Stops may be issued from any thread, worker or not (a worker takes part instead of
// waiting for itself). Multi-worker stops are queued to every worker under one lock, so all
// queues hold them in the same order and two stops can never wait for each other.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shmifd/engine/source.hpp"
#include "shmifd/engine/stop.hpp"

namespace shmifd::engine {

struct PoolOptions {
    std::size_t workers = 0;  // 0 = one per online CPU
    bool pin = true;          // pin each worker to a CPU of its own we may run on
    // Non-empty: the CPUs are shared out among every pool on the machine (in this network
    // namespace) that gives the same name, fewest claims first (src/cpu_claims.hpp); empty:
    // worker i on the i-th CPU we may run on.
    std::string cpu_claims{};
    std::size_t batch = 32;  // budget handed to a source per poll
    // Idle this long (polling, finding nothing) before sleeping.
    std::chrono::nanoseconds spin{std::chrono::microseconds(50)};
    // Past this much of the spin, the worker yields its CPU between polls: a thread that
    // waits for it (a test process, another worker: on 2 vCPUs a daemon with two workers
    // and its client are three) runs instead of waiting for the spin to end. Measured with
    // two workers on 2 vCPUs: TCP_CRR 4.7k -> 11.8-13.5k/s; one worker's TCP_RR unchanged.
    std::chrono::nanoseconds yield_after{std::chrono::microseconds(5)};
    // Sleep on futexes and fds in one io_uring wait where the kernel can (Linux 6.7's
    // FUTEX_WAITV); off, or where it cannot: futex_waitv(2), or ppoll(2) when fds are armed.
    bool joint_wait = true;
    // A stop whose workers do not all quiesce within this bound is cancelled and reported
    // with the worker that held it up. Generous: on a loaded machine (2 vCPUs, load 8) a
    // runnable worker can wait over a second for a CPU, and that is not a stuck worker.
    std::chrono::milliseconds watchdog{5000};
    // Where the pool says what it did (pinning, stuck workers). Default: stderr.
    std::function<void(std::string_view)> log;
};

// Counters of one worker, written by it alone and readable from any thread at any time.
struct WorkerStats {
    std::uint64_t work = 0;     // units of work sources reported (frames, commands)
    std::uint64_t batches = 0;  // polls that found work
    std::uint64_t busy_ns = 0;  // time not asleep
    std::uint64_t idle_ns = 0;  // time asleep
    std::uint64_t sleeps = 0;
    std::uint64_t wakeups = 0;  // sleeps ended by a wake-up rather than a timeout
    std::uint64_t stops = 0;    // stop works run
    int cpu = -1;               // pinned CPU, -1 when not pinned
};

// What the last multi-worker stop measured (for benchmarks and the daemon's statistics).
struct StopTiming {
    std::uint64_t quiesce_ns = 0;  // request -> every worker acknowledged quiesce
    std::uint64_t total_ns = 0;    // request -> every worker left the stop
};

class Worker;

class WorkerPool {
  public:
    explicit WorkerPool(PoolOptions opts = {});
    ~WorkerPool();  // stops and joins every worker
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Ids of the workers now running, ascending. Ids are stable: removing one leaves a hole.
    std::vector<WorkerId> workers() const;
    std::size_t size() const;
    std::expected<WorkerId, StopError> add_worker();
    // Stops and joins the worker; stop work still queued to it completes as not_executed.
    std::expected<void, StopError> remove_worker(WorkerId id);

    // Hands a source to a worker (through stop_one: the worker is not polling meanwhile).
    std::expected<void, StopError> add_source(WorkerId id, std::unique_ptr<Source> source);
    std::expected<void, StopError> remove_sources(WorkerId id);

    std::optional<WorkerStats> stats(WorkerId id) const;
    StopTiming last_stop_timing() const;

    StopResult stop_one(WorkerId id, StopFn fn);
    // false (and work completes as not_executed) when the worker does not exist.
    bool stop_one_nowait(WorkerId id, StopFn fn, StopWork& work);
    StopResult stop_two(WorkerId first, WorkerId second, StopFn fn);
    StopResult stop_many(const std::vector<WorkerId>& set, StopFn fn);
    StopResult try_stop_many(const std::vector<WorkerId>& set, StopFn fn);
    // active empty: fn runs on exactly one worker (the lowest id).
    StopResult stop_machine(StopFn fn, const std::vector<WorkerId>& active = {});

    // The worker the calling thread is, if it is one of this pool's.
    std::optional<WorkerId> current_worker() const;

    struct Impl;

  private:
    StopResult await_multi(void* self_worker, class Completion& done, class MultiStop& ms);
    std::unique_ptr<Impl> impl_;
};

}  // namespace shmifd::engine
