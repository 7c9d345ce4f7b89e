#include "socket_record.hpp"

#include <poll.h>

namespace shmifd::sockets {

const char* type_name(SockType type) {
    return type == SockType::tcp ? "tcp" : "udp";
}

const char* domain_name(SockDomain domain) {
    return domain == SockDomain::inet ? "inet" : "inet6";
}

bool client_gone(const SockRecord& r) {
    if (r.closed) return true;
    if (r.daemon_end < 0) return false;
    pollfd end{r.daemon_end, POLLRDHUP, 0};
    return ::poll(&end, 1, 0) == 1 && (end.revents & (POLLHUP | POLLRDHUP)) != 0;
}

}  // namespace shmifd::sockets
