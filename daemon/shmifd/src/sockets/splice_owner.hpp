// What a TcpSplice needs from whoever runs it on a shard: the shard's descriptor reactor, and
// to be told when it has ended. The socket service (ShardSockets) and port forwarding
// (forward::ShardForwards) both run splices.
#pragma once

#include <cstdint>
#include <string>

namespace shmifd::sockets {

class FdReactor;

class SpliceOwner {
  public:
    virtual FdReactor& reactor() = 0;
    // The splice with this record id has ended (closed its descriptor, let go of its
    // connection); it is destroyed after the handler that ended it has returned.
    virtual void retire_tcp(std::uint64_t id, const std::string& last_error) = 0;

  protected:
    ~SpliceOwner() = default;
};

}  // namespace shmifd::sockets
