// Ingress impairment: between the bus and the stack. Frames read from the bus go through the
// interface's ingress impairment; what it releases is handed to the stack from the link's
// own staging buffers. Every worker reads every frame of the bus in the same order, and
// every worker's ingress engine has the same seed, so all workers make the same decisions
// about the same frame (unless a worker's cursor was lapped and missed frames the others saw).
#pragma once

#include <span>
#include <vector>

#include "impair_slot.hpp"
#include "shmif/frame.hpp"

namespace shmifd {

class IngressImpairment {
  public:
    // The frames for the stack: `read` itself when nothing is impaired, else what is due.
    std::span<const shmif::Frame> filter(std::span<const shmif::Frame> read,
                                         shmif::impair::Instant now);
    ImpairSlot& slot() { return slot_; }
    const ImpairSlot& slot() const { return slot_; }

  private:
    ImpairSlot slot_;
    std::vector<std::vector<std::byte>> buffers_;  // staging, reused
    std::vector<shmif::Frame> staged_;
};

}  // namespace shmifd
