#include "socket_options.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace shmifsock {
namespace {

struct Entry {
    int level;
    int name;
    OptionSpec spec;
};

using enum OptionHandling;
using enum OptionValue;

constexpr Entry kOptions[] = {
    {SOL_SOCKET, SO_REUSEADDR, {daemon, boolean, "SO_REUSEADDR", true}},
    {SOL_SOCKET, SO_RCVBUF, {daemon, integer, "SO_RCVBUF", true}},
    {SOL_SOCKET, SO_SNDBUF, {daemon, integer, "SO_SNDBUF", true}},
    {SOL_SOCKET, SO_BROADCAST, {daemon, boolean, "SO_BROADCAST", true}},
    {SOL_SOCKET, SO_KEEPALIVE, {daemon, boolean, "SO_KEEPALIVE", true}},
    {SOL_SOCKET, SO_LINGER, {daemon, linger, "SO_LINGER", true}},
    {SOL_SOCKET, SO_ERROR, {daemon, error, "SO_ERROR", false}},
    {SOL_SOCKET, SO_ACCEPTCONN, {daemon, boolean, "SO_ACCEPTCONN", false}},
    {SOL_SOCKET, SO_TYPE, {local, integer, "SO_TYPE", false}},
    {SOL_SOCKET, SO_DOMAIN, {local, integer, "SO_DOMAIN", false}},
    {SOL_SOCKET, SO_PROTOCOL, {local, integer, "SO_PROTOCOL", false}},
    {SOL_SOCKET, SO_RCVTIMEO, {descriptor, integer, "SO_RCVTIMEO", true}},
    {SOL_SOCKET, SO_SNDTIMEO, {descriptor, integer, "SO_SNDTIMEO", true}},
    {SOL_SOCKET, SO_OOBINLINE, {descriptor, boolean, "SO_OOBINLINE", true}},
    {SOL_SOCKET, SO_REUSEPORT, {ignored, boolean, "SO_REUSEPORT", true}},
    {IPPROTO_TCP, TCP_NODELAY, {daemon, boolean, "TCP_NODELAY", true}},
    {IPPROTO_TCP, TCP_INFO, {daemon, tcp_info, "TCP_INFO", false}},
    {IPPROTO_TCP, TCP_KEEPIDLE, {ignored, integer, "TCP_KEEPIDLE", true}},
    {IPPROTO_TCP, TCP_KEEPINTVL, {ignored, integer, "TCP_KEEPINTVL", true}},
    {IPPROTO_TCP, TCP_KEEPCNT, {ignored, integer, "TCP_KEEPCNT", true}},
    {IPPROTO_TCP, TCP_QUICKACK, {ignored, boolean, "TCP_QUICKACK", true}},
    {IPPROTO_IP, IP_TOS, {ignored, integer, "IP_TOS", true}},
    {IPPROTO_IPV6, IPV6_V6ONLY, {daemon, boolean, "IPV6_V6ONLY", true, true}},
    {IPPROTO_IPV6, IPV6_TCLASS, {ignored, integer, "IPV6_TCLASS", true, true}},
};

}  // namespace

std::optional<OptionSpec> find_option(int level, int name) {
    for (const auto& entry : kOptions)
        if (entry.level == level && entry.name == name) return entry.spec;
    return std::nullopt;
}

bool applies_to(const OptionSpec& spec, int domain) {
    return !spec.inet6_only || domain == AF_INET6;
}

}  // namespace shmifsock
