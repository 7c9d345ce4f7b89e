#include "inet_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace shmifsock {

namespace {

// RFC 2133's sockaddr_in6, without sin6_scope_id: the least Linux takes (SIN6_LEN_RFC2133).
constexpr socklen_t kSin6LenRfc2133 = 24;

InetAddress from_in(const sockaddr_in& in) {
    InetAddress address;
    address.family = AF_INET;
    std::memcpy(address.bytes.data(), &in.sin_addr, sizeof in.sin_addr);
    address.port = ntohs(in.sin_port);
    return address;
}

std::expected<InetAddress, int> read_in(const sockaddr* addr, socklen_t len) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return std::unexpected(EINVAL);
    sockaddr_in in{};
    std::memcpy(&in, addr, sizeof in);
    return from_in(in);
}

std::expected<InetAddress, int> read_in6(const sockaddr* addr, socklen_t len) {
    if (len < kSin6LenRfc2133) return std::unexpected(EINVAL);
    sockaddr_in6 in6{};
    std::memcpy(&in6, addr, std::min<std::size_t>(len, sizeof in6));
    InetAddress address;
    address.family = AF_INET6;
    std::memcpy(address.bytes.data(), &in6.sin6_addr, sizeof in6.sin6_addr);
    address.port = ntohs(in6.sin6_port);
    return address;
}

std::expected<InetAddress, int> inet4(const sockaddr* addr, socklen_t len, AddressUse use) {
    if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return std::unexpected(EINVAL);
    const bool unspec_is_inet = use == AddressUse::bind || use == AddressUse::send;
    if (addr->sa_family != AF_INET && !(addr->sa_family == AF_UNSPEC && unspec_is_inet))
        return std::unexpected(EAFNOSUPPORT);
    return read_in(addr, len);
}

// As inet6_bind, tcp_v6_connect, __ip6_datagram_connect and udpv6_sendmsg check it.
std::expected<InetAddress, int> inet6(const sockaddr* addr, socklen_t len, AddressUse use) {
    if (len < static_cast<socklen_t>(offsetof(sockaddr, sa_data))) return std::unexpected(EINVAL);
    const auto family = addr->sa_family;
    const bool takes_inet = use == AddressUse::connect_dgram || use == AddressUse::send;
    if (family == AF_INET && takes_inet) return read_in(addr, len);
    if (family == AF_INET6) return read_in6(addr, len);
    if (use == AddressUse::send) return std::unexpected(EINVAL);
    if (len < kSin6LenRfc2133) return std::unexpected(EINVAL);
    return std::unexpected(EAFNOSUPPORT);
}

InetAddress v4_mapped(const InetAddress& v4) {
    InetAddress address;
    address.family = AF_INET6;
    address.bytes[10] = 0xff;
    address.bytes[11] = 0xff;
    std::copy_n(v4.bytes.begin(), 4, address.bytes.begin() + 12);
    address.port = v4.port;
    return address;
}

}  // namespace

std::expected<InetAddress, int> inet_address(int domain, const sockaddr* addr, socklen_t len,
                                             AddressUse use) {
    if (addr == nullptr) return std::unexpected(EFAULT);
    return domain == AF_INET6 ? inet6(addr, len, use) : inet4(addr, len, use);
}

InetAddress any_address(int domain) {
    InetAddress address;
    address.family = domain == AF_INET6 ? AF_INET6 : AF_INET;
    return address;
}

int copy_out(const InetAddress& from, sockaddr* out, socklen_t* len) {
    if (len == nullptr) return EFAULT;
    if (static_cast<int>(*len) < 0) return EINVAL;
    sockaddr_in in{};
    sockaddr_in6 in6{};
    const void* source = &in;
    std::size_t size = sizeof in;
    if (from.family == AF_INET6) {
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(from.port);
        std::memcpy(&in6.sin6_addr, from.bytes.data(), sizeof in6.sin6_addr);
        source = &in6;
        size = sizeof in6;
    } else {
        in.sin_family = AF_INET;
        in.sin_port = htons(from.port);
        std::memcpy(&in.sin_addr, from.bytes.data(), sizeof in.sin_addr);
    }
    const auto room = std::min<std::size_t>(*len, size);
    if (room > 0) {
        if (out == nullptr) return EFAULT;
        std::memcpy(out, source, room);
    }
    *len = static_cast<socklen_t>(size);
    return 0;
}

std::string address_text(const InetAddress& address) {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(address.family, address.bytes.data(), text, sizeof text);
    return text;
}

std::expected<InetAddress, int> from_endpoint(const nlohmann::json& endpoint, int domain) {
    if (!endpoint.is_object()) return std::unexpected(ENOTCONN);
    const auto addr = endpoint.find("addr");
    const auto port = endpoint.find("port");
    if (addr == endpoint.end() || !addr->is_string() || port == endpoint.end() ||
        !port->is_number_unsigned() || port->get<std::uint64_t>() > 65535)
        return std::unexpected(EPROTO);
    const auto& text = addr->get_ref<const std::string&>();
    InetAddress address;
    address.port = port->get<std::uint16_t>();
    if (::inet_pton(AF_INET, text.c_str(), address.bytes.data()) == 1) {
        address.family = AF_INET;
        return domain == AF_INET6 ? v4_mapped(address) : address;
    }
    if (domain != AF_INET6 || ::inet_pton(AF_INET6, text.c_str(), address.bytes.data()) != 1)
        return std::unexpected(EPROTO);
    address.family = AF_INET6;
    return address;
}

}  // namespace shmifsock
