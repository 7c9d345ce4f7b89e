// MemoryDevice: the frames a stack transmits, kept as copies for whoever looks.
#include "netstack/memory_device.hpp"

#include <iterator>
#include <utility>

namespace netstack {

TxStatus MemoryDevice::transmit(std::span<const std::byte> frame) {
    if (refuse_ || frame.size() > max_frame_) {
        ++refused_;
        return TxStatus::dropped;
    }
    frames_.emplace_back(frame.begin(), frame.end());
    ++transmitted_;
    return TxStatus::sent;
}

std::optional<FrameBuffer> MemoryDevice::pop() {
    if (frames_.empty()) return std::nullopt;
    FrameBuffer frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
}

std::vector<FrameBuffer> MemoryDevice::take_all() {
    std::vector<FrameBuffer> out(std::make_move_iterator(frames_.begin()),
                                 std::make_move_iterator(frames_.end()));
    frames_.clear();
    return out;
}

}  // namespace netstack
