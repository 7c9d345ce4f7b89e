// Closing a TCP socket with a RST rather than a FIN (SO_LINGER with a zero timeout): how a
// reset is carried onto a host connection (TcpSplice, port forwarding).
#pragma once

#include <sys/socket.h>
#include <unistd.h>

namespace shmifd::sockets {

inline void reset_and_close(int fd) {
    const linger abort{.l_onoff = 1, .l_linger = 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    ::close(fd);
}

}  // namespace shmifd::sockets
