#include "stream_reader.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>

namespace shmifd::sockets {

namespace {
constexpr std::uint32_t kHangup = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
}  // namespace

StreamReader::StreamReader(int fd) : fd_(fd) {}

void StreamReader::on_events(std::uint32_t events) {
    if (events & kHangup) hangup_ = true;
    if (!(events & (EPOLLIN | EPOLLPRI | kHangup))) return;
    readable_ = true;
    head_ = (events & EPOLLPRI) ? Head::maybe_mark : Head::data;
    // Shut down with no out-of-band byte queued (epoll reports both as of one moment):
    // nothing can arrive any more that a read could meet first.
    settled_ = hangup_ && !(events & EPOLLPRI);
}

bool StreamReader::at_mark() {
    int mark = 0;
    if (!marks_) return false;
    if (::ioctl(fd_, SIOCATMARK, &mark) != 0) {
        marks_ = false;  // no out-of-band data on this kind of descriptor
        return false;
    }
    return mark != 0;
}

void StreamReader::probe() {
    pollfd p{fd_, POLLIN | POLLPRI | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) != 1) {
        readable_ = false;
        return;
    }
    on_events(static_cast<std::uint32_t>(p.revents));  // the poll and epoll bits agree
    if (!(p.revents & (POLLIN | POLLPRI | POLLRDHUP | POLLHUP | POLLERR))) readable_ = false;
}

StreamReader::Read StreamReader::read(std::span<std::byte> into) {
    if (head_ == Head::unknown) probe();
    if (!readable_) return {.n = -1, .error = EAGAIN};
    if (head_ == Head::maybe_mark && at_mark()) head_ = Head::mark;
    const bool urgent = head_ == Head::mark;
    const ssize_t n = ::recv(fd_, into.data(), urgent ? 1 : into.size(), MSG_DONTWAIT);
    if (n < 0) {
        const int error = errno;
        if (error == EAGAIN || error == EINTR) readable_ = false;
        return {.n = -1, .error = error};
    }
    if (n == 0) return {.n = 0};
    if (settled_) {
        // Read on to the end of file, no questions asked.
    } else if (urgent || static_cast<std::size_t>(n) == into.size() || hangup_) {
        head_ = Head::unknown;
    } else if (head_ == Head::maybe_mark && at_mark()) {
        head_ = Head::mark;  // the read stopped at it
    } else {
        readable_ = false;  // drained: what arrives from now on raises a new edge
    }
    return {.n = n, .urgent = urgent};
}

}  // namespace shmifd::sockets
