#include "peer_name.hpp"

#include <cerrno>
#include <charconv>
#include <cstddef>

#include "kernel.hpp"
#include "shmifsock/wire.h"

namespace shmifsock {

std::optional<std::uint64_t> parse_tag(std::string_view text) {
    if (text.size() != 16) return std::nullopt;
    std::uint64_t tag = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), tag, 16);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return tag;
}

std::optional<PeerName> parse_peer_name(const sockaddr_un& address, socklen_t len) {
    constexpr auto path_offset = offsetof(sockaddr_un, sun_path);
    if (address.sun_family != AF_UNIX || len <= path_offset + 1 || len > sizeof address)
        return std::nullopt;
    if (address.sun_path[0] != '\0') return std::nullopt;  // not abstract
    std::string_view name(address.sun_path + 1, len - path_offset - 1);
    constexpr std::string_view prefix = SHMIFSOCK_NAME_PREFIX;
    if (!name.starts_with(prefix)) return std::nullopt;
    name.remove_prefix(prefix.size());
    const auto slash = name.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto tag = parse_tag(name.substr(0, slash));
    if (!tag) return std::nullopt;
    auto id = name.substr(slash + 1);
    int domain = AF_INET;
    if (id.ends_with("/6")) {
        domain = AF_INET6;
        id.remove_suffix(2);
    }
    std::uint64_t sock = 0;
    const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), sock, 10);
    if (id.empty() || error != std::errc() || end != id.data() + id.size()) return std::nullopt;
    return PeerName{*tag, sock, domain};
}

std::expected<std::optional<PeerName>, int> peer_name_of(int fd) {
    sockaddr_un address{};
    socklen_t len = sizeof address;
    if (kernel::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
        if (errno == EBADF) return std::unexpected(EBADF);
        return std::optional<PeerName>();  // ENOTSOCK, ENOTCONN: not one of ours
    }
    return parse_peer_name(address, len);
}

}  // namespace shmifsock
