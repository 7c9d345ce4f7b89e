// Which daemon and which socket a descriptor is: the daemon binds its end of every pair to the
// abstract name "\0shmifd/TAG/SOCK" (TAG 16 hex digits, SOCK decimal; "/6" after it for an
// AF_INET6 socket), so getpeername on any copy of the descriptor, in any process, answers.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>

namespace shmifsock {

struct PeerName {
    std::uint64_t tag;
    std::uint64_t sock;
    int domain = AF_INET;  // AF_INET or AF_INET6
    friend bool operator==(const PeerName&, const PeerName&) = default;
};

// The name's parts when `address` (of `len` bytes, as getpeername gave it) is a daemon's name.
std::optional<PeerName> parse_peer_name(const sockaddr_un& address, socklen_t len);

// A TAG as the daemon writes it: exactly 16 hex digits.
std::optional<std::uint64_t> parse_tag(std::string_view text);

// getpeername(fd) read as a daemon's name: nullopt for any other descriptor (not a socket,
// not connected, another name); EBADF when `fd` is not open.
std::expected<std::optional<PeerName>, int> peer_name_of(int fd);

}  // namespace shmifsock
