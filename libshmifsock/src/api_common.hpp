// What the C functions share: the session behind the opaque handle, errno-style returns, the
// socket id behind a descriptor, and the descriptor-level steps (flags, the send buffer).
#pragma once

#include <cerrno>
#include <cstdint>
#include <expected>
#include <memory>
#include <new>

#include "session.hpp"
#include "unique_fd.hpp"

struct shmifsock_session {
    std::unique_ptr<shmifsock::Session> session;
};

namespace shmifsock::api {

inline int fail(int error) {
    errno = error;
    return -1;
}

// Runs `body`; an exception (allocation, JSON) must not cross the C ABI: -1 with ENOMEM/EIO.
template <class Body>
auto guarded(Body body) noexcept -> decltype(body()) {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        errno = ENOMEM;
    } catch (...) {
        errno = EIO;
    }
    return -1;
}

// The daemon's socket behind `fd`: its id and family (AF_INET, AF_INET6). EBADF when `fd` is
// not open or belongs to another daemon run, ENOTSOCK when it is not a daemon socket at all.
struct SocketRef {
    std::uint64_t id;
    int domain;
    std::uint64_t tag;  // the daemon run's (KnownSockets' key, with the id)
};
std::expected<SocketRef, int> socket_ref(Session& session, int fd);

// The family of a daemon descriptor as its name says (AF_INET when it cannot tell: the call
// that follows fails on the descriptor itself).
int socket_domain(int fd);

// The descriptor's own type: true for TCP (SOCK_STREAM), false for UDP (SOCK_SEQPACKET).
bool is_stream(int fd);
bool is_nonblocking(int fd);

// Applies SOCK_NONBLOCK and SOCK_CLOEXEC of `flags` to a descriptor that arrived
// close-on-exec; 0 or the errno.
int set_descriptor_flags(int fd, int flags);
// O_NONBLOCK on a descriptor fresh from the daemon, whose status flags are its access mode
// alone (F_SETFL leaves that be): one call; 0 or the errno.
int set_nonblocking(int fd);

// The descriptor a reply passed, with SOCK_NONBLOCK / SOCK_CLOEXEC of `flags` applied
// (it arrives close-on-exec); EPROTO when the reply had none.
std::expected<int, int> take_descriptor(Reply& reply, int flags);

// Gives a connected stream descriptor back the send buffer sock.open said (the daemon made
// it small so that the descriptor is not writable before the connection is).
void restore_pair_sndbuf(const Session& session, int fd);

// The errno a daemon's SO_ERROR value names ("" or absent: 0).
int pending_error(const nlohmann::json& value);

}  // namespace shmifsock::api
