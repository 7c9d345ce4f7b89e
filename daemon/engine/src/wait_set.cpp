#include "shmifd/engine/source.hpp"

namespace shmifd::engine {

void WaitSet::add_futex(std::atomic<std::uint32_t>* word, std::uint32_t expected, bool shared) {
    futexes_.push_back({word, expected, shared});
}

void WaitSet::add_fd(int fd) {
    fds_.push_back(fd);
}

void WaitSet::wake_at(Clock::time_point when) {
    if (when < deadline_) deadline_ = when;
}

void WaitSet::clear() {
    futexes_.clear();
    fds_.clear();
    deadline_ = Clock::time_point::max();
}

}  // namespace shmifd::engine
