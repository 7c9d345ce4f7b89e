// Accepted connections handed to the client on the listener's descriptor (sock.listen with
// "handoff", shmifsock/wire.h): each one as a record naming the peer with the connection's
// descriptor attached, so that accept(2) under libshmifsock is a read of its own descriptor
// rather than a request to the daemon, whose round trip (two sleeping threads woken) cost
// more than the rest of an accept on a small machine. The client acknowledges each record it
// read with one byte; at most SHMIFSOCK_ACCEPT_WINDOW records are unacknowledged.
//
// Connections wait in the listener's `ready` queue until their record is sent; one whose
// descriptor cannot travel (the daemon's in-flight descriptors over its limit) is announced
// by a record without one and stays in `ready` for sock.accept. Every function here is
// called with the listener's mutex held.
#pragma once

#include <cstddef>

#include "socket_record.hpp"

namespace shmifd::sockets {

// Whether the listener may take another connection from the stack: the connections the
// client has not accepted yet, and those shards are taking (`accepting`), stay within its
// backlog (acknowledgements that wait are read first).
bool has_room(SockRecord& listener);

// Sends records for the connections in `ready` that have none yet, as the window allows.
void announce_ready(SockRecord& listener);

// Reads the acknowledgements waiting on the listener's daemon end and takes the records
// they acknowledge off the unread count (bytes that are not acknowledgements, a fresh
// stream descriptor's filler, PROTOCOL.md, are taken off first).
void read_acknowledgements(SockRecord& listener);

// sock.accept took the connection at the front of `ready`: keeps the count of unannounced
// ones right (an old client may take connections no record announced).
void took_front(SockRecord& listener);

}  // namespace shmifd::sockets
