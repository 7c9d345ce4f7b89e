// The socketpair behind a virtual socket: the client's end (blocking, as a fresh socket is)
// and the daemon's (non-blocking, bound to its abstract name so that getpeername on any copy
// of the client's end names the socket: daemon/PROTOCOL.md).
#pragma once

#include <expected>
#include <string>

#include "socket_record.hpp"

namespace shmifd::sockets {

struct SocketPair {
    int client = -1;
    int daemon = -1;
};

// The errno name on failure (EMFILE, ENFILE, ...).
std::expected<SocketPair, std::string> make_socket_pair(SockType type,
                                                        const std::string& abstract_name);

// A fresh stream pair is made unwritable for the client: a minimal send buffer, filled with
// filler bytes the daemon discards once connected. Returns the filler count and the send
// buffer size to restore.
struct Filler {
    int bytes = 0;
    int restore_sndbuf = 0;
};
Filler fill_client_end(const SocketPair& pair);
// Reads and drops up to `bytes` filler bytes from the daemon's end without blocking; returns
// how many are still to come (0 also when the client is gone and none ever will).
int discard_filler(int daemon_end, int bytes);

}  // namespace shmifd::sockets
