// Sessions and the question "is this descriptor one of our daemon's sockets?".
#include <cstdlib>
#include <string>

#include "api_common.hpp"
#include "peer_name.hpp"
#include "shmifd/control/socket_path.hpp"
#include "shmifsock.h"

using namespace shmifsock;

namespace {

std::string socket_path(const char* explicit_path) {
    if (explicit_path != nullptr) return explicit_path;
    if (const char* from_env = std::getenv("SHMIFSOCK_SOCKET"); from_env && *from_env)
        return from_env;
    return shmifd::control::default_socket_path().string();
}

}  // namespace

extern "C" {

shmifsock_session* shmifsock_connect(const char* control_socket_path) {
    try {
        auto session = Session::open(socket_path(control_socket_path));
        if (!session) {
            errno = session.error();
            return nullptr;
        }
        return new shmifsock_session{std::move(*session)};
    } catch (const std::bad_alloc&) {
        errno = ENOMEM;
    } catch (...) {
        errno = EIO;
    }
    return nullptr;
}

void shmifsock_close_session(shmifsock_session* session) {
    delete session;
}

const char* shmifsock_session_path(const shmifsock_session* session) {
    return session ? session->session->path().c_str() : nullptr;
}

int shmifsock_is_virtual(shmifsock_session* session, int fd, uint64_t* sock_id) {
    if (session == nullptr) return api::fail(EFAULT);
    return api::guarded([&] {
        const auto name = peer_name_of(fd);
        if (!name) return api::fail(name.error());
        if (!*name) return 0;
        const auto tag = session->session->tag();
        if (!tag || *tag != (*name)->tag) return 0;
        if (sock_id != nullptr) *sock_id = (*name)->sock;
        return 1;
    });
}

}  // extern "C"
