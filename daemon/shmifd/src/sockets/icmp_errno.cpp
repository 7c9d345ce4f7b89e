#include "sockets/icmp_errno.hpp"

#include <array>
#include <cerrno>

namespace shmifd::sockets {

namespace {

// ICMP destination unreachable codes 0-15 (RFC 792, RFC 1812 5.2.7.1), as Linux's
// icmp_err_convert maps them; fatal ones are the hard errors a connected socket hears of.
struct Conversion {
    int number;
    bool fatal;
};
constexpr std::array<Conversion, 16> unreachable{{
    {ENETUNREACH, true},    // 0 network unreachable
    {EHOSTUNREACH, true},   // 1 host unreachable
    {ENOPROTOOPT, true},    // 2 protocol unreachable
    {ECONNREFUSED, true},   // 3 port unreachable
    {EMSGSIZE, true},       // 4 fragmentation needed (Linux: with path MTU discovery on)
    {EOPNOTSUPP, false},    // 5 source route failed
    {ENETUNREACH, true},    // 6 destination network unknown
    {EHOSTDOWN, true},      // 7 destination host unknown
    {ENONET, true},         // 8 source host isolated
    {ENETUNREACH, true},    // 9 network administratively prohibited
    {EHOSTUNREACH, true},   // 10 host administratively prohibited
    {ENETUNREACH, false},   // 11 network unreachable for TOS
    {EHOSTUNREACH, false},  // 12 host unreachable for TOS
    {EHOSTUNREACH, true},   // 13 communication administratively prohibited
    {EHOSTUNREACH, true},   // 14 host precedence violation
    {EHOSTUNREACH, true},   // 15 precedence cutoff in effect
}};

constexpr std::uint8_t destination_unreachable = 3;
constexpr std::uint8_t parameter_problem = 12;

// ICMPv6 destination unreachable codes 0-6 (RFC 4443 3.1), as Linux's icmpv6_err_convert.
constexpr std::array<Conversion, 7> unreachable6{{
    {ENETUNREACH, false},   // 0 no route
    {EACCES, true},         // 1 administratively prohibited
    {EHOSTUNREACH, false},  // 2 beyond the scope of the source address
    {EHOSTUNREACH, false},  // 3 address unreachable
    {ECONNREFUSED, true},   // 4 port unreachable
    {EACCES, true},         // 5 source address failed ingress/egress policy
    {EACCES, true},         // 6 reject route to destination
}};
constexpr std::uint8_t destination_unreachable6 = 1;
constexpr std::uint8_t parameter_problem6 = 4;  // EPROTO, fatal; too big, time exceeded: soft

int icmpv6_errno(const netstack::IcmpError& error) {
    if (error.type == destination_unreachable6) {
        if (error.code >= unreachable6.size()) return 0;
        const auto& c = unreachable6[error.code];
        return c.fatal ? c.number : 0;
    }
    return error.type == parameter_problem6 ? EPROTO : 0;
}

}  // namespace

int icmp_errno(const netstack::IcmpError& error) {
    if (error.from.is_v6()) return icmpv6_errno(error);
    if (error.type == destination_unreachable) {
        if (error.code >= unreachable.size()) return 0;  // EHOSTUNREACH, not fatal
        const auto& c = unreachable[error.code];
        return c.fatal ? c.number : 0;
    }
    if (error.type == parameter_problem) return EPROTO;
    return 0;  // time exceeded, source quench, redirect: soft
}

}  // namespace shmifd::sockets
