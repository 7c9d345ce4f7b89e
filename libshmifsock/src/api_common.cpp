#include "api_common.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include "errno_names.hpp"
#include "kernel.hpp"
#include "peer_name.hpp"

namespace shmifsock::api {

std::expected<SocketRef, int> socket_ref(Session& session, int fd) {
    const auto name = peer_name_of(fd);
    if (!name) return std::unexpected(name.error());
    if (!*name) return std::unexpected(ENOTSOCK);
    const auto tag = session.tag();
    if (!tag) return std::unexpected(ENOTCONN);
    if (*tag != (*name)->tag) return std::unexpected(EBADF);
    return SocketRef{(*name)->sock, (*name)->domain, *tag};
}

int socket_domain(int fd) {
    const auto name = peer_name_of(fd);
    return name && *name ? (*name)->domain : AF_INET;
}

bool is_stream(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    return kernel::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

bool is_nonblocking(int fd) {
    const int flags = kernel::fcntl(fd, F_GETFL);
    return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

int set_nonblocking(int fd) {
    return kernel::fcntl(fd, F_SETFL, O_NONBLOCK) == 0 ? 0 : errno;
}

int set_descriptor_flags(int fd, int flags) {
    if ((flags & SOCK_CLOEXEC) == 0 && kernel::fcntl(fd, F_SETFD, 0) != 0) return errno;
    return (flags & SOCK_NONBLOCK) != 0 ? set_nonblocking(fd) : 0;
}

std::expected<int, int> take_descriptor(Reply& reply, int flags) {
    if (reply.fds.size() != 1) return std::unexpected(EPROTO);
    auto fd = std::move(reply.fds.front());
    if (const int error = set_descriptor_flags(fd.get(), flags)) return std::unexpected(error);
    return fd.release();
}

void restore_pair_sndbuf(const Session& session, int fd) {
    const int size = session.pair_sndbuf();
    if (size > 0) kernel::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

int pending_error(const nlohmann::json& value) {
    if (value.is_number_integer()) return value.get<int>();
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) return 0;
    return errno_from_name(value.get_ref<const std::string&>()).value_or(EIO);
}

}  // namespace shmifsock::api
