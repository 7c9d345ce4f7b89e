// One thread that runs posted tasks in order: the daemon's reconfiguration thread. Commands
// that stop the workers (or wait for them) run here, one at a time, so the control socket's
// thread never blocks and reconfigurations never interleave.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace shmifd {

class SerialExecutor {
  public:
    SerialExecutor();
    ~SerialExecutor();  // runs what is queued, then joins
    SerialExecutor(const SerialExecutor&) = delete;
    SerialExecutor& operator=(const SerialExecutor&) = delete;

    void post(std::function<void()> task);
    // Blocks until every task posted before it has run.
    void drain();

  private:
    std::mutex lock_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<std::function<void()>> tasks_;
    bool running_task_ = false;
    bool stopping_ = false;
    std::thread thread_;

    void run();
};

}  // namespace shmifd
