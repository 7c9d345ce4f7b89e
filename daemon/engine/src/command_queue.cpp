#include "shmifd/engine/command_queue.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace shmifd::engine {

struct CommandQueue::Poster::Shared {
    std::mutex lock;
    std::vector<Command> pending;       // under lock
    bool open = true;                   // under lock
    std::atomic<std::uint32_t> seq{0};  // futex word: bumped on every post
};

bool CommandQueue::Poster::post(Command command) const {
    if (!shared_) return false;
    {
        std::lock_guard guard(shared_->lock);
        if (!shared_->open) return false;
        shared_->pending.push_back(std::move(command));
    }
    // seq_cst pairs with the worker's arm(): either it sees the new seq and does not sleep,
    // or it sleeps on the old value and this wake reaches it.
    shared_->seq.fetch_add(1, std::memory_order_seq_cst);
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&shared_->seq), FUTEX_WAKE_PRIVATE, 1,
              nullptr, nullptr, 0);
    return true;
}

CommandQueue::CommandQueue() : shared_(std::make_shared<Poster::Shared>()) {}

CommandQueue::~CommandQueue() {
    std::lock_guard guard(shared_->lock);
    shared_->open = false;
    shared_->pending.clear();
}

CommandQueue::Poster CommandQueue::poster() const {
    Poster p;
    p.shared_ = shared_;
    return p;
}

std::size_t CommandQueue::poll(std::size_t budget) {
    if (running_.empty()) {
        std::lock_guard guard(shared_->lock);
        running_.swap(shared_->pending);
    }
    std::size_t done = 0;
    // Run in posting order; what the budget leaves waits for the next poll, ahead of
    // anything posted since.
    while (done < budget && done < running_.size())
        running_[done++]();
    running_.erase(running_.begin(), running_.begin() + static_cast<std::ptrdiff_t>(done));
    return done;
}

bool CommandQueue::arm(WaitSet& set) {
    const std::uint32_t seen = shared_->seq.load(std::memory_order_seq_cst);
    {
        std::lock_guard guard(shared_->lock);
        if (!shared_->pending.empty() || !running_.empty()) return false;
    }
    set.add_futex(&shared_->seq, seen, /*shared=*/false);
    return true;
}

}  // namespace shmifd::engine
