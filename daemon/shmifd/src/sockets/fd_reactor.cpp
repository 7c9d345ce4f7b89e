#include "fd_reactor.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace shmifd::sockets {

FdReactor::FdReactor() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), events_(64) {
    if (epoll_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

FdReactor::~FdReactor() {
    ::close(epoll_);
}

bool FdReactor::add(int fd, std::uint32_t events, Handler handler) {
    epoll_event event{};
    event.events = events | EPOLLET;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) return false;
    handlers_[fd] = std::move(handler);
    return true;
}

void FdReactor::remove(int fd) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    handlers_.erase(fd);
}

std::size_t FdReactor::poll() {
    if (handlers_.empty()) return 0;
    const int n = ::epoll_wait(epoll_, events_.data(), static_cast<int>(events_.size()), 0);
    std::size_t ran = 0;
    for (int i = 0; i < n; ++i) {
        const auto& event = events_[static_cast<std::size_t>(i)];
        // A handler may remove others (and close their descriptors): look each one up anew.
        auto it = handlers_.find(event.data.fd);
        if (it == handlers_.end()) continue;
        auto handler = it->second;  // a copy: the handler may remove itself
        handler(event.events);
        ++ran;
    }
    return ran;
}

}  // namespace shmifd::sockets
