// The link below the stack. A Device transmits whole Ethernet frames; frames come in the
// other way by the caller handing them to Stack::receive(). Devices stack: middleware (a
// tracer, a fault injector) wraps another Device and is itself one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace netstack {

enum class TxStatus : std::uint8_t {
    sent,     // handed to the link (which may still lose it, as links do)
    dropped,  // the link refused it (full, down, too large); the stack counts it
};

class Device {
  public:
    virtual ~Device() = default;
    // Sends one Ethernet frame (destination MAC first, no FCS). The bytes are only borrowed
    // for the call: the device copies what it keeps.
    virtual TxStatus transmit(std::span<const std::byte> frame) = 0;
    // Pushes out frames the device batched (one bus lock / system call per batch). The stack
    // calls it at the end of every receive() and poll(); devices that send at once ignore it.
    virtual void flush() {}
    // The largest Ethernet frame (header included, no FCS) the link carries.
    virtual std::size_t max_frame() const = 0;
};

}  // namespace netstack
