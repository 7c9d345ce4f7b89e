#include "accept_handoff.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dgram_header.hpp"
#include "shmifd/control/pass_fds.hpp"
#include "socket_family.hpp"

namespace shmifd::sockets {

namespace {

// One record, with `fd` attached unless it is -1. A record is one small write to a stream
// socket: the kernel takes all of it or none.
bool send_record(int daemon_end, const shmifsock_accept_record& record, int fd) {
    const int fds[1] = {fd};
    return control::send_with_fds(daemon_end, &record, sizeof record,
                                  std::span(fds, fd >= 0 ? 1 : 0), MSG_DONTWAIT | MSG_NOSIGNAL) ==
           static_cast<ssize_t>(sizeof record);
}

// An acknowledgement the client failed to send would narrow the window for good. When the
// window or the backlog looks full, the kernel says whether the client read everything: an
// AF_UNIX stream socket's SIOCOUTQ counts the memory of what its peer has not read yet.
void recount(SockRecord& l) {
    int pending = -1;
    if (l.records_unread != 0 && l.daemon_end >= 0 &&
        ::ioctl(l.daemon_end, SIOCOUTQ, &pending) == 0 && pending == 0)
        l.records_unread = 0;
}

bool within_backlog(const SockRecord& l) {
    return l.ready.size() + l.accepting + l.records_unread < l.backlog;
}

void acknowledged(SockRecord& l, std::size_t bytes) {
    const auto filler = std::min(bytes, static_cast<std::size_t>(std::max(l.junk, 0)));
    l.junk -= static_cast<int>(filler);
    bytes -= filler;
    l.records_unread -= std::min(l.records_unread, bytes);
}

std::size_t drain_acknowledgements(int daemon_end) {
    std::size_t total = 0;
    char sink[512];
    // Bounded: at most a window of acknowledgements (and a descriptor's filler) can wait.
    for (int i = 0; i < 1024; ++i) {
        const ssize_t n = ::recv(daemon_end, sink, sizeof sink, MSG_DONTWAIT);
        if (n <= 0) break;
        total += static_cast<std::size_t>(n);
        // Short: the stream is drained (what comes next raises a new edge), no EAGAIN to ask.
        if (static_cast<std::size_t>(n) < sizeof sink) break;
    }
    return total;
}

}  // namespace

bool has_room(SockRecord& l) {
    bool room = l.handoff ? within_backlog(l) : l.ready.size() + l.accepting < l.backlog;
    if (!room && l.handoff) {
        read_acknowledgements(l);
        recount(l);
        room = within_backlog(l);
    }
    return room;
}

void announce_ready(SockRecord& l) {
    if (!l.handoff || l.daemon_end < 0) return;
    // Acknowledgements are read here, by whichever shard announces, once half a window of
    // them may wait: no worker is woken for each, and they never fill the client's buffer.
    if (l.records_unread >= SHMIFSOCK_ACCEPT_WINDOW / 2) read_acknowledgements(l);
    while (l.unannounced > 0 && l.unannounced <= l.ready.size()) {
        if (l.records_unread >= SHMIFSOCK_ACCEPT_WINDOW) {
            read_acknowledgements(l);
            recount(l);
            if (l.records_unread >= SHMIFSOCK_ACCEPT_WINDOW) return;  // a shard awaits more
        }
        const auto at = l.ready.size() - l.unannounced;
        auto& connection = l.ready[at];
        const auto& fds = connection.client_end.fds();
        const shmifsock_accept_record record{
            .peer = header_of(to_client(l.domain, connection.remote)),
            .local = header_of(to_client(l.domain, connection.local))};
        if (!fds.empty() && send_record(l.daemon_end, record, fds.front())) {
            // Our copy of the descriptor closes: the record holds it now.
            l.ready.erase(l.ready.begin() + static_cast<std::ptrdiff_t>(at));
        } else {
            // Full (acknowledgements will come) or the client gone: nothing more now.
            const int error = fds.empty() ? 0 : errno;
            if (error == EAGAIN || error == EWOULDBLOCK || error == EPIPE || error == ECONNRESET)
                return;
            // The descriptor cannot travel (ETOOMANYREFS: the daemon's descriptors in flight
            // over its RLIMIT_NOFILE): a record without one, and sock.accept takes it.
            if (!send_record(l.daemon_end, shmifsock_accept_record{}, -1)) return;
        }
        --l.unannounced;
        ++l.records_unread;
    }
}

void read_acknowledgements(SockRecord& l) {
    if (l.daemon_end >= 0) acknowledged(l, drain_acknowledgements(l.daemon_end));
}

void took_front(SockRecord& l) {
    if (l.unannounced > 0 && l.unannounced >= l.ready.size()) --l.unannounced;
}

}  // namespace shmifd::sockets
