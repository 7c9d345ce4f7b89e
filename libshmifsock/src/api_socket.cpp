// The calls that create sockets, give them addresses and connect them.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <cstring>

#include "api_common.hpp"
#include "control_channel.hpp"
#include "dgram_header.hpp"
#include "inet_address.hpp"
#include "kernel.hpp"
#include "shmifsock.h"

using namespace shmifsock;
using nlohmann::json;

namespace {

constexpr int kDescriptorFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;

// What the protocol calls the type, or the errno Linux gives for the combination.
std::expected<const char*, int> protocol_type(int type, int protocol) {
    switch (type & ~kDescriptorFlags) {
        case SOCK_STREAM:
            if (protocol != 0 && protocol != IPPROTO_TCP) return std::unexpected(EPROTONOSUPPORT);
            return "tcp";
        case SOCK_DGRAM:
            if (protocol != 0 && protocol != IPPROTO_UDP) return std::unexpected(EPROTONOSUPPORT);
            return "udp";
        default:
            return std::unexpected(ESOCKTNOSUPPORT);
    }
}

// What one record on a listener's descriptor brought (shmifsock/wire.h, listen asks for
// hand-off): the connection's descriptor (-1: none came, sock.accept takes the connection),
// its peer and its local end.
struct HandedOff {
    int fd = -1;
    shmifsock_accept_record names{};
};

// Whether the daemon has the socket listening: EINVAL when not (the kernel's answer to an
// accept before listen, which would otherwise wait forever), 0 when it has. Listening lasts
// as long as the socket: asked once.
int check_listening(Session& session, const api::SocketRef& sock) {
    if (session.known().listening(sock.tag, sock.id)) return 0;
    const auto listening =
        session.call("sock.getopt", {{"sock", sock.id}, {"name", "SO_ACCEPTCONN"}});
    if (!listening) return listening.error();
    const auto& value = listening->result.value("value", json(0));
    if (value == 0 || value == false) return EINVAL;
    session.known().remember_listening(sock.tag, sock.id);
    return 0;
}

// Waits for one record on a listener's descriptor, honouring its O_NONBLOCK (and
// SO_RCVTIMEO), and acknowledges it (one byte back, which lets the daemon hand off another).
// The connection's descriptor comes close-on-exec when accept's `flags` ask for it.
std::expected<HandedOff, int> read_accept_record(Session& session, int fd,
                                                 const api::SocketRef& sock, int flags) {
    // An accept before listen fails at once (known without asking after listen).
    if (const int error = check_listening(session, sock)) return std::unexpected(error);
    HandedOff got;
    iovec part{&got.names, sizeof got.names};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &part;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    // No MSG_DONTWAIT: the descriptor's own flags decide, as they decide the kernel's accept
    // (which a signal interrupts, or SA_RESTART restarts, alike). One call where asking
    // whether to wait, and then waiting, took three.
    const ssize_t n = kernel::recvmsg(fd, &msg, (flags & SOCK_CLOEXEC) != 0 ? MSG_CMSG_CLOEXEC : 0);
    if (n == static_cast<ssize_t>(sizeof got.names)) {
        std::vector<UniqueFd> fds;  // one at most; any more (never sent) are closed
        collect_fds(msg, fds);
        got.fd = fds.empty() ? -1 : fds.front().release();
        const char ack = 'a';
        iovec ack_part{const_cast<char*>(&ack), 1};
        msghdr ack_msg{};
        ack_msg.msg_iov = &ack_part;
        ack_msg.msg_iovlen = 1;
        (void)kernel::sendmsg(fd, &ack_msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        // The descriptor did not fit in this process (the kernel closed it, and with it
        // the connection): the kernel's accept would have said EMFILE.
        if (got.fd < 0 && got.names.peer.family != 0 && (msg.msg_flags & MSG_CTRUNC) != 0)
            return std::unexpected(EMFILE);
        return got;
    }
    if (n == 0) {
        // The daemon closed its end: the listener is gone, or the daemon is.
        const auto gone =
            session.call("sock.getopt", {{"sock", sock.id}, {"name", "SO_ACCEPTCONN"}});
        return std::unexpected(!gone && gone.error() != EBADF ? gone.error() : EINVAL);
    }
    if (n > 0) return std::unexpected(EPROTO);  // a record is never split
    return std::unexpected(errno == EWOULDBLOCK ? EAGAIN : errno);
}

// An accepted socket's names, from its record: the local one never changes, the peer's
// holds while the connection lasts (socket_name checks that).
void remember_names(Session& session, int fd, const shmifsock_accept_record& names) {
    const auto accepted = api::socket_ref(session, fd);
    if (!accepted) return;
    if (const auto local = header_address(names.local))
        session.known().remember_local(accepted->tag, accepted->id, *local);
    if (const auto peer = header_address(names.peer))
        session.known().remember_peer(accepted->tag, accepted->id, *peer);
}

// Whether the daemon's end of a descriptor is open: it closes it when the connection
// ended (reset, timed out, or closed both ways), when getpeername must ask (ENOTCONN).
bool daemon_end_open(int fd) {
    pollfd probe{fd, 0, 0};
    return kernel::poll(&probe, 1, 0) == 0;
}

// Fills accept's address from a record's peer, as the kernel's accept fills it.
int fill_peer(const shmifsock_dgram& peer, int domain, sockaddr* addr, socklen_t* addrlen) {
    if (addr == nullptr && addrlen == nullptr) return 0;
    const auto address = header_address(peer).value_or(any_address(domain));
    if (const int error = copy_out(address, addr, addrlen)) return api::fail(error);
    return 0;
}

// Waits until a stream descriptor's connection attempt ended (the daemon makes it writable,
// with POLLHUP when it failed) and returns its outcome: 0, or the error SO_ERROR says.
int wait_connected(Session& session, int fd, std::uint64_t sock) {
    pollfd wait{fd, POLLOUT, 0};
    while (kernel::poll(&wait, 1, -1) < 0) {
        if (errno != EINTR) return errno;
    }
    // Writable without a hang-up: established, and no error is pending (no request needed).
    if ((wait.revents & (POLLHUP | POLLERR)) == 0) return 0;
    const auto outcome = session.call("sock.getopt", {{"sock", sock}, {"name", "SO_ERROR"}});
    if (!outcome) return outcome.error();
    return api::pending_error(outcome->result.value("value", json()));
}

int fill_endpoint(const json& endpoint, int domain, sockaddr* addr, socklen_t* addrlen,
                  bool unset_is_any) {
    auto address = from_endpoint(endpoint, domain);
    if (!address && address.error() == ENOTCONN && unset_is_any) address = any_address(domain);
    if (!address) return api::fail(address.error());
    if (const int error = copy_out(*address, addr, addrlen)) return api::fail(error);
    return 0;
}

// getsockname and getpeername: one end of sock.name's answer.
int socket_name(shmifsock_session* s, int fd, const char* end, struct sockaddr* addr,
                socklen_t* addrlen) {
    if (s == nullptr) return api::fail(EFAULT);
    return api::guarded([&] {
        const auto sock = api::socket_ref(*s->session, fd);
        if (!sock) return api::fail(sock.error());
        const bool local = std::string_view(end) == "local";
        auto& known_sockets = s->session->known();
        if (const auto known = local
                                   ? known_sockets.local(sock->tag, sock->id)
                                   : (daemon_end_open(fd) ? known_sockets.peer(sock->tag, sock->id)
                                                          : std::nullopt)) {
            const int error = copy_out(*known, addr, addrlen);
            return error == 0 ? 0 : api::fail(error);
        }
        const auto reply = s->session->call("sock.name", {{"sock", sock->id}});
        if (!reply) return api::fail(reply.error());
        return fill_endpoint(reply->result.value(end, json()), sock->domain, addr, addrlen, local);
    });
}

}  // namespace

extern "C" {

int shmifsock_socket(shmifsock_session* s, int domain, int type, int protocol) {
    if (s == nullptr) return api::fail(EFAULT);
    if (domain != AF_INET && domain != AF_INET6) return api::fail(EAFNOSUPPORT);
    const auto kind = protocol_type(type, protocol);
    if (!kind) return api::fail(kind.error());
    return api::guarded([&] {
        json args = {{"type", *kind}};
        if (domain == AF_INET6) args["domain"] = "inet6";
        auto reply = s->session->call("sock.open", args);
        if (!reply) return api::fail(reply.error());
        const auto fd = api::take_descriptor(*reply, type & kDescriptorFlags);
        return fd ? *fd : api::fail(fd.error());
    });
}

int shmifsock_bind(shmifsock_session* s, int fd, const struct sockaddr* addr, socklen_t addrlen) {
    if (s == nullptr) return api::fail(EFAULT);
    return api::guarded([&] {
        const auto sock = api::socket_ref(*s->session, fd);
        if (!sock) return api::fail(sock.error());
        const auto address = inet_address(sock->domain, addr, addrlen, AddressUse::bind);
        if (!address) return api::fail(address.error());
        const auto reply = s->session->call(
            "sock.bind",
            {{"sock", sock->id}, {"addr", address_text(*address)}, {"port", address->port}});
        return reply ? 0 : api::fail(reply.error());
    });
}

int shmifsock_listen(shmifsock_session* s, int fd, int backlog) {
    if (s == nullptr) return api::fail(EFAULT);
    return api::guarded([&] {
        const auto sock = api::socket_ref(*s->session, fd);
        if (!sock) return api::fail(sock.error());
        // Linux reads the backlog as unsigned and caps it silently (a negative one is the
        // maximum); the protocol takes 1..65535.
        const int bounded = backlog < 0 ? 65535 : std::clamp(backlog, 1, 65535);
        // Hand-off: accepted connections come on the descriptor (shmifsock/wire.h).
        const auto reply = s->session->call(
            "sock.listen", {{"sock", sock->id}, {"backlog", bounded}, {"handoff", true}});
        if (!reply) return api::fail(reply.error());
        s->session->known().remember_listening(sock->tag, sock->id);
        // The descriptor's send buffer is the acknowledgements' room: as sock.open's answer said.
        api::restore_pair_sndbuf(*s->session, fd);
        return 0;
    });
}

int shmifsock_accept4(shmifsock_session* s, int fd, struct sockaddr* addr, socklen_t* addrlen,
                      int flags) {
    if (s == nullptr) return api::fail(EFAULT);
    if ((flags & ~kDescriptorFlags) != 0) return api::fail(EINVAL);
    return api::guarded([&] {
        const auto sock = api::socket_ref(*s->session, fd);
        if (!sock) return api::fail(sock.error());
        for (;;) {
            auto handed = read_accept_record(*s->session, fd, *sock, flags);
            if (!handed) return api::fail(handed.error());
            if (handed->fd >= 0) {
                // The usual case: the connection came with its record, no request needed
                // (and close-on-exec as asked: only O_NONBLOCK may be left to set).
                if (const int error =
                        (flags & SOCK_NONBLOCK) != 0 ? api::set_nonblocking(handed->fd) : 0;
                    error != 0 || fill_peer(handed->names.peer, sock->domain, addr, addrlen) != 0) {
                    const int failed = error != 0 ? error : errno;
                    kernel::close(handed->fd);
                    return api::fail(failed);
                }
                remember_names(*s->session, handed->fd, handed->names);
                return handed->fd;
            }
            auto reply = s->session->call("sock.accept", {{"sock", sock->id}});
            // The connection went before it was accepted: wait for the next (or say so).
            if (!reply && reply.error() == EAGAIN && !api::is_nonblocking(fd)) continue;
            if (!reply) return api::fail(reply.error());
            const auto accepted = api::take_descriptor(*reply, flags);
            if (!accepted) return api::fail(accepted.error());
            if (addr != nullptr || addrlen != nullptr) {
                if (fill_endpoint(reply->result.value("remote", json()), sock->domain, addr,
                                  addrlen, true) != 0) {
                    const int error = errno;
                    kernel::close(*accepted);
                    return api::fail(error);
                }
            }
            return *accepted;
        }
    });
}

int shmifsock_connect_socket(shmifsock_session* s, int fd, const struct sockaddr* addr,
                             socklen_t addrlen) {
    if (s == nullptr) return api::fail(EFAULT);
    return api::guarded([&] {
        // connect(AF_UNSPEC) on a UDP socket forgets its peer (a family is all it needs).
        if (addr != nullptr && addrlen >= static_cast<socklen_t>(sizeof(sa_family_t)) &&
            addr->sa_family == AF_UNSPEC && !api::is_stream(fd)) {
            const auto sock = api::socket_ref(*s->session, fd);
            if (!sock) return api::fail(sock.error());
            const auto reply =
                s->session->call("sock.connect", {{"sock", sock->id}, {"disconnect", true}});
            return reply ? 0 : api::fail(reply.error());
        }
        const auto sock = api::socket_ref(*s->session, fd);
        if (!sock) return api::fail(sock.error());
        const bool stream = api::is_stream(fd);
        const auto address =
            inet_address(sock->domain, addr, addrlen,
                         stream ? AddressUse::connect_stream : AddressUse::connect_dgram);
        if (!address) return api::fail(address.error());
        json args = {{"sock", sock->id}, {"addr", address_text(*address)}, {"port", address->port}};
        if (!stream) {  // UDP: fixes the peer, nothing to wait for
            const auto reply = s->session->call("sock.connect", args);
            return reply ? 0 : api::fail(reply.error());
        }
        // Never wait inside the daemon: the session would be held for the whole handshake
        // and every other thread's request would wait behind it. A blocking connect waits on
        // the descriptor instead, which becomes writable when the attempt ended.
        args["wait"] = false;
        const auto reply = s->session->call("sock.connect", args);
        if (!reply) return api::fail(reply.error());
        if (reply->result.value("in_progress", false)) {
            if (api::is_nonblocking(fd)) return api::fail(EINPROGRESS);
            if (const int error = wait_connected(*s->session, fd, sock->id))
                return api::fail(error);
        }
        api::restore_pair_sndbuf(*s->session, fd);
        return 0;
    });
}

int shmifsock_shutdown(shmifsock_session* s, int fd, int how) {
    if (s == nullptr) return api::fail(EFAULT);
    // On the descriptor: the daemon sends a FIN when its end sees our write side close.
    return kernel::shutdown(fd, how);
}

int shmifsock_getsockname(shmifsock_session* s, int fd, struct sockaddr* addr, socklen_t* addrlen) {
    return socket_name(s, fd, "local", addr, addrlen);
}

int shmifsock_getpeername(shmifsock_session* s, int fd, struct sockaddr* addr, socklen_t* addrlen) {
    return socket_name(s, fd, "remote", addr, addrlen);
}

}  // extern "C"
