#include "errno_names.hpp"

#include <cstring>

namespace shmifd::sockets {

const char* errno_name(netstack::SocketError error) {
    using E = netstack::SocketError;
    switch (error) {
        case E::bad_socket:
            return "EBADF";
        case E::address_in_use:
            return "EADDRINUSE";
        case E::no_ports:
            return "EADDRNOTAVAIL";
        case E::not_bound:
            return "EINVAL";
        case E::not_connected:
            return "ENOTCONN";
        case E::would_block:
            return "EAGAIN";
        case E::no_route:
            return "ENETUNREACH";
        case E::message_too_big:
            return "EMSGSIZE";
        case E::invalid:
            return "EINVAL";
        case E::too_many_sockets:
            return "ENOBUFS";
        case E::connection_refused:
            return "ECONNREFUSED";
        case E::connection_reset:
            return "ECONNRESET";
        case E::timed_out:
            return "ETIMEDOUT";
        case E::already_connected:
            return "EISCONN";
        case E::in_progress:
            return "EALREADY";
        case E::shut_down:
            return "EPIPE";
        case E::address_not_available:
            return "EADDRNOTAVAIL";
        case E::host_unreachable:
            return "EHOSTUNREACH";
        case E::not_listening:
            return "EINVAL";
    }
    return "EIO";
}

std::string errno_name(int error) {
    const char* name = ::strerrorname_np(error);
    return name != nullptr ? name : "E" + std::to_string(error);
}

}  // namespace shmifd::sockets
