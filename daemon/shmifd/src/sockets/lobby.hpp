// Fresh TCP sockets that no shard runs yet (opened, perhaps bound, not connected or
// listening): their daemon ends are watched here for the client closing them, so a socket
// that is opened and closed unused does not stay in the table. Serviced on the FdWaker's
// thread; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace shmifd::sockets {

class Lobby {
  public:
    Lobby();
    ~Lobby();
    Lobby(const Lobby&) = delete;
    Lobby& operator=(const Lobby&) = delete;

    int fd() const { return epoll_; }
    void add(int fd, std::uint64_t id);
    void remove(int fd);
    // Calls `hung_up(id)` for each socket whose client end is closed (its entry is removed).
    void drain(const std::function<void(std::uint64_t)>& hung_up);

  private:
    int epoll_ = -1;
    std::mutex mutex_;
    std::unordered_map<int, std::uint64_t> ids_;
};

}  // namespace shmifd::sockets
