#include "worker.hpp"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <string>

#include "multi_stop.hpp"
#include "stop_context.hpp"

namespace shmifd::engine {

void Worker::clear_sources() {
    if (polling_) {
        for (auto& s : sources_)
            retired_.push_back(std::move(s));
    }
    sources_.clear();
}

void QueuedWork::complete(const StopResult& r) const {
    if (done) done->finish(r);
    if (nowait != nullptr) StopWorkAccess::finish(*nowait, r);
}

Worker::Worker(const WorkerPool* pool, WorkerId id, const PoolOptions& opts, int cpu)
    : pool_(pool), id_(id), opts_(opts), cpu_(cpu), started_ns_(monotonic_ns()), thread_([this] {
          loop();
      }) {}

Worker::~Worker() {
    shut_down();
}

bool Worker::queue(QueuedWork work) {
    {
        std::lock_guard lock(stop_lock_);
        if (!enabled_) return false;
        works_.push_back(std::move(work));
        stop_pending_.store(true, std::memory_order_release);
    }
    bell_.ring();
    return true;
}

bool Worker::enabled() {
    std::lock_guard lock(stop_lock_);
    return enabled_;
}

void Worker::serve_stops() {
    for (;;) {
        QueuedWork work;
        {
            std::lock_guard lock(stop_lock_);
            if (works_.empty()) {
                stop_pending_.store(false, std::memory_order_relaxed);
                return;
            }
            work = std::move(works_.front());
            works_.pop_front();
        }
        if (work.claim) {
            int expected = int(Claim::queued);
            if (!work.claim->compare_exchange_strong(expected, int(Claim::running)))
                continue;  // the caller gave up on it: nobody waits for a result
        }
        add(stops_, 1);
        work.complete(work.run(id_));
        if (work.claim) work.claim->store(int(Claim::finished), std::memory_order_release);
    }
}

void Worker::shut_down() {
    std::deque<QueuedWork> orphans;
    {
        std::lock_guard lock(stop_lock_);
        enabled_ = false;
        orphans.swap(works_);
    }
    for (const auto& w : orphans) {
        if (w.multi) w.multi->abort(id_);
        w.complete(std::unexpected(StopError{StopErrc::not_executed, id_, "worker removed"}));
    }
    exit_.store(true, std::memory_order_release);
    bell_.ring();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

WorkerStats Worker::stats() const {
    WorkerStats s;
    s.work = work_.load(std::memory_order_relaxed);
    s.batches = batches_.load(std::memory_order_relaxed);
    const std::uint64_t now = monotonic_ns();
    s.idle_ns = idle_ns_.load(std::memory_order_relaxed);
    const std::uint64_t asleep = asleep_since_.load(std::memory_order_relaxed);
    if (asleep != 0 && now > asleep) s.idle_ns += now - asleep;  // asleep right now
    const std::uint64_t alive = now - started_ns_;
    s.busy_ns = alive > s.idle_ns ? alive - s.idle_ns : 0;
    s.sleeps = sleeps_.load(std::memory_order_relaxed);
    s.wakeups = wakeups_.load(std::memory_order_relaxed);
    s.stops = stops_.load(std::memory_order_relaxed);
    s.cpu = pinned_cpu_.load(std::memory_order_relaxed);
    return s;
}

void Worker::pin() {
    if (!opts_.pin || cpu_ < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu_), &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0) {
        pinned_cpu_.store(cpu_, std::memory_order_relaxed);
    } else if (opts_.log) {
        opts_.log("worker " + std::to_string(id_) + ": cannot pin to CPU " + std::to_string(cpu_) +
                  ", left to the scheduler");
    }
}

void Worker::loop() {
    StopContext& ctx = stop_context();
    ctx.worker = this;
    ctx.pool = pool_;
    pin();
    wait_set_.set_joint(opts_.joint_wait && bell_.open_joint_wait());
    using Clock = std::chrono::steady_clock;
    Clock::time_point idle_since{};
    bool idle = false;
    while (!exit_.load(std::memory_order_acquire)) {
        if (stop_pending_.load(std::memory_order_acquire)) serve_stops();
        const std::uint32_t bell_seen = bell_.seen();
        std::size_t work = 0;
        // By index: a stop function run inline from a poll may add or remove sources.
        polling_ = true;
        for (std::size_t i = 0; i < sources_.size(); ++i)
            work += sources_[i]->poll(opts_.batch);
        polling_ = false;
        retired_.clear();
        if (work != 0) {
            add(work_, work);
            add(batches_, 1);
            idle = false;
            continue;
        }
        const auto now = Clock::now();
        if (!idle) {
            idle = true;
            idle_since = now;
        }
        if (now - idle_since < opts_.spin) {
            if (now - idle_since >= opts_.yield_after)
                sched_yield();
            else
                __builtin_ia32_pause();
            continue;
        }
        // Idle long enough: sleep on everything that can bring work.
        wait_set_.clear();
        std::size_t armed = 0;
        bool can_sleep = true;
        for (auto& source : sources_) {
            if (!source->arm(wait_set_)) {
                can_sleep = false;
                break;
            }
            ++armed;
        }
        if (can_sleep && !stop_pending_.load(std::memory_order_acquire) &&
            !exit_.load(std::memory_order_acquire)) {
            const std::uint64_t t0 = monotonic_ns();
            add(sleeps_, 1);
            asleep_since_.store(t0, std::memory_order_relaxed);
            const bool woken = bell_.sleep(wait_set_, bell_seen);
            asleep_since_.store(0, std::memory_order_relaxed);
            add(idle_ns_, monotonic_ns() - t0);
            if (woken) add(wakeups_, 1);
        }
        for (std::size_t i = 0; i < armed && i < sources_.size(); ++i)
            sources_[i]->disarm();
        // Still idle: only work restarts the spin, so a wake-up that brings none (a frame
        // for another worker) is followed by sleep, not by another spin.
    }
    ctx.worker = nullptr;
}

}  // namespace shmifd::engine
