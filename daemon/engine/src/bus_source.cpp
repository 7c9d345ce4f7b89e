#include "shmifd/engine/bus_source.hpp"

#include <algorithm>

namespace shmifd::engine {

namespace {
constexpr std::size_t kMaxBatch = 64;
}

BusSource::BusSource(const shmif::Bus& bus, shmif::CursorOptions opts, Handler handler,
                     std::string name)
    : cursor_(bus, opts),
      handler_(std::move(handler)),
      name_(std::move(name)),
      frame_capacity_(bus.max_frame()) {
    storage_.resize(kMaxBatch * frame_capacity_);
    frames_.resize(kMaxBatch);
    for (std::size_t i = 0; i < kMaxBatch; ++i)
        frames_[i] = {storage_.data() + i * frame_capacity_, frame_capacity_};
}

std::size_t BusSource::poll(std::size_t budget) {
    const std::size_t n = std::min(budget, kMaxBatch);
    const std::size_t got = cursor_.receive(std::span(frames_.data(), n));
    if (got > 0) handler_(std::span<const shmif::Frame>(frames_.data(), got));
    return got;
}

bool BusSource::arm(WaitSet& set) {
    shmif::Cursor::WaitSpec spec;
    if (!cursor_.arm(spec)) return false;
    if (spec.futex != nullptr) set.add_futex(spec.futex, spec.expected, /*shared=*/true);
    if (spec.fd >= 0) set.add_fd(spec.fd);
    return true;
}

void BusSource::disarm() {
    cursor_.disarm();
}

}  // namespace shmifd::engine
