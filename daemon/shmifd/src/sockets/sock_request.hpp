// The arguments of the sock.* requests (daemon/PROTOCOL.md, "The socket service"), decoded
// and checked in one place before the service acts on them. They come from any process that
// can open the control socket, so tests/fuzz/sock_request_fuzz.cpp feeds this arbitrary input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netstack/address.hpp"
#include "shmifd/control/handler.hpp"
#include "sockets/socket_record.hpp"

namespace shmifd::sockets {

struct SockRequest {
    enum class Kind : std::uint8_t {
        open,
        bind,
        listen,
        connect,
        accept,
        name,
        setopt,
        getopt,
        list,
        lane
    };
    Kind kind = Kind::list;
    std::uint64_t sock = 0;         // >= 1 for every kind but open and list (lane: 0 if not given)
    SockType type = SockType::tcp;  // open
    SockDomain domain = SockDomain::inet;  // open
    netstack::Endpoint endpoint{};  // bind: the local end; connect: the remote one (either family)
    std::uint32_t backlog = 128;    // listen
    bool handoff = false;           // listen: connections come on the descriptor (wire.h)
    bool wait = true;               // connect: answer when established (false: at once)
    bool disconnect = false;        // connect: AF_UNSPEC, forget the peer (no addr, port)
    std::string option;             // setopt, getopt: the socket-API name ("SO_RCVBUF")
    std::int64_t value = 0;         // setopt: -1 .. INT32_MAX (SO_LINGER off is -1)
};

// `cmd` without its "sock." prefix. Throws control::ArgumentError for a malformed or missing
// argument, an unknown one (Args::finish), or an unknown command (code unknown_command).
SockRequest decode_sock_request(std::string_view cmd, control::Args& args);

}  // namespace shmifd::sockets
