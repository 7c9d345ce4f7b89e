#include "lobby.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>
#include <vector>

namespace shmifd::sockets {

Lobby::Lobby() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

Lobby::~Lobby() {
    ::close(epoll_);
}

void Lobby::add(int fd, std::uint64_t id) {
    std::lock_guard lock(mutex_);
    epoll_event event{};
    // Only the hang-up: the filler bytes keep a fresh pair readable all the time.
    event.events = EPOLLRDHUP;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) == 0) ids_[fd] = id;
}

void Lobby::remove(int fd) {
    std::lock_guard lock(mutex_);
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    ids_.erase(fd);
}

void Lobby::drain(const std::function<void(std::uint64_t)>& hung_up) {
    std::vector<std::uint64_t> gone;
    {
        std::lock_guard lock(mutex_);
        std::array<epoll_event, 64> events{};
        const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 0);
        for (int i = 0; i < n; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            auto it = ids_.find(fd);
            if (it == ids_.end()) continue;
            gone.push_back(it->second);
            ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
            ids_.erase(it);
        }
    }
    for (auto id : gone)
        hung_up(id);
}

}  // namespace shmifd::sockets
