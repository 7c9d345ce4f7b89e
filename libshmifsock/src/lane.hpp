// A lane to the daemon (sock.lane, daemon/PROTOCOL.md; shmifsock/wire.h): a SOCK_SEQPACKET
// descriptor a worker of the daemon reads itself. A change sent on it wakes no thread of the
// daemon's control plane and has no reply: what servers do on every connection they accept
// (TCP_NODELAY) costs one write instead of a request the control thread must wake for.
#pragma once

#include <string>

#include "shmifsock/wire.h"
#include "unique_fd.hpp"

namespace shmifsock {

class Lane {
  public:
    // `name`: the daemon end's abstract name, as sock.lane's reply said.
    Lane(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}
    // Closes the descriptor only if it is still the lane (see still_ours).
    ~Lane();

    enum class Sent {
        sent,
        full,    // the daemon is behind: send this one another way
        broken,  // the daemon is gone, or the descriptor is no longer the lane: drop it
    };
    Sent send(const shmifsock_lane_change& change);
    // In a child after fork the descriptor is shared with the parent: fine, each change is
    // one message.

  private:
    // The descriptor still leads to the daemon's lane: a program may have closed ours and
    // reused its number, and a change must never land in the program's own files.
    bool still_ours() const;

    UniqueFd fd_;
    std::string name_;
};

}  // namespace shmifsock
