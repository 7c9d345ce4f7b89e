#include "impaired_device.hpp"

namespace shmifd {

netstack::TxStatus ImpairedDevice::transmit(std::span<const std::byte> frame) {
    if (!slot_.active()) return bus_.transmit(frame);
    // Lost or held, the frame is gone from the stack's point of view, as on a real wire.
    slot_.engine().offer(frame, std::chrono::steady_clock::now());
    return netstack::TxStatus::sent;
}

void ImpairedDevice::flush() {
    if (slot_.active()) release(std::chrono::steady_clock::now());
    bus_.flush();
}

std::size_t ImpairedDevice::release(shmif::impair::Instant now) {
    if (!slot_.active()) return 0;
    const std::size_t n = slot_.engine().release(
        now, [this](std::span<const std::byte> frame) { (void)bus_.transmit(frame); });
    if (n > 0) bus_.flush();
    return n;
}

}  // namespace shmifd
