// Wakes sleeping workers when descriptors they watch turn ready, where a worker cannot wait
// on them itself. A worker sleeps on futexes (its doorbell and the buses); where the kernel
// has io_uring's FUTEX_WAITV (Linux 6.7) it waits on its epoll descriptor in the same wait
// (engine/src/uring_wait.hpp) and this thread is not involved. Else one system call cannot
// wait on both, so this thread waits on every worker's epoll descriptor instead and rings the
// worker whose descriptor fired. One-shot: a worker re-arms before it sleeps, so an awake
// worker (which polls its epoll itself) costs this thread nothing. It also runs the lobby.
#pragma once

#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace shmifd::sockets {

class FdWaker {
  public:
    FdWaker();
    ~FdWaker();
    FdWaker(const FdWaker&) = delete;
    FdWaker& operator=(const FdWaker&) = delete;

    // Watches `fd` (an epoll descriptor) for readability; `wake` runs on the waker's thread
    // when it fires, at most once per arm(). Returns the slot to arm() with.
    std::size_t add(int fd, std::function<void()> wake);
    // Before sleeping: fire once when `slot`'s descriptor is (or becomes) readable.
    void arm(std::size_t slot);

  private:
    void run();

    int epoll_ = -1;
    int stop_ = -1;  // eventfd: ends run()
    std::mutex mutex_;
    std::vector<std::pair<int, std::function<void()>>> slots_;
    std::thread thread_;
};

}  // namespace shmifd::sockets
