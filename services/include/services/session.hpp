// One connection's protocol logic, apart from sockets: the host hands it what the peer sent
// and asks it for what to send, as buffer space allows. Pure logic; the host (service_host)
// does the socket calls and the backpressure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "services/service_spec.hpp"

namespace services {

class Session {
  public:
    virtual ~Session() = default;
    // The host reads from the socket only while this holds: a session whose output is
    // backed up stops taking input, and TCP's window pushes back on the peer.
    virtual bool wants_input() const = 0;
    // Bytes the peer sent (all of them are taken).
    virtual void receive(std::span<const std::byte> data) = 0;
    // The peer will send nothing more (its FIN).
    virtual void end_of_input() = 0;
    // Writes up to out.size() bytes to send; 0 when there is nothing to send now.
    virtual std::size_t produce(std::span<std::byte> out) = 0;
    // Nothing more will be produced: the host closes once what was produced has been sent.
    virtual bool finished() const = 0;
    // Requests answered with an error status (HTTP), for the service's error counter.
    virtual std::uint64_t protocol_errors() const { return 0; }
    virtual std::uint64_t requests() const { return 0; }
};

// A new session of the given service.
std::unique_ptr<Session> make_session(ServiceKind kind);

}  // namespace services
