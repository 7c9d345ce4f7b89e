// IPv4 socket addresses as the C API takes and gives them: checked on the way in (as Linux's
// inet calls check them), copied out with the kernel's truncation rule on the way out.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <string>

#include <nlohmann/json.hpp>

namespace shmifsock {

// `addr` as an IPv4 address: EFAULT when NULL, EINVAL when shorter than sockaddr_in,
// EAFNOSUPPORT when not AF_INET (AF_UNSPEC counts as AF_INET when `unspec_is_inet`, as
// Linux's bind and UDP sendto allow).
std::expected<sockaddr_in, int> inet_address(const sockaddr* addr, socklen_t len,
                                             bool unspec_is_inet);

// Copies `from` into `out` (at most *len bytes) and sets *len to its full size, as
// getsockname(2) does. EFAULT when `len` is NULL; EINVAL when *len is negative.
int copy_out(const sockaddr_in& from, sockaddr* out, socklen_t* len);

// "10.0.0.2" and the port in host order, as the protocol writes them.
std::string dotted(const sockaddr_in& address);
std::uint16_t host_port(const sockaddr_in& address);

// EP ({"addr": "10.0.0.2", "port": 80}) to sockaddr_in; ENOTCONN when null (no address yet),
// EPROTO when malformed.
std::expected<sockaddr_in, int> from_endpoint(const nlohmann::json& endpoint);

}  // namespace shmifsock
