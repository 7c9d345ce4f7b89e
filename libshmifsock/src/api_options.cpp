// setsockopt/getsockopt: each option handled where socket_options.hpp says it lives.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <algorithm>
#include <cstring>

#include "api_common.hpp"
#include "kernel.hpp"
#include "shmifsock.h"
#include "socket_options.hpp"
#include "tcp_info.hpp"

using namespace shmifsock;
using nlohmann::json;

namespace {

// The integer the protocol takes for the caller's value.
std::expected<int, int> value_to_set(const OptionSpec& spec, const void* optval, socklen_t optlen) {
    if (optval == nullptr) return std::unexpected(EFAULT);
    if (spec.value == OptionValue::linger) {
        if (optlen < static_cast<socklen_t>(sizeof(struct linger))) return std::unexpected(EINVAL);
        struct linger value {};
        std::memcpy(&value, optval, sizeof value);
        return value.l_onoff ? std::max(value.l_linger, 0) : -1;
    }
    if (optlen < static_cast<socklen_t>(sizeof(int))) return std::unexpected(EINVAL);
    int value = 0;
    std::memcpy(&value, optval, sizeof value);
    if (spec.value == OptionValue::boolean) value = value != 0;
    return value;
}

// Copies `value` out as getsockopt(2) does: at most *optlen bytes, *optlen set to the count.
int copy_value(const void* value, std::size_t size, void* optval, socklen_t* optlen) {
    if (optlen == nullptr) return api::fail(EFAULT);
    if (static_cast<int>(*optlen) < 0) return api::fail(EINVAL);
    const auto count = std::min<std::size_t>(*optlen, size);
    if (count > 0 && optval == nullptr) return api::fail(EFAULT);
    if (count > 0) std::memcpy(optval, value, count);
    *optlen = static_cast<socklen_t>(count);
    return 0;
}

int copy_int(int value, void* optval, socklen_t* optlen) {
    return copy_value(&value, sizeof value, optval, optlen);
}

int integer_of(const json& value) {
    if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
    if (value.is_number_integer()) return value.get<int>();
    return 0;
}

int answer_locally(int fd, int domain, int optname, void* optval, socklen_t* optlen) {
    const bool tcp = api::is_stream(fd);
    switch (optname) {
        case SO_TYPE:
            return copy_int(tcp ? SOCK_STREAM : SOCK_DGRAM, optval, optlen);
        case SO_DOMAIN:
            return copy_int(domain, optval, optlen);
        default:  // SO_PROTOCOL
            return copy_int(tcp ? IPPROTO_TCP : IPPROTO_UDP, optval, optlen);
    }
}

// A stream descriptor that is writable has connected: give it its full send buffer back.
// (Restoring it before would make it writable while the connection is still being made.)
void restore_if_connected(const Session& session, int fd) {
    if (!api::is_stream(fd)) return;
    pollfd probe{fd, POLLOUT, 0};
    if (kernel::poll(&probe, 1, 0) == 1 && (probe.revents & (POLLOUT | POLLHUP)) == POLLOUT)
        api::restore_pair_sndbuf(session, fd);
}

}  // namespace

extern "C" {

int shmifsock_setsockopt(shmifsock_session* s, int fd, int level, int optname, const void* optval,
                         socklen_t optlen) {
    if (s == nullptr) return api::fail(EFAULT);
    const auto spec = find_option(level, optname);
    if (!spec || !spec->settable) return api::fail(ENOPROTOOPT);
    if (spec->handling == OptionHandling::descriptor)
        return kernel::setsockopt(fd, level, optname, optval, optlen);
    return api::guarded([&] {
        const auto value = value_to_set(*spec, optval, optlen);
        if (!value) return api::fail(value.error());
        const auto sock = api::socket_ref(*s->session, fd);
        if (!sock) return api::fail(sock.error());
        if (!applies_to(*spec, sock->domain)) return api::fail(ENOPROTOOPT);
        if (spec->handling == OptionHandling::ignored) return 0;
        const json args = {{"sock", sock->id}, {"name", spec->name}, {"value", *value}};
        // Servers set TCP_NODELAY on every connection they accept, and on a TCP socket the
        // kernel's never fails: no need to wait for the daemon's answer, nor to wake its
        // control thread (the lane).
        if (optname == TCP_NODELAY && level == IPPROTO_TCP && api::is_stream(fd)) {
            const bool on = *value != 0;
            if (s->session->send_lane_change(sock->id, SHMIFSOCK_LANE_TCP_NODELAY, on ? 1 : 0) ||
                s->session->post("sock.setopt", args)) {
                s->session->known().remember_no_delay(sock->tag, sock->id, on);
                return 0;
            }
        }
        const auto reply = s->session->call("sock.setopt", args);
        if (!reply) return api::fail(reply.error());
        if (optname == TCP_NODELAY && level == IPPROTO_TCP)
            s->session->known().remember_no_delay(sock->tag, sock->id, *value != 0);
        return 0;
    });
}

int shmifsock_getsockopt(shmifsock_session* s, int fd, int level, int optname, void* optval,
                         socklen_t* optlen) {
    if (s == nullptr) return api::fail(EFAULT);
    const auto spec = find_option(level, optname);
    if (!spec) return api::fail(ENOPROTOOPT);
    if (spec->handling == OptionHandling::descriptor)
        return kernel::getsockopt(fd, level, optname, optval, optlen);
    return api::guarded([&] {
        const auto sock = api::socket_ref(*s->session, fd);
        if (!sock) return api::fail(sock.error());
        if (!applies_to(*spec, sock->domain)) return api::fail(ENOPROTOOPT);
        if (spec->handling == OptionHandling::local)
            return answer_locally(fd, sock->domain, optname, optval, optlen);
        if (spec->handling == OptionHandling::ignored) return copy_int(0, optval, optlen);
        if (level == IPPROTO_TCP && optname == TCP_NODELAY)
            if (const auto known = s->session->known().no_delay(sock->tag, sock->id))
                return copy_int(*known ? 1 : 0, optval, optlen);
        const auto reply =
            s->session->call("sock.getopt", {{"sock", sock->id}, {"name", spec->name}});
        if (!reply) return api::fail(reply.error());
        const auto& value = reply->result.value("value", json());
        switch (spec->value) {
            case OptionValue::error: {
                const int error = api::pending_error(value);
                if (error == 0) restore_if_connected(*s->session, fd);
                return copy_int(error, optval, optlen);
            }
            case OptionValue::linger: {
                const int seconds = integer_of(value);
                struct linger out {
                    seconds >= 0 ? 1 : 0, std::max(seconds, 0)
                };
                return copy_value(&out, sizeof out, optval, optlen);
            }
            case OptionValue::tcp_info: {
                if (optlen == nullptr) return api::fail(EFAULT);
                const auto info = reply->result.find("info");
                fill_tcp_info(info != reply->result.end() ? *info : value, optval, optlen);
                return 0;
            }
            default:
                return copy_int(integer_of(value), optval, optlen);
        }
    });
}

}  // extern "C"
