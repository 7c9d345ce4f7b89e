#include "socket_pair.hpp"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace shmifd::sockets {

namespace {

const char* errno_text(int error) {
    switch (error) {
        case EMFILE:
            return "EMFILE";
        case ENFILE:
            return "ENFILE";
        case ENOMEM:
            return "ENOMEM";
        case ENOBUFS:
            return "ENOBUFS";
        default:
            return "EIO";
    }
}

}  // namespace

std::expected<SocketPair, std::string> make_socket_pair(SockType type,
                                                        const std::string& abstract_name) {
    int fds[2];
    const int kind = type == SockType::tcp ? SOCK_STREAM : SOCK_SEQPACKET;
    if (::socketpair(AF_UNIX, kind | SOCK_CLOEXEC, 0, fds) != 0)
        return std::unexpected(errno_text(errno));
    SocketPair pair{fds[0], fds[1]};
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // Abstract: a leading NUL, no file; the name is not NUL-terminated.
    const std::size_t length = std::min(abstract_name.size(), sizeof address.sun_path - 1);
    std::memcpy(address.sun_path + 1, abstract_name.data(), length);
    const auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + length);
    // Our end: non-blocking, and a stream's out-of-band byte read inline (StreamReader).
    int one = 1;
    if (::bind(pair.daemon, reinterpret_cast<const sockaddr*>(&address), size) != 0 ||
        ::ioctl(pair.daemon, FIONBIO, &one) != 0 ||
        (type == SockType::tcp &&
         ::setsockopt(pair.daemon, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one) != 0)) {
        const int error = errno;
        ::close(pair.client);
        ::close(pair.daemon);
        return std::unexpected(errno_text(error));
    }
    return pair;
}

Filler fill_client_end(const SocketPair& pair) {
    Filler filler;
    socklen_t size = sizeof filler.restore_sndbuf;
    ::getsockopt(pair.client, SOL_SOCKET, SO_SNDBUF, &filler.restore_sndbuf, &size);
    filler.restore_sndbuf /= 2;  // the kernel reports twice what setsockopt was given
    const int smallest = 1;      // the kernel rounds it up to its minimum (about 4.5 KiB)
    ::setsockopt(pair.client, SOL_SOCKET, SO_SNDBUF, &smallest, sizeof smallest);
    const char chunk[512] = {};
    // Bounded: the minimum buffer takes a few KiB.
    for (int i = 0; i < 256; ++i) {
        const ssize_t n = ::send(pair.client, chunk, sizeof chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0) break;
        filler.bytes += static_cast<int>(n);
    }
    return filler;
}

int discard_filler(int daemon_end, int bytes) {
    std::byte sink[4096];
    while (bytes > 0) {
        const auto want = std::min(sizeof sink, static_cast<std::size_t>(bytes));
        const ssize_t n = ::recv(daemon_end, sink, want, MSG_DONTWAIT);
        if (n > 0) {
            bytes -= static_cast<int>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return bytes;
        return 0;  // the client is gone: nothing more to take
    }
    return 0;
}

}  // namespace shmifd::sockets
