#include "multi_stop.hpp"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <exception>

#include "stop_context.hpp"

namespace shmifd::engine {

std::uint64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

MultiStop::MultiStop(StopFn fn, std::vector<WorkerId> participants, std::vector<WorkerId> active,
                     std::chrono::nanoseconds watchdog)
    : fn_(std::move(fn)),
      participants_(std::move(participants)),
      active_(participants_.size(), false),
      arrived_(std::make_unique<std::atomic<int>[]>(participants_.size())),
      pending_acks_(static_cast<int>(participants_.size())),
      requested_ns_(monotonic_ns()),
      watchdog_(watchdog) {
    for (std::size_t i = 0; i < participants_.size(); ++i)
        arrived_[i].store(0);
    if (active.empty()) {
        if (!active_.empty()) active_[0] = true;  // exactly one: the lowest id
    } else {
        for (WorkerId id : active) {
            auto it = std::lower_bound(participants_.begin(), participants_.end(), id);
            if (it != participants_.end() && *it == id)
                active_[static_cast<std::size_t>(it - participants_.begin())] = true;
        }
    }
}

std::size_t MultiStop::index_of(WorkerId id) const {
    return static_cast<std::size_t>(
        std::lower_bound(participants_.begin(), participants_.end(), id) - participants_.begin());
}

void MultiStop::advance(int from) {
    // Reset the acknowledgement count before publishing the new state: a participant that
    // sees the new state may acknowledge it at once. (release pairs with the acquire loads
    // of state_ in participate().)
    pending_acks_.store(static_cast<int>(participants_.size()), std::memory_order_relaxed);
    int expected = from;
    if (from + 1 == int(StopState::run))
        quiesced_ns_.store(monotonic_ns(), std::memory_order_release);
    state_.compare_exchange_strong(expected, from + 1, std::memory_order_acq_rel);
}

void MultiStop::ack(int state) {
    if (pending_acks_.fetch_sub(1, std::memory_order_acq_rel) == 1) advance(state);
}

bool MultiStop::try_cancel() {
    int s = state_.load(std::memory_order_acquire);
    while (s < int(StopState::run)) {
        if (state_.compare_exchange_weak(s, int(StopState::cancelled), std::memory_order_acq_rel))
            return true;
    }
    return s == int(StopState::cancelled);
}

void MultiStop::abort(WorkerId gone) {
    std::int64_t none = -1;
    aborted_by_.compare_exchange_strong(none, static_cast<std::int64_t>(gone));
    try_cancel();
}

std::optional<WorkerId> MultiStop::aborted_by() const {
    const std::int64_t id = aborted_by_.load(std::memory_order_acquire);
    if (id < 0) return std::nullopt;
    return static_cast<WorkerId>(id);
}

WorkerId MultiStop::laggard() const {
    for (std::size_t i = 0; i < participants_.size(); ++i)
        if (arrived_[i].load(std::memory_order_acquire) < int(StopState::prepare))
            return participants_[i];
    return participants_.empty() ? 0 : participants_.front();
}

StopResult MultiStop::participate(WorkerId id) {
    const std::size_t me = index_of(id);
    const bool active = me < active_.size() && active_[me];
    int current = int(StopState::none);
    StopResult result{0};
    for (std::uint64_t spins = 0;; ++spins) {
        const int s = state_.load(std::memory_order_acquire);
        if (s == int(StopState::cancelled))
            return std::unexpected(StopError{StopErrc::not_executed, id, "stop cancelled"});
        if (s != current) {
            current = s;
            if (current == int(StopState::run) && active) result = run_stop_fn(fn_, id);
            arrived_[me].store(current, std::memory_order_release);
            if (current == int(StopState::exit)) return result;
            ack(current);
            spins = 0;
            continue;
        }
        // Waiting for the others. They may share our CPU (more workers than cores, or a
        // caller thread): after a short spin, let them run.
        if (spins < 256) {
            __builtin_ia32_pause();
        } else {
            if (current < int(StopState::run) && (spins & 255) == 0 &&
                monotonic_ns() - requested_ns_ > static_cast<std::uint64_t>(watchdog_.count()))
                try_cancel();
            ::sched_yield();
        }
    }
}

}  // namespace shmifd::engine
