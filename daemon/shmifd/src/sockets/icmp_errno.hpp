// The errno a Linux UDP socket reports for an ICMP or ICMPv6 error about a datagram it sent
// (__udp4_lib_err and icmp_err_convert, __udp6_lib_err and icmpv6_err_convert): only hard
// errors, and only on a connected socket, are
// reported to its next receive; the rest are ignored, as Linux ignores them without
// IP_RECVERR.
#pragma once

#include "netstack/stack.hpp"

namespace shmifd::sockets {

// The errno to report, or 0 for an error Linux does not report.
int icmp_errno(const netstack::IcmpError& error);

}  // namespace shmifd::sockets
