#include "completion.hpp"

namespace shmifd::engine {

void Completion::merge(const StopResult& r) {
    std::lock_guard lock(mutex_);
    if (!r) {
        if (!error_) error_ = r.error();
    } else if (ret_ == 0) {
        ret_ = *r;
    }
}

void Completion::finish(const StopResult& r) {
    merge(r);
    if (todo_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard lock(mutex_);  // so a waiter between its check and its wait is not missed
        cv_.notify_all();
    }
}

void Completion::poke() {
    std::lock_guard lock(mutex_);
    cv_.notify_all();
}

StopResult Completion::result() {
    std::lock_guard lock(mutex_);
    if (error_) return std::unexpected(*error_);
    return ret_;
}

}  // namespace shmifd::engine
