#include "host_socket.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shmifd::forward {

namespace {

std::string failure(const char* what, netstack::Endpoint at, int error) {
    return at.to_string() + ": " + what + ": " + std::strerror(error);
}

// A bound socket of `type`, or why not.
std::expected<int, std::string> bound_socket(int type, netstack::Endpoint at) {
    const int fd = ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(failure("socket", at, errno));
    const int one = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const auto address = to_sockaddr(at);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        ::close(fd);
        return std::unexpected(failure("bind", at, error));
    }
    return fd;
}

// A spliced host socket: no Nagle (the stack's side has its own), and the peer's urgent
// byte read inline (sockets::StreamReader).
void set_splice_options(int fd) {
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    (void)::setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
}

}  // namespace

sockaddr_in to_sockaddr(netstack::Endpoint endpoint) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(endpoint.port);
    address.sin_addr.s_addr = htonl(endpoint.address.v4().value);
    return address;
}

netstack::Endpoint from_sockaddr(const sockaddr_in& address) {
    return {netstack::Ipv4Address{ntohl(address.sin_addr.s_addr)}, ntohs(address.sin_port)};
}

std::expected<int, std::string> listen_tcp(netstack::Endpoint at) {
    auto fd = bound_socket(SOCK_STREAM, at);
    if (!fd) return fd;
    // What every spliced host socket wants, set once here: accepted sockets inherit both.
    set_splice_options(*fd);
    if (::listen(*fd, SOMAXCONN) != 0) {
        const int error = errno;
        ::close(*fd);
        return std::unexpected(failure("listen", at, error));
    }
    return fd;
}

std::expected<int, std::string> bind_udp(netstack::Endpoint at) {
    return bound_socket(SOCK_DGRAM, at);
}

std::expected<int, int> connect_tcp(netstack::Endpoint to) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(errno);
    set_splice_options(fd);
    const auto address = to_sockaddr(to);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
        errno != EINPROGRESS) {
        const int error = errno;
        ::close(fd);
        return std::unexpected(error);
    }
    return fd;
}

SpareDescriptor::SpareDescriptor() : fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

SpareDescriptor::~SpareDescriptor() {
    if (fd_ >= 0) ::close(fd_);
}

bool SpareDescriptor::shed(int listener) {
    if (fd_ >= 0) ::close(fd_);
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) reset_and_close(fd);
    fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0;
}

}  // namespace shmifd::forward
