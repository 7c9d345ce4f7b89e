#include "frame_backlog.hpp"

#include <algorithm>
#include <cstring>

namespace shmifd {

std::size_t FrameBacklog::push(std::span<const shmif::Frame> frames) {
    if (!arena_ && capacity_ > 0) arena_.reset(new std::byte[capacity_]);
    std::size_t kept = 0;
    for (const shmif::Frame& f : frames) {
        if (end_ + f.len > capacity_) break;  // order matters: nothing after a refusal
        if (f.len != 0) std::memcpy(arena_.get() + end_, f.data, f.len);
        shmif::Frame meta = f;
        meta.data = nullptr;
        meta.capacity = f.len;
        held_.push_back({end_, meta});
        end_ += f.len;
        ++kept;
    }
    return kept;
}

std::span<const shmif::Frame> FrameBacklog::pop(std::size_t n) {
    // The last pop's views are dead now: the space they held can be reused. Moving what is
    // left to the front costs its size, so it is done only when that is no more than the
    // space it gives back (each byte is moved a bounded number of times, amortised).
    if (held_.empty()) {
        begin_ = end_ = 0;
    } else if (begin_ > 0 && end_ - begin_ <= begin_) {
        std::memmove(arena_.get(), arena_.get() + begin_, end_ - begin_);
        for (Held& h : held_)
            h.offset -= begin_;
        end_ -= begin_;
        begin_ = 0;
    }
    views_.clear();
    for (std::size_t i = 0; i < n && !held_.empty(); ++i) {
        const Held& h = held_.front();
        shmif::Frame view = h.meta;
        view.data = arena_.get() + h.offset;
        views_.push_back(view);
        begin_ = h.offset + h.meta.len;
        held_.pop_front();
    }
    return views_;
}

}  // namespace shmifd
