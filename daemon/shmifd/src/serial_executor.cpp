#include "serial_executor.hpp"

namespace shmifd {

SerialExecutor::SerialExecutor() : thread_([this] { run(); }) {}

SerialExecutor::~SerialExecutor() {
    {
        std::lock_guard guard(lock_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void SerialExecutor::post(std::function<void()> task) {
    {
        std::lock_guard guard(lock_);
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void SerialExecutor::drain() {
    std::unique_lock guard(lock_);
    idle_.wait(guard, [&] { return tasks_.empty() && !running_task_; });
}

void SerialExecutor::run() {
    std::unique_lock guard(lock_);
    for (;;) {
        wake_.wait(guard, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, and nothing left
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        running_task_ = true;
        guard.unlock();
        task();
        guard.lock();
        running_task_ = false;
        if (tasks_.empty()) idle_.notify_all();
    }
}

}  // namespace shmifd
