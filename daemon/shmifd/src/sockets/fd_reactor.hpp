// A shard's descriptors (the daemon ends of its sockets' pairs): one epoll set, polled
// without blocking from the shard's loop, handing each ready descriptor to its handler.
// Edge-triggered: a handler works until EAGAIN, or remembers that it stopped short.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace shmifd::sockets {

class FdReactor {
  public:
    using Handler = std::function<void(std::uint32_t events)>;

    FdReactor();
    ~FdReactor();
    FdReactor(const FdReactor&) = delete;
    FdReactor& operator=(const FdReactor&) = delete;

    int fd() const { return epoll_; }
    // EPOLLET is added; EPOLLHUP/EPOLLERR always come.
    bool add(int fd, std::uint32_t events, Handler handler);
    void remove(int fd);
    // Drops fd's handler without telling epoll, for a descriptor about to be closed whose
    // only reference is ours: the close takes it out of the set, one system call fewer.
    void forget(int fd) { handlers_.erase(fd); }
    bool empty() const { return handlers_.empty(); }
    // Runs the handlers of ready descriptors; returns how many ran.
    std::size_t poll();

  private:
    int epoll_ = -1;
    std::unordered_map<int, Handler> handlers_;
    std::vector<epoll_event> events_;
};

}  // namespace shmifd::sockets
