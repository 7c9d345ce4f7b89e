// The host's side of a forward: TCP (and UDP) sockets of the host's kernel, all non-blocking.
#pragma once

#include <netinet/in.h>

#include <expected>
#include <string>

#include "netstack/address.hpp"
#include "sockets/reset_close.hpp"

namespace shmifd::forward {

using sockets::reset_and_close;

sockaddr_in to_sockaddr(netstack::Endpoint endpoint);
netstack::Endpoint from_sockaddr(const sockaddr_in& address);

// A listening TCP socket on `at` (SO_REUSEADDR, as servers have, so a restart finds its port
// though old connections linger in TIME-WAIT); the error names the endpoint and the reason
// ("127.0.0.1:8080: Address already in use"). The sockets it accepts are ready for a splice:
// TCP_NODELAY and SO_OOBINLINE, inherited from it.
std::expected<int, std::string> listen_tcp(netstack::Endpoint at);
// A UDP socket bound to `at`; the same errors.
std::expected<int, std::string> bind_udp(netstack::Endpoint at);
// Starts a connection to `to` (TCP_NODELAY: a forward passes on what it gets at once;
// SO_OOBINLINE, as the splice reads urgent bytes); the
// descriptor is writable once connected. The error is an errno.
std::expected<int, int> connect_tcp(netstack::Endpoint to);

// A descriptor held in reserve: when accept() fails for want of descriptors (EMFILE), the
// waiting connection can still be taken and refused, instead of waking the acceptor forever.
class SpareDescriptor {
  public:
    SpareDescriptor();
    ~SpareDescriptor();
    SpareDescriptor(const SpareDescriptor&) = delete;
    SpareDescriptor& operator=(const SpareDescriptor&) = delete;
    // Frees the spare, accepts one connection on `listener` and resets it, takes the spare
    // back. False if there was nothing to take.
    bool shed(int listener);

  private:
    int fd_ = -1;
};

}  // namespace shmifd::forward
