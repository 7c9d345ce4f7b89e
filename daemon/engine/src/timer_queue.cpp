#include "shmifd/engine/timer_queue.hpp"

#include <algorithm>

namespace shmifd::engine {

std::function<void()>* TimerQueue::find(TimerId id) {
    auto it = std::lower_bound(fns_.begin(), fns_.end(), id,
                               [](const auto& e, TimerId v) { return e.first < v; });
    return it != fns_.end() && it->first == id && it->second ? &it->second : nullptr;
}

TimerQueue::TimerId TimerQueue::schedule_at(Clock::time_point when, std::function<void()> fn) {
    const TimerId id = next_id_++;
    heap_.push({when, id});
    fns_.emplace_back(id, std::move(fn));  // ids grow: fns_ stays sorted
    ++live_;
    return id;
}

bool TimerQueue::cancel(TimerId id) {
    auto* fn = find(id);
    if (fn == nullptr) return false;
    *fn = nullptr;  // its heap entry is skipped when it comes up
    --live_;
    return true;
}

std::size_t TimerQueue::poll(std::size_t budget) {
    std::size_t ran = 0;
    const auto now = Clock::now();
    while (ran < budget && !heap_.empty() && heap_.top().when <= now) {
        const TimerId id = heap_.top().id;
        heap_.pop();
        std::function<void()> fn;
        if (auto* slot = find(id)) {
            fn = std::move(*slot);
            *slot = nullptr;
            --live_;
        }
        if (fn) {
            fn();  // may schedule or cancel timers
            ++ran;
        }
    }
    // Drop the slots of timers that ran or were cancelled, oldest first.
    auto dead =
        std::find_if(fns_.begin(), fns_.end(), [](const auto& e) { return bool(e.second); });
    fns_.erase(fns_.begin(), dead);
    return ran;
}

bool TimerQueue::arm(WaitSet& set) {
    while (!heap_.empty() && find(heap_.top().id) == nullptr)
        heap_.pop();  // cancelled ones
    if (heap_.empty()) return true;
    if (heap_.top().when <= Clock::now()) return false;
    set.wake_at(heap_.top().when);
    return true;
}

}  // namespace shmifd::engine
