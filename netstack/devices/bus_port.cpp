// BusPort: a shmif cursor feeding one stack interface.
#include "netstack/bus_device.hpp"

namespace netstack {

std::size_t feed_stack(std::span<const shmif::Frame> frames, Stack& stack, InterfaceId interface,
                       Device& device, Instant now) {
    std::size_t handed = 0;
    {
        // What the frames call for leaves in one write, a stream's ACKs as one per batch.
        const Stack::ReceiveBatch batch(stack, now);
        for (const auto& frame : frames) {
            if (frame.len < frame.orig_len) continue;  // half a frame is not a frame
            stack.receive(interface, {frame.data, frame.len}, now);
            ++handed;
        }
    }
    device.flush();
    return handed;
}

BusPort::BusPort(const shmif::Bus& bus, Stack& stack, InterfaceId interface, BusDevice& device,
                 shmif::StartAt start, std::size_t batch)
    : stack_(stack),
      interface_(interface),
      device_(device),
      cursor_(bus, {.skip_sender = device.sender(), .start = start}),
      storage_(batch * bus.max_frame()),
      frames_(batch) {
    for (std::size_t i = 0; i < batch; ++i) {
        frames_[i].data = storage_.data() + i * bus.max_frame();
        frames_[i].capacity = bus.max_frame();
    }
}

std::size_t BusPort::handle(std::size_t count, Instant now) {
    const std::span<const shmif::Frame> got(frames_.data(), count);
    for (const auto& frame : got)
        if (frame.len < frame.orig_len) ++stats_.truncated;
    const std::size_t handed = feed_stack(got, stack_, interface_, device_, now);
    stats_.frames += handed;
    ++stats_.polls;
    return handed;
}

std::size_t BusPort::pump(Instant now, std::size_t max_batches) {
    std::size_t handed = 0;
    for (std::size_t i = 0; i < max_batches; ++i) {
        const std::size_t count = cursor_.receive(frames_);
        if (count == 0) break;
        handed += handle(count, now);
    }
    return handed;
}

std::expected<std::size_t, shmif::Error> BusPort::pump_wait(std::chrono::nanoseconds timeout) {
    const auto count = cursor_.receive_wait(frames_, timeout);
    if (!count) return std::unexpected(count.error());
    const Instant now = std::chrono::steady_clock::now();
    return handle(*count, now) + pump(now);
}

}  // namespace netstack
