// Human-readable names for the enums of netstack/stack.hpp.
#include "netstack/stack.hpp"

namespace netstack {

const char* neighbour_state_name(NeighbourState state) {
    switch (state) {
        case NeighbourState::incomplete:
            return "incomplete";
        case NeighbourState::reachable:
            return "reachable";
        case NeighbourState::stale:
            return "stale";
        case NeighbourState::delay:
            return "delay";
        case NeighbourState::probe:
            return "probe";
        case NeighbourState::failed:
            return "failed";
    }
    return "unknown";
}

const char* describe(ConfigError error) {
    switch (error) {
        case ConfigError::no_such_interface:
            return "no such interface";
        case ConfigError::duplicate_name:
            return "an interface with that name exists";
        case ConfigError::exists:
            return "already present";
        case ConfigError::not_found:
            return "not found";
        case ConfigError::invalid:
            return "invalid configuration";
    }
    return "unknown configuration error";
}

const char* describe(SocketError error) {
    switch (error) {
        case SocketError::bad_socket:
            return "no such socket";
        case SocketError::address_in_use:
            return "address in use";
        case SocketError::no_ports:
            return "no free port";
        case SocketError::not_bound:
            return "socket not bound";
        case SocketError::not_connected:
            return "socket not connected";
        case SocketError::would_block:
            return "nothing to receive";
        case SocketError::no_route:
            return "no route to host";
        case SocketError::message_too_big:
            return "message too big";
        case SocketError::invalid:
            return "invalid argument";
        case SocketError::too_many_sockets:
            return "too many sockets";
        case SocketError::connection_refused:
            return "connection refused";
        case SocketError::connection_reset:
            return "connection reset by peer";
        case SocketError::timed_out:
            return "connection timed out";
        case SocketError::already_connected:
            return "socket already connected";
        case SocketError::in_progress:
            return "connection already in progress";
        case SocketError::shut_down:
            return "cannot send after shutdown";
        case SocketError::address_not_available:
            return "address not available";
        case SocketError::host_unreachable:
            return "host unreachable";
        case SocketError::not_listening:
            return "socket not listening";
    }
    return "unknown socket error";
}

const char* tcp_state_name(TcpState state) {
    switch (state) {
        case TcpState::closed:
            return "CLOSED";
        case TcpState::listen:
            return "LISTEN";
        case TcpState::syn_sent:
            return "SYN-SENT";
        case TcpState::syn_received:
            return "SYN-RECEIVED";
        case TcpState::established:
            return "ESTABLISHED";
        case TcpState::fin_wait_1:
            return "FIN-WAIT-1";
        case TcpState::fin_wait_2:
            return "FIN-WAIT-2";
        case TcpState::close_wait:
            return "CLOSE-WAIT";
        case TcpState::closing:
            return "CLOSING";
        case TcpState::last_ack:
            return "LAST-ACK";
        case TcpState::time_wait:
            return "TIME-WAIT";
    }
    return "UNKNOWN";
}

const char* congestion_control_name(CongestionControl algorithm) {
    switch (algorithm) {
        case CongestionControl::newreno:
            return "newreno";
        case CongestionControl::cubic:
            return "cubic";
    }
    return "unknown";
}

}  // namespace netstack
