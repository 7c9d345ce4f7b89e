// Sending descriptors over an AF_UNIX socket (SCM_RIGHTS), for the control connection's
// replies and the socket service's accept records alike.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>

namespace shmifd::control {

// sendmsg(2) of `size` bytes from `data` with `fds` attached when there are any (they ride
// on the first byte the socket takes); its result and errno.
ssize_t send_with_fds(int socket, const void* data, std::size_t size, std::span<const int> fds,
                      int flags);

}  // namespace shmifd::control
