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

}  // namespace

int icmp_errno(const netstack::IcmpError& error) {
    // The stack passes only ICMP (IPv4) errors to UDP sockets so far.
    if (!error.from.is_v4()) return 0;
    if (error.type == destination_unreachable) {
        if (error.code >= unreachable.size()) return 0;  // EHOSTUNREACH, not fatal
        const auto& c = unreachable[error.code];
        return c.fatal ? c.number : 0;
    }
    if (error.type == parameter_problem) return EPROTO;
    return 0;  // time exceeded, source quench, redirect: soft
}

}  // namespace shmifd::sockets
