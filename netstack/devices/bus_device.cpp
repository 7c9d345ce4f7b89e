// BusDevice: frames batched in memory, put on the bus in one Writer::send_batch per flush.
#include "netstack/bus_device.hpp"

namespace netstack {

BusDevice::BusDevice(const shmif::Bus& bus, shmif::WriterOptions options, std::size_t batch_frames)
    : writer_(bus, options), max_frame_(bus.max_frame()), batch_frames_(batch_frames) {
    spans_.reserve(batch_frames_);
    batch_.reserve(batch_frames_);
}

TxStatus BusDevice::transmit(std::span<const std::byte> frame) {
    if (frame.size() > max_frame_) {
        ++stats_.dropped_too_large;
        return TxStatus::dropped;
    }
    // A full batch goes out now rather than losing the frame: one datagram's fragments may
    // outnumber a batch (a 64 KiB datagram at MTU 576 is ~118 frames).
    if (spans_.size() >= batch_frames_) flush();
    spans_.emplace_back(arena_.size(), frame.size());
    arena_.insert(arena_.end(), frame.begin(), frame.end());
    ++stats_.queued;
    return TxStatus::sent;
}

void BusDevice::flush() {
    if (spans_.empty()) return;
    if (before_write_) before_write_(arena_.size(), spans_.size());
    // Spans are made only now: arena_ may have moved while frames were queued.
    batch_.clear();
    for (const auto& [offset, length] : spans_)
        batch_.emplace_back(arena_.data() + offset, length);
    ++stats_.batches;
    const auto sent = writer_.send_batch(batch_);
    if (sent) {
        stats_.sent += *sent;
        if (failing_) {
            failing_.reset();
            if (observer_) observer_(std::nullopt);
        }
    } else {
        stats_.dropped_send_error += spans_.size();
        stats_.last_error = sent.error().code;
        if (failing_ != sent.error().code) {
            failing_ = sent.error().code;
            if (observer_) observer_(sent.error());
        }
    }
    spans_.clear();
    arena_.clear();  // keeps its capacity for the next batch
}

}  // namespace netstack
