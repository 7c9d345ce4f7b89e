#include "fd_waker.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace shmifd::sockets {

namespace {
constexpr std::uint64_t stop_key = ~std::uint64_t{0};
}

FdWaker::FdWaker()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), stop_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (epoll_ < 0 || stop_ < 0) throw std::system_error(errno, std::generic_category(), "epoll");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = stop_key;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, stop_, &event);
    slots_.reserve(256);
    thread_ = std::thread([this] { run(); });
}

FdWaker::~FdWaker() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_, &one, sizeof one);
    thread_.join();
    ::close(stop_);
    ::close(epoll_);
}

std::size_t FdWaker::add(int fd, std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    const std::size_t slot = slots_.size();
    slots_.emplace_back(fd, std::move(wake));
    epoll_event event{};
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.u64 = slot;
    // Added disarmed (a one-shot that already fired would need MOD): arm() turns it on.
    event.events = EPOLLONESHOT;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    return slot;
}

void FdWaker::arm(std::size_t slot) {
    int fd = -1;
    {
        std::lock_guard lock(mutex_);
        if (slot >= slots_.size()) return;
        fd = slots_[slot].first;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.u64 = slot;
    // MOD re-evaluates readiness: a descriptor already readable fires at once.
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event);
}

void FdWaker::run() {
    std::array<epoll_event, 16> events{};
    for (;;) {
        const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (int i = 0; i < n; ++i) {
            const auto key = events[static_cast<std::size_t>(i)].data.u64;
            if (key == stop_key) return;
            std::function<void()> wake;
            {
                std::lock_guard lock(mutex_);
                if (key < slots_.size()) wake = slots_[key].second;
            }
            if (wake) wake();
        }
    }
}

}  // namespace shmifd::sockets
