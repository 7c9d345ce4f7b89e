// What each (level, name) of setsockopt/getsockopt means for a virtual socket: an option the
// daemon keeps (by the protocol's name), one the descriptor itself carries, one answered
// here, one accepted and ignored, or one not supported (ENOPROTOOPT).
#pragma once

#include <optional>
#include <string_view>

namespace shmifsock {

enum class OptionHandling {
    daemon,      // sock.setopt / sock.getopt with `name`
    descriptor,  // the kernel's, on the descriptor (SO_RCVTIMEO, SO_SNDTIMEO, SO_OOBINLINE)
    local,       // answered without asking (SO_TYPE, SO_DOMAIN, SO_PROTOCOL)
    ignored,     // no meaning in the daemon's stack: set succeeds, get reads 0
};

enum class OptionValue {
    integer,   // int
    boolean,   // int, any non-zero is 1
    linger,    // struct linger; -1 in the protocol for off
    error,     // SO_ERROR: the protocol's errno name, an int for the caller
    tcp_info,  // struct tcp_info
};

struct OptionSpec {
    OptionHandling handling;
    OptionValue value;
    std::string_view name;  // the protocol's
    bool settable;
    bool inet6_only = false;
};

std::optional<OptionSpec> find_option(int level, int name);

// Whether a socket of `domain` (AF_INET, AF_INET6) has the option: IPPROTO_IPV6's are an
// inet6 socket's only (Linux: ENOPROTOOPT on an inet one).
bool applies_to(const OptionSpec& spec, int domain);

}  // namespace shmifsock
