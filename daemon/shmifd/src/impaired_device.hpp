// Egress impairment: the Device the stack sends through. Frames pass through the interface's
// egress impairment on their way to the bus device; held frames leave from flush() and from
// the shard's poll when they are due. Without an impairment it is a plain forwarder.
#pragma once

#include "impair_slot.hpp"
#include "netstack/bus_device.hpp"
#include "netstack/device.hpp"

namespace shmifd {

class ImpairedDevice final : public netstack::Device {
  public:
    explicit ImpairedDevice(netstack::BusDevice& bus) : bus_(bus) {}

    netstack::TxStatus transmit(std::span<const std::byte> frame) override;
    void flush() override;
    std::size_t max_frame() const override { return bus_.max_frame(); }

    // Sends what is due at `now`; returns how many frames left.
    std::size_t release(shmif::impair::Instant now);
    ImpairSlot& slot() { return slot_; }
    const ImpairSlot& slot() const { return slot_; }

  private:
    netstack::BusDevice& bus_;
    ImpairSlot slot_;
};

}  // namespace shmifd
