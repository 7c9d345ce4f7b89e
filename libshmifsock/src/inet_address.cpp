#include "inet_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace shmifsock {

std::expected<sockaddr_in, int> inet_address(const sockaddr* addr, socklen_t len,
                                             bool unspec_is_inet) {
    if (addr == nullptr) return std::unexpected(EFAULT);
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return std::unexpected(EINVAL);
    sockaddr_in address{};
    std::memcpy(&address, addr, sizeof address);
    if (address.sin_family == AF_UNSPEC && unspec_is_inet) address.sin_family = AF_INET;
    if (address.sin_family != AF_INET) return std::unexpected(EAFNOSUPPORT);
    return address;
}

int copy_out(const sockaddr_in& from, sockaddr* out, socklen_t* len) {
    if (len == nullptr) return EFAULT;
    if (static_cast<int>(*len) < 0) return EINVAL;
    const auto room = std::min<std::size_t>(*len, sizeof from);
    if (room > 0) {
        if (out == nullptr) return EFAULT;
        std::memcpy(out, &from, room);
    }
    *len = sizeof from;
    return 0;
}

std::string dotted(const sockaddr_in& address) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
    return text;
}

std::uint16_t host_port(const sockaddr_in& address) {
    return ntohs(address.sin_port);
}

std::expected<sockaddr_in, int> from_endpoint(const nlohmann::json& endpoint) {
    if (!endpoint.is_object()) return std::unexpected(ENOTCONN);
    const auto addr = endpoint.find("addr");
    const auto port = endpoint.find("port");
    if (addr == endpoint.end() || !addr->is_string() || port == endpoint.end() ||
        !port->is_number_unsigned() || port->get<std::uint64_t>() > 65535)
        return std::unexpected(EPROTO);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port->get<std::uint16_t>());
    if (::inet_pton(AF_INET, addr->get_ref<const std::string&>().c_str(), &address.sin_addr) != 1)
        return std::unexpected(EPROTO);
    return address;
}

}  // namespace shmifsock
