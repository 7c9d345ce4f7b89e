#include "shmifd/engine/worker_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "cpu_claims.hpp"
#include "multi_stop.hpp"
#include "stop_context.hpp"
#include "worker.hpp"

namespace shmifd::engine {

struct WorkerPool::Impl {
    PoolOptions opts;
    std::vector<int> cpus;              // the CPUs this process may run on
    std::unique_ptr<CpuClaims> claims;  // with opts.cpu_claims
    std::map<WorkerId, int> claimed;    // the CPU each worker claimed

    // Structure of the pool. Lock order: stop_mutex, then queue_mutex, then a worker's lock.
    mutable std::mutex members;  // guards `workers` (the map; the workers lock themselves)
    std::map<WorkerId, std::unique_ptr<Worker>> workers;
    WorkerId next_id = 0;

    // Serialises multi-worker stops (stop_many, stop_machine) and pool changes.
    std::mutex stop_mutex;
    // Held while one stop's works are queued to several workers, so that every queue holds
    // multi-worker stops in the same order (no two stops wait for each other).
    std::mutex queue_mutex;

    std::atomic<std::uint64_t> last_quiesce_ns{0}, last_total_ns{0};

    Worker* find(WorkerId id) const {
        std::lock_guard lock(members);
        auto it = workers.find(id);
        return it == workers.end() ? nullptr : it->second.get();
    }
    std::vector<Worker*> snapshot() const {
        std::lock_guard lock(members);
        std::vector<Worker*> all;
        for (auto& [id, w] : workers)
            all.push_back(w.get());
        return all;
    }
    // How long a non-worker caller spins before it sleeps: not at all on a CPU a worker is
    // pinned to, since that worker must run to quiesce (and, busy, would not give the CPU
    // back for a whole time slice if we yielded to it).
    int caller_spins() const {
        const int here = sched_getcpu();
        std::lock_guard lock(members);
        for (const auto& [id, w] : workers)
            if (w->stats().cpu == here) return 0;
        return 2000;
    }
    Worker* self(const WorkerPool* pool) const {
        const StopContext& ctx = stop_context();
        return ctx.pool == pool ? ctx.worker : nullptr;
    }
};

namespace {

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (std::size_t c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) cpus.push_back(static_cast<int>(c));
    }
    return cpus;
}

StopError error(StopErrc code, WorkerId id = 0, std::string message = {}) {
    return StopError{code, id, std::move(message)};
}

// A worker waiting for other workers keeps serving its own stop queue, so that a stop
// which needs it (queued before ours) is not left waiting for us: it counts as quiescent
// while it waits.
void serve_and_yield(Worker* self) {
    if (self != nullptr) self->serve_stops();
    ::sched_yield();
}

template <class Ready>
void wait_serving(Worker* self, Ready&& ready) {
    while (!ready())
        serve_and_yield(self);
}

// Takes `m`; a worker serves its stop queue meanwhile (the holder may be waiting for it),
// and gives up if it is being shut down (the holder may be the pool's destructor).
bool lock_serving(std::mutex& m, Worker* self) {
    if (self == nullptr) {
        m.lock();
        return true;
    }
    while (!m.try_lock()) {
        if (self->exiting()) return false;
        serve_and_yield(self);
    }
    return true;
}

std::uint64_t ns(std::chrono::milliseconds ms) {
    return static_cast<std::uint64_t>(std::chrono::nanoseconds(ms).count());
}

// Waits for `done`; past the watchdog bound, abandons the works no worker has started yet
// and reports the first such worker as stuck. Works already running are waited for: a stop
// function cannot be interrupted.
StopResult await_works(Worker* self, Completion& done,
                       const std::vector<std::pair<WorkerId, ClaimToken>>& claims,
                       std::chrono::milliseconds watchdog,
                       const std::function<void(std::string_view)>& log, int spins) {
    const std::uint64_t start = monotonic_ns();
    std::optional<WorkerId> stuck;
    auto give_up = [&] {
        if (monotonic_ns() - start < ns(watchdog)) return false;
        bool running = false;
        for (const auto& [id, claim] : claims) {
            int expected = int(Claim::queued);
            if (claim->compare_exchange_strong(expected, int(Claim::abandoned))) {
                if (!stuck) stuck = id;
            } else if (expected == int(Claim::running)) {
                running = true;
            } else if (expected == int(Claim::abandoned) && !stuck) {
                stuck = id;
            }
        }
        return stuck.has_value() && !running;
    };
    if (self == nullptr) {
        done.wait_until(
            give_up,
            std::min<std::chrono::steady_clock::duration>(watchdog, std::chrono::milliseconds(10)),
            spins);
    } else {
        wait_serving(self, [&] { return done.finished() || give_up(); });
    }
    if (!done.finished() && stuck) {
        log("stop: worker " + std::to_string(*stuck) + " did not take its stop work within " +
            std::to_string(watchdog.count()) + " ms; abandoned");
        return std::unexpected(error(StopErrc::stuck, *stuck));
    }
    return done.result();
}

}  // namespace

WorkerPool::WorkerPool(PoolOptions opts) : impl_(std::make_unique<Impl>()) {
    impl_->opts = std::move(opts);
    if (!impl_->opts.log)
        impl_->opts.log = [](std::string_view m) {
            std::fprintf(stderr, "engine: %.*s\n", static_cast<int>(m.size()), m.data());
        };
    impl_->cpus = allowed_cpus();
    if (impl_->opts.pin && !impl_->opts.cpu_claims.empty())
        impl_->claims = std::make_unique<CpuClaims>(impl_->opts.cpu_claims);
    std::size_t n = impl_->opts.workers;
    if (n == 0)
        n = std::max<std::size_t>(1, static_cast<std::size_t>(sysconf(_SC_NPROCESSORS_ONLN)));
    if (impl_->opts.pin && impl_->cpus.size() < n)
        impl_->opts.log(std::to_string(n) + " workers on " + std::to_string(impl_->cpus.size()) +
                        " allowed CPUs: workers beyond that are not pinned");
    for (std::size_t i = 0; i < n; ++i)
        (void)add_worker();
}

WorkerPool::~WorkerPool() {
    std::lock_guard stop(impl_->stop_mutex);
    std::map<WorkerId, std::unique_ptr<Worker>> all;
    {
        std::lock_guard q(impl_->queue_mutex);
        std::lock_guard m(impl_->members);
        all.swap(impl_->workers);
    }
    for (auto& [id, w] : all)
        w->shut_down();
}

std::vector<WorkerId> WorkerPool::workers() const {
    std::lock_guard lock(impl_->members);
    std::vector<WorkerId> ids;
    for (auto& [id, w] : impl_->workers)
        ids.push_back(id);
    return ids;
}

std::size_t WorkerPool::size() const {
    std::lock_guard lock(impl_->members);
    return impl_->workers.size();
}

std::expected<WorkerId, StopError> WorkerPool::add_worker() {
    if (stop_context().in_stop_fn) return std::unexpected(error(StopErrc::nested));
    Worker* self = impl_->self(this);
    if (!lock_serving(impl_->stop_mutex, self))
        return std::unexpected(error(StopErrc::not_executed, self->id(), "worker exiting"));
    std::lock_guard stop(impl_->stop_mutex, std::adopt_lock);
    std::lock_guard lock(impl_->members);
    const WorkerId id = impl_->next_id++;
    int cpu = -1;
    if (impl_->claims && impl_->workers.size() < impl_->cpus.size()) {
        cpu = impl_->claims->claim(impl_->cpus);
        if (cpu >= 0) impl_->claimed.emplace(id, cpu);
    } else if (!impl_->claims && impl_->opts.pin && id < impl_->cpus.size()) {
        cpu = impl_->cpus[id];
    }
    impl_->workers.emplace(id, std::make_unique<Worker>(this, id, impl_->opts, cpu));
    return id;
}

std::expected<void, StopError> WorkerPool::remove_worker(WorkerId id) {
    if (stop_context().in_stop_fn) return std::unexpected(error(StopErrc::nested));
    Worker* self = impl_->self(this);
    if (self != nullptr && self->id() == id)
        return std::unexpected(
            error(StopErrc::no_such_worker, id, "a worker cannot remove itself"));
    if (!lock_serving(impl_->stop_mutex, self))
        return std::unexpected(error(StopErrc::not_executed, self->id(), "worker exiting"));
    std::unique_ptr<Worker> gone;
    {
        std::lock_guard q(impl_->queue_mutex);
        std::lock_guard m(impl_->members);
        auto it = impl_->workers.find(id);
        if (it != impl_->workers.end()) {
            gone = std::move(it->second);
            impl_->workers.erase(it);
        }
        if (auto c = impl_->claimed.find(id); c != impl_->claimed.end()) {
            impl_->claims->release(c->second);
            impl_->claimed.erase(c);
        }
    }
    impl_->stop_mutex.unlock();
    if (!gone) return std::unexpected(error(StopErrc::no_such_worker, id));
    gone->shut_down();
    return {};
}

std::expected<void, StopError> WorkerPool::add_source(WorkerId id, std::unique_ptr<Source> source) {
    auto shared = std::make_shared<std::unique_ptr<Source>>(std::move(source));
    Worker* w = impl_->find(id);
    if (w == nullptr) return std::unexpected(error(StopErrc::no_such_worker, id));
    auto r = stop_one(id, [w, shared](WorkerId) {
        w->add_source(std::move(*shared));
        return 0;
    });
    if (!r) return std::unexpected(r.error());
    return {};
}

std::expected<void, StopError> WorkerPool::remove_sources(WorkerId id) {
    Worker* w = impl_->find(id);
    if (w == nullptr) return std::unexpected(error(StopErrc::no_such_worker, id));
    auto r = stop_one(id, [w](WorkerId) {
        w->clear_sources();
        return 0;
    });
    if (!r) return std::unexpected(r.error());
    return {};
}

std::optional<WorkerStats> WorkerPool::stats(WorkerId id) const {
    std::lock_guard lock(impl_->members);
    auto it = impl_->workers.find(id);
    if (it == impl_->workers.end()) return std::nullopt;
    return it->second->stats();
}

StopTiming WorkerPool::last_stop_timing() const {
    return {impl_->last_quiesce_ns.load(std::memory_order_relaxed),
            impl_->last_total_ns.load(std::memory_order_relaxed)};
}

std::optional<WorkerId> WorkerPool::current_worker() const {
    Worker* self = impl_->self(this);
    if (self == nullptr) return std::nullopt;
    return self->id();
}

StopResult WorkerPool::stop_one(WorkerId id, StopFn fn) {
    if (stop_context().in_stop_fn) return std::unexpected(error(StopErrc::nested));
    Worker* self = impl_->self(this);
    if (self != nullptr && self->id() == id) return run_stop_fn(fn, id);  // we are stopped already
    auto done = std::make_shared<Completion>(1);
    auto claim = std::make_shared<std::atomic<int>>(int(Claim::queued));
    {
        Worker* w = impl_->find(id);
        if (w == nullptr) return std::unexpected(error(StopErrc::no_such_worker, id));
        QueuedWork work{[fn = std::move(fn)](WorkerId me) { return run_stop_fn(fn, me); }, done,
                        nullptr, claim};
        if (!w->queue(std::move(work)))
            return std::unexpected(error(StopErrc::not_executed, id, "worker removed"));
    }
    return await_works(self, *done, {{id, claim}}, impl_->opts.watchdog, impl_->opts.log,
                       impl_->caller_spins());
}

bool WorkerPool::stop_one_nowait(WorkerId id, StopFn fn, StopWork& work) {
    StopWorkAccess::set(work, std::move(fn));
    Worker* w = impl_->find(id);
    QueuedWork q{[&work](WorkerId me) { return run_stop_fn(StopWorkAccess::fn(work), me); },
                 nullptr, &work, nullptr};
    if (w == nullptr || !w->queue(std::move(q))) {
        StopWorkAccess::finish(work, std::unexpected(error(StopErrc::not_executed, id)));
        return false;
    }
    return true;
}

namespace {

// Queues `make(worker)` to every worker of `set` but `skip`, atomically with respect to other
// multi-worker queueing. Fails (queueing nothing) if one of them is gone.
template <class Make>
std::expected<void, StopError> queue_all(std::mutex& queue_mutex, const std::vector<Worker*>& set,
                                         const Worker* skip, Make&& make) {
    std::lock_guard lock(queue_mutex);
    for (Worker* w : set)
        if (!w->enabled())
            return std::unexpected(error(StopErrc::not_executed, w->id(), "worker removed"));
    for (Worker* w : set)
        if (w != skip) w->queue(make(w));
    return {};
}

}  // namespace

StopResult WorkerPool::stop_two(WorkerId first, WorkerId second, StopFn fn) {
    if (stop_context().in_stop_fn) return std::unexpected(error(StopErrc::nested));
    if (first == second) return stop_one(first, std::move(fn));
    Worker* a = impl_->find(first);
    Worker* b = impl_->find(second);
    if (a == nullptr || b == nullptr)
        return std::unexpected(error(StopErrc::no_such_worker, a == nullptr ? first : second));
    auto ms = std::make_shared<MultiStop>(
        std::move(fn), std::vector<WorkerId>{std::min(first, second), std::max(first, second)},
        std::vector<WorkerId>{first}, impl_->opts.watchdog);
    Worker* self = impl_->self(this);
    const bool inline_part = self == a || self == b;
    auto done = std::make_shared<Completion>(inline_part ? 1 : 2);
    auto queued = queue_all(impl_->queue_mutex, {a, b}, self, [&](Worker*) {
        return QueuedWork{[ms](WorkerId me) { return ms->participate(me); }, done, nullptr, nullptr,
                          ms};
    });
    if (!queued) return std::unexpected(queued.error());
    if (inline_part) done->merge(ms->participate(self->id()));
    return await_multi(self, *done, *ms);
}

namespace {

std::expected<std::vector<Worker*>, StopError> resolve(const WorkerPool::Impl& impl,
                                                       const std::vector<WorkerId>& set) {
    std::vector<Worker*> out;
    for (WorkerId id : set) {
        Worker* w = impl.find(id);
        if (w == nullptr) return std::unexpected(error(StopErrc::no_such_worker, id));
        if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
    }
    return out;
}

}  // namespace

StopResult WorkerPool::try_stop_many(const std::vector<WorkerId>& set, StopFn fn) {
    if (stop_context().in_stop_fn) return std::unexpected(error(StopErrc::nested));
    if (!impl_->stop_mutex.try_lock()) return std::unexpected(error(StopErrc::busy));
    std::lock_guard stop(impl_->stop_mutex, std::adopt_lock);
    auto workers = resolve(*impl_, set);
    if (!workers) return std::unexpected(workers.error());
    if (workers->empty()) return std::unexpected(error(StopErrc::empty_pool));
    Worker* self = impl_->self(this);
    const bool inline_part = std::find(workers->begin(), workers->end(), self) != workers->end();
    auto done =
        std::make_shared<Completion>(static_cast<int>(workers->size()) - (inline_part ? 1 : 0));
    auto shared_fn = std::make_shared<StopFn>(std::move(fn));
    std::vector<std::pair<WorkerId, ClaimToken>> claims;
    auto queued = queue_all(impl_->queue_mutex, *workers, self, [&](Worker* w) {
        claims.emplace_back(w->id(), std::make_shared<std::atomic<int>>(int(Claim::queued)));
        return QueuedWork{[shared_fn](WorkerId me) { return run_stop_fn(*shared_fn, me); }, done,
                          nullptr, claims.back().second};
    });
    if (!queued) return std::unexpected(queued.error());
    if (inline_part) done->merge(run_stop_fn(*shared_fn, self->id()));
    return await_works(self, *done, claims, impl_->opts.watchdog, impl_->opts.log,
                       impl_->caller_spins());
}

StopResult WorkerPool::stop_many(const std::vector<WorkerId>& set, StopFn fn) {
    if (stop_context().in_stop_fn) return std::unexpected(error(StopErrc::nested));
    Worker* self = impl_->self(this);
    for (;;) {
        auto r = try_stop_many(set, fn);
        if (r || r.error().code != StopErrc::busy) return r;
        if (self != nullptr && self->exiting())
            return std::unexpected(error(StopErrc::not_executed, self->id(), "worker exiting"));
        serve_and_yield(self);  // serve our queue while the other stop runs
    }
}

StopResult WorkerPool::stop_machine(StopFn fn, const std::vector<WorkerId>& active) {
    if (stop_context().in_stop_fn) return std::unexpected(error(StopErrc::nested));
    Worker* self = impl_->self(this);
    if (!lock_serving(impl_->stop_mutex, self))
        return std::unexpected(error(StopErrc::not_executed, self->id(), "worker exiting"));
    std::lock_guard stop(impl_->stop_mutex, std::adopt_lock);
    const std::vector<Worker*> all = impl_->snapshot();
    if (all.empty()) return std::unexpected(error(StopErrc::empty_pool));
    std::vector<WorkerId> ids;
    for (Worker* w : all)
        ids.push_back(w->id());
    for (WorkerId id : active)
        if (std::find(ids.begin(), ids.end(), id) == ids.end())
            return std::unexpected(error(StopErrc::no_such_worker, id));
    auto ms = std::make_shared<MultiStop>(std::move(fn), ids, active, impl_->opts.watchdog);
    const bool inline_part = self != nullptr;
    auto done = std::make_shared<Completion>(static_cast<int>(all.size()) - (inline_part ? 1 : 0));
    auto queued = queue_all(impl_->queue_mutex, all, self, [&](Worker*) {
        return QueuedWork{[ms](WorkerId me) { return ms->participate(me); }, done, nullptr, nullptr,
                          ms};
    });
    if (!queued) return std::unexpected(queued.error());
    if (inline_part) done->merge(ms->participate(self->id()));
    StopResult result = await_multi(self, *done, *ms);
    if (result || result.error().code != StopErrc::stuck) {
        impl_->last_quiesce_ns.store(ms->quiesced_ns() - ms->requested_ns(),
                                     std::memory_order_relaxed);
        impl_->last_total_ns.store(monotonic_ns() - ms->requested_ns(), std::memory_order_relaxed);
    }
    return result;
}

StopResult WorkerPool::await_multi(void* self_worker, Completion& done, MultiStop& ms) {
    Worker* self = static_cast<Worker*>(self_worker);
    const auto watchdog = impl_->opts.watchdog;
    if (self == nullptr) {
        // Not a worker: sleep, and enforce the watchdog ourselves in case no participant is
        // running at all to notice.
        done.wait_until(
            [&] {
                if (ms.cancelled()) return true;
                return monotonic_ns() - ms.requested_ns() > ns(watchdog) && ms.try_cancel();
            },
            std::min<std::chrono::steady_clock::duration>(watchdog, std::chrono::milliseconds(10)),
            impl_->caller_spins());
    } else {
        wait_serving(self, [&] { return done.finished() || ms.cancelled(); });
    }
    if (!ms.cancelled()) return done.result();
    if (auto gone = ms.aborted_by())
        return std::unexpected(error(StopErrc::not_executed, *gone, "worker removed"));
    const WorkerId laggard = ms.laggard();
    impl_->opts.log("stop: worker " + std::to_string(laggard) + " did not quiesce within " +
                    std::to_string(watchdog.count()) + " ms; stop cancelled");
    return std::unexpected(error(StopErrc::stuck, laggard));
}

}  // namespace shmifd::engine
