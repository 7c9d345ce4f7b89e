// The errno the kernel would give for a stack's socket error, by name (the socket service
// carries names, not numbers, in its replies: daemon/PROTOCOL.md).
#pragma once

#include <string>

#include "netstack/stack.hpp"

namespace shmifd::sockets {

const char* errno_name(netstack::SocketError error);
// An errno number's name ("ECONNRESET"), for replies, counters and logs.
std::string errno_name(int error);

}  // namespace shmifd::sockets
