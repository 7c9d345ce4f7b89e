#include "ingress_impairment.hpp"

namespace shmifd {

std::span<const shmif::Frame> IngressImpairment::filter(std::span<const shmif::Frame> read,
                                                        shmif::impair::Instant now) {
    if (!slot_.active()) return read;
    auto& engine = slot_.engine();
    for (const shmif::Frame& f : read) {
        if (f.len < f.orig_len) continue;  // truncated by the bus: never a frame for the stack
        engine.offer({f.data, f.len}, now);
    }
    staged_.clear();
    engine.release(now, [this](std::span<const std::byte> frame) {
        const std::size_t i = staged_.size();
        if (buffers_.size() <= i) buffers_.emplace_back();
        buffers_[i].assign(frame.begin(), frame.end());
        staged_.push_back(shmif::Frame{.data = buffers_[i].data(),
                                       .capacity = buffers_[i].size(),
                                       .len = frame.size(),
                                       .orig_len = frame.size()});
    });
    return staged_;
}

}  // namespace shmifd
